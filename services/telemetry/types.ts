// Shapes shared by the telemetry store and its backends.
import type { TelemetryQuery, TelemetrySeries } from '../../contracts/api.js';
import type { SendOutcome } from './buffer.js';

export type MetricValue = number | boolean | string;

/** One device telemetry message (CONTRACT.md `telemetry` channel) plus the device's identity. */
export interface TelemetryWrite {
  deviceId: string;
  building: string;
  site: string;
  class: string;
  /** ms since epoch */
  ts: number;
  metrics: Record<string, MetricValue>;
}

export type TelemetryBackendName = 'influx-v2' | 'influx-v1' | 'embedded-pg';

export interface TelemetryStats {
  backend: TelemetryBackendName;
  /** the latest observation — a write or the periodic probe (TELEMETRY_PROBE_S) — succeeded */
  ok: boolean;
  /** points waiting in the buffer, in-flight batch included */
  buffered: number;
  /** points lost: evicted because the buffer was full (oldest first), or unsent at stop();
   * lifetime total, kept across restarts (HubCounter) */
  dropped: number;
  /** points the backend confirmed */
  written: number;
  /** points refused as invalid — by us (no usable metric, bad ts) or by the backend (type conflict);
   * lifetime total, kept across restarts */
  rejected: number;
  /** failed write attempts (each is retried) */
  failedBatches: number;
  lastError: string | null;
  /** embedded store only: its rollup job (services/telemetry/embedded.ts) */
  rollup?: RollupStats;
  /** embedded store only: batches COPY refused (a row already stored, a bad value) and an INSERT stored instead */
  insertFallbacks?: number;
}

/** Lifetime counts of the embedded store's rollup job in this process (bops_telemetry_rollup_*). */
export interface RollupStats {
  /** runs that completed (including runs that found nothing to do; not runs skipped because another instance held the lock) */
  runs: number;
  /** hours built or rebuilt */
  hours: number;
  failures: number;
  /** ms since the epoch of the last completed run, null before the first */
  lastRunAt: number | null;
}

/** Where lifetime counters live across restarts (the hub's database: HubCounter). */
export interface CounterPersistence {
  load(names: string[]): Promise<Record<string, number>>;
  save(values: Record<string, number>): Promise<void>;
}

/** Latest value per metric of one device. */
export type TelemetryLatest = Record<string, { ts: number; value: MetricValue }>;

export interface TelemetryStore {
  /** Connect and make sure the database exists. Backend down → logged, not thrown (the hub runs
   * on, buffering); only configuration errors throw. */
  start(): Promise<void>;
  /** Synchronous, never blocks, never throws. */
  write(p: TelemetryWrite): void;
  /** Downsampled series (mean per `step` bucket, every bucket present, null when empty). */
  query(q: TelemetryQuery): Promise<TelemetrySeries>;
  /** Latest stored value of each metric of a device (booleans come back as 0/1 from embedded-pg). */
  latest(deviceId: string): Promise<TelemetryLatest>;
  stats(): TelemetryStats;
  /** Write everything buffered now; rejects if the backend is unavailable (points stay buffered). */
  flush(): Promise<void>;
  /** Flush what it can within opts.stopTimeoutMs (default 3 s), count the rest as dropped, close. */
  stop(): Promise<void>;
}

/** A resolved query: from/to/step already defaulted and bounded. */
export interface BucketQuery {
  deviceId: string;
  metric: string;
  from: number;
  to: number;
  step: number;
}

/** What a storage backend implements; buffering, retries and accounting live in the store. */
export interface TelemetryBackend<T> {
  readonly name: TelemetryBackendName;
  /** embedded store only */
  readonly rollupStats?: RollupStats;
  /** embedded store only: see TelemetryStats.insertFallbacks */
  readonly insertFallbacks?: number;
  start(): Promise<void>;
  /** Cheap reachability check (health probe): resolve = the backend can take writes now. */
  ping(): Promise<void>;
  /** Encode once at write() time (cheap, synchronous). null → nothing storable in the message. */
  encode(p: TelemetryWrite): T | null;
  /** Store one batch. Reject = transient (retried); resolve with `rejected` = refused for good. */
  send(batch: T[]): Promise<SendOutcome | void>;
  /** Non-empty buckets only, as [bucketStartMs, mean]; the store fills the gaps. */
  buckets(q: BucketQuery): Promise<Array<[number, number | null]>>;
  latest(deviceId: string): Promise<TelemetryLatest>;
  close(): Promise<void>;
}
