// bench:scale — the hub as 1, 2 and 3 instances on one Redis and one PostgreSQL (issue 13,
// docs/scale-out.md): event throughput, event → dashboard latency, hub CPU per 1,000 events,
// and what Redis adds (one instance with and without REDIS_URL).
//
//   npm run bench:scale
//   BENCH_SCALE_REPS=3 BENCH_SCALE_SECONDS=10 BENCH_SCALE_RATE=200 BENCH_SCALE_DEVICES=20 BENCH_PG_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres
//
// Repetitions are interleaved (BENCHMARKS.md "How it measures"): each repetition runs the four
// setups once, in an order rotated per repetition, so every setup sees the same share of the
// machine's (shared) load; the table gives min/median/max over repetitions and the ratio to the
// single process per repetition. The load average is printed with the numbers.
//
// Every instance is a separate process running the production bundle (scripts/build.mjs);
// Redis is a redis-server of this script's own on a free loopback port. Devices are spread
// round-robin over the instances and send QoS1 `elevator.normal` events (stored, routed, pushed
// live; no incident). One dashboard per instance: the latency is from the device's send time to
// the push arriving at a dashboard — for 2 and 3 instances most pushes cross instances through
// the socket.io redis adapter. Two phases: a fixed offered rate (latency, CPU per 1,000), then
// saturation (each device sends back-to-back, waiting for each PUBACK).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import { startRedisPeer } from './peers/start.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 10);
const RATE = Number(process.env.BENCH_SCALE_RATE ?? 200);
const DEVICES = Number(process.env.BENCH_SCALE_DEVICES ?? 20);
const REPS = Number(process.env.BENCH_SCALE_REPS ?? 3);
/** extra node flags for the hub processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (profiling a setup) */
const NODE_ARGS = (process.env.BENCH_SCALE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** run only these setups (comma-separated labels: 1, 1+R, 2+R, 3+R) */
const ONLY = process.env.BENCH_SCALE_ONLY?.split(',');
const PASSWORD = 'bench-scale-Pass-1';
const bundleDir = path.join(ROOT, 'node_modules', '.cache', `bops-bench-scale-${process.pid}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bops-bench-scale-'));
const procs: ChildProcess[] = [];

function waitOutput(proc: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`${what} did not start: ${out.slice(-2000)}`)), 120_000);
    const on = (b: Buffer) => {
      out += b.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m);
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', (b: Buffer) => void (out += b.toString()));
    proc.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${out.slice(-2000)}`)));
  });
}

interface Hub {
  proc: ChildProcess;
  http: string;
  mqtt: string;
}

async function startHub(databaseUrl: string, redisUrl: string | null, name: string): Promise<Hub> {
  const proc = spawn(process.execPath, [...NODE_ARGS, path.join(bundleDir, 'hub.mjs')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: '0',
      HUB_MQTT_PORT: '0',
      HUB_DEMO: '0',
      DATABASE_URL: databaseUrl,
      ...(redisUrl ? { REDIS_URL: redisUrl, HUB_INSTANCE_ID: name } : {}),
      HUB_ADMIN_PASSWORD: PASSWORD,
      HUB_LOG_LEVEL: 'error',
      HUB_DATA_DIR: path.join(tmp, name),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  const m = await waitOutput(proc, /Dashboard[^\n]*?(http:\/\/[^\s/]+)[\s\S]*MQTT \(TCP\):\s+mqtt:\/\/[^:\s]+:(\d+)/, `hub ${name}`);
  return { proc, http: m[1]!.replace('localhost', '127.0.0.1'), mqtt: `mqtt://127.0.0.1:${m[2]}` };
}

/** user + system CPU time of a process so far, ms (Linux /proc) */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

interface Row {
  setup: string;
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  cpuPer1k: number;
  redisCpuPer1k: number;
  saturation: number;
}

async function run(instances: number, redisUrl: string | null, redisPid: number | null): Promise<Row> {
  const dbName = `bench_scale_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}" TEMPLATE template0`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${dbName}`;
  const hubs: Hub[] = [await startHub(u.toString(), redisUrl, 'h1')];
  for (let i = 2; i <= instances; i++) hubs.push(await startHub(u.toString(), redisUrl, `h${i}`));
  const call = async (method: string, p: string, body?: unknown, token?: string) => {
    const r = await fetch(`${hubs[0]!.http}${p}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.json() as Promise<Record<string, unknown>>;
  };
  const token = (await call('POST', '/api/auth/login', { username: 'admin', password: PASSWORD, token: true })).token as string;
  await call('POST', '/api/sites', { id: 'site-1', name: 'site' }, token);
  await call('POST', '/api/buildings', { id: 'bldg-1', site: 'site-1', name: 'b', floors: 10 }, token);
  const devices: Array<{ id: string; client: MqttClient; seq: number }> = [];
  for (let i = 0; i < DEVICES; i++) {
    const id = `bench-el-${i}`;
    const { secret } = (await call('POST', '/api/devices', { id, site: 'site-1', building: 'bldg-1', class: 'elevator' }, token)) as {
      secret: string;
    };
    const client = await new Promise<MqttClient>((resolve, reject) => {
      const c = mqtt.connect(hubs[i % hubs.length]!.mqtt, { clientId: id, username: id, password: secret, reconnectPeriod: 0 });
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
    devices.push({ id, client, seq: 0 });
  }
  const latencies: number[] = [];
  let measuring = false;
  const sockets: Socket[] = [];
  for (const h of hubs) {
    const s = ioClient(`${h.http}/control-room`, { auth: { token }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((r, j) => {
      s.once('connect', () => r());
      s.once('connect_error', j);
    });
    const take = (e: { ts: number }) => {
      if (measuring) latencies.push(Date.now() - e.ts);
    };
    s.on('device:event', take);
    s.on('device:events', (list: Array<{ ts: number }>) => list.forEach(take));
    sockets.push(s);
  }
  const send = (d: (typeof devices)[number]) =>
    new Promise<void>((resolve, reject) =>
      d.client.publish(
        `bops/v1/site-1/bldg-1/elevator/${d.id}/event`,
        JSON.stringify({ v: 1, id: `e${++d.seq}`, ts: Date.now(), type: 'elevator.normal', data: { floor: 1, doors: 'closed' } }),
        { qos: 1 },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  const pids = hubs.map((h) => h.proc.pid!);
  // phase 1: fixed offered rate
  const cpu0 = pids.map(cpuMs);
  const r0 = redisPid ? cpuMs(redisPid) : 0;
  measuring = true;
  let acked = 0;
  const t0 = Date.now();
  const pending: Array<Promise<void>> = [];
  for (let n = 0; Date.now() - t0 < SECONDS * 1000; n++) {
    const due = t0 + (n * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(devices[n % devices.length]!).then(() => void acked++));
  }
  await Promise.allSettled(pending);
  const elapsed = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500)); // last pushes
  measuring = false;
  const cpu = pids.map(cpuMs).reduce((s, c, i) => s + c - cpu0[i]!, 0);
  const redisCpu = redisPid ? cpuMs(redisPid) - r0 : 0;
  // phase 2: saturation
  let sat = 0;
  const s0 = Date.now();
  await Promise.all(
    devices.map(async (d) => {
      while (Date.now() - s0 < SECONDS * 1000) {
        await send(d);
        sat++;
      }
    }),
  );
  const satRate = sat / ((Date.now() - s0) / 1000);
  for (const s of sockets) s.close();
  for (const d of devices) d.client.end(true);
  for (const h of hubs) {
    await new Promise<void>((r) => {
      h.proc.once('exit', () => r());
      h.proc.kill('SIGTERM');
    });
  }
  const admin2 = new pg.Client({ connectionString: PG_ADMIN });
  await admin2.connect();
  await admin2.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin2.end();
  return {
    setup: `${instances} instance${instances > 1 ? 's' : ''}${redisUrl ? ' + Redis' : ' (single process, no Redis)'}`,
    offered: RATE,
    achieved: acked / elapsed,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    cpuPer1k: (cpu / Math.max(1, acked)) * 1000,
    redisCpuPer1k: (redisCpu / Math.max(1, acked)) * 1000,
    saturation: satRate,
  };
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--server-only', '--outdir', bundleDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  const { child: redis, url: redisUrl } = await startRedisPeer();
  procs.push(redis);
  const label = (x: { n: number; redis: boolean }) => `${x.n}${x.redis ? '+R' : ''}`;
  const setups: Array<{ n: number; redis: boolean }> = [
    { n: 1, redis: false },
    { n: 1, redis: true },
    { n: 2, redis: true },
    { n: 3, redis: true },
  ].filter((x) => !ONLY || ONLY.includes(label(x)));
  /** rows per setup, one per repetition (index = repetition) */
  const rows = new Map<string, Row[]>(setups.map((x) => [label(x), []]));
  const loads: string[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    loads.push(os.loadavg()[0]!.toFixed(1));
    const order = setups.map((_, i) => setups[(i + rep) % setups.length]!);
    for (const x of order) {
      // a fresh Redis state per run (aedes keeps retained messages and wills there)
      if (x.redis) spawnSync('redis-cli', ['-u', redisUrl, 'FLUSHALL']);
      const r = await run(x.n, x.redis ? redisUrl : null, x.redis ? redis.pid! : null);
      rows.get(label(x))![rep] = r;
      console.error(`rep ${rep + 1}/${REPS} ${r.setup}: ${JSON.stringify(r)}`);
    }
  }
  loads.push(os.loadavg()[0]!.toFixed(1));
  const stats = (xs: number[], digits = 0) => {
    const s2 = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
    if (!s2.length) return 'n/a';
    const med = s2[Math.floor(s2.length / 2)]!;
    return `${s2[0]!.toFixed(digits)} / **${med.toFixed(digits)}** / ${s2[s2.length - 1]!.toFixed(digits)}`;
  };
  console.log(
    `\nbench:scale — ${os.cpus().length} cores, ${DEVICES} devices, ${SECONDS} s per phase, ${RATE} events/s offered, ${REPS} interleaved repetitions, QoS1 elevator.normal events, PostgreSQL ${PG_ADMIN.replace(/\/\/.*@/, '//')}`,
  );
  console.log(`load average (1 min) at the start of each repetition and at the end: ${loads.join(', ')}\n`);
  console.log('min / **median** / max over repetitions:\n');
  console.log(
    '| setup | achieved/s | push p50 ms | push p99 ms | hub CPU ms / 1,000 events | Redis CPU ms / 1,000 | saturation events/s |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const x of setups) {
    const rs = rows.get(label(x))!;
    console.log(
      `| ${rs[0]!.setup} | ${stats(rs.map((r) => r.achieved))} | ${stats(
        rs.map((r) => r.p50),
        1,
      )} | ${stats(rs.map((r) => r.p99))} | ${stats(rs.map((r) => r.cpuPer1k))} | ${stats(rs.map((r) => r.redisCpuPer1k))} | ${stats(
        rs.map((r) => r.saturation),
      )} |`,
    );
  }
  const single = rows.get('1');
  if (!single) return; // BENCH_SCALE_ONLY without the single process: no ratios
  console.log('\nper repetition, relative to the single process without Redis (same repetition):\n');
  console.log('| setup | hub + Redis CPU per 1,000 (× single) | saturation (× single) | push p50 (+ ms vs single) |');
  console.log('|---|---|---|---|');
  for (const x of setups.slice(1)) {
    const rs = rows.get(label(x))!;
    const per = (f: (r: Row, s0: Row) => number, digits: number) => rs.map((r, i) => f(r, single[i]!).toFixed(digits)).join(', ');
    console.log(
      `| ${rs[0]!.setup} | ${per((r, s0) => (r.cpuPer1k + r.redisCpuPer1k) / s0.cpuPer1k, 2)} | ${per((r, s0) => r.saturation / s0.saturation, 2)} | ${per(
        (r, s0) => r.p50 - s0.p50,
        1,
      )} |`,
    );
  }
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(bundleDir, { recursive: true, force: true });
  });
