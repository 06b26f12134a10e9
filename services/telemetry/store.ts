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
import type { TelemetryBackend, TelemetryStats, TelemetryStore, TelemetryWrite } from './types.js';

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
  /** for tests */
  scheduler?: Scheduler;
  now?: () => number;
}

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
      return buildStore(new EmbeddedPgBackend(opts.databaseUrl, log, opts.retentionMs ?? EMBEDDED_RETENTION_MS, timeoutMs), opts, log);
  }
}

function buildStore<T>(backend: TelemetryBackend<T>, opts: TelemetryStoreOptions, log: Logger): TelemetryStore {
  const now = opts.now ?? Date.now;
  /** set when the start-up probe failed; cleared by the first successful write */
  let startError: string | null = null;
  let invalid = 0;
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
      startError = null;
      return outcome;
    },
    onFailure: (err, attempt, delayMs) => {
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

  return {
    async start() {
      try {
        await backend.start();
        log.info({ backend: backend.name }, 'telemetry store started');
      } catch (err) {
        // Not fatal: the hub must run (and keep buffering) while the telemetry DB is away.
        startError = err instanceof Error ? err.message : String(err);
        log.warn({ err, backend: backend.name }, 'telemetry backend not reachable at start; buffering until it is');
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
      return {
        backend: backend.name,
        ok: s.ok && startError === null,
        buffered: s.buffered,
        dropped: s.dropped,
        written: s.written,
        rejected: s.rejected + invalid,
        failedBatches: s.failedBatches,
        lastError: s.ok && startError !== null ? startError : s.lastError,
      };
    },

    flush() {
      return buffer.flush();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      const lost = await buffer.close(opts.stopTimeoutMs ?? 3000);
      if (lost > 0)
        log.error({ lost, lastError: buffer.stats().lastError }, 'telemetry store stopped with unsent points (counted as dropped)');
      noteDrops();
      await backend.close().catch((err: unknown) => log.warn({ err }, 'telemetry backend close failed'));
    },
  };
}
