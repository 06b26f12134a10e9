// Configuration, checked once at boot (ARCHITECTURE.md example 9). Every variable is listed
// in README.md's configuration table; a bad value stops the hub with a message naming it.
import fs from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { HubError } from './errors.js';

const Port = z.coerce.number().int().min(0).max(65535);
const Bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const Env = z
  .object({
    HUB_HOST: z.string().min(1).default('0.0.0.0'),
    HUB_HTTP_PORT: Port.default(8080),
    HUB_MQTT_PORT: Port.default(1883),
    HUB_DATA_DIR: z.string().min(1).default('./.data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    HUB_EMBEDDED_PG_PORT: Port.default(54329),
    INFLUX_URL: z.url().optional(),
    INFLUX_API: z.enum(['1', '2']).default('2'),
    INFLUX_TOKEN: z.string().optional(),
    INFLUX_ORG: z.string().optional(),
    INFLUX_BUCKET: z.string().default('bops'),
    INFLUX_DB: z.string().default('bops'),
    INFLUX_USERNAME: z.string().optional(),
    INFLUX_PASSWORD: z.string().optional(),
    TELEMETRY_BUFFER_MAX: z.coerce.number().int().min(1000).default(500_000),
    TELEMETRY_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(500),
    TELEMETRY_BATCH: z.coerce.number().int().min(10).max(100_000).default(5000),
    // embedded store only; InfluxDB keeps what its bucket/retention policy says (docs/operations.md)
    TELEMETRY_RETENTION_DAYS: z.coerce.number().min(1).max(3650).default(7),
    // embedded store only: how often closed hours are rolled up to one row per device and minute
    // (0 = never: charts then read raw rows only), and how long after an hour's end it counts as
    // closed (services/telemetry/embedded.ts, docs/architecture.md "Telemetry store, embedded")
    TELEMETRY_ROLLUP_EVERY_S: z.coerce.number().min(0).max(86_400).default(600),
    TELEMETRY_ROLLUP_GRACE_S: z.coerce.number().min(0).max(86_400).default(900),
    HUB_METRICS_TOKEN: z.string().min(16, 'HUB_METRICS_TOKEN must be at least 16 characters').optional(),
    // PROCEDURES.md "Privacy": audit kept ≥ 6 months — a shorter setting is refused, not clamped
    HUB_AUDIT_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(183, 'HUB_AUDIT_RETENTION_DAYS must be at least 183 (PROCEDURES.md: audit kept ≥ 6 months)')
      .default(365),
    HUB_VISITOR_DATA_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
    HUB_RETENTION_INTERVAL_H: z.coerce.number().min(1).max(168).default(24),
    HUB_ADMIN_PASSWORD: z.string().min(8, 'HUB_ADMIN_PASSWORD must be at least 8 characters').optional(),
    HUB_DEMO: Bool.optional(),
    HUB_DEMO_FLEET: Bool.default(true),
    HUB_SESSION_TTL_H: z.coerce
      .number()
      .min(0.1)
      .max(24 * 30)
      .default(12),
    HUB_SOCKET_THROTTLE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
    // notifications (services/notifications; docs/notifications.md)
    HUB_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    HUB_NOTIFY_KEY: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'HUB_NOTIFY_KEY must be 32 bytes, base64')
      .optional(),
    NOTIFY_GROUP_WINDOW_MS: z.coerce.number().int().min(0).max(600_000).default(300),
    NOTIFY_RETRY_LIMIT: z.coerce.number().int().min(0).max(20).default(4),
    NOTIFY_RETRY_DELAY_S: z.coerce.number().int().min(1).max(3600).default(2),
    NOTIFY_JOB_EXPIRE_S: z.coerce.number().int().min(1).max(3600).default(60),
    NOTIFY_MAINTENANCE_S: z.coerce.number().int().min(1).max(3600).default(30),
    NOTIFY_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
    NOTIFY_SEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    NOTIFY_LINK_TTL_H: z.coerce
      .number()
      .min(0.01)
      .max(24 * 30)
      .default(24),
    NOTIFY_FLAP_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(600),
    HUB_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // ---- MQTT edge and TLS (issue 7; docs/security.md) ----
    HUB_TLS_CERT: z.string().min(1).optional(),
    HUB_TLS_KEY: z.string().min(1).optional(),
    HUB_MQTTS_PORT: Port.default(8883),
    HUB_HTTPS_PORT: Port.default(8443),
    // MQTT caps the remaining length at 256 MiB; 1 KiB is far below any contract message + topic
    HUB_MQTT_MAX_PACKET: z.coerce
      .number()
      .int()
      .min(1024)
      .max(268_435_455)
      .default(256 * 1024),
    HUB_MQTT_MAX_CONNECT_PACKET: z.coerce
      .number()
      .int()
      .min(256)
      .max(65_536)
      .default(8 * 1024),
    HUB_MQTT_BAN_ADDRESS_FAILS: z.coerce.number().int().min(1).default(20),
    HUB_MQTT_BAN_CLIENT_FAILS: z.coerce.number().int().min(1).default(5),
    HUB_MQTT_BAN_WINDOW_S: z.coerce.number().min(0.1).default(60),
    HUB_MQTT_BAN_S: z.coerce.number().min(0.1).default(60),
    HUB_MQTT_BAN_MAX_S: z.coerce.number().min(0.1).default(3600),
    // connect storms (issue 12, broker/throttle.ts): CONNECTs admitted per second (0 = no
    // throttle), at most this many at once, at most this many waiting (then CONNACK 3)
    // (defaults and why: broker/throttle.ts DEFAULT_CONNECT_THROTTLE)
    HUB_MQTT_CONNECT_RATE: z.coerce.number().min(0).default(1000),
    HUB_MQTT_CONNECT_BURST: z.coerce.number().int().min(1).default(20),
    HUB_MQTT_CONNECT_QUEUE: z.coerce.number().int().min(0).default(5000),
    // accept pacing while the throttle is on (broker/intake.ts DEFAULT_ACCEPT): sockets handed to
    // aedes with their CONNECT not yet decided (0 = all on arrival), and how many may wait unread
    // while the throttle is full
    HUB_MQTT_ACCEPT_IN_FLIGHT: z.coerce.number().int().min(0).default(64),
    HUB_MQTT_ACCEPT_QUEUE: z.coerce.number().int().min(0).default(4000),
    // the MQTT listeners' accept queue (broker/index.ts listen); Linux caps it at net.core.somaxconn
    HUB_MQTT_LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65_535).default(4096),
    HUB_EVENT_HOLD_S: z.coerce.number().min(1).default(600),
    HUB_EVENT_HOLD_MAX: z.coerce.number().int().min(100).default(100_000),
    HUB_EVENT_PIPELINE: z.coerce.number().int().min(0).max(65_535).default(64),
    // group commit of device events (services/devices/ingest.ts pump): batches written at once,
    // and the queue that justifies one more beside those in flight
    HUB_EVENT_BATCHES: z.coerce.number().int().min(1).max(64).default(3),
    HUB_EVENT_OVERLAP_MIN: z.coerce.number().int().min(1).max(100_000).default(32),
    // with nothing in flight, a batch starts at most this long after the previous one started
    HUB_EVENT_LINGER_MS: z.coerce.number().min(0).max(1000).default(0),
    HUB_EVENT_ROUTED_MARK_MS: z.coerce.number().int().min(10).max(60_000).default(250),
    HUB_EVENT_RETRY_MS: z.coerce.number().int().min(10).max(60_000).default(2000),
    HUB_EVENT_QUERY_TIMEOUT_S: z.coerce.number().min(1).max(600).default(15),
    HUB_REJECT_BURST_S: z.coerce.number().min(0.1).default(10),
    // ---- HTTP edge, start-up and health (issue 7; docs/security.md, docs/operations.md) ----
    /** how long a start waits for an unreachable DATABASE_URL before giving up (0 = forever) */
    HUB_DB_WAIT_S: z.coerce.number().min(0).default(600),
    /** with TLS on, where plain HTTP listens (default loopback only; e.g. 0.0.0.0 for an internal scraper) */
    HUB_HTTP_PLAIN_HOST: z.string().min(1).optional(),
    /** behind a TLS-terminating proxy: false | true | comma-separated proxy addresses/CIDRs */
    HUB_TRUST_PROXY: z.string().default('false'),
    // scale-out (CONTRACT.md "Operations", docs/scale-out.md): N instances on Redis + PostgreSQL
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    HUB_INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-" only (≤ 64)')
      .optional(),
    HUB_REDIS_PREFIX: z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, "_" and "-" only (≤ 32)')
      .default('bops'),
    HUB_CLUSTER_LEASE_S: z.coerce.number().min(2).max(600).default(15),
    /** browser origins besides the hub's own that may open live connections and send requests */
    HUB_ALLOWED_ORIGINS: z.string().default(''),
    HUB_LOGIN_FAILS_PER_USER: z.coerce.number().int().min(1).default(5),
    HUB_LOGIN_FAILS_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
    HUB_LOGIN_WINDOW_S: z.coerce.number().min(1).default(900),
    /** per user (or address) and minute on expensive routes: telemetry queries, reports, imports, exports, audit */
    HUB_RATE_HEAVY_PER_MIN: z.coerce.number().int().min(1).default(300),
    /** how often the telemetry backend is pinged, so health recovers (and degrades) without a write */
    TELEMETRY_PROBE_S: z.coerce.number().min(0.1).max(3600).default(10),
  })
  .superRefine((e, ctx) => {
    if (!e.HUB_TLS_CERT !== !e.HUB_TLS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: [e.HUB_TLS_CERT ? 'HUB_TLS_KEY' : 'HUB_TLS_CERT'],
        message: 'set both HUB_TLS_CERT and HUB_TLS_KEY',
      });
    }
    if (e.HUB_MQTT_BAN_MAX_S < e.HUB_MQTT_BAN_S) {
      ctx.addIssue({ code: 'custom', path: ['HUB_MQTT_BAN_MAX_S'], message: 'must be at least HUB_MQTT_BAN_S' });
    }
    if (!/^(true|false|[0-9a-fA-F.:/, ]+)$/.test(e.HUB_TRUST_PROXY.trim())) {
      ctx.addIssue({ code: 'custom', path: ['HUB_TRUST_PROXY'], message: 'false, true, or comma-separated proxy addresses/CIDRs' });
    }
    for (const o of e.HUB_ALLOWED_ORIGINS.split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      if (!/^https?:\/\/[^/\s]+$/.test(o))
        ctx.addIssue({ code: 'custom', path: ['HUB_ALLOWED_ORIGINS'], message: `${o}: an origin is scheme://host[:port], no path` });
    }
    if (e.INFLUX_URL && e.INFLUX_API === '2' && (!e.INFLUX_TOKEN || !e.INFLUX_ORG)) {
      ctx.addIssue({ code: 'custom', path: ['INFLUX_TOKEN'], message: 'INFLUX_API=2 needs INFLUX_TOKEN and INFLUX_ORG' });
    }
  });

export interface Config {
  host: string;
  httpPort: number;
  mqttPort: number;
  dataDir: string;
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  influx:
    | { kind: 'v2'; url: string; token: string; org: string; bucket: string }
    | { kind: 'v1'; url: string; db: string; username?: string; password?: string }
    | { kind: 'embedded' };
  /** retentionMs: embedded store only (optional so callers building a store by hand may omit it) */
  telemetry: {
    bufferMax: number;
    flushMs: number;
    batchSize: number;
    retentionMs?: number;
    rollupEveryMs?: number;
    rollupGraceMs?: number;
  };
  /** bearer token for GET /metrics; unset → only loopback clients may scrape */
  metricsToken: string | undefined;
  /** data lifecycle (services/ops/retention.ts) */
  retention: { auditDays: number; visitorDataDays: number; intervalMs: number };
  adminPassword: string | undefined;
  demo: boolean;
  /** run the demo's simulated devices in-process (off: seed only, drive them with `npm run simulate`) */
  demoFleet: boolean;
  sessionTtlMs: number;
  socketThrottleMs: number;
  logLevel: string;
  // ---- MQTT edge and TLS (issue 7; docs/security.md) ----
  /** HUB_TLS_CERT / HUB_TLS_KEY: paths of the PEM files, as given */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** their contents, read once at boot (null: no TLS listeners); rotate by restart or reloadTls() */
  tls: TlsFiles | null;
  /** MQTT over TLS (only with `tls`) */
  mqttsPort: number;
  /** HTTPS (only with `tls`) */
  httpsPort: number;
  mqtt: MqttEdgeConfig;
  /** a run of rejections of one (device, reason) closer than this is logged once, then summarised */
  rejectBurstMs: number;
  // ---- HTTP edge, start-up and health (issue 7) ----
  /** 0 = wait forever */
  dbWaitMs: number;
  /** with TLS on: the plain HTTP port's bind address (default 127.0.0.1) */
  httpPlainHost: string | undefined;
  /**
   * Scale-out (REDIS_URL set): this process is one of N hub instances sharing Redis and
   * PostgreSQL (docs/scale-out.md); null = the single-process hub.
   */
  cluster: ClusterConfig | null;
  /** fastify's trustProxy: which peers' X-Forwarded-* headers to believe */
  trustProxy: boolean | string[];
  /** extra browser origins (the hub's own origin is always allowed) */
  allowedOrigins: string[];
  loginLimit: { perUser: number; perAddress: number; windowMs: number };
  heavyPerMinute: number;
  telemetryProbeMs: number;
  notify: {
    publicUrl: string | null;
    masterKey: string | null;
    groupWindowMs: number;
    retryLimit: number;
    retryDelaySeconds: number;
    jobExpireSeconds: number;
    maintenanceSeconds: number;
    pollMs: number;
    concurrency: number;
    sendTimeoutMs: number;
    linkTtlMs: number;
    flapWindowMs: number;
  };
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface MqttEdgeConfig {
  /** largest MQTT packet accepted from an authenticated device; larger closes the connection */
  maxPacket: number;
  /** largest packet before authentication (the CONNECT) */
  maxConnectPacket: number;
  /** failed CONNECTs: this many within `windowMs` bans the address / the known client id */
  ban: { addressFails: number; clientFails: number; windowMs: number; banMs: number; maxBanMs: number };
  /** connect storms: CONNECTs admitted per second (0 = off) and at once; how many may wait before CONNACK 3 */
  connectThrottle: { rate: number; burst: number; queueMax: number };
  /** accept pacing: sockets with aedes whose CONNECT is undecided (0 = no pacing), and how many may wait for a full throttle */
  accept: { inFlight: number; queueMax: number };
  /** the MQTT listeners' accept queue (the kernel caps it at net.core.somaxconn) */
  listenBacklog: number;
  /** while PostgreSQL is down an event's PUBACK is held up to this long, retrying the store */
  eventHoldMs: number;
  /** at most this many events held without blocking their device's connection */
  eventHoldMax: number;
  /** events of one connection stored while it reads on; their PUBACKs follow the commits */
  eventPipeline: number;
  /** event batches written at once (group commit) */
  eventBatches: number;
  /** events waiting before one more batch starts beside those in flight */
  eventOverlapMin: number;
  /** a batch starts at most this long after the previous one started (unless eventOverlapMin wait) */
  eventLingerMs: number;
  /** how often the routed watermark is written (services/devices/replay.ts) */
  eventRoutedMarkMs: number;
  /** longest pause between two attempts to store held events */
  eventRetryMs: number;
  /** an event INSERT unanswered this long counts as failed (a hung database is an outage too) */
  eventQueryTimeoutMs: number;
}

export interface ClusterConfig {
  redisUrl: string;
  /** this instance's name in Redis and in timer claims (HUB_INSTANCE_ID, else host-pid-random) */
  instanceId: string;
  /** prefix of every Redis key and channel this hub uses (several hubs may share one Redis) */
  prefix: string;
  /**
   * How long an instance counts as alive without renewing its heartbeat, and how long a timer
   * claim holds: a killed instance's devices and timers are taken over after at most this.
   */
  leaseMs: number;
}

/** Read the TLS certificate chain and key (PEM); a clear error names the variable. */
export function readTlsFiles(certPath: string, keyPath: string): TlsFiles {
  const read = (name: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new HubError('HUB_ERR_CONFIG', `invalid configuration:\n  ${name}: cannot read ${file} (${(e as Error).message})`, 500);
    }
  };
  return { cert: read('HUB_TLS_CERT', certPath), key: read('HUB_TLS_KEY', keyPath) };
}

function parseTrustProxy(v: string): boolean | string[] {
  const s = v.trim();
  if (s === 'true') return true;
  if (s === 'false' || s === '') return false;
  // (no hop counts: fastify 5 ignores them — a direct client could fake enough hops)
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * Parse the environment. `demoDefault` is true only for the zero-setup start command
 * (CONTRACT.md: HUB_DEMO on by default only for the zero-setup start).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, demoDefault = false): Config {
  const r = Env.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new HubError('HUB_ERR_CONFIG', `invalid configuration:\n${lines.join('\n')}`, 500);
  }
  const e = r.data;
  const influx: Config['influx'] = !e.INFLUX_URL
    ? { kind: 'embedded' }
    : e.INFLUX_API === '2'
      ? { kind: 'v2', url: e.INFLUX_URL, token: e.INFLUX_TOKEN!, org: e.INFLUX_ORG!, bucket: e.INFLUX_BUCKET }
      : {
          kind: 'v1',
          url: e.INFLUX_URL,
          db: e.INFLUX_DB,
          ...(e.INFLUX_USERNAME ? { username: e.INFLUX_USERNAME } : {}),
          ...(e.INFLUX_PASSWORD ? { password: e.INFLUX_PASSWORD } : {}),
        };
  return {
    host: e.HUB_HOST,
    httpPort: e.HUB_HTTP_PORT,
    mqttPort: e.HUB_MQTT_PORT,
    dataDir: path.resolve(e.HUB_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    embeddedPgPort: e.HUB_EMBEDDED_PG_PORT,
    influx,
    telemetry: {
      bufferMax: e.TELEMETRY_BUFFER_MAX,
      flushMs: e.TELEMETRY_FLUSH_MS,
      batchSize: e.TELEMETRY_BATCH,
      retentionMs: e.TELEMETRY_RETENTION_DAYS * 86_400_000,
      rollupEveryMs: e.TELEMETRY_ROLLUP_EVERY_S * 1000,
      rollupGraceMs: e.TELEMETRY_ROLLUP_GRACE_S * 1000,
    },
    metricsToken: e.HUB_METRICS_TOKEN,
    retention: {
      auditDays: e.HUB_AUDIT_RETENTION_DAYS,
      visitorDataDays: e.HUB_VISITOR_DATA_DAYS,
      intervalMs: e.HUB_RETENTION_INTERVAL_H * 3600_000,
    },
    adminPassword: e.HUB_ADMIN_PASSWORD,
    demo: e.HUB_DEMO ?? demoDefault,
    demoFleet: e.HUB_DEMO_FLEET,
    sessionTtlMs: e.HUB_SESSION_TTL_H * 3600_000,
    socketThrottleMs: e.HUB_SOCKET_THROTTLE_MS,
    logLevel: e.HUB_LOG_LEVEL,
    // ---- MQTT edge and TLS (issue 7; docs/security.md) ----
    tlsCert: e.HUB_TLS_CERT,
    tlsKey: e.HUB_TLS_KEY,
    tls: e.HUB_TLS_CERT && e.HUB_TLS_KEY ? readTlsFiles(e.HUB_TLS_CERT, e.HUB_TLS_KEY) : null,
    mqttsPort: e.HUB_MQTTS_PORT,
    httpsPort: e.HUB_HTTPS_PORT,
    mqtt: {
      maxPacket: e.HUB_MQTT_MAX_PACKET,
      maxConnectPacket: e.HUB_MQTT_MAX_CONNECT_PACKET,
      ban: {
        addressFails: e.HUB_MQTT_BAN_ADDRESS_FAILS,
        clientFails: e.HUB_MQTT_BAN_CLIENT_FAILS,
        windowMs: e.HUB_MQTT_BAN_WINDOW_S * 1000,
        banMs: e.HUB_MQTT_BAN_S * 1000,
        maxBanMs: e.HUB_MQTT_BAN_MAX_S * 1000,
      },
      connectThrottle: { rate: e.HUB_MQTT_CONNECT_RATE, burst: e.HUB_MQTT_CONNECT_BURST, queueMax: e.HUB_MQTT_CONNECT_QUEUE },
      accept: { inFlight: e.HUB_MQTT_ACCEPT_IN_FLIGHT, queueMax: e.HUB_MQTT_ACCEPT_QUEUE },
      listenBacklog: e.HUB_MQTT_LISTEN_BACKLOG,
      eventHoldMs: e.HUB_EVENT_HOLD_S * 1000,
      eventHoldMax: e.HUB_EVENT_HOLD_MAX,
      eventPipeline: e.HUB_EVENT_PIPELINE,
      eventBatches: e.HUB_EVENT_BATCHES,
      eventOverlapMin: e.HUB_EVENT_OVERLAP_MIN,
      eventLingerMs: e.HUB_EVENT_LINGER_MS,
      eventRoutedMarkMs: e.HUB_EVENT_ROUTED_MARK_MS,
      eventRetryMs: e.HUB_EVENT_RETRY_MS,
      eventQueryTimeoutMs: e.HUB_EVENT_QUERY_TIMEOUT_S * 1000,
    },
    rejectBurstMs: e.HUB_REJECT_BURST_S * 1000,
    // ---- HTTP edge, start-up and health (issue 7) ----
    dbWaitMs: e.HUB_DB_WAIT_S * 1000,
    httpPlainHost: e.HUB_HTTP_PLAIN_HOST,
    trustProxy: parseTrustProxy(e.HUB_TRUST_PROXY),
    cluster: e.REDIS_URL
      ? {
          redisUrl: e.REDIS_URL,
          instanceId: e.HUB_INSTANCE_ID ?? `${os.hostname().slice(0, 32)}-${process.pid}-${randomBytes(3).toString('hex')}`,
          prefix: e.HUB_REDIS_PREFIX,
          leaseMs: e.HUB_CLUSTER_LEASE_S * 1000,
        }
      : null,
    allowedOrigins: e.HUB_ALLOWED_ORIGINS.split(',')
      .map((x) => x.trim().replace(/\/$/, ''))
      .filter(Boolean),
    loginLimit: { perUser: e.HUB_LOGIN_FAILS_PER_USER, perAddress: e.HUB_LOGIN_FAILS_PER_ADDRESS, windowMs: e.HUB_LOGIN_WINDOW_S * 1000 },
    heavyPerMinute: e.HUB_RATE_HEAVY_PER_MIN,
    telemetryProbeMs: e.TELEMETRY_PROBE_S * 1000,
    notify: {
      publicUrl: e.HUB_PUBLIC_URL ?? null,
      masterKey: e.HUB_NOTIFY_KEY ?? null,
      groupWindowMs: e.NOTIFY_GROUP_WINDOW_MS,
      retryLimit: e.NOTIFY_RETRY_LIMIT,
      retryDelaySeconds: e.NOTIFY_RETRY_DELAY_S,
      jobExpireSeconds: e.NOTIFY_JOB_EXPIRE_S,
      maintenanceSeconds: e.NOTIFY_MAINTENANCE_S,
      pollMs: e.NOTIFY_POLL_MS,
      concurrency: e.NOTIFY_CONCURRENCY,
      sendTimeoutMs: e.NOTIFY_SEND_TIMEOUT_MS,
      linkTtlMs: e.NOTIFY_LINK_TTL_H * 3600_000,
      flapWindowMs: e.NOTIFY_FLAP_WINDOW_S * 1000,
    },
  };
}
