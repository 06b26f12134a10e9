// The embedded telemetry store's write statement alone (issue 12): PostgreSQL's and the client's
// CPU per row for a 5,000-row batch of 4-metric messages, written as the store writes it now
// (COPY … FROM STDIN (FORMAT binary), services/telemetry/embedded.ts encodeCopyBinary) and as it
// did before (INSERT … SELECT … FROM json_to_recordset($1) ON CONFLICT DO NOTHING), interleaved.
//
//   npx tsx bench/telemetry-copy.ts [--rows 100000] [--reps 3]
//
// One connection; the server's CPU is that backend's utime+stime from /proc (so PostgreSQL must
// run on this machine: MEASURE_PG_ADMIN_URL, default the machine's, a scratch database per run).
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createLogger } from '../services/core/logger.js';
import { EmbeddedPgBackend, encodeCopyBinary, type PgEncoded } from '../services/telemetry/embedded.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, reps: { type: 'string', default: '3' } } });
const N = Number(values.rows);
const BATCH = 5000;
const admin = process.env.MEASURE_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `bench_copy_${process.pid}`;
const a = new pg.Client({ connectionString: admin });
await a.connect();
await a.query(`CREATE DATABASE ${dbName}`);
const url = new URL(admin);
url.pathname = `/${dbName}`;
const store = new EmbeddedPgBackend(url.toString(), createLogger('error', 'bench-copy'), 7 * 86_400_000, 10_000, { rollupEveryMs: 0 });
const c = new pg.Client({ connectionString: url.toString() });
try {
  await store.start();
  let t = Date.now() - 2 * 3600_000;
  const batch = (n: number): PgEncoded[] =>
    Array.from({ length: n }, (_, i) => ({
      d: `dev-${i % 2000}`,
      t: t++,
      m: { voltage: 220 + (i % 7), current: 3.5 + (i % 3) / 10, load: 0.5, door: 'closed' },
    }));
  await store.send(batch(10)); // the day's partition
  await c.connect();
  const pid = (await c.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p;
  /** the backend's CPU, µs (clock ticks of 10 ms) */
  const serverCpu = () => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  };
  const INSERT_SQL = `INSERT INTO telemetry.msg (device_id, ts, m)
    SELECT d, timestamptz 'epoch' + t * interval '1 millisecond', m
    FROM json_to_recordset($1::json) AS x(d text, t bigint, m jsonb) ON CONFLICT DO NOTHING`;
  const ways: Array<[string, (b: PgEncoded[]) => Promise<unknown>]> = [
    ['INSERT json_to_recordset', (b) => c.query(INSERT_SQL, [JSON.stringify(b)])],
    [
      'COPY binary',
      (b) =>
        pipeline(
          Readable.from([encodeCopyBinary(b)]),
          c.query(copyFrom('COPY telemetry.msg (device_id, ts, m) FROM STDIN (FORMAT binary)')),
        ),
    ],
  ];
  console.log('| rep | statement | PostgreSQL µs/row | client µs/row | rows/s |\n|---|---|---|---|---|');
  for (let rep = 1; rep <= Number(values.reps); rep++)
    for (const [name, write] of ways) {
      const batches = Array.from({ length: N / BATCH }, () => batch(BATCH));
      const s0 = serverCpu();
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      for (const b of batches) await write(b);
      const cu = process.cpuUsage(c0);
      const s = (serverCpu() - s0) / N;
      const rate = N / ((performance.now() - w0) / 1000);
      console.log(`| ${rep} | ${name} | ${s.toFixed(1)} | ${((cu.user + cu.system) / N).toFixed(2)} | ${(rate / 1000).toFixed(1)}k |`);
    }
  const n = (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM telemetry.msg')).rows[0]!.n;
  console.log(`rows stored ${n}, expected ${10 + 2 * Number(values.reps) * N}`);
} finally {
  await c.end().catch(() => undefined);
  await store.close();
  await a.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
  await a.end();
}
