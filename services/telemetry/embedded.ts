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
// - A batch is ONE statement with ONE parameter: the batch as a JSON array, expanded by
//   json_to_recordset. Building that string is one JSON.stringify (V8's fastest serializer),
//   PostgreSQL parses it in C; no per-row parameters, no 65,535-parameter limit, one round trip.
//   (COPY would need a text escaper per field in JS and a stream per batch; measured no faster.)
// The table lives in its own schema, created by the backend (not by a Prisma migration): Prisma's
// schema language has no declarative partitioning, and the partitions are runtime objects anyway.
import pg from 'pg';
import type { Logger } from '../core/logger.js';
import type { SendOutcome } from './buffer.js';
import type { BucketQuery, MetricValue, TelemetryBackend, TelemetryBackendName, TelemetryLatest, TelemetryWrite } from './types.js';

/** Embedded telemetry is for charts of the recent past; keep a week so the DB stays small. */
export const EMBEDDED_RETENTION_MS = 7 * 24 * 3600_000;
export const RETENTION_SWEEP_EVERY_MS = 3600_000;
/** Rows deleted per statement in the partition that straddles the cutoff. */
const SWEEP_CHUNK = 20_000;
const MAX_TS = 8.64e15;
const DAY_MS = 86_400_000;
/** latest(): how many of a device's most recent messages are looked at for the last value of each metric */
const LATEST_WINDOW = 2000;

export const TELEMETRY_SCHEMA = 'telemetry';
export const TELEMETRY_TABLE = 'telemetry.msg';

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
];

// ts arrives as bigint ms and is turned into timestamptz exactly (no float seconds rounding).
const INSERT_SQL = `INSERT INTO ${TELEMETRY_TABLE} (device_id, ts, m)
SELECT d, timestamptz 'epoch' + t * interval '1 millisecond', m
FROM json_to_recordset($1::json) AS x(d text, t bigint, m jsonb)
ON CONFLICT DO NOTHING`;

// A metric's numeric value: numbers as they are, booleans as 0/1 (the mean of a boolean is the
// fraction of time it was true), strings not averaged.
const NUM = `CASE jsonb_typeof(m -> $2) WHEN 'number' THEN (m ->> $2)::float8 WHEN 'boolean' THEN (m -> $2)::boolean::int END`;

// Buckets aligned to multiples of step since the epoch, like InfluxQL's GROUP BY time(); the
// WHERE clause is a range scan of the primary key (device_id, ts) in the partitions the range
// touches. extract(epoch) is exact numeric on PG ≥ 14.
const BUCKETS_SQL = `SELECT (floor(extract(epoch from ts) * 1000 / $4) * $4)::float8 AS b, avg(${NUM}) AS v
FROM ${TELEMETRY_TABLE}
WHERE device_id = $1
  AND ts >= timestamptz 'epoch' + $3::bigint * interval '1 millisecond'
  AND ts <  timestamptz 'epoch' + $5::bigint * interval '1 millisecond'
  AND m ? $2
GROUP BY 1 ORDER BY 1`;

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

/** Postgres NUL bytes are invalid in text and jsonb; they would poison a whole batch. */
const clean = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

/** Day number (UTC) of a ms timestamp, and the partition that holds it. */
const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);
export const partitionName = (day: number): string => `msg_${new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')}`;
const dayOfPartition = (name: string): number | null => {
  const m = /^msg_(\d{4})(\d{2})(\d{2})$/.exec(name);
  return m ? dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
};

export class EmbeddedPgBackend implements TelemetryBackend<PgEncoded> {
  readonly name: TelemetryBackendName = 'embedded-pg';
  private readonly pool: pg.Pool;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  /** days whose partition is known to exist */
  private readonly days = new Set<number>();
  private schemaReady: Promise<void> | null = null;

  constructor(
    databaseUrl: string,
    private readonly log: Logger,
    private readonly retentionMs: number = EMBEDDED_RETENTION_MS,
    timeoutMs = 10_000,
  ) {
    // A small pool of its own: telemetry writes must not starve the API's connections (and
    // vice versa). One batch is in flight at a time; the second connection serves queries.
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 3,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs * 3,
      application_name: 'bops-telemetry',
    });
    // An idle client losing its connection (Postgres restart) must not crash the hub.
    this.pool.on('error', (err: Error & { code?: string }) =>
      this.log.warn({ cause: err.message, code: err.code }, 'telemetry pg pool: idle connection lost'),
    );
  }

  async start(): Promise<void> {
    this.sweepTimer = setInterval(() => void this.sweep(), RETENTION_SWEEP_EVERY_MS);
    this.sweepTimer.unref();
    // Fails (and the store logs it, retrying at the next write) when the DB is down.
    await this.ensureSchema();
    await this.moveLegacy();
    void this.sweep();
  }

  /** The schema, the parent table and the partitions that exist (idempotent; concurrent hubs race safely). */
  private ensureSchema(): Promise<void> {
    this.schemaReady ??= (async () => {
      for (const sql of SCHEMA_SQL) await this.ddl(sql);
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

  /** DDL that another hub (or an earlier attempt) may have run already: "already exists" is success. */
  private async ddl(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // 42P07 duplicate table, 42P06 duplicate schema, 23505 a concurrent CREATE … IF NOT EXISTS
      if (code !== '42P07' && code !== '42P06' && code !== '23505') throw err;
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
      let last = -1;
      for (const p of batch) {
        const d = dayOf(p.t);
        if (d !== last) await this.ensurePartition((last = d));
      }
      await this.pool.query(INSERT_SQL, [JSON.stringify(batch)]);
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

  async buckets(q: BucketQuery): Promise<Array<[number, number | null]>> {
    await this.ensureSchema();
    const r = await this.pool.query<{ b: number; v: number | null }>(BUCKETS_SQL, [
      q.deviceId,
      q.metric,
      Math.floor(q.from),
      q.step,
      Math.ceil(q.to),
    ]);
    return r.rows.map((row) => [row.b, row.v]);
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
      const cutoff = Math.floor(now - this.retentionMs);
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
    if (this.sweeping) await this.sweeping;
    await this.pool.end();
  }
}
