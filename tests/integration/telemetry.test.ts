// Telemetry store against the real things: InfluxDB 1.6.7 (influxd spawned per file on
// ephemeral ports) and PostgreSQL (a fresh migrated database). Covers the round trip, an
// outage with exact recovery, the buffer bound with exact drop counting, and the embedded
// backend's downsampling and retention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createLogger } from '../../services/core/logger.js';
import { createTelemetryStore, type TelemetryStore, type TelemetryWrite } from '../../services/telemetry/store.js';
import { startInfluxd, type InfluxdHandle } from '../helpers/influx.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'telemetry-test');
const MIN = 60_000;
/** A fixed, minute-aligned base in the recent past so expected bucket means are exact. */
const BASE = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;

function msg(deviceId: string, ts: number, metrics: TelemetryWrite['metrics']): TelemetryWrite {
  return { deviceId, building: 'b1', site: 's1', class: 'elevator', ts, metrics };
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** 120 messages, one per second over two minutes: floor = i, moving = (i odd), note string. */
function twoMinutes(deviceId: string): TelemetryWrite[] {
  return Array.from({ length: 120 }, (_, i) =>
    msg(deviceId, BASE + i * 1000, { floor: i, load_kg: 100 + i / 2, moving: i % 2 === 1, door_open: i < 30, note: `n${i}` }),
  );
}

/** Expected mean of floor per 30 s bucket: buckets 0..3 hold i = 30k..30k+29 → mean 30k+14.5. */
const FLOOR_MEANS = [14.5, 44.5, 74.5, 104.5];

describe('telemetry store — InfluxDB 1.6.7 (influx-v1)', () => {
  let influx: InfluxdHandle;
  const stores: TelemetryStore[] = [];
  const newStore = (db: string, over: Partial<{ bufferMax: number; batchSize: number; flushMs: number }> = {}) => {
    const s = createTelemetryStore(
      { kind: 'v1', url: influx.url, db },
      {
        bufferMax: 100_000,
        batchSize: 500,
        flushMs: 50,
        retryMinMs: 50,
        retryMaxMs: 250,
        stopTimeoutMs: 1000,
        requestTimeoutMs: 2000,
        log,
        ...over,
      },
    );
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    influx = await startInfluxd();
  });
  afterAll(async () => {
    // Stop stores while influxd is still up, then the server — also when a test failed.
    await Promise.allSettled(stores.map((s) => s.stop()));
    await influx?.stop();
  });

  it('writes one line per message and reads it back via query() and raw InfluxQL', async () => {
    const store = newStore('roundtrip');
    await store.start();
    for (const m of twoMinutes('el-1')) store.write(m);
    store.write(msg('el-2', BASE, { floor: 99 })); // another device must not leak into el-1's series
    store.write(msg('el-1', BASE, {})); // nothing storable: rejected, counted
    await store.flush();
    expect(store.stats()).toMatchObject({ backend: 'influx-v1', ok: true, written: 121, buffered: 0, dropped: 0, rejected: 1 });

    // raw InfluxQL: tags and typed fields as specified
    const [raw] = await influx.influxql(`SELECT * FROM "telemetry" WHERE "deviceId" = 'el-1' AND time = ${BASE + 3000}ms`, 'roundtrip');
    const s = raw!.series![0]!;
    const row = Object.fromEntries(s.columns.map((c, i) => [c, s.values[0]![i]]));
    expect(row).toMatchObject({
      time: BASE + 3000,
      deviceId: 'el-1',
      building: 'b1',
      site: 's1',
      class: 'elevator',
      floor: 3,
      moving: true,
      note: 'n3',
      load_kg: 101.5,
    });
    const [keys] = await influx.influxql('SHOW FIELD KEYS FROM "telemetry"', 'roundtrip');
    expect(Object.fromEntries(keys!.series![0]!.values as [string, string][])).toMatchObject({
      floor: 'float',
      moving: 'boolean',
      note: 'string',
    });
    expect(await countField(influx, 'roundtrip', 'floor')).toBe(121);

    // query(): mean per 30 s bucket, every bucket present, null where empty
    const q = { deviceId: 'el-1', metric: 'floor', from: BASE, to: BASE + 3 * MIN, step: 30_000 };
    const series = await store.query(q);
    expect(series.points).toEqual([...FLOOR_MEANS.map((v, k) => [BASE + k * 30_000, v]), [BASE + 120_000, null], [BASE + 150_000, null]]);
    // booleans chart as 0/1 means
    const moving = await store.query({ ...q, metric: 'moving' });
    expect(moving.points.slice(0, 4).map((p) => p[1])).toEqual([0.5, 0.5, 0.5, 0.5]);
    const door = await store.query({ ...q, metric: 'door_open' });
    expect(door.points.slice(0, 4).map((p) => p[1])).toEqual([1, 0, 0, 0]);
    // a string metric has no numeric series; an unknown metric is all-null, not an error
    expect((await store.query({ ...q, metric: 'note' })).points.every((p) => p[1] === null)).toBe(true);
    expect((await store.query({ ...q, metric: 'nope' })).points).toHaveLength(6);
    // default range: last hour, ≤ 500 points
    const def = await store.query({ deviceId: 'el-1', metric: 'floor' });
    expect(def.to - def.from).toBe(3600_000);
    expect(def.points.length).toBeLessThanOrEqual(501);
    expect(def.points.filter((p) => p[1] !== null).length).toBeGreaterThan(0);

    const latest = await store.latest('el-1');
    expect(latest.floor).toEqual({ ts: BASE + 119_000, value: 119 });
    expect(latest.moving).toEqual({ ts: BASE + 119_000, value: true });
    expect(latest.door_open).toEqual({ ts: BASE + 119_000, value: false });
  });

  it('counts points refused for a field type conflict as rejected and stores the rest of the batch', async () => {
    const store = newStore('conflict');
    await store.start();
    store.write(msg('el-3', BASE, { floor: 1 }));
    await store.flush();
    store.write(msg('el-3', BASE + 1, { floor: 2 }));
    store.write(msg('el-3', BASE + 2, { floor: 'third' })); // floor is a float field now
    store.write(msg('el-3', BASE + 3, { floor: 4 }));
    await store.flush();
    expect(store.stats()).toMatchObject({ ok: true, written: 3, rejected: 1, buffered: 0, failedBatches: 0 });
    expect(await countField(influx, 'conflict', 'floor')).toBe(3);
  });

  it('recreates the database when it disappears under a running store', async () => {
    const store = newStore('recreate');
    await store.start();
    store.write(msg('el-4', BASE, { floor: 1 }));
    await store.flush();
    await influx.influxql('DROP DATABASE "recreate"');
    store.write(msg('el-4', BASE + 1, { floor: 2 }));
    await store.flush();
    expect(store.stats()).toMatchObject({ ok: true, written: 2, failedBatches: 0 });
    expect(await countField(influx, 'recreate', 'floor')).toBe(1);
  });

  it('buffers through an influxd crash and delivers every point after the restart', async () => {
    const store = newStore('outage');
    await store.start();
    for (let i = 0; i < 1000; i++) store.write(msg('pw-1', BASE + i, { voltage_v: 230 + (i % 5), on_generator: false }));
    await store.flush();
    expect(await countField(influx, 'outage', 'voltage_v')).toBe(1000);

    await influx.kill(); // SIGKILL: a crash, not a clean shutdown
    for (let i = 1000; i < 6000; i++) store.write(msg('pw-1', BASE + i, { voltage_v: 230 + (i % 5), on_generator: i % 2 === 0 }));
    await until(() => store.stats().failedBatches > 0, 5000, 'a failed batch');
    const during = store.stats();
    expect(during.ok).toBe(false);
    expect(during.buffered).toBe(5000);
    expect(during.dropped).toBe(0);
    expect(during.lastError).toBeTruthy();
    await expect(store.flush()).rejects.toThrow();
    // more failures pass while it is down (backoff keeps retrying), nothing leaves the buffer
    const failed = store.stats().failedBatches;
    await until(() => store.stats().failedBatches >= failed + 2, 5000, 'retries');
    expect(store.stats().buffered).toBe(5000);

    await influx.restart(); // same port, same data dir
    await until(() => store.stats().buffered === 0, 10_000, 'buffer drained');
    expect(store.stats()).toMatchObject({ ok: true, written: 6000, dropped: 0, buffered: 0 });
    expect(await countField(influx, 'outage', 'voltage_v')).toBe(6000);
    expect(await countField(influx, 'outage', 'on_generator')).toBe(6000);
  });

  it('drops the oldest points beyond bufferMax, counts them exactly, and delivers the rest', async () => {
    const store = newStore('bound', { bufferMax: 1000, batchSize: 100 });
    await store.start();
    await influx.terminate();
    for (let i = 0; i < 1500; i++) store.write(msg('el-9', BASE + i, { floor: i }));
    expect(store.stats()).toMatchObject({ buffered: 1000, dropped: 500 });
    await until(() => store.stats().failedBatches > 0, 5000, 'a failed batch');
    for (let i = 1500; i < 1600; i++) store.write(msg('el-9', BASE + i, { floor: i }));
    expect(store.stats()).toMatchObject({ buffered: 1000, dropped: 600 });

    await influx.restart();
    await until(() => store.stats().buffered === 0, 10_000, 'buffer drained');
    expect(store.stats()).toMatchObject({ ok: true, written: 1000, dropped: 600 });
    const [r] = await influx.influxql('SELECT COUNT("floor"), MIN("floor"), MAX("floor") FROM "telemetry"', 'bound');
    expect(r!.series![0]!.values[0]!.slice(1)).toEqual([1000, 600, 1599]); // the newest 1000
  });
});

async function countField(influx: InfluxdHandle, db: string, field: string): Promise<number> {
  const [r] = await influx.influxql(`SELECT COUNT("${field}") FROM "telemetry"`, db);
  return Number(r?.series?.[0]?.values?.[0]?.[1] ?? 0);
}

describe('telemetry store — embedded PostgreSQL (embedded-pg)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const stores: TelemetryStore[] = [];
  const newStore = (over: { retentionMs?: number } = {}) => {
    const s = createTelemetryStore(
      { kind: 'embedded' },
      {
        bufferMax: 100_000,
        batchSize: 500,
        flushMs: 50,
        retryMinMs: 50,
        retryMaxMs: 250,
        stopTimeoutMs: 1000,
        databaseUrl: db.url,
        log,
        ...over,
      },
    );
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await Promise.allSettled(stores.map((s) => s.stop()));
    await client?.end().catch(() => undefined);
    await db?.drop();
  });

  it('stores one row per message and answers downsampled queries', async () => {
    const store = newStore();
    await store.start();
    for (const m of twoMinutes('el-1')) store.write(m);
    store.write(msg('el-1', BASE + 5000, { floor: 5 })); // duplicate (deviceId, ts): ignored, no error
    await store.flush();
    expect(store.stats()).toMatchObject({ backend: 'embedded-pg', ok: true, written: 121, buffered: 0, dropped: 0 });

    const rows = await client.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry.msg WHERE device_id = 'el-1'`);
    expect(Number(rows.rows[0]!.n)).toBe(120);
    const keys = await client.query<{ k: string; n: string }>(
      `SELECT k, count(*) AS n FROM telemetry.msg, jsonb_object_keys(m) AS k WHERE device_id = 'el-1' GROUP BY k ORDER BY k`,
    );
    expect(keys.rows.map((r) => [r.k, Number(r.n)])).toEqual([
      ['door_open', 120],
      ['floor', 120],
      ['load_kg', 120],
      ['moving', 120],
      ['note', 120],
    ]);
    const one = await client.query(`SELECT m FROM telemetry.msg WHERE device_id = 'el-1' AND ts = $1`, [new Date(BASE + 3000)]);
    expect(one.rows.map((r: { m: unknown }) => r.m)).toEqual([{ door_open: true, floor: 3, load_kg: 101.5, moving: true, note: 'n3' }]);
    // a day partition and the BRIN index on time exist
    const parts = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry.msg'::regclass`,
    );
    expect(parts.rows.map((r) => r.relname)).toContain(`msg_${new Date(BASE).toISOString().slice(0, 10).replaceAll('-', '')}`);
    const brin = await client.query(`SELECT 1 FROM pg_indexes WHERE schemaname = 'telemetry' AND indexdef ILIKE '%USING brin (ts)%'`);
    expect(brin.rowCount).toBeGreaterThan(0);

    const q = { deviceId: 'el-1', metric: 'floor', from: BASE, to: BASE + 3 * MIN, step: 30_000 };
    const series = await store.query(q);
    expect(series.points).toEqual([...FLOOR_MEANS.map((v, k) => [BASE + k * 30_000, v]), [BASE + 120_000, null], [BASE + 150_000, null]]);
    expect((await store.query({ ...q, metric: 'moving' })).points.slice(0, 4).map((p) => p[1])).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect((await store.query({ ...q, metric: 'note' })).points.every((p) => p[1] === null)).toBe(true);
    // auto step over the last hour: 10 s buckets, each holding 10 one-second readings
    const def = await store.query({ deviceId: 'el-1', metric: 'floor' });
    expect(def.points.length).toBeLessThanOrEqual(501);
    const first = def.points.find((p) => p[0] === BASE);
    expect(first).toEqual([BASE, 4.5]);

    expect((await store.latest('el-1')).floor).toEqual({ ts: BASE + 119_000, value: 119 });
  });

  it('sweeps rows older than the retention', async () => {
    const writer = newStore();
    await writer.start();
    const old = Date.now() - 3 * 86_400_000;
    for (let i = 0; i < 50; i++) writer.write(msg('old-1', old + i, { floor: i }));
    writer.write(msg('old-1', Date.now(), { floor: 1 }));
    await writer.flush();
    const n = async () => Number((await client.query(`SELECT count(*) AS n FROM telemetry.msg WHERE device_id = 'old-1'`)).rows[0].n);
    expect(await n()).toBe(51);
    const sweeper = newStore({ retentionMs: 86_400_000 }); // the sweep runs at start and hourly
    await sweeper.start();
    await until(async () => (await n()) === 1, 5000, 'retention sweep');
  });

  it('moves the rows of the one-row-per-metric table of earlier versions into telemetry.msg at start', async () => {
    const t1 = Date.now() - 60_000;
    await client.query(
      `INSERT INTO "TelemetryPoint" ("deviceId", metric, ts, value, text) VALUES
         ('legacy-1', 'floor', $1, 4, NULL), ('legacy-1', 'moving', $1, 1, NULL), ('legacy-1', 'note', $1, NULL, 'hi'),
         ('legacy-1', 'floor', $2, 5, NULL), ('legacy-1', 'floor', $3, 9, NULL)`,
      [new Date(t1), new Date(t1 + 1000), new Date(Date.now() - 30 * 86_400_000)],
    );
    const store = newStore();
    await store.start();
    const moved = await client.query(
      `SELECT (extract(epoch from ts) * 1000)::float8 AS t, m FROM telemetry.msg WHERE device_id = 'legacy-1' ORDER BY ts`,
    );
    // the 30-day-old row is past the retention: not moved
    expect(moved.rows).toEqual([
      { t: t1, m: { floor: 4, moving: 1, note: 'hi' } },
      { t: t1 + 1000, m: { floor: 5 } },
    ]);
    expect(Number((await client.query(`SELECT count(*) AS n FROM "TelemetryPoint"`)).rows[0].n)).toBe(0);
    expect((await store.latest('legacy-1')).floor).toEqual({ ts: t1 + 1000, value: 5 });
  });

  it('buffers while Postgres is unreachable and reports it', async () => {
    const store = createTelemetryStore(
      { kind: 'embedded' },
      {
        bufferMax: 1000,
        batchSize: 100,
        flushMs: 20,
        retryMinMs: 50,
        retryMaxMs: 100,
        stopTimeoutMs: 200,
        databaseUrl: 'postgresql://postgres@127.0.0.1:1/none',
        requestTimeoutMs: 500,
        log,
      },
    );
    await store.start();
    expect(store.stats().ok).toBe(false);
    for (let i = 0; i < 1200; i++) store.write(msg('x-1', BASE + i, { floor: i }));
    await until(() => store.stats().failedBatches > 0, 5000, 'a failed batch');
    expect(store.stats()).toMatchObject({ ok: false, buffered: 1000, dropped: 200, written: 0 });
    await store.stop();
    expect(store.stats()).toMatchObject({ buffered: 0, dropped: 1200 });
  });
});
