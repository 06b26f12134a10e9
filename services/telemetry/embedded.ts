// Embedded telemetry backend (no INFLUX_URL): the hub's own PostgreSQL, table `telemetry.msg`.
//
// Layout (issue 12, measured with `npm run bench` and bench/telemetry-store.ts — BENCHMARKS.md):
// - ONE ROW PER MESSAGE: (device_id, ts, m jsonb) where m is the message's metrics as sent
//   (numbers, booleans, strings). The former layout (public."TelemetryPoint", one row per metric
//   with a primary key and a ts index) paid 4 rows and 8 index entries for a 4-metric message;
//   its PostgreSQL used more CPU than the whole hub. Now: one row, one btree entry.
// - PRIMARY KEY (device_id, ts): serves a device's chart (index range scan in time order) and
//   makes a re-sent batch harmless (ON CONFLICT DO NOTHING; delivery is at least once).
// - RANGE PARTITIONS BY DAY (UTC) on ts: retention drops whole partitions — no DELETE of millions
//   of rows, no vacuum debt, no bloat; a partition is created the first time a batch needs it.
// - BRIN on ts: a few pages per partition, free to maintain on append-mostly data; it serves the
//   time-range DELETE in the one partition that straddles the retention cutoff.
// - A batch is ONE `COPY … FROM STDIN (FORMAT binary)`: rows encoded straight into one Buffer
//   (device id and the metrics' JSON as UTF-8, ts as microseconds since 2000-01-01, jsonb as
//   version byte 1 + JSON text — PostgreSQL manual, "COPY", binary format; jsonb_recv). Measured
//   against the former one statement `INSERT … SELECT … FROM json_to_recordset($1) ON CONFLICT
//   DO NOTHING` with 5,000-row batches of 4-metric messages (`npx tsx bench/telemetry-copy.ts`):
//   PostgreSQL 5.0–5.9 vs 9.2–11.0 µs of CPU per row, client 0.8–1.5 vs 0.8–1.2 µs (one
//   JSON.stringify per row here, one per batch there), 150–157k vs 85–95k rows/s; in the whole
//   hub (`npm run bench -- --only telemetry --before …`) 1.26× the messages stored per second.
//   COPY has no ON CONFLICT: a batch that meets a row already stored (a resend after an
//   ambiguous failure, two messages of a device in the same millisecond) fails whole with 23505
//   and is sent again as that INSERT, which skips the duplicates — delivery stays at least once,
//   storage once. (An earlier COPY try, in text format, needed an escaper per field and an ISO
//   date per row and was measured no faster.)
// - ONE-MINUTE ROLLUP OF CLOSED HOURS (telemetry.msg_1m, issue 12 "chart queries fast"): a chart
//   of 7 days of one device read every message of that device, one heap page per message,
//   because a device's rows are interleaved with every other device's in arrival order
//   (measured: p50 5.6 s at 50M messages, BENCHMARKS.md). Once an hour stops receiving writes
//   (its end + a grace, TELEMETRY_ROLLUP_GRACE_S), a periodic job (TELEMETRY_ROLLUP_EVERY_S)
//   writes per device and minute the sum and count of each metric's numeric values into the
//   day's partition of msg_1m, sorted by (device_id, t) — a week of one device is ≤ 10,080 rows
//   in ~170 runs of adjacent rows. Charts whose step is a whole number of minutes read msg_1m
//   for rolled-up hours and raw rows for the rest (the open hour, minute fragments at the
//   range's ends); a bucket's mean is Σsum / Σcount over both, the same mean as over the raw
//   rows. The unit is the hour, not the day partition: measured at 50M messages, the open day
//   alone (up to 71,000 messages of the device, one heap page each) took ~750 ms.
//   Alternatives measured and not taken (BENCHMARKS.md, docs/architecture.md):
//   (a) a covering index (device_id, ts) INCLUDE (m) built CONCURRENTLY on closed partitions +
//       VACUUM for index-only scans: no blocking lock, but a chart still reads and decodes every
//       message's jsonb (a week of one device at 50M points = 500,000 index entries), the index
//       is as large as the table, and the open day stays as slow as before;
//   (b) CLUSTER of closed partitions by the primary key: the same adjacency as the rollup, but
//       CLUSTER holds an ACCESS EXCLUSIVE lock on the partition while it rewrites it (PostgreSQL
//       manual, "CLUSTER": "When a table is being clustered, an ACCESS EXCLUSIVE lock is acquired
//       on it. This prevents any other database operations (both reads and writes) from
//       operating on the table until the CLUSTER is finished") — charts and late writes of that
//       day would wait for the rewrite — and a chart still aggregates every message.
//   Late data (a device replaying its buffer, at-least-once resends) for an hour already rolled
//   up is not lost: a batch holding points of a past hour records that hour in
//   telemetry.rollup_dirty after its insert commits; charts read a dirty hour raw until the job
//   rebuilds it.
// The table lives in its own schema, created by the backend (not by a Prisma migration): Prisma's
// schema language has no declarative partitioning, and the partitions are runtime objects anyway.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createPool } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import type { SendOutcome } from './buffer.js';
import type {
  BucketQuery,
  MetricValue,
  RollupStats,
  TelemetryBackend,
  TelemetryBackendName,
  TelemetryLatest,
  TelemetryWrite,
} from './types.js';

/** Embedded telemetry is for charts of the recent past; keep a week so the DB stays small. */
export const EMBEDDED_RETENTION_MS = 7 * 24 * 3600_000;
export const RETENTION_SWEEP_EVERY_MS = 3600_000;
/** Rows deleted per statement in the partition that straddles the cutoff. */
const SWEEP_CHUNK = 20_000;
const MAX_TS = 8.64e15;
const DAY_MS = 86_400_000;
const HOUR_MS = 3600_000;
const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);
/** latest(): how many of a device's most recent messages are looked at for the last value of each metric */
const LATEST_WINDOW = 2000;

export const TELEMETRY_SCHEMA = 'telemetry';
export const TELEMETRY_TABLE = 'telemetry.msg';
export const ROLLUP_TABLE = 'telemetry.msg_1m';
const MINUTE_MS = 60_000;
/** Rollup job defaults (settings TELEMETRY_ROLLUP_EVERY_S, TELEMETRY_ROLLUP_GRACE_S). */
export const ROLLUP_EVERY_MS = 600_000;
export const ROLLUP_GRACE_MS = 900_000;
/** Advisory lock name (hashtextextended, as services/core/locks.ts): one instance builds at a time. */
const ROLLUP_LOCK = 'telemetry.rollup';
/** held (per transaction) by every hub's schema and partition DDL: see ddl() */
export const DDL_LOCK = 'telemetry.ddl';

/** One message as it travels to PostgreSQL (short keys: they are repeated per row in the batch JSON). */
export interface PgEncoded {
  d: string;
  t: number;
  m: Record<string, MetricValue>;
}

const SCHEMA_SQL = [
  `CREATE SCHEMA IF NOT EXISTS ${TELEMETRY_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${TELEMETRY_TABLE} (
     device_id text NOT NULL,
     ts timestamptz NOT NULL,
     m jsonb NOT NULL,
     PRIMARY KEY (device_id, ts)
   ) PARTITION BY RANGE (ts)`,
  `CREATE INDEX IF NOT EXISTS msg_ts_brin ON ${TELEMETRY_TABLE} USING brin (ts)`,
  // One row per device and minute (t = start of the minute, ms since the epoch); m maps each
  // metric sent in that minute to [sum, count] of its numeric values (numbers, booleans as 0/1).
  // [null, 0]: the metric only had strings (the raw query gives such a bucket a null mean: so
  // does this). One row per device-minute rather than per metric-minute: at a message a minute
  // or less per device (many fleets) the rollup has as many rows as the raw table, and a row per
  // metric would make it ~2.5× the size of the raw rows (measured with 4 metrics).
  `CREATE TABLE IF NOT EXISTS ${ROLLUP_TABLE} (
     device_id text NOT NULL,
     t bigint NOT NULL,
     m jsonb NOT NULL,
     PRIMARY KEY (device_id, t)
   ) PARTITION BY RANGE (t)`,
  // one row per hour (hours since the epoch) whose rollup is complete: an hour is read from msg_1m
  // only if it is here and not dirty
  `CREATE TABLE IF NOT EXISTS ${TELEMETRY_SCHEMA}.rollup_hour (
     hour integer PRIMARY KEY,
     rows bigint NOT NULL,
     built_at timestamptz NOT NULL DEFAULT now()
   )`,
  // hours that received rows after (possibly) being rolled up; ids order the marks (see rollupHour)
  `CREATE TABLE IF NOT EXISTS ${TELEMETRY_SCHEMA}.rollup_dirty (id bigserial PRIMARY KEY, hour integer NOT NULL)`,
];

/** what SCHEMA_SQL creates (to_regclass names): when all exist, a start runs none of it */
const SCHEMA_OBJECTS = [
  TELEMETRY_TABLE,
  `${TELEMETRY_SCHEMA}.msg_ts_brin`,
  ROLLUP_TABLE,
  `${TELEMETRY_SCHEMA}.rollup_hour`,
  `${TELEMETRY_SCHEMA}.rollup_dirty`,
];

// ts arrives as bigint ms and is turned into timestamptz exactly (no float seconds rounding).
const INSERT_SQL = `INSERT INTO ${TELEMETRY_TABLE} (device_id, ts, m)
SELECT d, timestamptz 'epoch' + t * interval '1 millisecond', m
FROM json_to_recordset($1::json) AS x(d text, t bigint, m jsonb)
ON CONFLICT DO NOTHING`;

const COPY_SQL = `COPY ${TELEMETRY_TABLE} (device_id, ts, m) FROM STDIN (FORMAT binary)`;
/** signature, flags (no OIDs), header extension length 0 */
const COPY_HEADER = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');
/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in ms since 1970 */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

/**
 * The batch in COPY's binary format: per row a field count (3) and, per field, its byte length
 * and bytes — text as UTF-8, timestamptz as int64 microseconds since 2000-01-01 (exact for ms:
 * |µs| < 2^53), jsonb as version 1 and the JSON text — then the trailer (-1).
 */
export function encodeCopyBinary(batch: readonly PgEncoded[]): Buffer {
  let buf = Buffer.allocUnsafe(batch.length * 160 + 64);
  let o = COPY_HEADER.copy(buf, 0);
  for (const p of batch) {
    const m = JSON.stringify(p.m);
    // 2 + 4 + 4 + 8 + 4 + 1 bytes of framing, ≤ 3 UTF-8 bytes per UTF-16 unit, and the trailer
    const need = 25 + 3 * (p.d.length + m.length);
    if (o + need > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, o + need));
      buf.copy(grown, 0, 0, o);
      buf = grown;
    }
    buf.writeInt16BE(3, o);
    const dl = buf.write(p.d, o + 6, 'utf8');
    buf.writeInt32BE(dl, o + 2);
    o += 6 + dl;
    buf.writeInt32BE(8, o);
    const us = (p.t - PG_EPOCH_MS) * 1000;
    const hi = Math.floor(us / TWO_32);
    buf.writeInt32BE(hi, o + 4);
    buf.writeUInt32BE(us - hi * TWO_32, o + 8);
    o += 12;
    buf[o + 4] = 1;
    const ml = buf.write(m, o + 5, 'utf8');
    buf.writeInt32BE(ml + 1, o);
    o += 5 + ml;
  }
  buf.writeInt16BE(-1, o);
  return buf.subarray(0, o + 2);
}

// A metric's numeric value: numbers as they are, booleans as 0/1 (the mean of a boolean is the
// fraction of time it was true), strings not averaged.
const NUM = `CASE jsonb_typeof(m -> $2) WHEN 'number' THEN (m ->> $2)::float8 WHEN 'boolean' THEN (m -> $2)::boolean::int END`;
/** The same for one value of jsonb_each (the same text → float8 conversion, so the same double). */
const NUM_V = `CASE jsonb_typeof(e.v) WHEN 'number' THEN (e.v #>> '{}')::float8 WHEN 'boolean' THEN e.v::boolean::int END`;

// Buckets aligned to multiples of step since the epoch, like InfluxQL's GROUP BY time(). The
// range [from, to) is split (chartPlan) into raw intervals — a range scan of the primary key
// (device_id, ts) in the partitions they touch — and rollup intervals — a range scan of msg_1m's
// primary key (device_id, t). Each part yields (bucket, sum, count); the mean is
// Σsum / Σcount. For a bucket of raw rows only that is exactly avg(): PostgreSQL's float8 avg is
// the running sum divided by the count (float8_accum). Rolled-up minutes add the same values in
// another order, so a mean can differ in the last bit of the double. extract(epoch) is exact
// numeric on PG ≥ 14.
const RAW_PART = (
  lo: string,
  hi: string,
) => `SELECT (floor(extract(epoch from ts) * 1000 / $3::numeric) * $3::numeric)::float8 AS b, sum(${NUM}) AS s, count(${NUM}) AS n
  FROM ${TELEMETRY_TABLE}
  WHERE device_id = $1
    AND ts >= timestamptz 'epoch' + ${lo}::bigint * interval '1 millisecond'
    AND ts <  timestamptz 'epoch' + ${hi}::bigint * interval '1 millisecond'
    AND m ? $2
  GROUP BY 1`;
// The sums went through jsonb as the shortest text that reads back as the same double (float8out,
// PG ≥ 12), so (… ->> 0)::float8 is the sum the job computed.
const ROLLUP_PART = (
  lo: string,
  hi: string,
) => `SELECT (floor(t / $3::numeric) * $3::numeric)::float8 AS b, sum((m -> $2 ->> 0)::float8) AS s, sum((m -> $2 ->> 1)::bigint) AS n
  FROM ${ROLLUP_TABLE}
  WHERE device_id = $1 AND t >= ${lo}::bigint AND t < ${hi}::bigint AND m ? $2
  GROUP BY 1`;
const bucketsSql = (raw: number, rollup: number): string => {
  const parts: string[] = [];
  let p = 4;
  for (let i = 0; i < raw; i++, p += 2) parts.push(RAW_PART(`$${p}`, `$${p + 1}`));
  for (let i = 0; i < rollup; i++, p += 2) parts.push(ROLLUP_PART(`$${p}`, `$${p + 1}`));
  return `SELECT b, sum(s) / nullif(sum(n), 0)::float8 AS v FROM (\n${parts.join('\nUNION ALL\n')}\n) x GROUP BY b ORDER BY b`;
};

/** Hours of [lo, hi] whose rollup is complete and not dirty. */
const DONE_HOURS_SQL = `SELECT hour FROM ${TELEMETRY_SCHEMA}.rollup_hour r WHERE hour BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM ${TELEMETRY_SCHEMA}.rollup_dirty d WHERE d.hour = r.hour)`;

/**
 * Split [from, to) into raw intervals and rollup intervals (ms). Rolled-up hours are read from the
 * rollup only for whole minutes inside the range, and only when step is a whole number of
 * minutes (each minute then lies inside one bucket); everything else is raw. Adjacent intervals
 * of the same kind are merged.
 */
export function chartPlan(
  from: number,
  to: number,
  step: number,
  done: ReadonlySet<number>,
): { raw: Array<[number, number]>; rollup: Array<[number, number]> } {
  const raw: Array<[number, number]> = [];
  const rollup: Array<[number, number]> = [];
  const add = (list: Array<[number, number]>, lo: number, hi: number): void => {
    if (lo >= hi) return;
    const last = list[list.length - 1];
    if (last && last[1] === lo) last[1] = hi;
    else list.push([lo, hi]);
  };
  if (to <= from) return { raw, rollup };
  if (step % MINUTE_MS !== 0 || done.size === 0) {
    add(raw, from, to);
    return { raw, rollup };
  }
  for (let h = hourOf(from); h <= hourOf(to - 1); h++) {
    const lo = Math.max(from, h * HOUR_MS);
    const hi = Math.min(to, (h + 1) * HOUR_MS);
    const a = Math.ceil(lo / MINUTE_MS) * MINUTE_MS;
    const b = Math.floor(hi / MINUTE_MS) * MINUTE_MS;
    if (done.has(h) && a < b) {
      add(raw, lo, a);
      add(rollup, a, b);
      add(raw, b, hi);
    } else {
      add(raw, lo, hi);
    }
  }
  return { raw, rollup };
}

const LATEST_SQL = `SELECT DISTINCT ON (e.k) e.k AS metric, (extract(epoch from r.ts) * 1000)::float8 AS t, e.v AS value
FROM (SELECT ts, m FROM ${TELEMETRY_TABLE} WHERE device_id = $1 ORDER BY ts DESC LIMIT ${LATEST_WINDOW}) r,
     jsonb_each(r.m) AS e(k, v)
ORDER BY e.k, r.ts DESC`;

const PARTITIONS_SQL = `SELECT c.relname AS name FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace n ON n.oid = p.relnamespace
WHERE n.nspname = '${TELEMETRY_SCHEMA}' AND p.relname = 'msg'`;

const SWEEP_SQL = `DELETE FROM ${TELEMETRY_TABLE} WHERE ctid = ANY(ARRAY(
  SELECT ctid FROM ${TELEMETRY_TABLE} WHERE ts < timestamptz 'epoch' + $1::bigint * interval '1 millisecond' LIMIT ${SWEEP_CHUNK}))`;

/** The legacy table (one row per metric): moved into telemetry.msg at start, chunk by chunk. */
const LEGACY_MOVE_SQL = `WITH moved AS (
  DELETE FROM "TelemetryPoint" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "TelemetryPoint" LIMIT 50000))
  RETURNING "deviceId", metric, ts, value, text)
INSERT INTO ${TELEMETRY_TABLE} (device_id, ts, m)
SELECT "deviceId", ts, jsonb_object_agg(metric, CASE WHEN text IS NOT NULL THEN to_jsonb(text) ELSE to_jsonb(value) END)
FROM moved WHERE ts >= timestamptz 'epoch' + $1::bigint * interval '1 millisecond' AND (text IS NOT NULL OR value IS NOT NULL)
GROUP BY 1, 2
ON CONFLICT (device_id, ts) DO UPDATE SET m = ${TELEMETRY_TABLE}.m || excluded.m`;

/** The rollup of one hour of the raw table (its hash aggregate stays small: ~ devices × metrics × 60 groups). */
const ROLLUP_HOUR_SQL = `INSERT INTO ${ROLLUP_TABLE} (device_id, t, m)
SELECT device_id, t, jsonb_object_agg(k, jsonb_build_array(s, n))
FROM (SELECT r.device_id, (floor(extract(epoch from r.ts) / 60) * ${MINUTE_MS})::bigint AS t, e.k, sum(${NUM_V}) AS s, count(${NUM_V}) AS n
      FROM ${TELEMETRY_TABLE} r, jsonb_each(r.m) AS e(k, v)
      WHERE r.ts >= timestamptz 'epoch' + $1::bigint * interval '1 millisecond'
        AND r.ts <  timestamptz 'epoch' + $2::bigint * interval '1 millisecond'
      GROUP BY 1, 2, 3) x
GROUP BY 1, 2
ORDER BY 1, 2`;

/** Postgres NUL bytes are invalid in text and jsonb; they would poison a whole batch. */
const clean = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

/** Day number (UTC) of a ms timestamp, and the partition that holds it. */
const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
export const partitionName = (day: number): string => `msg_${new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')}`;
const dayOfPartition = (name: string, prefix = 'msg'): number | null => {
  const m = new RegExp(`^${prefix}_(\\d{4})(\\d{2})(\\d{2})$`).exec(name);
  return m ? dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
};
/** The rollup partition of a day: msg_1m_YYYYMMDD. */
export const rollupPartitionName = (day: number): string => `msg_1m_${partitionName(day).slice(4)}`;
const ROLLUP_PARTITIONS_SQL = PARTITIONS_SQL.replace(`p.relname = 'msg'`, `p.relname = 'msg_1m'`);

export interface EmbeddedOptions {
  /** how often the rollup job looks for closed hours to roll up (ms; 0 = never) */
  rollupEveryMs?: number;
  /** an hour is closed (rolled up) this long after its end (ms) */
  rollupGraceMs?: number;
}

/** What one run of the rollup job did (also the job's log line). */
export interface RollupRun {
  /** false: another instance held the job's lock, nothing done */
  ran: boolean;
  /** per day (YYYY-MM-DD): hours built, of which rebuilt (they were dirty), rows written, time taken */
  built: Array<{ day: string; hours: number; rebuilt: number; rows: number; ms: number }>;
}

export class EmbeddedPgBackend implements TelemetryBackend<PgEncoded> {
  readonly name: TelemetryBackendName = 'embedded-pg';
  private readonly pool: pg.Pool;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  /** days whose partition is known to exist */
  private readonly days = new Set<number>();
  private schemaReady: Promise<void> | null = null;
  private rollupTimer: NodeJS.Timeout | null = null;
  private rollingUp: Promise<RollupRun> | null = null;
  private rollupClient: pg.Client | null = null;
  private readonly rollupEveryMs: number;
  private readonly rollupGraceMs: number;
  readonly rollupStats: RollupStats = { runs: 0, hours: 0, failures: 0, lastRunAt: null };
  /** batches COPY refused and the INSERT stored instead (see copy()) */
  insertFallbacks = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly retentionMs: number = EMBEDDED_RETENTION_MS,
    timeoutMs = 10_000,
    opts: EmbeddedOptions = {},
  ) {
    this.rollupEveryMs = opts.rollupEveryMs ?? ROLLUP_EVERY_MS;
    this.rollupGraceMs = opts.rollupGraceMs ?? ROLLUP_GRACE_MS;
    // A small pool of its own: telemetry writes must not starve the API's connections (and
    // vice versa). One batch is in flight at a time; the second connection serves queries.
    this.pool = createPool(
      'telemetry',
      { connectionString: databaseUrl, max: 3, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs * 3 },
      this.log,
    );
  }

  async start(): Promise<void> {
    this.sweepTimer = setInterval(() => void this.sweep(), RETENTION_SWEEP_EVERY_MS);
    this.sweepTimer.unref();
    // Fails (and the store logs it, retrying at the next write) when the DB is down.
    await this.ensureSchema();
    await this.moveLegacy();
    void this.sweep();
    if (this.rollupEveryMs > 0) {
      this.rollupTimer = setInterval(() => void this.rollup().catch(() => undefined), this.rollupEveryMs);
      this.rollupTimer.unref();
      void this.rollup().catch(() => undefined);
    }
  }

  /** The schema, the parent table and the partitions that exist (idempotent; concurrent hubs race safely). */
  private ensureSchema(): Promise<void> {
    this.schemaReady ??= (async () => {
      // Only when something is missing (a new database, or an upgrade that adds a table): even
      // with the index in place, `CREATE INDEX IF NOT EXISTS` share-locks telemetry.msg and every
      // partition before it looks, so each hub start would hold up the other hubs' inserts.
      const have = await this.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM unnest($1::text[]) AS o WHERE to_regclass(o) IS NOT NULL',
        [SCHEMA_OBJECTS],
      );
      if (have.rows[0]?.n !== SCHEMA_OBJECTS.length) for (const sql of SCHEMA_SQL) await this.ddl(sql);
      const r = await this.pool.query<{ name: string }>(PARTITIONS_SQL);
      for (const row of r.rows) {
        const d = dayOfPartition(row.name);
        if (d !== null) this.days.add(d);
      }
    })().catch((err: unknown) => {
      this.schemaReady = null;
      throw err;
    });
    return this.schemaReady;
  }

  /**
   * DDL that another hub (or an earlier attempt) may have run already. `IF NOT EXISTS` alone does
   * not make concurrent creates safe: two hubs starting together on an empty database both pass
   * the check, and the loser fails on the catalog's unique index (23505) or on the table's row
   * type (42710 `type "rollup_hour" already exists`: 4 of 30 tries with three stores starting at
   * once). So every hub's DDL runs under one transaction-scoped advisory lock, and the second
   * sees the first's committed tables. "Already exists" is still success, for a hub of an earlier
   * version that creates without the lock.
   */
  private async ddl(sql: string): Promise<void> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [DDL_LOCK]);
      await c.query(sql);
      await c.query('COMMIT');
    } catch (err) {
      // a connection that cannot even roll back is not returned to the pool
      await c.query('ROLLBACK').catch(() => (broken = true));
      const code = (err as { code?: string }).code;
      // 42P07 duplicate table, 42P06 duplicate schema, 42710 duplicate object (the row type), 23505 catalog key
      if (code !== '42P07' && code !== '42P06' && code !== '42710' && code !== '23505') throw err;
    } finally {
      c.release(broken);
    }
  }

  private async ensurePartition(day: number): Promise<void> {
    if (this.days.has(day)) return;
    const from = new Date(day * DAY_MS).toISOString();
    const to = new Date((day + 1) * DAY_MS).toISOString();
    await this.ddl(
      `CREATE TABLE IF NOT EXISTS ${TELEMETRY_SCHEMA}.${partitionName(day)} PARTITION OF ${TELEMETRY_TABLE} FOR VALUES FROM ('${from}') TO ('${to}')`,
    );
    this.days.add(day);
  }

  /** Rows of the one-row-per-metric table of earlier versions, moved once (kept within the retention). */
  private async moveLegacy(): Promise<void> {
    const exists = await this.pool.query(`SELECT to_regclass('public."TelemetryPoint"') IS NOT NULL AS e`);
    if (!exists.rows[0]?.e) return;
    const range = await this.pool.query<{ lo: number | null; hi: number | null }>(
      `SELECT (extract(epoch from min(ts)) * 1000)::float8 AS lo, (extract(epoch from max(ts)) * 1000)::float8 AS hi FROM "TelemetryPoint"`,
    );
    const { lo, hi } = range.rows[0]!;
    if (lo === null || hi === null) return;
    const cutoff = Date.now() - this.retentionMs;
    for (let d = dayOf(Math.max(lo, cutoff)); d <= dayOf(hi); d++) await this.ensurePartition(d);
    let moved = 0;
    for (;;) {
      const r = await this.pool.query(LEGACY_MOVE_SQL, [Math.floor(cutoff)]);
      moved += r.rowCount ?? 0;
      const left = await this.pool.query(`SELECT EXISTS (SELECT 1 FROM "TelemetryPoint") AS e`);
      if (!left.rows[0]?.e) break;
    }
    // the moved rows belong to past hours that another hub may have rolled up already
    const h0 = hourOf(Math.max(lo, cutoff));
    await this.markDirty(Array.from({ length: hourOf(hi) - h0 + 1 }, (_, i) => h0 + i));
    this.log.info({ messages: moved }, 'telemetry: moved the one-row-per-metric table into telemetry.msg');
  }

  async ping(): Promise<void> {
    await this.pool.query(`SELECT 1 FROM ${TELEMETRY_TABLE} LIMIT 0`);
  }

  encode(p: TelemetryWrite): PgEncoded | null {
    if (typeof p.ts !== 'number' || !Number.isFinite(p.ts) || p.ts < 0 || p.ts > MAX_TS) return null;
    const m: Record<string, MetricValue> = {};
    let n = 0;
    for (const name in p.metrics) {
      const v = p.metrics[name];
      if (!name) continue;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) continue;
        m[clean(name)] = v;
      } else if (typeof v === 'boolean') {
        m[clean(name)] = v;
      } else if (typeof v === 'string') {
        m[clean(name)] = clean(v);
      } else {
        continue;
      }
      n++;
    }
    if (n === 0) return null;
    return { d: clean(p.deviceId), t: Math.trunc(p.ts), m };
  }

  async send(batch: PgEncoded[]): Promise<SendOutcome | void> {
    try {
      await this.ensureSchema();
      // Points of an hour before this one: it may be rolled up already (by this hub or another),
      // so it is marked dirty AFTER the insert commits (rollupHour relies on that order). One
      // division and comparison per point; on-time batches send nothing more (a batch that
      // straddles the turn of an hour marks the hour before, harmlessly: it is not built until
      // the grace has passed, and building it clears the mark).
      const thisHour = hourOf(Date.now());
      let last = -1;
      let past: number[] | null = null;
      for (const p of batch) {
        const d = dayOf(p.t);
        if (d !== last) await this.ensurePartition((last = d));
        const h = hourOf(p.t);
        if (h < thisHour && !past?.includes(h)) (past ??= []).push(h);
      }
      await this.copy(batch);
      if (past) await this.markDirty(past);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // 23514 "no partition of relation found for row": a partition was dropped under us (a
      // retention sweep of another hub) — forget what we knew and retry.
      if (code === '23514') this.days.clear();
      // SQLSTATE class 22 (data exception) means the rows themselves are bad: retrying cannot
      // help. Everything else (connection, admin shutdown) is transient.
      if (typeof code === 'string' && code.startsWith('22')) {
        this.log.error({ err }, 'postgres refused telemetry batch');
        return { rejected: batch.length };
      }
      throw err;
    }
  }

  /**
   * The batch by COPY; when COPY refuses it for a row already stored (23505) or for a value
   * (class 22), by the INSERT that skips duplicates — whose own class-22 refusal send() reports
   * as rejected rows.
   */
  private async copy(batch: PgEncoded[]): Promise<void> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      await pipeline(Readable.from([encodeCopyBinary(batch)]), c.query(copyFrom(COPY_SQL)));
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string') broken = true; // not the server's answer: the connection is suspect
      if (code !== '23505' && !(typeof code === 'string' && code.startsWith('22'))) throw err;
    } finally {
      c.release(broken);
    }
    this.insertFallbacks++;
    await this.pool.query(INSERT_SQL, [JSON.stringify(batch)]);
  }

  private async markDirty(hours: number[]): Promise<void> {
    if (hours.length === 0) return;
    await this.pool.query(`INSERT INTO ${TELEMETRY_SCHEMA}.rollup_dirty (hour) SELECT unnest($1::int[])`, [hours]);
  }

  async buckets(q: BucketQuery): Promise<Array<[number, number | null]>> {
    await this.ensureSchema();
    const from = Math.floor(q.from);
    const to = Math.ceil(q.to);
    if (to <= from) return [];
    let done = new Set<number>();
    if (q.step % MINUTE_MS === 0) {
      const r = await this.pool.query<{ hour: number }>(DONE_HOURS_SQL, [hourOf(from), hourOf(to - 1)]);
      done = new Set(r.rows.map((x) => x.hour));
    }
    const plan = chartPlan(from, to, q.step, done);
    const params: unknown[] = [q.deviceId, q.metric, q.step];
    for (const [lo, hi] of [...plan.raw, ...plan.rollup]) params.push(lo, hi);
    const r = await this.pool.query<{ b: number; v: number | null }>(bucketsSql(plan.raw.length, plan.rollup.length), params);
    return r.rows.map((row) => [row.b, row.v]);
  }

  /**
   * One run of the rollup job: under a cluster-wide advisory lock (try-lock: when another hub
   * instance is running it, this one skips the round), build the rollup of every closed hour —
   * hour end + grace ≤ now, inside the retention, in a day that has a partition — that has none
   * yet or is dirty, newest first. Idempotent (a built, clean hour is skipped) and restart-safe
   * (each hour is one transaction; a killed run leaves no partial hour, and its lock dies with
   * its connection).
   */
  rollup(now = Date.now()): Promise<RollupRun> {
    this.rollingUp ??= this.rollupOnce(now).finally(() => {
      this.rollingUp = null;
    });
    return this.rollingUp;
  }

  private async rollupOnce(now: number): Promise<RollupRun> {
    const out: RollupRun = { ran: false, built: [] };
    // its own connection, not the pool's: a run takes seconds to minutes (no query_timeout), and
    // the pool's connections stay free for ingest and charts
    const c = new pg.Client({ connectionString: this.databaseUrl, application_name: 'bops-telemetry-rollup' });
    c.on('error', () => undefined); // a lost connection fails the run's next query instead
    this.rollupClient = c;
    try {
      await this.ensureSchema();
      await c.connect();
      const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [ROLLUP_LOCK]);
      if (!lock.rows[0]?.ok) {
        this.log.debug('telemetry rollup: another instance is running it');
        return out;
      }
      out.ran = true;
      const closedBefore = hourOf(now - this.rollupGraceMs); // hours < this one are closed
      const firstKept = hourOf(now - this.retentionMs);
      const parts = await c.query<{ name: string }>(PARTITIONS_SQL);
      const state = await c.query<{ hour: number; dirty: boolean }>(
        `SELECT hour, EXISTS (SELECT 1 FROM ${TELEMETRY_SCHEMA}.rollup_dirty d WHERE d.hour = r.hour) AS dirty FROM ${TELEMETRY_SCHEMA}.rollup_hour r
         WHERE hour >= $1 AND hour < $2`,
        [firstKept, closedBefore],
      );
      const known = new Map(state.rows.map((r) => [r.hour, r.dirty]));
      const days = parts.rows
        .map((r) => dayOfPartition(r.name))
        .filter((d): d is number => d !== null)
        .sort((a, b) => b - a);
      for (const d of days) {
        const t0 = performance.now();
        const done = { day: new Date(d * DAY_MS).toISOString().slice(0, 10), hours: 0, rebuilt: 0, rows: 0, ms: 0 };
        for (let h = d * 24 + 23; h >= d * 24; h--) {
          if (h >= closedBefore || h < firstKept || known.get(h) === false) continue;
          done.rows += await this.rollupHour(c, h);
          done.hours++;
          if (known.has(h)) done.rebuilt++;
          this.rollupStats.hours++;
        }
        if (done.hours === 0) continue;
        // planner statistics for the day's rollup partition now rather than at autovacuum's next visit
        await c.query(`ANALYZE ${TELEMETRY_SCHEMA}.${rollupPartitionName(d)}`);
        done.ms = Math.round(performance.now() - t0);
        out.built.push(done);
      }
      this.rollupStats.runs++;
      this.rollupStats.lastRunAt = Date.now();
      if (out.built.length > 0)
        this.log.info({ built: out.built }, 'telemetry rollup: closed hours rolled up to one row per device and minute');
      else this.log.debug('telemetry rollup: nothing to do');
      return out;
    } catch (err) {
      this.rollupStats.failures++;
      this.log.warn({ err }, 'telemetry rollup failed (will retry at the next run)');
      throw err;
    } finally {
      // ending the session releases the advisory lock (and rolls back an unfinished hour)
      this.rollupClient = null;
      await c.end().catch(() => undefined);
    }
  }

  /**
   * Build (or rebuild) one hour's rollup in one transaction; readers see the old state or the new
   * one. Dirty marks: the highest mark id for the hour is read FIRST, and only marks up to it are
   * deleted at the end. A writer marks after its insert committed, and takes its id after that,
   * so every mark ≤ that id belongs to rows committed before the snapshot of the INSERT … SELECT
   * that follows (READ COMMITTED: a new snapshot per statement) — they are in the rollup; a mark
   * that arrives later stays, and the next run rebuilds the hour. Writers never wait for this
   * transaction (they insert new mark rows, never update these).
   */
  private async rollupHour(c: pg.Client, hour: number): Promise<number> {
    const lo = hour * HOUR_MS;
    const hi = lo + HOUR_MS;
    const day = dayOf(lo);
    const part = `${TELEMETRY_SCHEMA}.${rollupPartitionName(day)}`;
    await c.query('BEGIN');
    try {
      const seen = await c.query<{ id: string | null }>(`SELECT max(id) AS id FROM ${TELEMETRY_SCHEMA}.rollup_dirty WHERE hour = $1`, [
        hour,
      ]);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${part} PARTITION OF ${ROLLUP_TABLE} FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`,
      );
      // a rebuild (dirty hour): DELETE, not TRUNCATE — TRUNCATE's ACCESS EXCLUSIVE lock would block charts
      await c.query(`DELETE FROM ${part} WHERE t >= $1::bigint AND t < $2::bigint`, [lo, hi]);
      const r = await c.query(ROLLUP_HOUR_SQL, [lo, hi]);
      const rows = r.rowCount ?? 0;
      if (seen.rows[0]?.id != null)
        await c.query(`DELETE FROM ${TELEMETRY_SCHEMA}.rollup_dirty WHERE hour = $1 AND id <= $2`, [hour, seen.rows[0].id]);
      await c.query(
        `INSERT INTO ${TELEMETRY_SCHEMA}.rollup_hour (hour, rows) VALUES ($1, $2) ON CONFLICT (hour) DO UPDATE SET rows = excluded.rows, built_at = now()`,
        [hour, rows],
      );
      await c.query('COMMIT');
      return rows;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async latest(deviceId: string): Promise<TelemetryLatest> {
    await this.ensureSchema();
    const r = await this.pool.query<{ metric: string; t: number; value: unknown }>(LATEST_SQL, [deviceId]);
    const out: TelemetryLatest = {};
    for (const row of r.rows) {
      const v = row.value;
      // booleans as 0/1, like the charts (and the API's documented shape for embedded-pg)
      if (typeof v === 'number' || typeof v === 'string') out[row.metric] = { ts: row.t, value: v };
      else if (typeof v === 'boolean') out[row.metric] = { ts: row.t, value: v ? 1 : 0 };
    }
    return out;
  }

  /** Drop partitions older than the retention, then delete the expired rows of the straddling one. Runs at start and hourly. */
  sweep(now = Date.now()): Promise<void> {
    // `.finally` runs after the assignment even if the sweep fails synchronously.
    this.sweeping ??= this.sweepOnce(now).finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepOnce(now: number): Promise<void> {
    try {
      await this.ensureSchema();
      // on a minute boundary: the rollup's minutes are then expired exactly with their raw rows
      const cutoff = Math.floor((now - this.retentionMs) / MINUTE_MS) * MINUTE_MS;
      const parts = await this.pool.query<{ name: string }>(PARTITIONS_SQL);
      const dropped: string[] = [];
      for (const { name } of parts.rows) {
        const d = dayOfPartition(name);
        // a partition holds [day, day + 1): all of it expired once its end is at or before the cutoff
        if (d === null || (d + 1) * DAY_MS > cutoff) continue;
        await this.pool.query(`DROP TABLE IF EXISTS ${TELEMETRY_SCHEMA}.${name}`);
        this.days.delete(d);
        dropped.push(name);
      }
      const rparts = await this.pool.query<{ name: string }>(ROLLUP_PARTITIONS_SQL);
      for (const { name } of rparts.rows) {
        const d = dayOfPartition(name, 'msg_1m');
        if (d === null || (d + 1) * DAY_MS > cutoff) continue;
        await this.pool.query(`DROP TABLE IF EXISTS ${TELEMETRY_SCHEMA}.${name}`);
        dropped.push(name);
      }
      await this.pool.query(`DELETE FROM ${TELEMETRY_SCHEMA}.rollup_hour WHERE hour < $1`, [hourOf(cutoff)]);
      await this.pool.query(`DELETE FROM ${TELEMETRY_SCHEMA}.rollup_dirty WHERE hour < $1`, [hourOf(cutoff)]);
      // the straddling day's rollup: at most 1,440 rows per device
      await this.pool.query(`DELETE FROM ${ROLLUP_TABLE} WHERE t < $1::bigint`, [cutoff]);
      let deleted = 0;
      for (;;) {
        const r = await this.pool.query(SWEEP_SQL, [cutoff]);
        deleted += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < SWEEP_CHUNK) break;
      }
      if (dropped.length > 0 || deleted > 0)
        this.log.info({ dropped, deleted, retentionMs: this.retentionMs }, 'telemetry retention sweep');
    } catch (err) {
      this.log.warn({ err }, 'telemetry retention sweep failed (will retry next hour)');
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    this.rollupTimer = null;
    if (this.sweeping) await this.sweeping;
    // a day being rolled up is abandoned, not waited for: its transaction rolls back with the
    // connection and the next run (this hub's or another's) builds the day again
    if (this.rollingUp) {
      await this.rollupClient?.end().catch(() => undefined);
      await this.rollingUp.catch(() => undefined);
    }
    await this.pool.end();
  }
}
