// Embedded telemetry backend (no INFLUX_URL): the hub's own Postgres, table "TelemetryPoint"
// (prisma/schema.prisma; one row per metric, PK deviceId+metric+ts, index on ts).
//
// Plain `pg` rather than Prisma: a batch is one multi-row INSERT … SELECT FROM unnest(arrays)
// — five array parameters whatever the batch size, so no 65535-parameter limit and one round
// trip per batch. ON CONFLICT DO NOTHING makes a re-sent batch (at-least-once delivery after a
// lost response) harmless. Booleans are stored as 0/1 in "value", strings in "text".
import pg from 'pg';
import type { Logger } from '../core/logger.js';
import type { SendOutcome } from './buffer.js';
import type { BucketQuery, TelemetryBackend, TelemetryBackendName, TelemetryLatest, TelemetryWrite } from './types.js';

/** Embedded telemetry is for charts of the recent past; keep a week so the DB stays small. */
export const EMBEDDED_RETENTION_MS = 7 * 24 * 3600_000;
export const RETENTION_SWEEP_EVERY_MS = 3600_000;
/** Rows deleted per statement: short statements, no long lock on the hot table. */
const SWEEP_CHUNK = 20_000;
const MAX_TS = 8.64e15;

/** One message, flattened: parallel arrays of its metrics. */
export interface PgEncoded {
  deviceId: string;
  ts: number;
  names: string[];
  values: (number | null)[];
  texts: (string | null)[];
}

// ts arrives as bigint ms and is turned into timestamptz exactly (no float seconds rounding).
const INSERT_SQL = `INSERT INTO "TelemetryPoint" ("deviceId", "metric", "ts", "value", "text")
SELECT d, m, timestamptz 'epoch' + t * interval '1 millisecond', v, x
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::text[]) AS u(d, m, t, v, x)
ORDER BY d, m, t
ON CONFLICT DO NOTHING`;

// Buckets aligned to multiples of step since the epoch, like InfluxQL's GROUP BY time(); the
// WHERE clause is served by the primary key (deviceId, metric, ts). extract(epoch) is exact
// numeric on PG ≥ 14; on older versions float8 is still ms-exact for current dates.
const BUCKETS_SQL = `SELECT (floor(extract(epoch from ts) * 1000 / $4) * $4)::float8 AS b, avg(value) AS v
FROM "TelemetryPoint"
WHERE "deviceId" = $1 AND metric = $2
  AND ts >= timestamptz 'epoch' + $3::bigint * interval '1 millisecond'
  AND ts <  timestamptz 'epoch' + $5::bigint * interval '1 millisecond'
GROUP BY 1 ORDER BY 1`;

const LATEST_SQL = `SELECT DISTINCT ON (metric) metric, (extract(epoch from ts) * 1000)::float8 AS t, value, text
FROM "TelemetryPoint" WHERE "deviceId" = $1 ORDER BY metric, ts DESC`;

const SWEEP_SQL = `DELETE FROM "TelemetryPoint" WHERE ctid = ANY(ARRAY(
  SELECT ctid FROM "TelemetryPoint" WHERE ts < timestamptz 'epoch' + $1::bigint * interval '1 millisecond' LIMIT ${SWEEP_CHUNK}))`;

/** Postgres NUL bytes are invalid in text; they would poison a whole batch. */
const clean = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

export class EmbeddedPgBackend implements TelemetryBackend<PgEncoded> {
  readonly name: TelemetryBackendName = 'embedded-pg';
  private readonly pool: pg.Pool;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

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
    // Fails (and the store logs it) when the DB is down or migrations did not run.
    await this.pool.query('SELECT 1 FROM "TelemetryPoint" LIMIT 0');
    void this.sweep();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1 FROM "TelemetryPoint" LIMIT 0');
  }

  encode(p: TelemetryWrite): PgEncoded | null {
    if (typeof p.ts !== 'number' || !Number.isFinite(p.ts) || p.ts < 0 || p.ts > MAX_TS) return null;
    const names: string[] = [];
    const values: (number | null)[] = [];
    const texts: (string | null)[] = [];
    for (const name in p.metrics) {
      const v = p.metrics[name];
      if (!name) continue;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) continue;
        values.push(v);
        texts.push(null);
      } else if (typeof v === 'boolean') {
        values.push(v ? 1 : 0);
        texts.push(null);
      } else if (typeof v === 'string') {
        values.push(null);
        texts.push(clean(v));
      } else {
        continue;
      }
      names.push(clean(name));
    }
    if (names.length === 0) return null;
    return { deviceId: clean(p.deviceId), ts: Math.trunc(p.ts), names, values, texts };
  }

  async send(batch: PgEncoded[]): Promise<SendOutcome | void> {
    const d: string[] = [];
    const m: string[] = [];
    const t: number[] = [];
    const v: (number | null)[] = [];
    const x: (string | null)[] = [];
    for (const p of batch) {
      for (let i = 0; i < p.names.length; i++) {
        d.push(p.deviceId);
        m.push(p.names[i]!);
        t.push(p.ts);
        v.push(p.values[i]!);
        x.push(p.texts[i]!);
      }
    }
    try {
      await this.pool.query(INSERT_SQL, [d, m, t, v, x]);
    } catch (err) {
      // SQLSTATE class 22 (data exception) means the rows themselves are bad: retrying cannot
      // help. Everything else (connection, missing table, admin shutdown) is transient.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('22')) {
        this.log.error({ err }, 'postgres refused telemetry batch');
        return { rejected: batch.length };
      }
      throw err;
    }
  }

  async buckets(q: BucketQuery): Promise<Array<[number, number | null]>> {
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
    const r = await this.pool.query<{ metric: string; t: number; value: number | null; text: string | null }>(LATEST_SQL, [deviceId]);
    const out: TelemetryLatest = {};
    for (const row of r.rows) {
      const value = row.text ?? row.value;
      if (value !== null) out[row.metric] = { ts: row.t, value };
    }
    return out;
  }

  /** Delete rows older than the retention, chunk by chunk. Runs at start and hourly. */
  sweep(now = Date.now()): Promise<void> {
    // `.finally` runs after the assignment even if the sweep fails synchronously.
    this.sweeping ??= this.sweepOnce(now).finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepOnce(now: number): Promise<void> {
    try {
      let total = 0;
      for (;;) {
        const r = await this.pool.query(SWEEP_SQL, [Math.floor(now - this.retentionMs)]);
        total += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < SWEEP_CHUNK) break;
      }
      if (total > 0) this.log.info({ deleted: total, retentionMs: this.retentionMs }, 'telemetry retention sweep');
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
