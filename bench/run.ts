// `npm run bench`: the hub against bare MQTT brokers on the same harness (issue 12).
//
// Every target is its own process, started here on ephemeral loopback ports:
//   hub         the compiled hub (`npm run build` → dist/server/hub.mjs) on its zero-setup
//               defaults in a temp data dir: embedded PostgreSQL (a child of the hub), embedded
//               telemetry store. HUB_DEMO=0 (the demo fleet would add its own traffic).
//   hub-influx  the same with INFLUX_URL → a Debian InfluxDB 1.6.7 (`influxd`) started here.
//   aedes       bare aedes 1.2 (bench/peers/aedes.ts, compiled to dist/bench/), no hooks.
//   mosquitto   Debian's /usr/sbin/mosquitto with its own config (never the system one on 1883).
// ONE load generator process (bench/load.ts) drives all of them with the same publishers.
//
// Scenarios (--only, comma separated; default all):
//   telemetry   QoS0 telemetry ceiling, closed loop (outstanding window stepped ×4 until a step
//               gains < 5 %). hub: messages STORED, counted back from the store (embedded:
//               rows of one metric in PostgreSQL; influx: count(floor) in InfluxDB) over the time
//               until the store caught up; peers: messages DELIVERED to an MQTT subscriber.
//   qos1        QoS1 event ceiling, closed loop on PUBACKs. hub: PUBACK means stored in
//               PostgreSQL (checked by counting DeviceEvent rows); peers: delivered to a QoS1
//               subscriber.
//   latency     fixed-rate events (--rates, default 2000,5000/s): event → dashboard socket.io
//               client (hub) vs event → MQTT subscriber (peers), p50/p99/max.
// Repetitions are interleaved (rep 1: every target, rep 2: every target, …; the order rotates)
// and each ratio hub/peer is taken within one repetition; min/median/max over repetitions.
// CPU µs per message and RSS come from /proc for each process (the hub, its PostgreSQL, InfluxDB,
// each peer, the load generator).
//
// Telemetry rules (`npm run bench:rules`, issue 10 "without slowing ingest"): `--rules N` starts a
// second hub, `hub-rules`, with N telemetry rules active (services/devices/rules.ts), measured
// interleaved with the plain `hub` under the same load; the report gives rules/none per repetition.
//
//   npm run bench -- [--reps 3] [--duration 4] [--only telemetry,qos1,latency] [--targets hub,hub-influx,aedes,mosquitto]
//                    [--publishers 100] [--rates 2000,5000] [--latency-idle 0] [--browsers 1] [--json out.json]
//                    [--before <bundle> | --before-plain]
// The hub runs with the node flags and environment of package.json's `start` script (what
// `npm start` and the image run); --before-plain adds the same bundle without them as "before".
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startInfluxd, type InfluxdHandle } from '../tests/helpers/influx.js';
import { startCommand } from '../scripts/start-command.mjs';
import type { Dev, LoadMsg } from './load.js';
import {
  cpuMicrosPerMsg,
  cpuSeconds,
  descendants,
  groupCpuSeconds,
  memory,
  ratios,
  rotation,
  saturated,
  scrape,
  spread,
  treeRssMb,
  type Spread,
  type Step,
} from './stats.js';
import { freePort, startAedesPeer } from './peers/start.js';

const { values: opt } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    duration: { type: 'string', default: '4' },
    only: { type: 'string', default: 'telemetry,qos1,latency' },
    targets: { type: 'string', default: 'hub,hub-influx,aedes,mosquitto' },
    publishers: { type: 'string', default: '100' },
    rates: { type: 'string', default: '2000,5000' },
    'latency-seconds': { type: 'string', default: '8' },
    // seconds every target sits connected and unloaded before each latency run (default 0): the
    // hub as an alarm finds it after a quiet spell — V8's memory reducer has shrunk the young
    // generation and left the heap growing slowly (BENCHMARKS.md "Eighth round"), unlike the hub
    // just started or just loaded by the ceilings
    'latency-idle': { type: 'string', default: '0' },
    browsers: { type: 'string', default: '1' },
    json: { type: 'string' },
    // before/after: a second hub bundle (e.g. built from the previous commit with
    // `node scripts/build.mjs --server-only --outdir dist/before`) measured interleaved with this one
    before: { type: 'string' },
    // before/after of the runtime flags alone: the same bundle as "before", run with plain
    // `node --enable-source-maps` instead of package.json start's flags and environment
    'before-plain': { type: 'boolean', default: false },
    'keep-logs': { type: 'boolean', default: false },
    // N telemetry rules on a second hub (`hub-rules`) measured against the plain one
    rules: { type: 'string', default: '0' },
  },
});
const RULES = Number(opt.rules);
const REPS = Number(opt.reps);
const DURATION = Number(opt.duration);
const ONLY = new Set(opt.only.split(','));
const PUBLISHERS = Number(opt.publishers);
const RATES = opt.rates.split(',').map(Number);
const LAT_S = Number(opt['latency-seconds']);
const LAT_IDLE_S = Number(opt['latency-idle']);
const BROWSERS = Number(opt.browsers);
const MOSQUITTO = '/usr/sbin/mosquitto';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// the admin password policy (services/admin/users.ts): ≥ 10 characters, not containing "admin"
const ADMIN_PW = 'bench-hub-pass-1';
// the largest stays below the hub's telemetry buffer (TELEMETRY_BUFFER_MAX): beyond it the hub drops by design
const TELEMETRY_WINDOWS = [1000, 4000, 16000, 64000, 256000];
// up to 2,048 unacknowledged per publisher: at 12,800 the hub still gained 8–13 % per step (not
// saturated) and so did aedes in some repetitions; the search stops at saturation, not at the list's end
const QOS1_WINDOWS = [50, 200, 800, 3200, 12800, 51200, 204800];

let closes = 0;
/** every process started here: stopped at the end even when a start failed half-way */
const spawned: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';
const k = (n: number) => (Number.isFinite(n) ? `${fmt(n / 1000, 1)}k` : '—');

// ---------------------------------------------------------------------------- load generator

type Reply = Record<string, number | string>;
class Load {
  readonly child: ChildProcess;
  private waiters: Array<{ ok: (m: Reply) => void; fail: (e: Error) => void }> = [];
  constructor() {
    this.child = fork(path.join(root, 'bench/load.ts'), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    this.child.on('message', (m: Reply) => {
      const w = this.waiters.shift();
      if (m.cmd === 'error') w?.fail(new Error(`load generator: ${m.message}`));
      else w?.ok(m);
    });
  }
  next(): Promise<Reply> {
    return new Promise((ok, fail) => this.waiters.push({ ok, fail }));
  }
  ask(m: LoadMsg): Promise<Reply> {
    const p = this.next();
    this.child.send(m);
    return p;
  }
  exit() {
    this.child.send({ cmd: 'exit' } satisfies LoadMsg);
  }
}

// ---------------------------------------------------------------------------- targets

interface Target {
  name: string;
  kind: 'hub' | 'peer';
  pid: number;
  mqttPort: number;
  /** extra processes whose CPU is the target's too (the embedded PostgreSQL, InfluxDB) */
  helpers(): Promise<Record<string, number[]>>;
  idleRssMb: number;
  stop(): Promise<void>;
  // hub only
  http?: string;
  token?: string;
  pool?: pg.Pool;
  influx?: InfluxdHandle;
  devices?: Dev[];
}

async function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(ms)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function settleRss(pid: number): Promise<number> {
  await sleep(3000);
  return (await memory(pid)).rssMb;
}

/** what `npm start` runs the bundle with (package.json scripts.start) — the benchmark measures that */
const START = startCommand(root);
const BEFORE = opt.before ?? (opt['before-plain'] ? 'dist/server/hub.mjs' : undefined);

async function startHub(
  name: string,
  dir: string,
  influx: InfluxdHandle | null,
  bundle = 'dist/server/hub.mjs',
  plain = false,
): Promise<Target> {
  const [httpPort, mqttPort, pgPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = path.join(dir, name);
  await fs.mkdir(dataDir, { recursive: true });
  const log = path.join(dir, `${name}.log`);
  const out = createWriteStream(log);
  // BENCH_HUB_FLAGS / BENCH_BEFORE_FLAGS: extra node flags for the hub targets / the --before
  // targets, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", or one V8 flag against none
  const extra = (process.env[name.endsWith('-before') ? 'BENCH_BEFORE_FLAGS' : 'BENCH_HUB_FLAGS'] ?? '').split(' ').filter(Boolean);
  const flags = [...(plain ? ['--enable-source-maps'] : START.flags), ...extra];
  // BENCH_HUB_ENV / BENCH_BEFORE_ENV: "K=V K=V" settings for the hub targets / the --before
  // targets, e.g. one build against itself with one setting changed (--before dist/server/hub.mjs)
  const settings = (process.env[name.endsWith('-before') ? 'BENCH_BEFORE_ENV' : 'BENCH_HUB_ENV'] ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]);
  const child = spawn(process.execPath, [...flags, path.resolve(root, bundle)], {
    cwd: root,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL|INFLUX_|HUB_)/.test(key))),
      ...(plain ? {} : START.env),
      NODE_ENV: 'production',
      HUB_DEMO: '0',
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: String(httpPort),
      HUB_MQTT_PORT: String(mqttPort),
      HUB_EMBEDDED_PG_PORT: String(pgPort),
      HUB_DATA_DIR: dataDir,
      HUB_ADMIN_PASSWORD: ADMIN_PW,
      HUB_LOG_LEVEL: 'warn',
      ...(influx ? { INFLUX_URL: influx.url, INFLUX_API: '1', INFLUX_DB: influx.db } : {}),
      ...Object.fromEntries(settings),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const http = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}); see ${log}`);
    const ok = await fetch(`${http}/api/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} not ready within 120 s; see ${log}`);
    await sleep(200);
  }
  const pgPassword = (await fs.readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
  const pool = new pg.Pool({ host: '127.0.0.1', port: pgPort, user: 'postgres', password: pgPassword, database: 'bops', max: 2 });
  await pool.query(`INSERT INTO "Site" (id, name) VALUES ('bench', 'bench') ON CONFLICT DO NOTHING`);
  await pool.query(
    `INSERT INTO "Building" (id, "siteId", name, floors) VALUES ('bench-b', 'bench', 'bench tower', 30) ON CONFLICT DO NOTHING`,
  );
  const login = await fetch(`${http}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PW, token: true }),
  });
  if (login.status !== 200) throw new Error(`${name}: login ${login.status} ${await login.text()}`);
  const token = ((await login.json()) as { token: string }).token;
  const devices: Dev[] = [];
  for (let i = 0; i < PUBLISHERS; i++) {
    const id = `bench-el-${i}`;
    const r = await fetch(`${http}/api/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, origin: http, 'content-type': 'application/json' },
      body: JSON.stringify({ id, site: 'bench', building: 'bench-b', class: 'elevator' }),
    });
    if (r.status >= 300) throw new Error(`${name}: provision ${id}: ${r.status} ${await r.text()}`);
    devices.push({ id, secret: ((await r.json()) as { secret: string }).secret, topicBase: `bops/v1/bench/bench-b/elevator/${id}` });
  }
  const pid = child.pid!;
  return {
    name,
    kind: 'hub',
    pid,
    mqttPort,
    http,
    token,
    pool,
    devices,
    ...(influx ? { influx } : {}),
    async helpers() {
      const h: Record<string, number[]> = { postgres: await descendants(pid) };
      const ip = influx?.pid();
      if (ip) h.influxd = [ip];
      return h;
    },
    idleRssMb: await settleRss(pid),
    async stop() {
      await pool.end();
      child.kill('SIGTERM');
      await waitExit(child, 30_000);
      if (!opt['keep-logs']) await fs.rm(log, { force: true });
    },
  };
}

function peerDevices(): Dev[] {
  return Array.from({ length: PUBLISHERS }, (_, i) => ({
    id: `peer-el-${i}`,
    secret: 'x',
    topicBase: `bops/v1/bench/bench-b/elevator/peer-el-${i}`,
  }));
}

async function startAedes(): Promise<Target> {
  const { child, port } = await startAedesPeer(root);
  spawned.push(child);
  return {
    name: 'aedes',
    kind: 'peer',
    pid: child.pid!,
    mqttPort: port,
    helpers: async () => ({}),
    idleRssMb: await settleRss(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 5000);
    },
  };
}

async function startMosquitto(dir: string): Promise<Target | null> {
  if (!existsSync(MOSQUITTO)) {
    console.log(`(${MOSQUITTO} not installed: no Mosquitto column; apt-get install mosquitto)`);
    return null;
  }
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  // Its own listener on an ephemeral loopback port (the system Mosquitto owns 1883). Inflight
  // and queue limits lifted: aedes has none, and a limit of 20 inflight QoS1 messages per
  // subscriber would measure the setting, not the broker.
  await fs.writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'log_dest none',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  spawned.push(child);
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (child.exitCode !== null || i > 100) throw new Error(`mosquitto did not start (exit ${child.exitCode})`);
    await sleep(50);
  }
  return {
    name: 'mosquitto',
    kind: 'peer',
    pid: child.pid!,
    mqttPort: port,
    helpers: async () => ({}),
    idleRssMb: await settleRss(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 5000);
    },
  };
}

/**
 * N rules on the class the bench devices are (elevator), spread over the four metrics they
 * publish, so every telemetry message meets all N. Most never breach (the common case); the
 * `floor > 28` ones breach on 1 message in 30 and end at the next, so the breach state path runs
 * too — with an hour's duration, so no fault (and no incident write) ever comes of it.
 */
async function createRules(t: Target, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const metric = ['floor', 'load_kg', 'moving', 'door_open'][i % 4]!;
    const limits =
      metric === 'floor'
        ? { comparison: 'gt', threshold: i % 8 === 0 ? 28 : 100 + i }
        : metric === 'load_kg'
          ? { comparison: 'outside', low: -1 - i, high: 5000 + i }
          : { comparison: 'gte', threshold: 2 + i };
    const r = await fetch(`${t.http}/api/telemetry-rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, origin: t.http!, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench rule ${i}`, deviceClass: 'elevator', metric, ...limits, durationSeconds: 3600, hysteresis: 0 }),
    });
    if (r.status !== 201) throw new Error(`${t.name}: rule ${i}: ${r.status} ${await r.text()}`);
  }
}

/** hub-rules vs hub, per repetition; and proof that the rules were evaluated (breaches seen). */
async function rulesReport(results: Results, t: Target): Promise<void> {
  const list = (await (await fetch(`${t.http}/api/telemetry-rules`, { headers: { authorization: `Bearer ${t.token}` } })).json()) as Array<{
    breaches: unknown[];
  }>;
  const breaching = list.reduce((n, r) => n + r.breaches.length, 0);
  console.log(
    `\ntelemetry rules: ${RULES} active on hub-rules (${list.length} listed; ${breaching} device breaches in progress at the end)`,
  );
  console.log('| measure | hub, no rules | hub, rules | rules/none per rep |');
  console.log('|---|---|---|---|');
  const x2 = (n: number) => fmt(n, 2);
  for (const [scenario, label, f, show] of [
    ['telemetry', 'QoS0 telemetry stored/s', (r: CeilingResult & LatencyResult) => r.rate, k],
    ['qos1', 'QoS1 events stored/s', (r: CeilingResult & LatencyResult) => r.rate, k],
    ...RATES.map((x) => [
      `latency${x}`,
      `event → dashboard p99 at ${x}/s, ms`,
      (r: CeilingResult & LatencyResult) => r.p99,
      (n: number) => fmt(n, 1),
    ]),
  ] as Array<[string, string, (r: CeilingResult & LatencyResult) => number, (n: number) => string]>) {
    const a = (results[scenario]?.['hub-rules'] ?? []).map((r) => f(r as CeilingResult & LatencyResult));
    const b = (results[scenario]?.hub ?? []).map((r) => f(r as CeilingResult & LatencyResult));
    if (!a.length || !b.length) continue;
    const each = ratios(a, b).map(x2).join(', ');
    console.log(`| ${label} | ${sp(spread(b), show)} | ${sp(spread(a), show)} | **${sp(spread(ratios(a, b)), x2)}** (${each}) |`);
  }
  const cpu = (name: string) => {
    const l = (results.telemetry?.[name] ?? []) as CeilingResult[];
    return l.length ? fmt(spread(l.map((r) => r.cpuUs[name] ?? NaN)).median, 1) : '—';
  };
  console.log(`| hub CPU µs per telemetry message at the ceiling (median) | ${cpu('hub')} | ${cpu('hub-rules')} | |`);
}

// ---------------------------------------------------------------------------- measuring

/** CPU seconds of the target, each helper group and the load generator. */
async function cpuSnapshot(t: Target, load: Load): Promise<Record<string, number>> {
  const snap: Record<string, number> = { [t.name]: await cpuSeconds(t.pid), load: await cpuSeconds(load.child.pid!) };
  for (const [name, pids] of Object.entries(await t.helpers())) snap[name] = await groupCpuSeconds(pids);
  return snap;
}

function cpuPerMsg(a: Record<string, number>, b: Record<string, number>, msgs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(b)) out[key] = cpuMicrosPerMsg(a[key] ?? 0, b[key] ?? 0, msgs);
  return out;
}

/** Messages the hub's store holds (one telemetry message = one value of `floor`). */
async function storedTelemetry(t: Target): Promise<number> {
  if (t.influx) {
    const r = await t.influx.influxql('SELECT count(floor) FROM telemetry', t.influx.db);
    return Number(r[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
  }
  // the store of this build: one row per message (telemetry.msg), or one row per metric before it
  const layout = await t.pool!.query<{ msg: boolean }>(`SELECT to_regclass('telemetry.msg') IS NOT NULL AS msg`);
  const sql = layout.rows[0]!.msg
    ? `SELECT count(*) AS n FROM telemetry.msg`
    : `SELECT count(*) AS n FROM "TelemetryPoint" WHERE metric = 'floor'`;
  const r = await t.pool!.query<{ n: string }>(sql);
  return Number(r.rows[0]!.n);
}
/**
 * What the hub's PostgreSQL did (commits, rows written per table, WAL bytes): the "postgres"
 * CPU per QoS1 event is read against this — the event rows alone, or more (issue 12). The
 * counters are flushed by each backend at most once a second, so over a 3-s step they are
 * approximate.
 */
type PgWork = Map<string, number>;
async function pgWork(t: Target): Promise<PgWork> {
  const r = await t.pool!.query<{ k: string; n: string }>(
    `SELECT 'commits' AS k, xact_commit AS n FROM pg_stat_database WHERE datname = current_database()
     UNION ALL SELECT 'WAL bytes', wal_bytes::bigint FROM pg_stat_wal
     UNION ALL SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables`,
  );
  return new Map(r.rows.map((row) => [row.k, Number(row.n)]));
}
function pgWorkPerEvent(w0: PgWork, w1: PgWork, events: number): string {
  const parts: string[] = [];
  for (const [k, n] of w1) {
    const d = (n - (w0.get(k) ?? 0)) / events;
    if (d >= 0.005) parts.push(`${k} ${fmt(d, k === 'WAL bytes' ? 0 : 2)}`);
  }
  return parts.length ? `; PostgreSQL per event: ${parts.join(', ')}` : '';
}

async function storedEvents(t: Target): Promise<number> {
  const r = await t.pool!.query<{ n: string }>(`SELECT count(*) AS n FROM "DeviceEvent"`);
  return Number(r.rows[0]!.n);
}

interface CeilingResult {
  rate: number;
  window: number;
  cpuUs: Record<string, number>;
  lost: number;
  steps: Step[];
  rssMb: number;
}

/**
 * A hub is measured from rest: the previous step's work — events stored but not yet routed by the
 * incident procedures, the event log's and the telemetry store's queues — is finished first (at
 * most 120 s), so a latency run does not measure the drain of the ceiling before it. The wait is
 * printed when it took longer than a second. Peers keep nothing queued once delivered.
 */
async function settle(t: Target): Promise<void> {
  if (t.kind !== 'hub') return;
  const t0 = performance.now();
  const busy = (m: Map<string, number>) =>
    (m.get('bops_events_unrouted') ?? 0) + (m.get('bops_event_store_backlog') ?? 0) + (m.get('bops_telemetry_buffered') ?? 0);
  for (let m = await scrape(t.http!); busy(m) > 0 && performance.now() - t0 < 120_000; m = await scrape(t.http!)) await sleep(100);
  const waited = (performance.now() - t0) / 1000;
  if (waited > 1) console.log(`    (${t.name}: ${fmt(waited, 1)} s until the previous step's work was done)`);
}

async function ceiling(load: Load, t: Target, kind: 'telemetry' | 'event'): Promise<CeilingResult> {
  const windows = kind === 'telemetry' ? TELEMETRY_WINDOWS : QOS1_WINDOWS;
  const steps: Step[] = [];
  let best: CeilingResult | null = null;
  for (const window of windows) {
    await settle(t);
    const before = t.kind === 'hub' ? await (kind === 'telemetry' ? storedTelemetry(t) : storedEvents(t)) : 0;
    const m0 = t.kind === 'hub' && kind === 'event' ? await scrape(t.http!) : null;
    const w0 = t.kind === 'hub' && kind === 'event' ? await pgWork(t) : null;
    const c0 = await cpuSnapshot(t, load);
    const r = await load.ask({
      cmd: 'ceiling',
      target: t.name,
      kind,
      window,
      seconds: DURATION,
      confirm: t.kind === 'peer' ? 'sub' : kind === 'event' ? 'puback' : 'health',
      ...(t.kind === 'hub' ? { health: { url: t.http!, token: t.token! } } : {}),
    });
    const c1 = await cpuSnapshot(t, load);
    let msgs = Number(r.confirmed);
    if (t.kind === 'hub') {
      // what the store holds, not what the hub says it delivered
      const after = await (kind === 'telemetry' ? storedTelemetry(t) : storedEvents(t));
      msgs = after - before;
    }
    const rate = msgs / (Number(r.ms) / 1000);
    const lost = Number(r.sent) - msgs;
    steps.push({ window, rate });
    const res: CeilingResult = { rate, window, cpuUs: cpuPerMsg(c0, c1, msgs), lost, steps, rssMb: (await memory(t.pid)).rssMb };
    if (!best || rate > best.rate) best = res;
    const m1 = m0 ? await scrape(t.http!) : null; // the hub's group commit over this step
    const w1 = w0 ? await pgWork(t) : null;
    process.stdout.write(
      `    ${t.name} ${kind} window ${window}: ${k(rate)}/s${perCommit(m0, m1, msgs)}${lost ? ` (${fmt(lost)} not confirmed)` : ''}` +
        `${w0 && w1 && msgs > 0 ? pgWorkPerEvent(w0, w1, msgs) : ''}\n`,
    );
    if (Number(r.closes) > closes) console.log(`    (${Number(r.closes) - closes} MQTT connections closed and re-opened during that step)`);
    closes = Number(r.closes);
    if (msgs === 0) throw new Error(`${t.name}: nothing confirmed at window ${window}`);
    if (saturated(steps).stop) break;
  }
  return { ...best!, steps };
}

interface LatencyResult {
  p50: number;
  p99: number;
  max: number;
  received: number;
  expected: number;
  offered: number;
  cpuUs: Record<string, number>;
}

/** " N events/commit" of a hub over one step, from two /metrics scrapes ('' for the peers) */
function perCommit(m0: Map<string, number> | null, m1: Map<string, number> | null, events: number): string {
  const key = 'bops_event_store_batches_total';
  const commits = m0 && m1 ? (m1.get(key) ?? 0) - (m0.get(key) ?? 0) : 0;
  return commits > 0 ? `, ${(events / commits).toFixed(1)} events/commit` : '';
}

/**
 * "; event loop delay p99 … max … ms, GC … ms" of a hub over one run: where a tail is spent when
 * it is not the store. prom-client's loop-delay histogram is reset at each scrape, so the second
 * scrape covers just this run; it records the interval of a 10-ms timer, so 10 ms means no
 * delay. The GC time is the difference of its running sum.
 */
function loopAndGc(m0: Map<string, number>, m1: Map<string, number>): string {
  const ms = (name: string) => (m1.get(name) ?? NaN) * 1000;
  const gc = ((m1.get('nodejs_gc_duration_seconds_sum') ?? 0) - (m0.get('nodejs_gc_duration_seconds_sum') ?? 0)) * 1000;
  return `; hub event loop delay p99 ${fmt(ms('nodejs_eventloop_lag_p99_seconds'), 1)} max ${fmt(ms('nodejs_eventloop_lag_max_seconds'), 1)} ms, GC ${fmt(gc, 0)} ms`;
}

async function latency(load: Load, t: Target, rate: number): Promise<LatencyResult> {
  await settle(t);
  if (LAT_IDLE_S > 0) await sleep(LAT_IDLE_S * 1000);
  const m0 = t.kind === 'hub' ? await scrape(t.http!) : null;
  const c0 = await cpuSnapshot(t, load);
  const r = await load.ask({
    cmd: 'latency',
    target: t.name,
    rate,
    seconds: LAT_S,
    browsers: BROWSERS,
    ...(t.kind === 'hub' ? { via: 'socket', socketUrl: `${t.http}/control-room`, token: t.token! } : { via: 'sub' }),
  });
  const c1 = await cpuSnapshot(t, load);
  const m1 = m0 ? await scrape(t.http!) : null;
  const res = {
    p50: Number(r.p50),
    p99: Number(r.p99),
    max: Number(r.max),
    received: Number(r.received),
    expected: Number(r.expected),
    offered: Number(r.offered),
    cpuUs: cpuPerMsg(c0, c1, Number(r.sent)),
  };
  process.stdout.write(
    `    ${t.name} latency @${rate}/s: p50 ${fmt(res.p50, 1)} p99 ${fmt(res.p99, 1)} max ${fmt(res.max, 1)} ms (${res.received}/${res.expected})${perCommit(m0, m1, Number(r.sent))}` +
      (r.inboundP99 == null ? '' : `; publish → accepted p99 ${fmt(Number(r.inboundP99), 1)} ms`) +
      (r.pubackP99 == null
        ? ''
        : `; PUBACK p99 ${fmt(Number(r.pubackP99), 1)} max ${fmt(Number(r.pubackMax), 1)} ms (${r.pubacks}/${r.sent})`) +
      (m0 && m1 ? loopAndGc(m0, m1) : '') +
      '\n',
  );
  return res;
}

// ---------------------------------------------------------------------------- main

type Results = Record<string, Record<string, Array<CeilingResult | LatencyResult>>>;

async function main(): Promise<void> {
  const wanted = new Set(opt.targets.split(','));
  console.log(
    `bench: ${PUBLISHERS} publishers, ${REPS} interleaved reps, ${DURATION} s per ceiling step, latency ${RATES.join('/')} events/s × ${LAT_S} s${LAT_IDLE_S ? ` each after ${LAT_IDLE_S} s idle` : ''}, ` +
      `${BROWSERS} dashboard client(s); ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}, node ${process.version}`,
  );
  const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--if-stale', '--server-only'], {
    stdio: 'inherit',
    cwd: root,
  });
  if (b.status !== 0) throw new Error('npm run build failed');

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-bench-'));
  await fs.chmod(dir, 0o755);
  const load = new Load();
  await load.next();
  const targets: Target[] = [];
  let influx: InfluxdHandle | null = null;
  let influxBefore: InfluxdHandle | null = null;
  try {
    if (wanted.has('hub')) targets.push(await startHub('hub', dir, null));
    if (BEFORE) targets.push(await startHub('hub-before', dir, null, BEFORE, opt['before-plain']));
    if (RULES > 0) {
      const h = await startHub('hub-rules', dir, null);
      await createRules(h, RULES);
      targets.push(h);
    }
    if (wanted.has('hub-influx') && ONLY.has('telemetry')) {
      influx = await startInfluxd({ db: 'bench' });
      targets.push(await startHub('hub-influx', dir, influx));
      if (BEFORE) {
        // its own database in the same influxd: the two hubs' points are counted apart
        influxBefore = { ...influx, db: 'bench_before' };
        targets.push(await startHub('hub-influx-before', dir, influxBefore, BEFORE, opt['before-plain']));
      }
    }
    if (wanted.has('aedes')) targets.push(await startAedes());
    if (wanted.has('mosquitto')) {
      const m = await startMosquitto(dir);
      if (m) targets.push(m);
    }
    for (const t of targets) {
      await load.ask({
        cmd: 'connect',
        target: t.name,
        url: `mqtt://127.0.0.1:${t.mqttPort}`,
        devices: t.devices ?? peerDevices(),
        subscribe: t.kind === 'peer' ? 1 : null,
      });
    }
    const idle: Record<string, number> = {};
    for (const t of targets) {
      idle[t.name] = t.idleRssMb;
      for (const [h, pids] of Object.entries(await t.helpers())) idle[`${t.name}:${h}`] = await treeRssMb(pids);
    }
    console.log(
      `idle RSS (MB, after start, before load): ${Object.entries(idle)
        .map(([n, v]) => `${n} ${fmt(v)}`)
        .join(', ')}`,
    );

    const results: Results = {};
    const put = (scenario: string, target: string, r: CeilingResult | LatencyResult) => {
      ((results[scenario] ??= {})[target] ??= []).push(r);
    };
    for (let rep = 0; rep < REPS; rep++) {
      console.log(`rep ${rep + 1}/${REPS} (load average ${os.loadavg()[0]!.toFixed(1)})`);
      if (ONLY.has('telemetry')) for (const t of rotation(targets, rep)) put('telemetry', t.name, await ceiling(load, t, 'telemetry'));
      if (ONLY.has('qos1'))
        for (const t of rotation(
          targets.filter((x) => !x.name.startsWith('hub-influx')),
          rep,
        ))
          put('qos1', t.name, await ceiling(load, t, 'event'));
      if (ONLY.has('latency'))
        for (const rate of RATES)
          for (const t of rotation(
            targets.filter((x) => !x.name.startsWith('hub-influx')),
            rep,
          ))
            put(`latency${rate}`, t.name, await latency(load, t, rate));
    }
    report(results, idle, targets);
    const rulesHub = targets.find((t) => t.name === 'hub-rules');
    if (rulesHub) await rulesReport(results, rulesHub);
    if (opt.json) await fs.writeFile(opt.json, JSON.stringify({ when: new Date().toISOString(), opt, idle, results }, null, 1));
  } finally {
    load.exit();
    for (const t of targets) await t.stop().catch((e) => console.error(e));
    for (const c of spawned) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      c.kill('SIGTERM');
      await waitExit(c, 30_000);
    }
    await influx?.stop();
    // --keep-logs: the hubs' logs (e.g. with BENCH_HUB_FLAGS=--trace-gc) outlive the run
    if (opt['keep-logs']) console.log(`logs kept in ${dir}`);
    else await fs.rm(dir, { recursive: true, force: true });
  }
}

const sp = (s: Spread, f: (n: number) => string) =>
  s.n === 0 ? '—' : s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

function report(results: Results, idle: Record<string, number>, targets: Target[]): void {
  const names = targets.map((t) => t.name);
  const series = (scenario: string, target: string, f: (r: CeilingResult & LatencyResult) => number) =>
    (results[scenario]?.[target] ?? []).map((r) => f(r as CeilingResult & LatencyResult));
  const ratio = (scenario: string, a: string, b: string, f: (r: CeilingResult & LatencyResult) => number) =>
    spread(ratios(series(scenario, a, f), series(scenario, b, f)));
  const x2 = (n: number) => fmt(n, 2);
  const ms1 = (n: number) => fmt(n, 1);
  const rate = (r: CeilingResult & LatencyResult) => r.rate;
  const p99 = (r: CeilingResult & LatencyResult) => r.p99;

  console.log('\nmedian (min–max) over repetitions; ratios taken per repetition\n');
  console.log('| measure | hub | aedes 1.2 | Mosquitto | hub/aedes |');
  console.log('|---|---|---|---|---|');
  const cell = (scenario: string, t: string, f: (r: CeilingResult & LatencyResult) => number, show: (n: number) => string) =>
    names.includes(t) ? sp(spread(series(scenario, t, f)), show) : '';
  if (results.telemetry) {
    console.log(
      `| QoS0 telemetry ceiling, embedded PostgreSQL store (stored/s vs delivered/s) | ${cell('telemetry', 'hub', rate, k)} | ${cell('telemetry', 'aedes', rate, k)} | ${cell('telemetry', 'mosquitto', rate, k)} | **${sp(ratio('telemetry', 'hub', 'aedes', rate), x2)}** |`,
    );
    if (names.includes('hub-influx'))
      console.log(
        `| QoS0 telemetry ceiling, InfluxDB 1.6.7 | ${cell('telemetry', 'hub-influx', rate, k)} | ${cell('telemetry', 'aedes', rate, k)} | ${cell('telemetry', 'mosquitto', rate, k)} | **${sp(ratio('telemetry', 'hub-influx', 'aedes', rate), x2)}** |`,
      );
  }
  if (results.qos1)
    console.log(
      `| QoS1 events stored before PUBACK (vs delivered QoS1) | ${cell('qos1', 'hub', rate, k)} | ${cell('qos1', 'aedes', rate, k)} | ${cell('qos1', 'mosquitto', rate, k)} | **${sp(ratio('qos1', 'hub', 'aedes', rate), x2)}** |`,
    );
  for (const r of RATES) {
    const s = `latency${r}`;
    if (!results[s]) continue;
    console.log(
      `| event → dashboard p99 at ${fmt(r)}/s, ms (peers: → MQTT subscriber) | ${cell(s, 'hub', p99, ms1)} | ${cell(s, 'aedes', p99, ms1)} | ${cell(s, 'mosquitto', p99, ms1)} | **${sp(ratio(s, 'hub', 'aedes', p99), x2)}×** |`,
    );
    console.log(
      `| … p50 / max at ${fmt(r)}/s, ms | ${cell(s, 'hub', (x) => x.p50, ms1)} / ${cell(s, 'hub', (x) => x.max, ms1)} | ${cell(s, 'aedes', (x) => x.p50, ms1)} / ${cell(s, 'aedes', (x) => x.max, ms1)} | ${cell(s, 'mosquitto', (x) => x.p50, ms1)} / ${cell(s, 'mosquitto', (x) => x.max, ms1)} | |`,
    );
  }
  if (names.includes('hub-before')) {
    console.log('\nbefore/after (this build vs --before), median (min–max) of per-repetition ratios');
    const pairs: Array<[string, (r: CeilingResult & LatencyResult) => number, string, string, string]> = [
      ['telemetry', rate, 'telemetry stored/s, embedded store', 'hub', 'hub-before'],
      ['telemetry', rate, 'telemetry stored/s, InfluxDB', 'hub-influx', 'hub-influx-before'],
      ['qos1', rate, 'QoS1 events stored/s', 'hub', 'hub-before'],
      ...RATES.map(
        (r) => [`latency${r}`, p99, `event → dashboard p99 at ${r}/s`, 'hub', 'hub-before'] as [string, typeof p99, string, string, string],
      ),
    ];
    for (const [scenario, f, label, after, before] of pairs) {
      if (!results[scenario]?.[after] || !results[scenario]?.[before]) continue;
      const show = scenario === 'telemetry' || scenario === 'qos1' ? k : ms1;
      console.log(
        `  ${label}: after ${sp(spread(series(scenario, after, f)), show)}, before ${sp(spread(series(scenario, before, f)), show)}, after/before ${sp(ratio(scenario, after, before, f), x2)}`,
      );
    }
  }
  console.log(
    `| RSS idle after start, MB | ${fmt(idle.hub ?? NaN)} (+ PostgreSQL ${fmt(idle['hub:postgres'] ?? NaN)}) | ${fmt(idle.aedes ?? NaN)} | ${fmt(idle.mosquitto ?? NaN, 1)} | |`,
  );

  console.log('\nCPU µs per message at the ceiling (median over reps), and RSS after the run');
  console.log('| scenario | target | window | µs/msg by process | RSS MB |');
  console.log('|---|---|---|---|---|');
  for (const [scenario, byTarget] of Object.entries(results)) {
    for (const [t, list] of Object.entries(byTarget)) {
      const first = list[0] as CeilingResult & LatencyResult;
      const keys = Object.keys(first.cpuUs);
      const cpu = keys.map((key) => `${key} ${fmt(spread(list.map((r) => r.cpuUs[key]!)).median, 1)}`).join(', ');
      const win = 'window' in first ? spread(list.map((r) => (r as CeilingResult).window)).median : NaN;
      const rss = 'rssMb' in first ? fmt(spread(list.map((r) => (r as CeilingResult).rssMb)).median) : '';
      console.log(`| ${scenario} | ${t} | ${Number.isFinite(win) ? fmt(win) : ''} | ${cpu} | ${rss} |`);
    }
  }
}

// Interrupted (Ctrl-C, a timeout's SIGTERM): the hubs and peers are separate processes and would
// outlive the bench, still loaded with their backlog, and skew whatever runs next. Each hub
// stops its embedded PostgreSQL on SIGTERM; InfluxDB watches the bench's pid itself.
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    console.error(`bench: ${sig}, stopped ${spawned.length} target process(es)`);
    process.exit(130);
  });

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
