// The embedded store's rollup of closed hours (issue 12, "chart queries fast"), against a real
// PostgreSQL: the job builds closed hours only (never the open one), is idempotent, runs once
// across instances, a late row makes its hour read from raw rows until the next run rebuilds it,
// and — the point — every chart is the same before and after the maintenance (same buckets,
// same values).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createLogger } from '../../services/core/logger.js';
import { EmbeddedPgBackend, partitionName, rollupPartitionName, type PgEncoded } from '../../services/telemetry/embedded.js';
import { createTelemetryStore, type TelemetryStore, type TelemetryWrite } from '../../services/telemetry/store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'telemetry-rollup-test');
const MIN = 60_000;
const DAY = 86_400_000;
const now = Date.now();
const today = Math.floor(now / DAY);
const HOUR = 3600_000;
const thisHour = Math.floor(now / HOUR);
/** the first hour with data (hour 0 of day −3) */
const first = (today - 3) * 24;
const range = (lo: number, hi: number) => Array.from({ length: hi - lo }, (_, i) => lo + i);
/** data from 3 days before today's midnight (+7 s, not minute-aligned) until a minute ago */
const START = (today - 3) * DAY + 7_000;
const DEVICES = ['el-1', 'el-2'];
const METRICS = ['floor', 'load_kg', 'moving', 'note', 'sparse', 'absent'];

/** Every 37 s per device (several messages per minute, never aligned), values whose sums are exact in binary. */
function fleet(): TelemetryWrite[] {
  const out: TelemetryWrite[] = [];
  let i = 0;
  for (let t = START; t < now - MIN; t += 37_000, i++)
    for (const [k, deviceId] of DEVICES.entries()) {
      const metrics: TelemetryWrite['metrics'] = {
        floor: (i + k) % 17,
        load_kg: ((i * 3 + k) % 40) * 0.25,
        moving: (i + k) % 3 === 0,
        note: `n${i % 5}`,
      };
      if (i % 50 === 0) metrics.sparse = i % 7;
      out.push({ deviceId, building: 'b1', site: 's1', class: 'elevator', ts: t + k * 123, metrics });
    }
  return out;
}

describe('embedded telemetry store — rollup of closed days', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let store: TelemetryStore;
  const backends: EmbeddedPgBackend[] = [];
  const backend = (graceMs: number, retentionMs = 7 * DAY) => {
    // rollupEveryMs 0: no timer, the test runs the job (with its own `now`)
    const b = new EmbeddedPgBackend(db.url, log, retentionMs, 10_000, { rollupEveryMs: 0, rollupGraceMs: graceMs });
    backends.push(b);
    return b;
  };
  const send = async (b: EmbeddedPgBackend, ws: TelemetryWrite[]) => {
    const enc = ws.map((w) => b.encode(w)).filter((x): x is PgEncoded => x !== null);
    for (let i = 0; i < enc.length; i += 2000) await b.send(enc.slice(i, i + 2000));
  };

  /** The charts compared before and after: auto step, whole-minute steps (rollup), a 30 s step (raw only), ragged ends. */
  const queries = () => {
    const qs: Array<{ deviceId: string; metric: string; from: number; to: number; step?: number }> = [];
    const ragged = { from: (today - 2) * DAY + 5 * 3600_000 + 30_500, to: (today - 2) * DAY + 7 * 3600_000 + 10_250 };
    for (const deviceId of DEVICES)
      for (const metric of METRICS) {
        qs.push({ deviceId, metric, from: START - 3600_000 + 12_345, to: now }); // auto step (10 min)
        for (const step of [5 * MIN, 3600_000, DAY, 2 * DAY]) qs.push({ deviceId, metric, from: START - 3600_000 + 12_345, to: now, step });
        // 1-minute buckets over ≤ 3 days + 1 h (< MAX_BUCKETS, whatever the time of day: beyond
        // it the step would be widened to a non-minute value and read raw)
        qs.push({ deviceId, metric, from: START - 3600_000 + 12_345, to: today * DAY + 5 * MIN + 7, step: MIN });
        qs.push({ deviceId, metric, ...ragged, step: MIN });
        qs.push({ deviceId, metric, ...ragged, step: 30_000 });
        // across midnight into today's open partition
        qs.push({ deviceId, metric, from: today * DAY - 2 * 3600_000 - 1, to: now, step: 10 * MIN });
      }
    return qs;
  };
  const charts = async () => {
    const out = [];
    for (const q of queries()) out.push((await store.query(q)).points);
    return out;
  };
  const rollupHours = async () =>
    (await client.query<{ hour: number }>('SELECT hour FROM telemetry.rollup_hour ORDER BY hour')).rows.map((r) => r.hour);
  const hoursBuilt = (runs: Array<{ built: Array<{ hours: number }> }>) => runs.flatMap((r) => r.built).reduce((n, d) => n + d.hours, 0);
  const rollupPartitions = async () =>
    (
      await client.query<{ relname: string }>(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry.msg_1m'::regclass ORDER BY 1`,
      )
    ).rows.map((r) => r.relname);

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    store = createTelemetryStore(
      { kind: 'embedded' },
      { bufferMax: 100_000, batchSize: 2000, flushMs: 50, stopTimeoutMs: 1000, databaseUrl: db.url, log, rollupEveryMs: 0 },
    );
    await store.start();
  });
  afterAll(async () => {
    await store?.stop();
    await Promise.allSettled(backends.map((b) => b.close()));
    await client?.end().catch(() => undefined);
    await db?.drop();
  });

  let before: Array<Array<[number, number | null]>> = [];

  it('builds closed hours only (hour end + grace), once, and leaves every chart as it was', async () => {
    const writer = backend(0);
    await writer.start();
    await send(writer, fleet());
    before = await charts();
    // sanity: the data is there and the charts are not trivially empty
    expect(before[0]!.filter((p) => p[1] !== null).length).toBeGreaterThan(200);

    // a grace that keeps the last two hours open: everything before them is built
    const wide = backend(2 * HOUR + (now % HOUR));
    const r1 = await wide.rollup(now);
    expect(r1.ran).toBe(true);
    expect(hoursBuilt([r1])).toBe(thisHour - 2 - first);
    expect(r1.built.every((d) => d.rows > 0 && d.rebuilt === 0)).toBe(true);
    expect(r1.built[r1.built.length - 1]!.day).toBe(dayText(today - 3)); // newest first
    expect(wide.rollupStats).toMatchObject({ runs: 1, hours: thisHour - 2 - first, failures: 0 });
    expect(await rollupHours()).toEqual(range(first, thisHour - 2));

    // grace 0: the two hours before this one are closed now; nothing is built twice; the open
    // hour never
    const r2 = await writer.rollup(now);
    expect(hoursBuilt([r2])).toBe(2);
    const r3 = await writer.rollup(now);
    expect(r3).toEqual({ ran: true, built: [] });
    expect(await rollupHours()).toEqual(range(first, thisHour));
    const newest = await client.query<{ t: string }>('SELECT max(t) AS t FROM telemetry.msg_1m');
    expect(Number(newest.rows[0]!.t)).toBeLessThan(thisHour * HOUR);
    expect(await rollupPartitions()).toEqual([...new Set(range(first, thisHour).map((h) => Math.floor(h / 24)))].map(rollupPartitionName));

    // one row per device and minute with messages, [sum, count] per metric (minute 0 of day −2, el-1)
    const minute = (today - 2) * DAY;
    const raw = await client.query<{ m: Record<string, unknown> }>(
      `SELECT m FROM telemetry.msg WHERE device_id = 'el-1' AND ts >= $1 AND ts < $2 ORDER BY ts`,
      [new Date(minute), new Date(minute + MIN)],
    );
    const roll = await client.query<{ m: Record<string, [number | null, number]> }>(
      `SELECT m FROM telemetry.msg_1m WHERE device_id = 'el-1' AND t = $1`,
      [minute],
    );
    const floors = raw.rows.map((r) => r.m.floor as number);
    expect(roll.rows[0]!.m.floor).toEqual([floors.reduce((a, b) => a + b, 0), floors.length]);
    expect(roll.rows[0]!.m.note).toEqual([null, 0]); // strings: present, nothing to average

    expect(await charts()).toEqual(before);
  });

  it('serves closed hours from the rollup: deleting their raw rows does not change the charts', async () => {
    // proof that the rollup is what is read (not the raw rows again): the raw rows of day −2 of
    // el-2 go away; its whole-minute charts stay the same except the minute fragments at the
    // ragged range's ends (read raw, now empty); the 30 s charts (raw only) lose the day
    const del = await client.query(`DELETE FROM telemetry.${partitionName(today - 2)} WHERE device_id = 'el-2'`);
    expect(del.rowCount).toBeGreaterThan(0);
    const after = await charts();
    queries().forEach((q, k) => {
      const a = after[k]!;
      const b = before[k]!;
      const ragged = q.from % MIN !== 0 && Math.floor(q.from / DAY) === today - 2;
      if (q.deviceId !== 'el-2' || !ragged) expect(a).toEqual(b);
      else if (q.step === 30_000) expect(a.every((p) => p[1] === null)).toBe(true);
      else {
        expect(a.slice(1, -1)).toEqual(b.slice(1, -1));
        if (q.metric === 'floor') expect([a[0]![1], a[a.length - 1]![1], b[0]![1] !== null]).toEqual([null, null, true]);
      }
    });
    // the rows written again (past hours) mark their hours dirty; the next run rebuilds them
    const writer = backend(0);
    await send(
      writer,
      fleet().filter((w) => w.deviceId === 'el-2' && Math.floor(w.ts / DAY) === today - 2),
    );
    expect((await writer.rollup(now)).built).toEqual([expect.objectContaining({ day: dayText(today - 2), hours: 24, rebuilt: 24 })]);
    expect(await charts()).toEqual(before);
  });

  it('a late row marks its hour dirty: charts include it at once, and the next run rebuilds the hour', async () => {
    const writer = backend(0);
    const late: TelemetryWrite = {
      deviceId: 'el-1',
      building: 'b1',
      site: 's1',
      class: 'elevator',
      ts: (today - 3) * DAY + 10 * 3600_000 + 1,
      metrics: { floor: 1000 },
    };
    await send(writer, [late]);
    const dirty = await client.query<{ hour: number }>('SELECT hour FROM telemetry.rollup_dirty');
    expect(dirty.rows.map((r) => r.hour)).toEqual([first + 10]);
    const q = { deviceId: 'el-1', metric: 'floor', from: (today - 3) * DAY, to: (today - 2) * DAY, step: 3600_000 };
    const withLate = (await store.query(q)).points;
    const hour10 = withLate.find((p) => p[0] === (today - 3) * DAY + 10 * 3600_000)!;
    const hour10Before = (await rawMean('el-1', 'floor', hour10[0], hour10[0] + 3600_000, late.ts))!;
    expect(hour10[1]).toBeGreaterThan(hour10Before); // the 1000 counts
    const run = await writer.rollup(now);
    expect(run.built).toEqual([expect.objectContaining({ day: dayText(today - 3), hours: 1, rebuilt: 1 })]);
    expect((await client.query('SELECT 1 FROM telemetry.rollup_dirty')).rowCount).toBe(0);
    expect((await store.query(q)).points).toEqual(withLate);
  });

  it('several instances: one builds each hour, the others skip or find nothing to do', async () => {
    await client.query('DELETE FROM telemetry.rollup_hour');
    const bs = [backend(0), backend(0), backend(0)];
    const runs = await Promise.all(bs.map((b) => b.rollup(now)));
    expect(hoursBuilt(runs)).toBe(thisHour - first);
    expect(await rollupHours()).toEqual(range(first, thisHour));
    const rolled = await charts();
    expect(rolled).toEqual(await chartsWithLate());
  });

  it('retention drops the rollup of expired days with their raw partitions', async () => {
    const sweeper = backend(0, 2 * DAY);
    await sweeper.sweep(now);
    expect(await rollupPartitions()).not.toContain(rollupPartitionName(today - 3));
    expect((await rollupHours())[0]).toBe(Math.floor((now - 2 * DAY) / HOUR));
    const left = await client.query<{ t: string }>('SELECT min(t) AS t FROM telemetry.msg_1m');
    expect(Number(left.rows[0]!.t)).toBeGreaterThanOrEqual(Math.floor((now - 2 * DAY) / MIN) * MIN);
  });

  /** Mean of a metric over raw rows in [lo, hi), leaving out the row at `without`. */
  async function rawMean(deviceId: string, metric: string, lo: number, hi: number, without: number): Promise<number | null> {
    const r = await client.query<{ v: number | null }>(
      `SELECT avg((m ->> $2)::float8) AS v FROM telemetry.msg WHERE device_id = $1 AND ts >= $3 AND ts < $4 AND ts <> $5 AND m ? $2`,
      [deviceId, metric, new Date(lo), new Date(hi), new Date(without)],
    );
    return r.rows[0]!.v;
  }

  /** The charts once the late row (floor 1000 on day −3) is in: recomputed with every hour read raw. */
  async function chartsWithLate() {
    await client.query('INSERT INTO telemetry.rollup_dirty (hour) SELECT hour FROM telemetry.rollup_hour');
    try {
      return await charts();
    } finally {
      await client.query('DELETE FROM telemetry.rollup_dirty');
    }
  }
});

function dayText(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}
