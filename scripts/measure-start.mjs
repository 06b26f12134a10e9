/* global URL, performance, fetch, setTimeout */
// Start-to-healthy time and idle memory of the hub, compiled vs tsx (docs/operations.md "Build").
//
//   node scripts/measure-start.mjs [--runs 5] [--idle-ms 180000] [--mode compiled|plain|tsx|both|all] [--demo]
//
// Modes: `compiled` runs the bundle with the node flags of package.json's `start` script (what
// `npm start` and the image run); `plain` runs the same bundle with `--enable-source-maps` only,
// so the flags' effect on memory is measured, not assumed; `tsx` runs the TypeScript sources.
// `both` = tsx and compiled, `all` = the three. `--demo` starts the demo estate and its simulated
// fleet (HUB_DEMO=1, the zero-setup default) instead of an empty estate.
//
// Each run starts a hub process on ephemeral ports against DATABASE_URL (default: the machine's
// PostgreSQL, a scratch database per run) — no embedded PostgreSQL, so its initdb/start does
// not swamp the number — with HUB_DEMO=0 (unless --demo), polls GET /api/health/ready until 200 (start-to-ready),
// then reads the process' VmRSS from /proc once a second for --idle-ms and stops it with SIGTERM.
//
// Idle RSS is the median of the samples in the last half of that window: the hub's memory once
// start-up is over. The first seconds after ready are not idle for V8: start-up grew the young
// generation to 2 × 16 MB, and V8's memory reducer gives it back only once allocation has been
// low for a while (its first GC comes ≈ 8 s after the last full one; measured with the demo
// fleet: ≈ 155 MB until 15–18 s after start, ≈ 122 MB after, then a slow rise to ≈ 130 MB, flat
// from ≈ 3 minutes on as the old generation settles — BENCHMARKS.md "Idle memory"). Hence the
// 3-minute default; the line also shows the sample 10 s after ready (the figure earlier rounds
// reported) and the window's maximum, and a window shorter than 40 s is refused.
// Prints one line per run and the medians. Linux only (/proc).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { idleRss, median } from './idle-rss.mjs';
import { startCommand } from './start-command.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'idle-ms': { type: 'string', default: '180000' },
    mode: { type: 'string', default: 'both' },
    demo: { type: 'boolean', default: false },
    'admin-url': { type: 'string', default: process.env.MEASURE_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
  },
});
const runs = Number(values.runs);
const idleMs = Number(values['idle-ms']);
if (!(idleMs >= 40_000)) {
  console.error('--idle-ms must be at least 40000: the first seconds after ready are still start-up (see the header)');
  process.exit(2);
}

const start = startCommand(root);
/** mode → [node flags, extra environment] */
const commands = {
  compiled: [[...start.flags, path.join(root, 'dist/server/hub.mjs')], start.env],
  plain: [['--enable-source-maps', path.join(root, 'dist/server/hub.mjs')], {}],
  tsx: [['--import', 'tsx', path.join(root, 'services/hub/main.ts')], {}],
};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function admin(sql) {
  const c = new pg.Client({ connectionString: values['admin-url'] });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function once(mode, i) {
  const db = `bops_measure_${process.pid}_${mode}_${i}`;
  await admin(`CREATE DATABASE "${db}"`);
  const url = new URL(values['admin-url']);
  url.pathname = `/${db}`;
  const dataDir = fs.mkdtempSync(path.join(root, '.data-measure-'));
  const httpPort = await freePort();
  const [args, startEnv] = commands[mode];
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      ...startEnv,
      DATABASE_URL: url.toString(),
      HUB_DATA_DIR: dataDir,
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: String(httpPort),
      HUB_MQTT_PORT: String(await freePort()),
      HUB_DEMO: values.demo ? '1' : '0',
      HUB_ADMIN_PASSWORD: 'measure-password',
      HUB_LOG_LEVEL: 'warn',
    },
  });
  let liveMs = NaN;
  let healthyMs = NaN;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${mode} exited with ${child.exitCode}`);
      try {
        // live: the process answers (module loading done); ready: database, migrations, broker
        if (Number.isNaN(liveMs) && (await fetch(`http://127.0.0.1:${httpPort}/api/health/live`)).status === 200)
          liveMs = performance.now() - t0;
        const r = await fetch(`http://127.0.0.1:${httpPort}/api/health/ready`);
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    healthyMs = performance.now() - t0;
    const samples = []; // [ms after ready, MB]
    for (let at = 1000; at <= idleMs; at += 1000) {
      await new Promise((r) => setTimeout(r, t0 + healthyMs + at - performance.now()));
      if (child.exitCode !== null) throw new Error(`${mode} exited with ${child.exitCode} while idle`);
      samples.push([at, rssMb(child.pid)]);
    }
    const { rss, at10, max } = idleRss(samples, idleMs);
    console.log(
      `${mode.padEnd(8)} run ${i + 1}: live after ${liveMs.toFixed(0)} ms, ready after ${healthyMs.toFixed(0)} ms, ` +
        `idle RSS ${rss.toFixed(1)} MB (10 s after ready ${at10.toFixed(1)}, max ${max.toFixed(1)})`,
    );
    return { liveMs, healthyMs, rss, at10, max };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    fs.rmSync(dataDir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  }
}

const modes = { both: ['tsx', 'compiled'], all: ['tsx', 'plain', 'compiled'] }[values.mode] ?? [values.mode];
if (modes.some((m) => m !== 'tsx') && !fs.existsSync(path.join(root, 'dist/server/hub.mjs'))) {
  console.error('dist/server/hub.mjs missing: run `npm run build` first');
  process.exit(1);
}
const results = Object.fromEntries(modes.map((m) => [m, []]));
// interleaved, so a busy moment on a shared machine hits both modes alike
for (let i = 0; i < runs; i++) for (const m of modes) results[m].push(await once(m, i));
for (const m of modes) {
  const r = results[m];
  console.log(
    `${m.padEnd(8)} median of ${r.length}: live after ${median(r.map((x) => x.liveMs)).toFixed(0)} ms, ready after ${median(r.map((x) => x.healthyMs)).toFixed(0)} ms, idle RSS ${median(r.map((x) => x.rss)).toFixed(1)} MB (10 s after ready ${median(r.map((x) => x.at10)).toFixed(1)}, max ${median(r.map((x) => x.max)).toFixed(1)})`,
  );
}
