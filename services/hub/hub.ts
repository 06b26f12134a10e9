// The composition root (ARCHITECTURE.md): the one place that builds every part, wires them
// through the bus, and starts/stops them in order. Nothing else constructs services.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { Broker } from '../../broker/index.js';
import { LivePush } from '../../dashboard/socket.js';
import { applyMigrations, readMigrations } from '../../prisma/migrate.js';
import { AuthService } from '../auth/service.js';
import { adminRoutes } from '../admin/routes.js';
import { ContactService } from '../admin/contacts.js';
import { EstateService } from '../admin/estate.js';
import { SettingsService } from '../admin/settings.js';
import { UserAdminService } from '../admin/users.js';
import { EventBus } from '../core/bus.js';
import { Cluster, type DeviceStateNotice } from '../core/cluster.js';
import { AdvisoryLocks } from '../core/locks.js';
import type { Config } from '../core/config.js';
import type { DeviceClass, IncidentKind } from '../../contracts/domain.js';
import { DbCounters } from '../core/counters.js';
import {
  createPool,
  createPrisma,
  describeDatabaseUrl,
  eventPoolConfig,
  startEmbeddedPostgres,
  waitForDatabase,
  type Db,
  type EmbeddedPg,
} from '../core/db.js';
import { readTlsFiles } from '../core/config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { Metrics } from '../core/metrics.js';
import { registerHubMetrics } from '../ops/hub-metrics.js';
import { RetentionService } from '../ops/retention.js';
import { opsRoutes } from '../ops/routes.js';
import { OpsService } from '../ops/service.js';
import type { LogLevel } from '../../contracts/ops.js';
import pkg from '../../package.json' with { type: 'json' };
import { RejectionCounter } from '../core/rejections.js';
import { CommandService } from '../devices/commands.js';
import { DeviceAdmin } from '../devices/admin.js';
import { MaintenanceService } from '../devices/maintenance.js';
import { EventStore, RecentEventIds } from '../devices/ingest.js';
import { RuleEvaluator } from '../devices/rule-watcher.js';
import { TelemetryRuleService } from '../devices/rule-service.js';
import { telemetryRuleRoutes } from '../devices/rule-routes.js';
import { EventReplay } from '../devices/replay.js';
import { DeviceRegistry } from '../devices/registry.js';
import { IncidentService } from '../incidents/service.js';
import type { LinkGuard, LinkPolicy } from '../devices/machine.js';
import type { SharedLinkGuards } from '../devices/link-watcher.js';
import { incidentRoutes } from '../incidents/routes.js';
import { PUSH_READER } from '../incidents/views.js';
import { PersonalDataGate } from '../incidents/privacy.js';
import { ProcedureEngine, ProcedureRegistry } from '../core/procedure/index.js';
import { VisitService } from '../visitors/service.js';
import { visitRoutes } from '../visitors/routes.js';
import { WorkOrderService } from '../repair/service.js';
import { workOrderRoutes } from '../repair/routes.js';
import { ComplaintService } from '../complaint/service.js';
import { complaintRoutes } from '../complaint/routes.js';
import { AccessLog } from '../records/access-log.js';
import { recordsCatalog } from '../records/labels.js';
import { RecordService } from '../records/service.js';
import { recordRoutes } from '../records/routes.js';
import { floorPlanRoutes } from '../floorplans/routes.js';
import { FloorPlanService } from '../floorplans/service.js';
import { ShiftService } from '../records/shift-service.js';
import { shiftRoutes } from '../records/shift-routes.js';
import { followUpSection, ReportService } from '../records/reports.js';
import { NotificationService } from '../notifications/service.js';
import { notificationRoutes } from '../notifications/routes.js';
import { procedureModules } from './procedures.js';
import { createTelemetryStore } from '../telemetry/store.js';
import type { TelemetryStore } from '../telemetry/store.js';
import type { HealthView, ReadinessView } from '../../contracts/api.js';
import { buildApp } from './app.js';
import { HttpFront, type RequestHandler } from './http-front.js';

export interface HubStartOptions {
  log?: Logger;
  now?: () => number;
  /** extra work after the hub is listening (e.g. the demo fleet); stopped first on stop() */
  onStarted?: (hub: Hub) => Promise<{ stop(): Promise<void> } | void>;
  /** per-kind procedure target overrides (e.g. shorter timers in drills) */
  incidentConfig?: Partial<Record<IncidentKind, Record<string, unknown>>>;
  /** offline debounce / flapping thresholds for life-safety devices */
  linkPolicy?: LinkPolicy;
  /** heartbeat overrides per class, ms (drills, tests); otherwise the admin settings */
  heartbeatMs?: Partial<Record<DeviceClass, number>>;
}

export class Hub {
  readonly bus: EventBus;
  db!: Db;
  pool!: pg.Pool;
  registry!: DeviceRegistry;
  auth!: AuthService;
  telemetry!: TelemetryStore;
  events!: EventStore;
  replay!: EventReplay;
  broker!: Broker;
  commands!: CommandService;
  incidents!: IncidentService;
  notify!: NotificationService;
  visits!: VisitService;
  workOrders!: WorkOrderService;
  complaints!: ComplaintService;
  records!: RecordService;
  floorPlans!: FloorPlanService;
  shifts!: ShiftService;
  reports!: ReportService;
  accessLog!: AccessLog;
  live!: LivePush;
  app!: FastifyInstance;
  settings!: SettingsService;
  maintenance!: MaintenanceService;
  /** telemetry rules 遥测规则: configuration, and the evaluator on the live stream */
  rules!: TelemetryRuleService;
  ruleEvaluator!: RuleEvaluator;
  estate!: EstateService;
  users!: UserAdminService;
  contacts!: ContactService;
  readonly metrics: Metrics;
  retention!: RetentionService;
  /** scale-out (REDIS_URL): this instance's link to the others; null for the single-process hub */
  cluster: Cluster | null = null;
  rejections: RejectionCounter;
  databaseUrl = '';
  adminPassword: string | null = null;
  /** the plain HTTP port and, with TLS, the HTTPS port (listening from the very start) */
  httpPort = 0;
  httpsPort: number | null = null;
  front: HttpFront | null = null;
  private embedded: EmbeddedPg | null = null;
  private stops: Array<() => Promise<void>> = [];
  /** null once fully started; else why not (the boot handler and readiness show it) */
  private bootReason: string | null = 'starting';
  /** migrations present in this build; readiness checks each is applied */
  private migrationNames: string[] = [];
  private readonly aborted = new AbortController();
  private booting: Promise<void> | null = null;
  private readyCache: { at: number; value: ReadinessView } | null = null;

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.bus = new EventBus(log.child({ mod: 'bus' }));
    this.rejections = new RejectionCounter(log.child({ mod: 'reject' }), config.rejectBurstMs);
    this.metrics = new Metrics({ version: pkg.version });
  }

  static async start(config: Config, opts: HubStartOptions = {}): Promise<Hub> {
    const hub = Hub.create(config, opts);
    await hub.run(opts);
    return hub;
  }

  /** The hub, not started yet: `run()` starts it; `stop()` may be called at any time (a signal during start). */
  static create(config: Config, opts: HubStartOptions = {}): Hub {
    return new Hub(config, opts.log ?? createLogger(config.logLevel), opts.now ?? Date.now);
  }

  async run(opts: HubStartOptions = {}): Promise<void> {
    this.booting = this.boot(opts);
    try {
      await this.booting;
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Throws when stop() was called while starting: the start ends there, in order. */
  private checkAborted(): void {
    if (this.aborted.signal.aborted) throw new Error('hub stopped while starting');
  }

  private async boot(opts: HubStartOptions): Promise<void> {
    const { config, log, bus } = this;
    // 0. the data dir (embedded database, demo credentials, …) and the HTTP listeners: health
    //    answers from here on, saying why the hub is not ready yet (http-front.ts: why first)
    await fs.mkdir(config.dataDir, { recursive: true });
    this.front = await HttpFront.listen({
      host: config.host,
      httpPort: config.httpPort,
      httpsPort: config.httpsPort,
      tls: config.tls,
      ...(config.httpPlainHost ? { plainHostWithTls: config.httpPlainHost } : {}),
      log: log.child({ mod: 'http' }),
      bootReason: () => this.bootReason ?? 'stopping',
    });
    this.httpPort = this.front.httpPort;
    this.httpsPort = this.front.httpsPort;

    // 1. storage
    if (config.databaseUrl) {
      this.databaseUrl = config.databaseUrl;
      this.bootReason = `connecting to PostgreSQL at DATABASE_URL (${describeDatabaseUrl(config.databaseUrl)})`;
      await waitForDatabase(config.databaseUrl, {
        log: log.child({ mod: 'db' }),
        maxWaitMs: config.dbWaitMs,
        signal: this.aborted.signal,
        onWaiting: (reason) => (this.bootReason = reason ?? 'applying migrations'),
      });
    } else {
      this.bootReason = 'starting the embedded PostgreSQL';
      this.embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log.child({ mod: 'pg' }));
      this.stops.push(() => this.embedded!.stop());
      this.databaseUrl = this.embedded.url;
    }
    this.checkAborted();
    this.bootReason = 'applying migrations';
    this.migrationNames = (await readMigrations()).map((m) => m.name);
    const applied = await applyMigrations(this.databaseUrl, { log: (m) => log.info(m) });
    if (applied.applied.length) log.info({ applied: applied.applied }, 'migrations applied');
    this.checkAborted();
    this.bootReason = 'starting services';
    this.db = createPrisma(this.databaseUrl, log.child({ mod: 'db' }));
    this.stops.push(() => this.db.$disconnect());
    // an idle connection dropped by the server (restart, failover): one line with the cause (the
    // pool replaces the connection; readiness reports an outage)
    this.pool = createPool('events', eventPoolConfig(this.databaseUrl), log);
    this.stops.push(() => this.pool.end());

    // 1b. scale-out (docs/scale-out.md): Redis for what instances share beyond PostgreSQL
    let locks: AdvisoryLocks | null = null;
    if (config.cluster) {
      this.bootReason = 'connecting to Redis at REDIS_URL';
      const cluster = await Cluster.create(config.cluster, log.child({ mod: 'cluster', instance: config.cluster.instanceId }));
      this.cluster = cluster;
      this.stops.push(() => cluster.stop());
      await cluster.start();
      const l = new AdvisoryLocks(this.databaseUrl, log.child({ mod: 'locks' }));
      locks = l;
      this.stops.push(() => l.stop());
      this.checkAborted();
    }
    const cluster = this.cluster;

    // 2. identities
    this.registry = new DeviceRegistry(this.db, log.child({ mod: 'registry' }), 2000, { shared: !!cluster, now: this.now });
    await this.registry.start();
    this.stops.push(() => this.registry.stop());
    this.auth = new AuthService(this.db, config.sessionTtlMs, this.now, bus);
    this.users = new UserAdminService(this.db, this.auth, this.now);
    this.adminPassword = (await this.users.ensureAdmin(config.adminPassword)).password;
    this.estate = new EstateService({
      db: this.db,
      onBuildingName: (id, name) => {
        this.registry.setBuildingName(id, name);
        cluster?.publish('building.named', { id, name });
      },
    });
    this.contacts = new ContactService(this.db);
    // The procedures, their labels and the records' labels: one registry (services/hub/
    // procedures.ts lists them). The device-fault link policy follows the admin settings live
    // (read on every status change); explicit start options (drills, tests) win.
    const current = () => this.settings.linkPolicy();
    const linkPolicy = opts.linkPolicy ?? {
      get offlineDebounceMs() {
        return current().offlineDebounceMs;
      },
      get flapThreshold() {
        return current().flapThreshold;
      },
      get flapWindowMs() {
        return current().flapWindowMs;
      },
    };
    // heartbeat per class (PROCEDURES.md "Device health"): the admin settings, read at each scan
    const heartbeat = {
      heartbeatMs: (cls: DeviceClass) => opts.heartbeatMs?.[cls] ?? this.settings.heartbeatMs(cls),
      // scale-out: silence is judged where the connection is (services/devices/heartbeat.ts)
      ...(cluster ? { owns: (id: string) => this.broker?.holds(id) ?? false } : {}),
    };
    // scale-out: the link guards (offline debounce, flapping) shared in Redis, so they follow a
    // device from instance to instance (services/devices/link-watcher.ts)
    const linkGuards: SharedLinkGuards | undefined = cluster
      ? {
          load: async (id) => {
            const v = await cluster.redis.get(`${cluster.config.prefix}:link:${id}`);
            return v ? (JSON.parse(v) as LinkGuard) : null;
          },
          save: async (g, ttlMs) => {
            await cluster.redis.set(`${cluster.config.prefix}:link:${g.deviceId}`, JSON.stringify(g), 'PX', Math.max(1000, ttlMs));
          },
        }
      : undefined;
    // rendered texts (reports, notices, API answers) name devices and buildings, not their ids
    const devices = this.registry;
    // telemetry rules (PROCEDURES.md "Device health"): evaluated in memory on the telemetry
    // stream; a device in maintenance mode raises no faults
    const ruleEvaluator = new RuleEvaluator({
      now: this.now,
      log: log.child({ mod: 'rules' }),
      suppressed: (id) => this.registry.maintenanceOf(id, this.now()) !== null,
    });
    this.ruleEvaluator = ruleEvaluator;
    this.rules = new TelemetryRuleService(this.db, this.registry, ruleEvaluator);
    await this.rules.reload();
    const procedures = new ProcedureRegistry(
      procedureModules({ linkPolicy, heartbeat, rules: ruleEvaluator, ...(linkGuards ? { linkGuards } : {}) }),
      [recordsCatalog()],
      {
        name: (what, id) => devices.placeName(what, id),
      },
    );
    this.settings = new SettingsService(this.db, this.now, (kind) => procedures.def(kind).config);
    await this.settings.start();
    if (cluster) this.shareState(cluster);

    // maintenance windows still running (suppress faults from the first device message on)
    this.maintenance = new MaintenanceService(this.db, this.registry, new DeviceAdmin(this.db, this.registry), this.now);
    await this.maintenance.start();
    this.stops.push(() => this.maintenance.stop()); // its expiry timers

    // 3. telemetry
    this.telemetry = createTelemetryStore(config.influx, {
      ...config.telemetry,
      databaseUrl: this.databaseUrl,
      log: log.child({ mod: 'telemetry' }),
      probeMs: config.telemetryProbeMs,
      counters: new DbCounters(this.db),
    });
    await this.telemetry.start();
    this.stops.push(() => this.telemetry.stop());
    bus.on('device.telemetry', this.telemetry, ({ device, ts, metrics }) =>
      this.telemetry.write({ deviceId: device.deviceId, site: device.site, building: device.building, class: device.class, ts, metrics }),
    );

    // synchronous and memory-only: the ingest path never waits on a rule (rule-watcher.ts)
    bus.on('device.telemetry', ruleEvaluator, ({ device, metrics }) => ruleEvaluator.onTelemetry(device, metrics));

    // 4. broker + ingest
    this.stops.push(async () => this.rejections.stop());
    // who stored an event until it is routed (services/devices/replay.ts): the cluster id, or one
    // per run of the single hub, so the next run can tell a crashed run's pending events
    // (a suffix per process: an instance restarted under the same HUB_INSTANCE_ID is a new
    // incarnation, and what the old one left is replayed — replay.ts incarnation rule)
    const storeId = `${cluster?.id ?? 'local'}:${process.pid}-${randomUUID().slice(0, 8)}`;
    // events stored before the incident service listens wait for it, in order, rather than being
    // emitted to nobody (devices reconnect the moment the broker listens)
    let routingOpen!: () => void;
    const routing = new Promise<void>((r) => (routingOpen = r));
    const replay = new EventReplay({
      pool: this.pool,
      instanceId: storeId,
      alive: () => (cluster ? cluster.aliveInstances() : Promise.resolve(new Set<string>())),
      device: (id) => {
        const d = this.registry.get(id);
        return d ? { deviceId: d.deviceId, site: d.site, building: d.building, class: d.class } : null;
      },
      route: (e) => this.incidents.routeStored(e),
      log: log.child({ mod: 'event-replay' }),
      markEveryMs: config.mqtt.eventRoutedMarkMs,
      now: this.now,
    });
    this.replay = replay;
    // before the broker accepts anything: a crash after the first stored event must find the row
    await replay.start();
    this.stops.push(() => replay.stop()); // (stops run in reverse: after the incident queue drained)
    this.events = new EventStore(this.pool, {
      instanceId: storeId,
      holdMs: config.mqtt.eventHoldMs,
      retryMaxMs: config.mqtt.eventRetryMs,
      queryTimeoutMs: config.mqtt.eventQueryTimeoutMs,
      maxConcurrent: config.mqtt.eventBatches,
      overlapMin: config.mqtt.eventOverlapMin,
      lingerMs: config.mqtt.eventLingerMs,
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
      connectThrottle: config.mqtt.connectThrottle,
      accept: config.mqtt.accept,
      listenBacklog: config.mqtt.listenBacklog,
      storeHolding: () => this.events.holding,
      eventHoldMax: config.mqtt.eventHoldMax,
      eventPipeline: config.mqtt.eventPipeline,
      registry: this.registry,
      bus,
      rejections: this.rejections,
      log: log.child({ mod: 'broker' }),
      now: this.now,
      cluster,
      acceptEvent: async (device, event, receivedAt) => {
        const stored = { device, event, receivedAt }; // one object for both notices: their listeners only read it
        if (recent.firstTime(device.deviceId, event.id)) bus.emit('device.event.live', stored);
        replay.accepted(stored); // unrouted from here: holds the routed watermark back
        let isNew = false;
        try {
          isNew = await this.events.store(device, event, receivedAt);
        } finally {
          if (!isNew) replay.settled(stored); // a duplicate, or not stored: nothing of ours to route
        }
        if (isNew) void routing.then(() => bus.emit('device.event', stored));
      },
    });
    await this.broker.start();
    this.stops.push(() => this.broker.stop());
    this.commands = new CommandService(
      this.db,
      this.broker,
      this.registry,
      bus,
      log.child({ mod: 'commands' }),
      this.now,
      cluster ? { sweepMs: 5000 } : null,
    );
    await this.commands.start();
    this.stops.push(() => this.commands.stop());
    const settings = this.settings;
    this.accessLog = new AccessLog(this.db, log.child({ mod: 'access-log' }), this.now);
    this.stops.push(() => this.accessLog.stop());
    this.incidents = new IncidentService({
      cluster:
        cluster && locks
          ? {
              instanceId: cluster.id,
              leaseMs: cluster.config.leaseMs,
              lock: (name, fn) => locks.with(name, fn),
              changed: (n) => cluster.publish('incident.changed', n),
            }
          : null,
      db: this.db,
      bus,
      registry: this.registry,
      commands: this.commands,
      log: log.child({ mod: 'incidents' }),
      now: this.now,
      engine: new ProcedureEngine(procedures),
      accessLog: this.accessLog,
      // Admin settings apply to incidents opened afterwards: consulted each time one opens
      // (explicit start options — drills, tests — win).
      configFor: (kind) => ({ ...settings.procedureConfig(kind), ...opts.incidentConfig?.[kind] }),
      routed: (e) => replay.routed(e),
    });
    await this.incidents.start();
    this.stops.push(() => this.incidents.stop());
    routingOpen();
    // stored but not routed by a dead instance (or a crashed earlier run): replayed now, and in
    // scale-out on every lease period, when another instance may have died
    const sweep = () => replay.sweep().catch((err: unknown) => log.warn({ err }, 'replaying unrouted events failed'));
    await sweep();
    if (cluster) {
      const t = setInterval(() => void sweep(), cluster.config.leaseMs);
      t.unref();
      this.stops.push(async () => clearInterval(t));
    }
    // notifications follow incidents through the bus; started after them, stopped before them.
    // Their outbox has its own small pool, so a notification storm never queues device-event writes.
    const notifyPool = createPool('notify-outbox', { connectionString: this.databaseUrl, max: 4 }, log);
    this.stops.push(() => notifyPool.end());
    this.notify = new NotificationService({
      db: this.db,
      pool: notifyPool,
      databaseUrl: this.databaseUrl,
      bus,
      incidents: this.incidents,
      log: log.child({ mod: 'notify' }),
      now: this.now,
      config: config.notify,
      selfUrl: () => {
        const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
        return this.httpsPort ? `https://${host}:${this.httpsPort}` : `http://${host}:${this.httpPort}`;
      },
      count: (channel, outcome) => this.metrics.notificationDeliveries.inc({ channel, outcome }),
      cluster: cluster ? { instanceId: cluster.id, leaseMs: cluster.config.leaseMs } : null,
    });
    await this.notify.start();
    if (cluster) {
      // channels, policies, profiles changed through another instance: its cached copies go
      this.notify.onChanged(() => cluster.publish('notify.changed', {}));
      cluster.on('notify.changed', () => this.notify.forgetCached());
      cluster.onResync(async () => this.notify.forgetCached());
    }
    this.stops.push(() => this.notify.stop());
    this.visits = new VisitService({ db: this.db, incidents: this.incidents, accessLog: this.accessLog, now: this.now });
    this.workOrders = new WorkOrderService({ db: this.db, incidents: this.incidents, now: this.now });
    this.complaints = new ComplaintService({ db: this.db, incidents: this.incidents, now: this.now });
    this.records = new RecordService({ db: this.db, incidents: this.incidents, accessLog: this.accessLog, now: this.now });
    this.floorPlans = new FloorPlanService({ db: this.db, registry: this.registry, now: this.now });
    // shifts 班次: the per-shift duty log, the handover the hub opens at each shift's end and its
    // reminders. Other services' pending items (work orders, complaints…) join the handover through
    // `this.shifts.addProvider(…)` here, where those services are built.
    this.shifts = new ShiftService({
      db: this.db,
      records: this.records,
      catalog: procedures.catalog,
      bus,
      devices: { views: () => this.registry.all().map((d) => this.registry.view(d)) },
      settings,
      notify: this.notify,
      log: log.child({ mod: 'shifts' }),
      now: this.now,
    });
    // open work orders are pending service-desk work at the handover (PROCEDURES.md "Shifts")
    this.shifts.addProvider({
      source: 'work_order',
      label: ['报修工单', 'Work order'],
      pending: async ({ buildings }) =>
        (await this.workOrders.pendingServiceItems(buildings ?? undefined)).map((o) => ({
          id: o.id,
          title: o.title,
          building: o.building,
          dueAt: o.dueAt,
          overdue: o.overdue,
        })),
    });
    // complaints still owed are handed over too (seed 004 篇3 §3.1: 下班后客户提出的各种投诉)
    this.shifts.addProvider({
      source: 'complaint',
      label: ['投诉', 'Complaint'],
      pending: async ({ buildings }) =>
        (await this.complaints.pendingServiceItems(buildings ?? undefined)).map((c) => ({
          id: c.id,
          title: c.title,
          building: c.building,
          dueAt: c.dueAt,
          overdue: c.overdue,
        })),
    });
    await this.shifts.start();
    // summary reports; work orders / complaints add their sections with `this.reports.addSection(…)`
    this.reports = new ReportService({ db: this.db, catalog: procedures.catalog, now: this.now, sections: [followUpSection(this.db)] });
    // complaints: counts and on-time rates in every summary (PROCEDURES.md §9)
    this.reports.addSection(this.complaints.section());
    // work orders: opened, closed, on-time response / completion / 回访, by category (PROCEDURES.md §8)
    this.reports.addSection(this.workOrders.section());
    this.stops.push(() => this.shifts.stop());

    // 5. data lifecycle (services/ops/retention.ts)
    this.retention = new RetentionService({
      pool: this.pool,
      log: log.child({ mod: 'retention' }),
      settings: config.retention,
      now: this.now,
    });
    this.retention.start();
    this.stops.push(() => this.retention.stop());
    const ops = new OpsService({
      db: this.db,
      log,
      configuredLevel: config.logLevel as LogLevel,
      retention: this.retention,
      telemetry: { backend: () => this.telemetry.stats().backend, retentionMs: config.telemetry.retentionMs },
    });

    // 6. HTTP + live push: the app serves the listeners opened at step 0
    this.checkAborted();
    const deviceAdmin = new DeviceAdmin(this.db, this.registry);
    let appHandler: RequestHandler | null = null;
    const front = this.front;
    this.app = await buildApp({
      log,
      config,
      server: (handler) => {
        appHandler = handler;
        return front.server;
      },
      readiness: () => this.readiness(),
      db: this.db,
      auth: this.auth,
      registry: this.registry,
      deviceAdmin,
      maintenance: this.maintenance,
      rejections: this.rejections,
      telemetry: this.telemetry,
      health: () => this.health(),
      metrics: this.metrics,
      rateLimitRedis: cluster ? { redis: cluster.redis, nameSpace: `${cluster.config.prefix}:rate-limit:` } : null,
      plugins: [
        (app) => app.register(opsRoutes, { ops, metrics: this.metrics, metricsToken: config.metricsToken }),
        (app) => app.register(incidentRoutes, { incidents: this.incidents }),
        (app) => app.register(visitRoutes, { visits: this.visits, catalog: procedures.catalog }),
        (app) => app.register(workOrderRoutes, { workOrders: this.workOrders, catalog: procedures.catalog }),
        (app) => app.register(complaintRoutes, { complaints: this.complaints, catalog: procedures.catalog }),
        (app) => app.register(recordRoutes, { records: this.records, catalog: procedures.catalog, shifts: this.shifts }),
        (app) =>
          app.register(shiftRoutes, { shifts: this.shifts, records: this.records, reports: this.reports, catalog: procedures.catalog }),
        (app) => app.register(adminRoutes, { estate: this.estate, users: this.users, contacts: this.contacts, settings: this.settings }),
        (app) => app.register(notificationRoutes, { notify: this.notify }),
        (app) => app.register(telemetryRuleRoutes, { rules: this.rules }),
        (app) => app.register(floorPlanRoutes, { plans: this.floorPlans }),
      ],
    });
    let adapter: ReturnType<Cluster['libs']['createAdapter']> | undefined;
    if (cluster) {
      // socket.io's redis adapter: a push from any instance reaches every dashboard (two
      // connections of its own: a subscribed ioredis connection can do nothing else)
      const { Redis, createAdapter } = cluster.libs;
      const pub = new Redis(cluster.config.redisUrl);
      const sub = pub.duplicate();
      for (const c of [pub, sub]) c.on('error', (err: Error) => log.warn({ err: err.message }, 'socket.io redis connection error'));
      adapter = createAdapter(pub, sub, { key: `${cluster.config.prefix}:socket.io` });
      this.stops.push(async () => {
        sub.disconnect();
        await pub.quit().catch(() => pub.disconnect());
      });
    }
    this.live = new LivePush({
      ...(adapter ? { adapter } : {}),
      auth: this.auth,
      now: this.now,
      bus,
      log: log.child({ mod: 'live' }),
      throttleMs: config.socketThrottleMs,
      origins: { allowed: config.allowedOrigins, trustProxy: config.trustProxy },
      gate: new PersonalDataGate(this.incidents.engine, this.incidents.views, this.accessLog),
      snapshot: {
        devices: () => this.registry.all().map((d) => this.registry.view(d)),
        incidents: () => this.incidents.list({ state: 'open', limit: 500 }, PUSH_READER),
        visits: () => this.visits.active(PUSH_READER),
      },
    });
    this.live.attach(front.server);
    // administrative device changes made here (maintenance, service, enabled) reach every dashboard
    this.registry.onChanged((d) => bus.emit('device.changed', { view: this.registry.view(d) }));
    this.broker.attachWebSocket(front.server);
    registerHubMetrics(this.metrics, {
      broker: this.broker,
      rejections: this.rejections,
      events: this.events,
      unrouted: () => this.replay.unrouted,
      telemetry: this.telemetry,
      devices: () => this.registry.all(),
      openIncidents: async () => {
        const rows = await this.db.incident.groupBy({ by: ['kind'], where: { open: true }, _count: { _all: true } });
        return Object.fromEntries(rows.map((r) => [r.kind, r._count._all]));
      },
      live: () => this.live,
    });
    this.stops.push(() => this.app.close().then(() => undefined));
    this.stops.push(() => this.live.close());
    await this.app.ready();
    front.use(appHandler!);
    // Stopping starts with the MQTT edge: an event acknowledged while the incident service is
    // already stopped would be stored but never routed (seen in the rolling-restart test of
    // issue 13: a fault incident missing). Broker.stop is idempotent; it runs again in its place.
    this.stops.push(() => this.broker.stop());
    this.bootReason = null;

    if (opts.onStarted) {
      const extra = await opts.onStarted(this);
      if (extra) this.stops.push(() => extra.stop());
    }
  }

  /**
   * Scale-out: keep this instance's caches in step with the others (docs/scale-out.md "What
   * crosses instances"). Notices are at-most-once, so a subscriber reconnect re-reads everything.
   */
  private shareState(cluster: Cluster): void {
    const { bus } = this;
    // device online state: announced by the instance holding the connection, the changes of one
    // event-loop turn as one notice (up to 1,000): a connect storm or a mass drop is thousands,
    // and each notice is decoded by every other instance (BENCHMARKS.md "bench:storm", hub-cluster)
    let states: DeviceStateNotice[] = [];
    const flush = () => {
      const list = states;
      states = [];
      if (list.length) cluster.publish('device.states', { states: list });
    };
    bus.on('device.status', cluster, (e) => {
      states.push({ id: e.device.deviceId, state: e.state, ts: e.ts });
      if (states.length >= 1000) flush();
      else if (states.length === 1) setImmediate(flush);
    });
    const apply = (m: DeviceStateNotice) => {
      if (this.broker?.holds(m.id)) return; // connected here: this instance knows best
      this.registry.applyRemoteState(m.id, m.state, m.ts);
    };
    cluster.on('device.states', (m) => m.states.forEach(apply));
    cluster.on('device.state', apply);
    // registry changes (provision, enable/disable, new secret, in/out of service)
    this.registry.onChanged((d) => {
      cluster.publish('device.changed', { id: d.deviceId });
      if (!d.enabled) this.broker?.disconnect(d.deviceId);
    });
    cluster.on('device.changed', async (m) => {
      const d = await this.registry.reload(m.id);
      // a maintenance window set or ended there suppresses (or stops suppressing) faults here too
      await this.maintenance.reload(m.id);
      // disabled elsewhere: its connection here ends now (a new CONNECT is refused: auth_disabled)
      if (!d || !d.enabled) this.broker?.disconnect(m.id);
    });
    cluster.on('building.named', (m) => this.registry.setBuildingName(m.id, m.name));
    // sessions ended through another instance: refused here too, live connections closed
    bus.on('auth.sessions_ended', cluster, (e) => cluster.publish('sessions.ended', e));
    cluster.on('sessions.ended', (m) => {
      this.auth.forget(m);
      this.live?.endSessions(m);
    });
    this.settings.onChanged(() => cluster.publish('settings.changed', {}));
    cluster.on('settings.changed', () => this.settings.start());
    cluster.on('incident.changed', (m) => this.incidents?.remoteChanged(m));
    // telemetry rules changed on another instance: evaluate the new set here too
    this.rules.onChanged(() => cluster.publish('rules.changed', {}));
    cluster.on('rules.changed', () => this.rules.reload());
    cluster.onResync(async () => {
      await this.registry.reloadAll();
      await this.settings.start();
      await this.rules.reload();
    });
  }

  get mqttPort(): number {
    return this.broker.port;
  }

  /** MQTT over TLS port (0 when HUB_TLS_CERT/HUB_TLS_KEY are not set) */
  get mqttsPort(): number {
    return this.broker.tlsPort;
  }

  /** `SELECT 1` on the hub's pool within 2 s: the error text when it fails, else null. */
  private async dbProblem(): Promise<string | null> {
    try {
      await Promise.race([
        this.pool.query('SELECT 1'),
        new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 2 s')), 2000).unref()),
      ]);
      return null;
    } catch (err) {
      return (err as Error).message || String(err);
    }
  }

  private brokerListening(): boolean {
    return !!this.broker && !this.broker.aedes.closed && this.broker.port > 0;
  }

  /**
   * Everything /api/health reports (CONTRACT.md "Operations"): `degraded` when the database,
   * the broker or the telemetry backend is not working (the hub keeps running and buffering).
   */
  async health(): Promise<HealthView> {
    if (this.bootReason !== null) return { status: 'starting' };
    const t = this.telemetry.stats();
    const dbOk = (await this.dbProblem()) === null;
    const brokerOk = this.brokerListening();
    return {
      status: dbOk && brokerOk && t.ok ? 'ok' : 'degraded',
      broker: { ok: brokerOk, port: this.broker.port, clients: this.broker.clients() },
      db: { ok: dbOk, embedded: !!this.embedded },
      telemetry: {
        ok: t.ok,
        backend: t.backend,
        buffered: t.buffered,
        dropped: t.dropped,
        written: t.written,
        rejected: t.rejected,
        lastError: t.ok ? null : t.lastError,
      },
      rejected: this.rejections.reasons(),
    };
  }

  /**
   * Readiness (CONTRACT.md "Operations"): the database answers, every migration of this build is
   * applied, the broker listens. Not ready → the reason. Telemetry is not part of it: the hub
   * serves its purpose (procedures, devices, dashboard) while InfluxDB is away. Cached for 1 s
   * so a probe storm costs at most two queries a second.
   */
  async readiness(): Promise<ReadinessView> {
    if (this.bootReason !== null) return { ready: false, status: 'starting', reason: this.bootReason };
    const t = Date.now();
    if (this.readyCache && t - this.readyCache.at < 1000) return this.readyCache.value;
    const reasons: string[] = [];
    const db = await this.dbProblem();
    if (db) reasons.push(`database unreachable (${describeDatabaseUrl(this.databaseUrl)}): ${db}`);
    else {
      try {
        const r = await this.pool.query<{ migration_name: string }>(
          'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
        );
        const done = new Set(r.rows.map((x) => x.migration_name));
        const pending = this.migrationNames.filter((n) => !done.has(n));
        if (pending.length) reasons.push(`migrations pending: ${pending.join(', ')}`);
      } catch (err) {
        reasons.push(`migrations unknown: ${(err as Error).message}`);
      }
    }
    if (!this.brokerListening()) reasons.push('MQTT broker not listening');
    const value: ReadinessView = reasons.length
      ? { ready: false, status: 'not_ready', reason: reasons.join('; ') }
      : { ready: true, status: 'ready' };
    this.readyCache = { at: t, value };
    return value;
  }

  /** Re-read HUB_TLS_CERT / HUB_TLS_KEY: new HTTPS and MQTTS connections use the new certificate. */
  reloadTls(): void {
    if (!this.config.tlsCert || !this.config.tlsKey) return;
    const files = readTlsFiles(this.config.tlsCert, this.config.tlsKey);
    this.front?.reloadTls(files);
    this.broker.setTls(files);
    this.log.info({ cert: this.config.tlsCert }, 'TLS certificate reloaded');
  }

  /**
   * Stop everything started, newest first; one failing stop does not keep the rest running.
   * Callable while starting (a signal during a long database wait): the start is abandoned at
   * its next step and what it had started is stopped.
   */
  async stop(): Promise<void> {
    this.bootReason ??= 'stopping';
    if (!this.aborted.signal.aborted) {
      this.aborted.abort();
      await this.booting?.catch(() => undefined);
    }
    // no new HTTP connections from here; live connections end with their services below
    const front = this.front;
    this.front = null;
    const frontClosed = front?.close();
    const stops = this.stops.reverse();
    this.stops = [];
    for (const s of stops) {
      try {
        await s();
      } catch (err) {
        this.log.warn({ err }, 'error while stopping');
      }
    }
    if (frontClosed) await Promise.race([frontClosed, new Promise((r) => setTimeout(r, 5000).unref())]);
  }
}
