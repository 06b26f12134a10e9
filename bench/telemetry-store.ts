// Telemetry store throughput, measured end to end: points go through store.write() (encode +
// buffer) and count only once the backend confirmed them; the stored count is then checked
// with an independent query.
//
//   npx tsx bench/telemetry-store.ts [--backend v1|pg|both] [--points 300000] [--rate 20000] [--seconds 10]
//   npx tsx bench/telemetry-store.ts --backend chart [--rows 5000000] [--devices 100] [--days 7] [--alternatives]   (see benchChart)
//
// Phase "burst": write --points as fast as a producer loop can (yielding every 2000 points, as
// an MQTT handler would), report confirmed points/s. Phase "paced": --rate points/s for
// --seconds; report the confirmed rate, the backlog at the end and the CPU used by this
// process and by the database server (from /proc) — "CPU to spare" on a 2-core machine.
//
// One point = one device message with 4 metrics (3 numbers + 1 boolean), 2000 devices.
// InfluxDB: INFLUX_URL (a 1.x server; BENCH_INFLUX_DB, default bops_bench — dropped first) or an
// influxd spawned on an ephemeral port. Postgres: BENCH_PG_ADMIN_URL (default the machine's
// postgresql://postgres@127.0.0.1:5432/postgres); a scratch database is created, migrated and
// dropped.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createLogger } from '../services/core/logger.js';
import type { Config } from '../services/core/config.js';
import { createTelemetryStore, type TelemetryStore, type TelemetryWrite } from '../services/telemetry/store.js';
import { EmbeddedPgBackend, partitionName } from '../services/telemetry/embedded.js';
import { startInfluxd, type InfluxdHandle } from '../tests/helpers/influx.js';
import { applyMigrations, dropDatabase, withDatabase } from '../prisma/migrate.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    points: { type: 'string', default: '300000' },
    rate: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '10' },
    rows: { type: 'string', default: '5000000' },
    devices: { type: 'string', default: '100' },
    days: { type: 'string', default: '7' },
    alternatives: { type: 'boolean', default: false },
  },
});
const POINTS = Number(args.points);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const DEVICES = 2000;
const log = createLogger(process.env.BENCH_LOG_LEVEL ?? 'warn', 'bench');
// The hub's defaults (services/core/config.ts), with a buffer big enough for the burst.
const TELEMETRY: Config['telemetry'] = { bufferMax: Math.max(500_000, POINTS), flushMs: 500, batchSize: 5000 };

let tsCounter = Date.now() - 3600_000;
function point(i: number): TelemetryWrite {
  // strictly increasing timestamps: no two points share a series+time (which would overwrite)
  const ts = tsCounter++;
  const d = i % DEVICES;
  return {
    deviceId: `pw-${d}`,
    building: `b-${d % 20}`,
    site: 's-1',
    class: 'power',
    ts,
    metrics: { voltage_v: 229 + (i % 7) * 0.5, current_a: 10 + (i % 13), power_kw: 2.3 + (i % 11) / 10, on_generator: i % 97 === 0 },
  };
}

/** CPU seconds (user+system) of a process from /proc/<pid>/stat. */
function procCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}
const selfCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const yieldNow = () => new Promise((r) => setImmediate(r));

async function waitWritten(store: TelemetryStore, target: number, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (store.stats().written < target) {
    if (Date.now() > end) throw new Error(`timeout: written ${store.stats().written} of ${target}`);
    await sleep(5);
  }
}

interface Result {
  backend: string;
  burstPtsPerSec: number;
  pacedTarget: number;
  pacedConfirmedPerSec: number;
  backlogAtEnd: number;
  hubCpuPct: number;
  dbCpuPct: number;
  stored: number;
  expected: number;
  dropped: number;
}

async function run(
  name: string,
  store: TelemetryStore,
  dbCpuSeconds: () => Promise<number>,
  countStored: () => Promise<number>,
): Promise<Result> {
  await store.start();
  let n = 0;
  // burst
  const t0 = performance.now();
  while (n < POINTS) {
    const stop = Math.min(POINTS, n + 2000);
    for (; n < stop; n++) store.write(point(n));
    await yieldNow();
  }
  await store.flush();
  await waitWritten(store, POINTS);
  const burstSec = (performance.now() - t0) / 1000;

  // paced
  const before = store.stats().written;
  const cpu0 = selfCpu();
  const db0 = await dbCpuSeconds();
  const p0 = performance.now();
  const total = RATE * SECONDS;
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - p0) / 1000) * RATE));
    for (; sent < due; sent++) store.write(point(n++));
    await sleep(10);
  }
  const wall = (performance.now() - p0) / 1000;
  const backlog = store.stats().buffered;
  const confirmed = store.stats().written - before;
  const hubCpuPct = ((selfCpu() - cpu0) / wall) * 100;
  const dbCpuPct = (((await dbCpuSeconds()) - db0) / wall) * 100;
  await store.flush();
  const stored = await countStored();
  const s = store.stats();
  await store.stop();
  return {
    backend: name,
    burstPtsPerSec: Math.round(POINTS / burstSec),
    pacedTarget: RATE,
    pacedConfirmedPerSec: Math.round(confirmed / wall),
    backlogAtEnd: backlog,
    hubCpuPct: Math.round(hubCpuPct),
    dbCpuPct: Math.round(dbCpuPct),
    stored,
    expected: n,
    dropped: s.dropped,
  };
}

async function benchInflux(): Promise<Result> {
  let influxd: InfluxdHandle | null = null;
  let url = process.env.INFLUX_URL;
  const db = process.env.BENCH_INFLUX_DB ?? 'bops_bench';
  if (!url) {
    influxd = await startInfluxd({ db });
    url = influxd.url;
  }
  const q = async (query: string) => {
    const res = await fetch(`${url}/query?db=${db}&epoch=ms`, { method: 'POST', body: new URLSearchParams({ q: query }) });
    return (await res.json()) as { results: { series?: { values: unknown[][] }[] }[] };
  };
  try {
    await q(`DROP DATABASE "${db}"`);
    const store = createTelemetryStore({ kind: 'v1', url, db }, { ...TELEMETRY, log });
    // CPU of the spawned influxd only (unknown for an external INFLUX_URL → 0).
    return await run(
      'influx-v1 (InfluxDB 1.6.7)',
      store,
      async () => procCpuSeconds(influxd?.pid()),
      async () => {
        const r = await q('SELECT COUNT("voltage_v") FROM "telemetry"');
        return Number(r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
      },
    );
  } finally {
    await influxd?.stop();
  }
}

async function benchPg(): Promise<Result> {
  const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `bops_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0`);
  const url = withDatabase(adminUrl, name);
  try {
    await applyMigrations(url);
    const store = createTelemetryStore({ kind: 'embedded' }, { ...TELEMETRY, databaseUrl: url, log });
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    // Server-side CPU: the Postgres backends connected to the scratch database.
    const dbCpu = async (): Promise<number> => {
      const r = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [name]);
      return r.rows.reduce((sum, x) => sum + procCpuSeconds(x.pid), 0);
    };
    const res = await run('embedded-pg (PostgreSQL 15, machine)', store, dbCpu, async () => {
      const r = await check.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry.msg WHERE m ? 'voltage_v'`);
      return Number(r.rows[0]!.n);
    });
    await check.end();
    return res;
  } finally {
    await dropDatabase(admin, name).catch(() => undefined);
    await admin.end();
  }
}

/**
 * Chart query of the embedded store with a large table: --rows messages (4 metrics each) spread
 * evenly over --devices devices and the last --days days (7), generated inside PostgreSQL, then the
 * API's query (store.query: auto step) for those days of one device's metric.
 *
 * Generation is fast (≈ 50M rows in minutes, not the ~50 min of inserting into the indexed
 * table): each day partition is filled as a plain table by one INSERT … SELECT over
 * generate_series in arrival order (time, then device — a device's rows interleaved with every
 * other device's, as the hub writes them), then gets its primary key and BRIN index built in one
 * pass each, and is ATTACHed to telemetry.msg.
 *
 * Timings: 20 queries before the maintenance; then the maintenance (the rollup job,
 * EmbeddedPgBackend.rollup); then 20 interleaved pairs — "raw" with every hour marked dirty (the
 * query then reads raw rows only: the plan before maintenance) and "rollup" with the marks
 * removed — alternating which goes first. p50 and max in ms; the buckets of both are compared.
 */
async function benchChart(): Promise<void> {
  const rows = Number(args.rows);
  const devices = Number(args.devices);
  const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `bops_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0`);
  console.log(`  scratch database ${name}`);
  const url = withDatabase(adminUrl, name);
  const DAY = 86_400_000;
  try {
    await applyMigrations(url);
    const now = Date.now();
    const spanDays = Number(args.days);
    const from = now - spanDays * DAY;
    const perDevice = Math.floor(rows / devices);
    const every = (spanDays * DAY) / perDevice; // ms between two messages of a device
    // the schema (parent tables), created by the backend itself
    const setup = new EmbeddedPgBackend(url, log, undefined, undefined, { rollupEveryMs: 0 });
    await setup.start();
    await setup.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('SET maintenance_work_mem = $$512MB$$');
    const t0 = performance.now();
    for (let day = Math.floor(from / DAY); day <= Math.floor(now / DAY); day++) {
      const lo = Math.max(from, day * DAY);
      const hi = Math.min(now + 1, (day + 1) * DAY);
      // message i of every device is at from + 1 + i·every; g = i·devices + device (arrival order)
      const i0 = Math.max(0, Math.floor((lo - from - 1) / every) - 1);
      const i1 = Math.min(perDevice - 1, Math.ceil((hi - from - 1) / every) + 1);
      const part = `telemetry.${partitionName(day)}`;
      const t = performance.now();
      await c.query(`CREATE TABLE ${part} (LIKE telemetry.msg)`);
      const r = await c.query(
        `INSERT INTO ${part} (device_id, ts, m)
         SELECT 'pw-' || (g % $1), ts, jsonb_build_object('voltage_v', 229 + (i % 7) * 0.5, 'current_a', 10 + (i % 13), 'power_kw', 2.3 + (i % 11) / 10.0, 'on_generator', i % 97 = 0)
         FROM (SELECT g, g / $1 AS i, timestamptz 'epoch' + (($2::float8 + (g / $1) * $3::float8)::bigint) * interval '1 millisecond' AS ts
               FROM generate_series($4::bigint, $5::bigint) g) x
         WHERE ts >= timestamptz 'epoch' + $6::bigint * interval '1 millisecond' AND ts < timestamptz 'epoch' + $7::bigint * interval '1 millisecond'`,
        [devices, from + 1, every, i0 * devices, (i1 + 1) * devices - 1, day * DAY, (day + 1) * DAY],
      );
      await c.query(`ALTER TABLE ${part} ADD PRIMARY KEY (device_id, ts)`);
      await c.query(`CREATE INDEX ON ${part} USING brin (ts)`);
      await c.query(
        `ALTER TABLE telemetry.msg ATTACH PARTITION ${part} FOR VALUES FROM ('${new Date(day * DAY).toISOString()}') TO ('${new Date((day + 1) * DAY).toISOString()}')`,
      );
      await c.query(`VACUUM ANALYZE ${part}`);
      console.log(`  ${part}: ${r.rowCount} rows in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
    const size = await c.query<{ n: string; bytes: string; parts: string }>(
      `SELECT (SELECT count(*) FROM telemetry.msg) AS n, count(*) AS parts, pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS bytes FROM pg_inherits WHERE inhparent = 'telemetry.msg'::regclass`,
    );
    const genSec = (performance.now() - t0) / 1000;
    console.log(
      `  ${size.rows[0]!.n} rows (${size.rows[0]!.bytes}, ${size.rows[0]!.parts} day partitions) generated in ${genSec.toFixed(0)} s`,
    );

    // the API's path: store.query → resolveQuery (auto step) → backend.buckets → fillGrid
    const store = createTelemetryStore({ kind: 'embedded' }, { ...TELEMETRY, databaseUrl: url, log, rollupEveryMs: 0 });
    await store.start();
    const chart = async (i: number) => {
      const t = performance.now();
      const s = await store.query({ deviceId: `pw-${i % devices}`, metric: 'voltage_v', from, to: now });
      return { ms: performance.now() - t, points: s.points, step: (s.points[1]?.[0] ?? 0) - (s.points[0]?.[0] ?? 0) };
    };
    const stat = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      return `min ${v[0]!.toFixed(1)}, p50 ${v[Math.floor(v.length / 2)]!.toFixed(1)}, max ${v[v.length - 1]!.toFixed(1)} ms`;
    };
    const before: number[] = [];
    let sample: Awaited<ReturnType<typeof chart>> | null = null;
    for (let i = 0; i < 20; i++) {
      const r = await chart(i);
      before.push(r.ms);
      sample = r;
    }
    const nonEmpty = sample!.points.filter((p) => p[1] !== null).length;
    console.log(
      `chart query, ${spanDays} days of one device's metric (${perDevice} messages, step ${sample!.step / 60_000} min, ${nonEmpty} non-empty buckets), before maintenance: ${stat(before)}`,
    );

    // the maintenance: the rollup job, as the hub runs it (its own backend instance; the store's job is off)
    const job = new EmbeddedPgBackend(url, log, undefined, undefined, { rollupEveryMs: 0 });
    const tm = performance.now();
    const run = await job.rollup(now);
    await job.close();
    const rsize = await c.query<{ bytes: string }>(
      `SELECT pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS bytes FROM pg_inherits WHERE inhparent = 'telemetry.msg_1m'::regclass`,
    );
    console.log(
      `maintenance (rollup of ${run.built.reduce((n, d) => n + d.hours, 0)} closed hours, ${run.built.reduce((n, d) => n + d.rows, 0)} rollup rows, ${rsize.rows[0]!.bytes}) in ${((performance.now() - tm) / 1000).toFixed(0)} s: ${run.built.map((d) => `${d.day} ${d.hours} h ${(d.ms / 1000).toFixed(0)} s`).join(', ')}`,
    );

    const days =
      run.built.length > 0 ? (await c.query<{ hour: number }>('SELECT hour FROM telemetry.rollup_hour')).rows.map((r) => r.hour) : [];
    const raw: number[] = [];
    const rolled: number[] = [];
    let maxDiff = 0;
    let bucketsDiffer = 0;
    for (let i = 0; i < 20; i++) {
      const asRaw = async () => {
        await c.query('INSERT INTO telemetry.rollup_dirty (hour) SELECT unnest($1::int[])', [days]);
        const r = await chart(i);
        await c.query('DELETE FROM telemetry.rollup_dirty');
        raw.push(r.ms);
        return r;
      };
      const asRollup = async () => {
        const r = await chart(i);
        rolled.push(r.ms);
        return r;
      };
      const [a, b] = i % 2 === 0 ? [await asRaw(), await asRollup()] : [await asRollup(), await asRaw()].reverse();
      if (a!.points.length !== b!.points.length) bucketsDiffer++;
      a!.points.forEach(([t, v], k) => {
        const [t2, v2] = b!.points[k] ?? [NaN, null];
        if (t !== t2 || (v === null) !== (v2 === null)) bucketsDiffer++;
        else if (v !== null && v2 !== null) maxDiff = Math.max(maxDiff, Math.abs(v - v2));
      });
    }
    console.log(`after maintenance, 20 interleaved pairs:`);
    console.log(`  raw rows only (every hour marked dirty — the plan before maintenance): ${stat(raw)}`);
    console.log(`  rollup for closed hours + raw for the open hour:                      ${stat(rolled)}`);
    console.log(
      `  buckets differing (time or empty/non-empty): ${bucketsDiffer}; largest difference of a mean: ${maxDiff.toExponential(2)}`,
    );
    if (args.alternatives) await alternatives(c, store, devices, now);
    await c.end();
    await store.stop();
  } finally {
    await dropDatabase(admin, name).catch(() => undefined);
    console.log(`  dropped ${name}`);
    await admin.end();
  }
}

/**
 * --alternatives: the designs not taken, measured on yesterday's partition (a closed day) with the
 * chart of that day (auto step 5 min), 10 devices each: raw rows (the day marked dirty), the
 * rollup, then (a) a covering index (device_id, ts) INCLUDE (m) built CONCURRENTLY + VACUUM
 * (index-only scans), then (b) CLUSTER by the primary key (the covering index dropped first).
 */
async function alternatives(c: pg.Client, store: TelemetryStore, devices: number, now: number): Promise<void> {
  const DAY = 86_400_000;
  const y = Math.floor(now / DAY) - 1;
  const part = `telemetry.${partitionName(y)}`;
  const time = async (label: string, raw: boolean) => {
    if (raw) await c.query('INSERT INTO telemetry.rollup_dirty (hour) SELECT generate_series($1::int, $1::int + 23)', [y * 24]);
    const ms: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await store.query({ deviceId: `pw-${(i * 7) % devices}`, metric: 'voltage_v', from: y * DAY, to: (y + 1) * DAY });
      ms.push(performance.now() - t);
    }
    const plan = await c.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, COSTS OFF) SELECT avg((m ->> 'voltage_v')::float8) FROM ${part} WHERE device_id = 'pw-3' AND m ? 'voltage_v'`,
    );
    if (raw) await c.query('DELETE FROM telemetry.rollup_dirty');
    ms.sort((a, b) => a - b);
    const scan = plan.rows
      .map((r) => r['QUERY PLAN'])
      .filter((l) => /Scan|Heap Fetches/.test(l))
      .map((l) => l.trim().replace(/\s+\(actual.*$/, ''))
      .join('; ');
    console.log(`  ${label}: min ${ms[0]!.toFixed(1)}, p50 ${ms[5]!.toFixed(1)}, max ${ms[9]!.toFixed(1)} ms   [${raw ? scan : 'rollup'}]`);
  };
  const size = async (rel: string) =>
    (await c.query<{ s: string }>(`SELECT pg_size_pretty(pg_relation_size($1::regclass)) AS s`, [rel])).rows[0]!.s;
  console.log(`alternatives, chart of one closed day (${part}, ${await size(part)} heap), 10 devices each:`);
  await time('raw rows, primary key + heap   ', true);
  await time('rollup                          ', false);
  let t = performance.now();
  await c.query(`CREATE INDEX CONCURRENTLY msg_cover ON ${part} (device_id, ts) INCLUDE (m)`);
  await c.query(`VACUUM ANALYZE ${part}`);
  console.log(
    `  (a) covering index built concurrently + VACUUM in ${((performance.now() - t) / 1000).toFixed(0)} s, ${await size('telemetry.msg_cover')}`,
  );
  await time('(a) covering index, index-only', true);
  await c.query('DROP INDEX telemetry.msg_cover');
  t = performance.now();
  const pk = (
    await c.query<{ n: string }>(`SELECT conname AS n FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [part])
  ).rows[0]!.n;
  await c.query(`CLUSTER ${part} USING ${pk}`);
  await c.query(`ANALYZE ${part}`);
  console.log(
    `  (b) CLUSTER (ACCESS EXCLUSIVE lock: reads and writes of the day wait) in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
  await time('(b) clustered by primary key    ', true);
}

if (args.backend === 'chart') {
  await benchChart();
  process.exit(0);
}
const results: Result[] = [];
if (args.backend === 'v1' || args.backend === 'both') results.push(await benchInflux());
if (args.backend === 'pg' || args.backend === 'both') results.push(await benchPg());
console.log(
  `telemetry store bench — ${POINTS} burst points, paced ${RATE}/s for ${SECONDS}s, 4 metrics/point, batch ${TELEMETRY.batchSize}`,
);
console.table(results);
const bad = results.filter((r) => r.stored !== r.expected || r.dropped !== 0);
if (bad.length) {
  console.error('stored count mismatch:', bad.map((r) => r.backend).join(', '));
  process.exitCode = 1;
}
