// The telemetry store: one backend (InfluxDB 2.x, InfluxDB 1.x, or the embedded Postgres
// table) behind the bounded retrying BatchBuffer. The hub calls write() from the MQTT path for
// every telemetry message; that call only encodes and enqueues.
import type { TelemetryQuery, TelemetrySeries } from '../../contracts/api.js';
import type { Config } from '../core/config.js';
import { errors } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { BatchBuffer, type Scheduler } from './buffer.js';
import { EmbeddedPgBackend, EMBEDDED_RETENTION_MS } from './embedded.js';
import { InfluxV1Backend, InfluxV2Backend } from './influx.js';
import { fillGrid, resolveQuery } from './series.js';
import type { CounterPersistence, TelemetryBackend, TelemetryStats, TelemetryStore, TelemetryWrite } from './types.js';

export type { TelemetryStore, TelemetryStats, TelemetryWrite, TelemetryLatest, MetricValue } from './types.js';

export interface TelemetryStoreOptions {
  bufferMax: number;
  flushMs: number;
  batchSize: number;
  log: Logger;
  /** embedded backend only: the hub's Postgres */
  databaseUrl?: string;
  /** first retry delay after a failed batch (default 250 ms; doubles up to retryMaxMs) */
  retryMinMs?: number;
  /** retry delay cap (default 10 s): the longest a recovered backend waits to be noticed */
  retryMaxMs?: number;
  /** how long stop() keeps trying to flush (default 3 s) */
  stopTimeoutMs?: number;
  /** per-request timeout (default 10 s) */
  requestTimeoutMs?: number;
  /** embedded backend retention (default 7 days) */
  retentionMs?: number;
  /** embedded backend: rollup job interval (default 10 min; 0 = off) and grace after a day's end (default 15 min) */
  rollupEveryMs?: number;
  rollupGraceMs?: number;
  /** how often the backend is pinged (default 10 s; 0 = never): health follows the backend
   * even when no telemetry is flowing — down without a write, back without waiting for one */
  probeMs?: number;
  /** lifetime dropped/rejected counts survive restarts here (the hub passes its database) */
  counters?: CounterPersistence;
  /** how often changed counters are saved besides at stop (default 30 s) */
  counterSaveMs?: number;
  /** for tests */
  scheduler?: Scheduler;
  now?: () => number;
}

/** HubCounter names */
export const COUNTER_DROPPED = 'telemetry.dropped';
export const COUNTER_REJECTED = 'telemetry.rejected';

/** Log at most once per this interval while something keeps going wrong (an outage, drops). */
const LOG_EVERY_MS = 30_000;

export function createTelemetryStore(
  cfg: Config['influx'],
  opts: Config['telemetry'] & Omit<TelemetryStoreOptions, keyof Config['telemetry']>,
): TelemetryStore {
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const log = opts.log.child({ component: 'telemetry' });
  switch (cfg.kind) {
    case 'v1':
      return buildStore(new InfluxV1Backend(cfg, log, opts.batchSize, timeoutMs), opts, log);
    case 'v2':
      return buildStore(new InfluxV2Backend(cfg, log, opts.batchSize, timeoutMs), opts, log);
    case 'embedded':
      if (!opts.databaseUrl) throw errors.config('embedded telemetry needs the hub database URL (databaseUrl)');
      return buildStore(
        new EmbeddedPgBackend(opts.databaseUrl, log, opts.retentionMs ?? EMBEDDED_RETENTION_MS, timeoutMs, {
          ...(opts.rollupEveryMs !== undefined ? { rollupEveryMs: opts.rollupEveryMs } : {}),
          ...(opts.rollupGraceMs !== undefined ? { rollupGraceMs: opts.rollupGraceMs } : {}),
        }),
        opts,
        log,
      );
  }
}

function buildStore<T>(backend: TelemetryBackend<T>, opts: TelemetryStoreOptions, log: Logger): TelemetryStore {
  const now = opts.now ?? Date.now;
  /**
   * The latest thing we learnt about the backend, from a write or from the probe — whichever is
   * newer. (Before: only writes moved it, so a hub with an unreachable InfluxDB said "ok" until
   * the next point arrived, and a recovered one said "down" until the next write succeeded.)
   */
  let health: { ok: boolean; error: string | null } = { ok: true, error: null };
  const observe = (ok: boolean, err?: unknown): void => {
    health = { ok, error: ok ? null : err instanceof Error ? err.message : String(err) };
  };
  let invalid = 0;
  /** lifetime counts loaded at start (HubCounter); this run's counts are added */
  const base = { dropped: 0, rejected: 0 };
  let saved = { dropped: 0, rejected: 0 };
  let probeTimer: NodeJS.Timeout | null = null;
  let saveTimer: NodeJS.Timeout | null = null;
  let probing = false;
  let lastFailureLog = -Infinity;
  let lastDropLog = -Infinity;
  let droppedLogged = 0;
  let stopped = false;

  const buffer = new BatchBuffer<T>({
    max: opts.bufferMax,
    batchSize: opts.batchSize,
    flushMs: opts.flushMs,
    ...(opts.retryMinMs !== undefined ? { retryMinMs: opts.retryMinMs } : {}),
    ...(opts.retryMaxMs !== undefined ? { retryMaxMs: opts.retryMaxMs } : {}),
    ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
    send: async (batch) => {
      const outcome = await backend.send(batch);
      observe(true);
      return outcome;
    },
    onFailure: (err, attempt, delayMs) => {
      observe(false, err);
      // Once when the outage starts, then a reminder every LOG_EVERY_MS; the rest at debug.
      const t = now();
      const s = buffer.stats();
      if (attempt === 1 || t - lastFailureLog >= LOG_EVERY_MS) {
        lastFailureLog = t;
        log.warn(
          { err, attempt, retryInMs: delayMs, buffered: s.buffered, dropped: s.dropped },
          `telemetry backend ${backend.name} unavailable; buffering`,
        );
      } else {
        log.debug({ attempt, retryInMs: delayMs, buffered: s.buffered }, 'telemetry write retry failed');
      }
    },
    onRecovery: (attempts, downForMs) => {
      lastFailureLog = -Infinity;
      const s = buffer.stats();
      log.info(
        { attempts, downForMs, buffered: s.buffered, dropped: s.dropped },
        `telemetry backend ${backend.name} back; draining buffer`,
      );
    },
  });

  const noteDrops = (): void => {
    const dropped = buffer.droppedCount;
    if (dropped === droppedLogged) return;
    const t = now();
    if (t - lastDropLog < LOG_EVERY_MS) return;
    lastDropLog = t;
    log.warn(
      { dropped, newlyDropped: dropped - droppedLogged, bufferMax: opts.bufferMax },
      'telemetry buffer full: dropping oldest points',
    );
    droppedLogged = dropped;
  };

  const totals = () => {
    const s = buffer.stats();
    return { dropped: base.dropped + s.dropped, rejected: base.rejected + s.rejected + invalid };
  };

  const saveCounters = async (): Promise<void> => {
    if (!opts.counters) return;
    const t = totals();
    if (t.dropped === saved.dropped && t.rejected === saved.rejected) return;
    await opts.counters.save({ [COUNTER_DROPPED]: t.dropped, [COUNTER_REJECTED]: t.rejected });
    saved = t;
  };

  const probe = async (): Promise<void> => {
    if (probing || stopped) return;
    probing = true;
    try {
      const wasOk = health.ok;
      await backend.ping();
      observe(true);
      // Back: drain what waited for the backoff timer now rather than at the next retry.
      if (!wasOk && buffer.stats().buffered > 0) buffer.flush().catch(() => undefined);
    } catch (err) {
      if (health.ok) log.warn({ err, backend: backend.name }, `telemetry backend ${backend.name} not reachable (health probe)`);
      observe(false, err);
    } finally {
      probing = false;
    }
  };

  return {
    async start() {
      if (opts.counters) {
        try {
          const c = await opts.counters.load([COUNTER_DROPPED, COUNTER_REJECTED]);
          base.dropped = c[COUNTER_DROPPED] ?? 0;
          base.rejected = c[COUNTER_REJECTED] ?? 0;
          saved = { ...base };
        } catch (err) {
          log.warn({ err }, 'telemetry counters could not be loaded; counting from 0 this run');
        }
      }
      try {
        await backend.start();
        log.info({ backend: backend.name }, 'telemetry store started');
      } catch (err) {
        // Not fatal: the hub must run (and keep buffering) while the telemetry DB is away.
        observe(false, err);
        log.warn({ err, backend: backend.name }, 'telemetry backend not reachable at start; buffering until it is');
      }
      const probeMs = opts.probeMs ?? 10_000;
      if (probeMs > 0) {
        probeTimer = setInterval(() => void probe(), probeMs);
        probeTimer.unref();
      }
      if (opts.counters) {
        saveTimer = setInterval(
          () => void saveCounters().catch((err: unknown) => log.debug({ err }, 'telemetry counters not saved (will retry)')),
          opts.counterSaveMs ?? 30_000,
        );
        saveTimer.unref();
      }
    },

    write(p: TelemetryWrite) {
      try {
        // After stop() the closed buffer counts pushes as dropped.
        const enc = backend.encode(p);
        if (enc === null) {
          invalid++;
          return;
        }
        buffer.push(enc);
        noteDrops();
      } catch (err) {
        // Contract: never throws. A malformed object (e.g. metrics not an object) lands here.
        invalid++;
        log.debug({ err }, 'telemetry point not encodable');
      }
    },

    async query(q: TelemetryQuery): Promise<TelemetrySeries> {
      const r = resolveQuery(q, now());
      let sparse: Array<[number, number | null]>;
      try {
        sparse = r.to > r.from ? await backend.buckets(r) : [];
      } catch (err) {
        log.warn({ err, deviceId: r.deviceId, metric: r.metric }, 'telemetry query failed');
        throw errors.unavailable(`telemetry query failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      return { deviceId: r.deviceId, metric: r.metric, from: r.from, to: r.to, points: fillGrid(r, sparse) };
    },

    async latest(deviceId: string) {
      try {
        return await backend.latest(deviceId);
      } catch (err) {
        throw errors.unavailable(`telemetry query failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },

    stats(): TelemetryStats {
      const s = buffer.stats();
      const t = totals();
      return {
        backend: backend.name,
        ok: health.ok,
        buffered: s.buffered,
        dropped: t.dropped,
        written: s.written,
        rejected: t.rejected,
        failedBatches: s.failedBatches,
        lastError: health.error ?? s.lastError,
        ...(backend.rollupStats ? { rollup: { ...backend.rollupStats } } : {}),
        ...(backend.insertFallbacks !== undefined ? { insertFallbacks: backend.insertFallbacks } : {}),
      };
    },

    flush() {
      return buffer.flush();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (probeTimer) clearInterval(probeTimer);
      if (saveTimer) clearInterval(saveTimer);
      // QoS0 points still buffered (the broker stopped before this, so nothing more arrives)
      // get stopTimeoutMs to be written; what remains is counted as dropped — and saved, so the
      // loss is still visible after the restart.
      const lost = await buffer.close(opts.stopTimeoutMs ?? 3000);
      if (lost > 0)
        log.error({ lost, lastError: buffer.stats().lastError }, 'telemetry store stopped with unsent points (counted as dropped)');
      noteDrops();
      await saveCounters().catch((err: unknown) =>
        log.error({ err, dropped: totals().dropped }, 'telemetry counters could not be saved at stop'),
      );
      await backend.close().catch((err: unknown) => log.warn({ err }, 'telemetry backend close failed'));
    },
  };
}
