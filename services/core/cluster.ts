// Scale-out (CONTRACT.md "Operations": REDIS_URL; docs/scale-out.md): what one hub instance
// shares with the others through Redis. Nothing here is a home-made distributed engine: Redis
// pub/sub carries small "something changed" notices, Redis keys with a TTL say which instances
// are alive (one set lists them), and one Redis hash says which instance holds each device's
// MQTT connection.
// Everything durable stays in PostgreSQL; MQTT routing is aedes' own clustering
// (mqemitter-redis + aedes-persistence-redis, broker/index.ts), live pushes are socket.io's
// redis adapter (dashboard/socket.ts).
//
// Why Redis pub/sub for the cross-instance bus and not PostgreSQL LISTEN/NOTIFY: Redis is
// already required for aedes and socket.io, so this adds no engine and no connection kind;
// NOTIFY would hold one dedicated PostgreSQL connection per instance outside the pools, caps a
// payload at 8000 bytes, and puts chatty device-state fan-out on the database that commits
// incidents. Both are at-most-once: a notice sent while an instance's subscriber is
// reconnecting is lost, so every notice only says "re-read X from PostgreSQL" (or carries
// state that the owner re-sends), and on every (re)subscribe the instance re-reads everything
// it caches (`onResync`).
import type { createAdapter } from '@socket.io/redis-adapter';
import type aedesPersistenceRedis from 'aedes-persistence-redis';
import type { Redis } from 'ioredis';
import type mqemitterRedis from 'mqemitter-redis';
import type { OnlineState } from '../../contracts/domain.js';
import type { SessionEndReason } from '../../contracts/socket.js';
import type { ClusterConfig } from './config.js';
import type { Logger } from './logger.js';

/** The notices instances send each other (every one is a hint to re-read or a state update). */
export interface ClusterMessages {
  /** a device's online state, sent by the instance that holds (or just lost) its connection (before 'device.states'; still accepted from an older instance during a rolling upgrade) */
  'device.state': DeviceStateNotice;
  /** several devices' online states, in order: the changes of one event-loop turn (at most 1,000) */
  'device.states': { states: DeviceStateNotice[] };
  /** a device row changed (provisioned, enabled/disabled, secret rotated, in/out of service): re-read it */
  'device.changed': { id: string };
  /** a building was created or renamed */
  'building.named': { id: string; name: string };
  /** sessions ended (logout, user disabled, role or password changed): forget and disconnect */
  'sessions.ended': { userId: string | null; sessionId: string | null; reason: SessionEndReason };
  /** administrator settings changed: re-read them */
  'settings.changed': Record<string, never>;
  /** notification channels, escalation policies or contact profiles changed (services/notifications/service.ts): drop cached copies */
  'notify.changed': Record<string, never>;
  /** telemetry rules were created, changed or deleted (services/devices/rule-service.ts) */
  'rules.changed': Record<string, never>;
  /** an incident was written: its cached snapshot elsewhere is stale */
  'incident.changed': { id: string; buildingId: string; version: number };
}
export type ClusterMessageName = keyof ClusterMessages;
export interface DeviceStateNotice {
  id: string;
  state: OnlineState;
  ts: number;
}
type Handler<K extends ClusterMessageName> = (payload: ClusterMessages[K]) => void | Promise<void>;

// Compare-and-delete: release a device only when this instance still owns it (a takeover by
// another instance must not be undone by the old connection's close).
const RELEASE_IF = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) else return 0 end`;

// Forget dead instances only while their heartbeat is still gone: an instance restarted under the
// same id between a sweep's read and this removal has announced itself again, and removing it
// then made it look dead to every other instance until its next beat — they released its devices
// and replayed the events it was storing (caught by the scale-out rolling-restart test under CI
// load). KEYS[1]: the instance set; ARGV[1]: the heartbeat key prefix; ARGV[2..]: the ids.
const FORGET_IF_DEAD = `local n = 0
for i = 2, #ARGV do
  if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then n = n + redis.call('SREM', KEYS[1], ARGV[i]) end
end
return n`;

/**
 * The Redis client libraries of scale-out, loaded by `Cluster.create` only when REDIS_URL is set:
 * a single hub never uses them, and loaded at start they held ≈ 15 MB of RSS for nothing
 * (BENCHMARKS.md "Idle memory"). The broker and the socket.io adapter take them from here.
 */
export interface RedisLibs {
  Redis: typeof Redis;
  mqemitterRedis: typeof mqemitterRedis;
  aedesPersistenceRedis: typeof aedesPersistenceRedis;
  createAdapter: typeof createAdapter;
}

async function loadRedisLibs(): Promise<RedisLibs> {
  const [ioredis, mq, persistence, adapter] = await Promise.all([
    import('ioredis'),
    import('mqemitter-redis'),
    import('aedes-persistence-redis'),
    import('@socket.io/redis-adapter'),
  ]);
  return {
    Redis: ioredis.Redis,
    mqemitterRedis: mq.default,
    aedesPersistenceRedis: persistence.default,
    createAdapter: adapter.createAdapter,
  };
}

export class Cluster {
  /** Load the Redis libraries, then make the instance (not yet connected: `start()`). */
  static async create(config: ClusterConfig, log: Logger): Promise<Cluster> {
    return new Cluster(config, log, await loadRedisLibs());
  }

  readonly id: string;
  /** commands and keys */
  readonly redis: Redis;
  /** the subscriber connection (a subscribed ioredis connection can do nothing else) */
  private readonly sub: Redis;
  private readonly handlers = new Map<ClusterMessageName, Array<Handler<ClusterMessageName>>>();
  private readonly resyncs: Array<() => Promise<void>> = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private subscribedOnce = false;
  private stopped = false;
  readonly channel: string;
  /** notices received and sent, for /metrics and the benchmark */
  received = 0;
  sent = 0;

  private constructor(
    readonly config: ClusterConfig,
    private readonly log: Logger,
    readonly libs: RedisLibs,
  ) {
    this.id = config.instanceId;
    this.channel = `${config.prefix}:bus`;
    // ioredis reconnects by itself; commands issued meanwhile wait in its offline queue
    this.redis = new libs.Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.sub = new libs.Redis(config.redisUrl, { lazyConnect: true });
    for (const c of [this.redis, this.sub]) c.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis connection error'));
  }

  key(...parts: string[]): string {
    return [this.config.prefix, ...parts].join(':');
  }

  /** Connect, subscribe, and start announcing that this instance is alive. */
  async start(): Promise<void> {
    await this.redis.connect();
    await this.sub.connect();
    this.sub.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.dispatch(text);
    });
    // every (re)subscription after the first: notices may have been missed while away
    this.sub.on('ready', () => {
      if (this.stopped || !this.subscribedOnce) return;
      this.log.info('redis subscriber reconnected: re-reading shared state');
      void this.resync();
    });
    await this.sub.subscribe(this.channel);
    this.subscribedOnce = true;
    await this.beat();
    this.heartbeat = setInterval(
      () => void this.beat().catch((err: Error) => this.log.warn({ err: err.message }, 'instance heartbeat failed')),
      Math.max(500, Math.floor(this.config.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    // a clean stop says so at once: its devices are released by their connections' closes, and
    // it stays in the instance set, so another instance's next owner sweep releases any that a
    // close did not (and then forgets it)
    await this.redis.del(this.key('instance', this.id)).catch(() => undefined);
    this.sub.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async beat(): Promise<void> {
    // the set again each time: a Redis restarted without its data learns of this instance anew
    await Promise.all([
      this.redis.set(this.key('instance', this.id), String(Date.now()), 'PX', this.config.leaseMs),
      this.redis.sadd(this.key('instances'), this.id),
    ]);
  }

  /**
   * The instances that announced themselves and have not been forgotten, split by whether their
   * heartbeat key has expired. Two round trips whatever the size of the keyspace: a SCAN for
   * the heartbeat keys walked every key (each device's link guard and retained status) on every
   * owner sweep — hundreds of round trips per sweep with 50,000 devices.
   */
  async instances(): Promise<{ alive: Set<string>; dead: Set<string> }> {
    const ids = await this.redis.smembers(this.key('instances'));
    const beats = ids.length ? await this.redis.mget(ids.map((id) => this.key('instance', id))) : [];
    const alive = new Set<string>();
    const dead = new Set<string>();
    ids.forEach((id, i) => (beats[i] !== null ? alive : dead).add(id));
    return { alive, dead };
  }

  /** Instances whose heartbeat key has not expired. */
  async aliveInstances(): Promise<Set<string>> {
    return (await this.instances()).alive;
  }

  /** Dead instances whose devices have been released: no sweep needs to look at them again (unless they are back). */
  async forgetInstances(ids: Iterable<string>): Promise<void> {
    const list = [...ids];
    if (list.length) await this.redis.eval(FORGET_IF_DEAD, 1, this.key('instances'), this.key('instance', ''), ...list);
  }

  // ------------------------------------------------------------------ notices

  on<K extends ClusterMessageName>(name: K, fn: Handler<K>): void {
    const list = this.handlers.get(name) ?? [];
    list.push(fn as Handler<ClusterMessageName>);
    this.handlers.set(name, list);
  }

  /** Re-read cached shared state; run after a subscriber reconnect (notices may be lost). */
  onResync(fn: () => Promise<void>): void {
    this.resyncs.push(fn);
  }

  private async resync(): Promise<void> {
    for (const fn of this.resyncs) await fn().catch((err: unknown) => this.log.error({ err }, 'cluster resync failed'));
  }

  /** Tell every other instance (never this one: its own code already acted). */
  publish<K extends ClusterMessageName>(name: K, payload: ClusterMessages[K]): void {
    if (this.stopped) return;
    this.sent++;
    this.redis
      .publish(this.channel, JSON.stringify({ from: this.id, name, payload }))
      .catch((err: Error) => this.log.warn({ err: err.message, notice: name }, 'cluster notice not sent'));
  }

  private dispatch(text: string): void {
    let m: { from: string; name: ClusterMessageName; payload: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    if (m.from === this.id) return;
    this.received++;
    for (const fn of this.handlers.get(m.name) ?? []) {
      try {
        const r = fn(m.payload as never);
        if (r && typeof r.catch === 'function')
          r.catch((err: unknown) => this.log.error({ err, notice: m.name }, 'cluster handler failed'));
      } catch (err) {
        this.log.error({ err, notice: m.name }, 'cluster handler failed');
      }
    }
  }

  // ------------------------------------------------------------------ device ownership

  /** This instance now holds the device's connection (set before aedes announces the client). */
  async claimDevice(deviceId: string): Promise<void> {
    await this.redis.hset(this.key('owner'), deviceId, this.id);
  }

  /** Give the device up if (and only if) this instance still holds it; true when it did. */
  async releaseDevice(deviceId: string, owner = this.id): Promise<boolean> {
    return (await this.redis.eval(RELEASE_IF, 1, this.key('owner'), deviceId, owner)) === 1;
  }

  async ownerOf(deviceId: string): Promise<string | null> {
    return this.redis.hget(this.key('owner'), deviceId);
  }

  /** deviceId → instance, for every device some instance holds. */
  async owners(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.key('owner'))));
  }
}
