// The composition root (ARCHITECTURE.md): the one place that builds every part, wires them
// through the bus, and starts/stops them in order. Nothing else constructs services.
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { Broker } from '../../broker/index.js';
import { LivePush } from '../../dashboard/socket.js';
import { applyMigrations } from '../../prisma/migrate.js';
import { AuthService } from '../auth/service.js';
import { EventBus } from '../core/bus.js';
import type { Config } from '../core/config.js';
import type { IncidentKind } from '../../contracts/domain.js';
import { createPrisma, startEmbeddedPostgres, type Db, type EmbeddedPg } from '../core/db.js';
import { createLogger, type Logger } from '../core/logger.js';
import { RejectionCounter } from '../core/rejections.js';
import { CommandService } from '../devices/commands.js';
import { EventStore, RecentEventIds } from '../devices/ingest.js';
import { DeviceRegistry } from '../devices/registry.js';
import { IncidentService } from '../incidents/service.js';
import type { LinkPolicy } from '../devices/machine.js';
import { incidentRoutes } from '../incidents/routes.js';
import { visitRoutes } from '../visitors/routes.js';
import { visitView } from '../visitors/views.js';
import { recordRoutes } from '../records/routes.js';
import { createTelemetryStore } from '../telemetry/store.js';
import type { TelemetryStore } from '../telemetry/store.js';
import { buildApp } from './app.js';

export interface HubStartOptions {
  log?: Logger;
  now?: () => number;
  /** extra work after the hub is listening (e.g. the demo fleet); stopped first on stop() */
  onStarted?: (hub: Hub) => Promise<{ stop(): Promise<void> } | void>;
  /** per-kind procedure target overrides (e.g. shorter timers in drills) */
  incidentConfig?: Partial<Record<IncidentKind, Record<string, unknown>>>;
  /** offline debounce / flapping thresholds for life-safety devices */
  linkPolicy?: LinkPolicy;
}

export class Hub {
  readonly bus: EventBus;
  db!: Db;
  pool!: pg.Pool;
  registry!: DeviceRegistry;
  auth!: AuthService;
  telemetry!: TelemetryStore;
  events!: EventStore;
  broker!: Broker;
  commands!: CommandService;
  incidents!: IncidentService;
  live!: LivePush;
  app!: FastifyInstance;
  rejections: RejectionCounter;
  databaseUrl = '';
  adminPassword: string | null = null;
  httpPort = 0;
  private embedded: EmbeddedPg | null = null;
  private stops: Array<() => Promise<void>> = [];

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.bus = new EventBus(log.child({ mod: 'bus' }));
    this.rejections = new RejectionCounter(log.child({ mod: 'reject' }), config.rejectBurstMs);
  }

  static async start(config: Config, opts: HubStartOptions = {}): Promise<Hub> {
    const log = opts.log ?? createLogger(config.logLevel);
    const hub = new Hub(config, log, opts.now ?? Date.now);
    try {
      await hub.boot(opts);
    } catch (err) {
      await hub.stop().catch(() => undefined);
      throw err;
    }
    return hub;
  }

  private async boot(opts: HubStartOptions): Promise<void> {
    const { config, log, bus } = this;
    // 1. storage
    if (config.databaseUrl) {
      this.databaseUrl = config.databaseUrl;
    } else {
      this.embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log.child({ mod: 'pg' }));
      this.stops.push(() => this.embedded!.stop());
      this.databaseUrl = this.embedded.url;
    }
    const applied = await applyMigrations(this.databaseUrl, { log: (m) => log.info(m) });
    if (applied.applied.length) log.info({ applied: applied.applied }, 'migrations applied');
    this.db = createPrisma(this.databaseUrl);
    this.stops.push(() => this.db.$disconnect());
    // a database that black-holes connections must fail (and be retried), not hang the event path
    this.pool = new pg.Pool({ connectionString: this.databaseUrl, max: 4, connectionTimeoutMillis: 5000 });
    this.pool.on('error', (err) => log.warn({ err }, 'pg pool client error'));
    this.stops.push(() => this.pool.end());

    // 2. identities
    this.registry = new DeviceRegistry(this.db, log.child({ mod: 'registry' }));
    await this.registry.start();
    this.stops.push(() => this.registry.stop());
    this.auth = new AuthService(this.db, config.sessionTtlMs, this.now, bus);
    this.adminPassword = (await this.auth.ensureAdmin(config.adminPassword)).password;

    // 3. telemetry
    this.telemetry = createTelemetryStore(config.influx, {
      ...config.telemetry,
      databaseUrl: this.databaseUrl,
      log: log.child({ mod: 'telemetry' }),
    });
    await this.telemetry.start();
    this.stops.push(() => this.telemetry.stop());
    bus.on('device.telemetry', this.telemetry, ({ device, ts, metrics }) =>
      this.telemetry.write({ deviceId: device.deviceId, site: device.site, building: device.building, class: device.class, ts, metrics }),
    );

    // 4. broker + ingest
    this.stops.push(async () => this.rejections.stop());
    this.events = new EventStore(this.pool, {
      holdMs: config.mqtt.eventHoldMs,
      retryMaxMs: config.mqtt.eventRetryMs,
      queryTimeoutMs: config.mqtt.eventQueryTimeoutMs,
      log: log.child({ mod: 'events' }),
      onOutage: () => this.broker?.releaseHeldEvents(),
    });
    this.stops.push(async () => this.events.stop()); // after the broker: no new events, held ones given back
    const recent = new RecentEventIds();
    this.broker = new Broker({
      host: config.host,
      port: config.mqttPort,
      tls: config.tls ? { ...config.tls, port: config.mqttsPort } : null,
      maxPacket: config.mqtt.maxPacket,
      maxConnectPacket: config.mqtt.maxConnectPacket,
      ban: config.mqtt.ban,
      storeHolding: () => this.events.holding,
      eventHoldMax: config.mqtt.eventHoldMax,
      registry: this.registry,
      bus,
      rejections: this.rejections,
      log: log.child({ mod: 'broker' }),
      now: this.now,
      acceptEvent: async (device, event, receivedAt) => {
        if (recent.firstTime(device.deviceId, event.id)) bus.emit('device.event.live', { device, event, receivedAt });
        if (await this.events.store(device, event, receivedAt)) bus.emit('device.event', { device, event, receivedAt });
      },
    });
    await this.broker.start();
    this.stops.push(() => this.broker.stop());
    this.commands = new CommandService(this.db, this.broker, this.registry, bus, log.child({ mod: 'commands' }), this.now);
    await this.commands.start();
    this.stops.push(() => this.commands.stop());
    this.incidents = new IncidentService({
      db: this.db,
      bus,
      registry: this.registry,
      commands: this.commands,
      log: log.child({ mod: 'incidents' }),
      now: this.now,
      ...(opts.incidentConfig ? { config: opts.incidentConfig } : {}),
      ...(opts.linkPolicy ? { linkPolicy: opts.linkPolicy } : {}),
    });
    await this.incidents.start();
    this.stops.push(() => this.incidents.stop());

    // 5. HTTP + live push
    this.app = await buildApp({
      log,
      db: this.db,
      auth: this.auth,
      registry: this.registry,
      rejections: this.rejections,
      telemetry: this.telemetry,
      health: () => this.health(),
      plugins: [
        (app) => app.register(incidentRoutes, { incidents: this.incidents }),
        (app) => app.register(visitRoutes, { db: this.db, incidents: this.incidents, now: this.now }),
        (app) => app.register(recordRoutes, { db: this.db, incidents: this.incidents, now: this.now }),
      ],
    });
    this.live = new LivePush({
      auth: this.auth,
      bus,
      log: log.child({ mod: 'live' }),
      throttleMs: config.socketThrottleMs,
      snapshot: {
        devices: () => this.registry.all().map((d) => this.registry.view(d)),
        incidents: () => this.incidents.list({ state: 'open', limit: 500 }),
        visits: async () =>
          (
            await this.db.visit.findMany({
              where: {
                OR: [
                  { state: { in: ['requested', 'unreachable', 'approved', 'opened', 'failed'] } },
                  { enteredAt: { not: null }, leftAt: null },
                ],
              },
              orderBy: { requestedAt: 'desc' },
              take: 500,
            })
          ).map((v) => visitView(v, this.now())),
      },
    });
    this.live.attach(this.app.server);
    this.broker.attachWebSocket(this.app.server);
    this.stops.push(() => this.app.close().then(() => undefined));
    this.stops.push(() => this.live.close());
    await this.app.listen({ host: config.host, port: config.httpPort });
    this.httpPort = (this.app.server.address() as AddressInfo).port;

    if (opts.onStarted) {
      const extra = await opts.onStarted(this);
      if (extra) this.stops.push(() => extra.stop());
    }
  }

  get mqttPort(): number {
    return this.broker.port;
  }

  /** MQTT over TLS port (0 when HUB_TLS_CERT/HUB_TLS_KEY are not set) */
  get mqttsPort(): number {
    return this.broker.tlsPort;
  }

  async health() {
    const t = this.telemetry.stats();
    let dbOk = false;
    try {
      await Promise.race([this.pool.query('SELECT 1'), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref())]);
      dbOk = true;
    } catch {
      dbOk = false;
    }
    const brokerOk = !this.broker.aedes.closed;
    return {
      status: (dbOk && brokerOk ? 'ok' : 'degraded') as 'ok' | 'degraded',
      broker: { ok: brokerOk, port: this.broker.port, clients: this.broker.clients() },
      db: { ok: dbOk, embedded: !!this.embedded },
      telemetry: { ok: t.ok, backend: t.backend, buffered: t.buffered, dropped: t.dropped, written: t.written },
      rejected: this.rejections.reasons(),
    };
  }

  /** Stop everything started, newest first; one failing stop does not keep the rest running. */
  async stop(): Promise<void> {
    const stops = this.stops.reverse();
    this.stops = [];
    for (const s of stops) {
      try {
        await s();
      } catch (err) {
        this.log.warn({ err }, 'error while stopping');
      }
    }
  }
}
