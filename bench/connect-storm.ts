// `npm run bench:storm`: N idle authenticated devices on the hub, and the connect storm that
// brings them (issue 12: "50,000 idle authenticated devices held on this machine with the hub
// responsive (health p99 < 50 ms) and connect storms that do not stall the event loop > 100 ms").
//
// One process here holds < 20,000: this machine caps open files at 20,000 per process (hard
// limit; raising it gives EPERM), and a hub needs one descriptor per connected device plus its own
// (~100: HTTP, PostgreSQL pool, logs). The single-process targets default to N = 15,000, which
// leaves headroom; 50,000 is held by `hub-cluster`, the hub as several instances on one Redis and
// one PostgreSQL (docs/scale-out.md), as a deployment beyond one process's limit runs it. The
// device side is spread over K child processes (bench/storm-clients.ts, ≤ --per-proc
// connections each) for the same reason.
//
// Targets, each its own process on ephemeral loopback ports, measured in interleaved
// repetitions (order rotated per repetition):
//   hub           the compiled hub (dist/server/hub.mjs, run as `npm start` runs it), connect
//                 throttle at its default (HUB_MQTT_CONNECT_RATE)
//   hub-nothrottle the same with HUB_MQTT_CONNECT_RATE=0 (every CONNECT processed on arrival)
//   aedes         bare aedes 1.2 (bench/peers/aedes.ts): no authentication, no hooks
//   hub-cluster   --instances compiled hubs (default: the fewest that fit under the file limit,
//                 3 for 50,000) in scale-out mode: one redis-server of this script's own, one
//                 throw-away database on BENCH_PG_ADMIN_URL (this machine's PostgreSQL);
//                 device i connects to instance i mod K, as HAProxy's leastconn spreads them
//                 (deploy/haproxy). Its figures are over the instances:
//                 loop and probe maxima of any of them, health and connect probes rotated over
//                 them, CPU and RSS summed over the hubs and Redis (PostgreSQL is not counted,
//                 as the single hub's embedded one is not)
// Per repetition and target: N devices connect as one storm (every socket opened at once; or
// --ramp R per second), then are held idle, then all close. Measured:
//   connect time   first socket opened → last CONNACK 0 (max over the client processes)
//   loop max/p99   the hub's event-loop delay over the storm (prom-client's
//                  monitorEventLoopDelay, reset by a /metrics scrape right before the storm and
//                  read by one right after); hubs only
//   CPU wait       the most any node's main thread spent ready but waiting for a CPU during the
//                  storm (and the drop), % of its wall time (/proc/<pid>/schedstat): how much of a
//                  stall is other processes on the same cores rather than the node's own work
//   probe max      /api/health/live every 50 ms during the storm: the slowest answer (hubs);
//                  for aedes an MQTT CONNECT→CONNACK of an extra client
//   health p99     200 sequential GET /api/health while N are held idle (hubs)
//   connect p99    200 sequential extra MQTT CONNECT→CONNACK→close while N are held (all)
//   idle CPU       of the target while N are held idle: --hold seconds (default 20) after the
//                  probes, % of one core
//   RSS            of the target process (/proc), N held, after that; the hub's embedded
//                  PostgreSQL is a separate process and not included
//   throttled      CONNECTs that waited in the hub's throttle queue (bops_mqtt_connects_throttled_total)
//
//   npm run bench:storm -- [--devices 15000] [--per-proc 7500] [--reps 3] [--ramp 0]
//                          [--targets hub,hub-nothrottle,aedes] [--keep-logs]
//   npm run bench:storm -- --devices 50000 --targets hub-cluster [--instances 3] [--reps 2]
// Devices are provisioned straight into the hub's PostgreSQL (one INSERT … unnest, each with its
// own secret hashed as services/core/crypto.ts does) and the hub is restarted to load them:
// 15,000 POST /api/devices would take minutes and measure provisioning, not connecting.
// They are intercoms (not life-safety, heartbeat 300 s) and each publishes its retained status
// on connect and then every 2 minutes, as an idle device does. Devices that say nothing would be
// taken for silent after their class's heartbeat (elevators: 60 s), and every silent or lost
// life-safety device opens a device-fault incident: a first 15,000-elevator run opened them by
// the thousand and measured that (an incident storm, ~4 ms of hub CPU per connect), not connects.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqttPacket from 'mqtt-packet';
import pg from 'pg';
import { startCommand } from '../scripts/start-command.mjs';
import { hashDeviceSecret } from '../services/core/crypto.js';
import { cpuSeconds, descendants, memory, quantile, ratios, rotation, schedSeconds, scrape, spread, type Spread } from './stats.js';
import type { StormDev, StormMsg } from './storm-clients.js';
import { freePort, scratchDatabase, startAedesPeer, startRedisPeer } from './peers/start.js';

const { values: opt } = parseArgs({
  options: {
    devices: { type: 'string', default: '15000' },
    'per-proc': { type: 'string', default: '7500' },
    reps: { type: 'string', default: '3' },
    ramp: { type: 'string', default: '0' },
    targets: { type: 'string', default: 'hub,hub-nothrottle,aedes' },
    // hub instances of the hub-cluster target (default: the fewest that fit under the file limit)
    instances: { type: 'string', default: '' },
    // seconds the devices are held idle, after the probes, to measure what holding them costs
    hold: { type: 'string', default: '20' },
    'health-requests': { type: 'string', default: '200' },
    'keep-logs': { type: 'boolean', default: false },
    // extra node flags for the hubs, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (profiling a storm)
    'node-args': { type: 'string', default: '' },
    // settings for the throttled hub and the cluster's instances, e.g. "HUB_MQTT_CONNECT_RATE=500 HUB_MQTT_CONNECT_BURST=10" (default: the hub's defaults)
    'hub-env': { type: 'string', default: '' },
  },
});
const N = Number(opt.devices);
const PER_PROC = Number(opt['per-proc']);
const REPS = Number(opt.reps);
const RAMP = Number(opt.ramp);
const HEALTH_N = Number(opt['health-requests']);
const TARGETS = opt.targets.split(',');
const HOLD_S = Number(opt.hold);
const KEEPALIVE = 60;
const HUB_ENV = Object.fromEntries(
  opt['hub-env']
    .split(' ')
    .filter(Boolean)
    .map((w) => w.split('=', 2) as [string, string]),
);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN_PW = 'bench-hub-pass-1';
const FD_LIMIT = 20_000;
// The fewest instances whose share fits under the file limit (with ~1,000 spare: the hub's own
// descriptors, a reconnect's overlap): on two cores every extra process is one more to schedule,
// and each instance decodes every other's Redis traffic — 50,000 on four had health p99 34–60 ms,
// on three 20–28 ms in five repetitions of seven (BENCHMARKS.md, tenth round).
const INSTANCES = Number(opt.instances) || Math.max(2, Math.ceil(N / (FD_LIMIT - 1000)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';
const spawned: ChildProcess[] = [];

async function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(ms)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// ---------------------------------------------------------------------------- targets

/** one process devices connect to: a hub instance (with its HTTP API) or bare aedes */
interface Node {
  pid: number;
  mqttPort: number;
  http?: string;
}

interface Target {
  name: string;
  /** one, or a cluster's instances (device i connects to nodes[i mod K]) */
  nodes: Node[];
  /** processes whose CPU and RSS are the target's: its nodes, and a cluster's Redis */
  pids: number[];
  devices: StormDev[];
  stop(): Promise<void>;
}

const START = startCommand(root);

function spawnHub(
  name: string,
  dataDir: string,
  ports: { http: number; mqtt: number; pg: number },
  env: Record<string, string>,
  log: string,
) {
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn(
    process.execPath,
    [...START.flags, ...opt['node-args'].split(' ').filter(Boolean), path.join(root, 'dist/server/hub.mjs')],
    {
      cwd: root,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL|INFLUX_|HUB_|REDIS_URL)/.test(key))),
        ...START.env,
        NODE_ENV: 'production',
        HUB_DEMO: '0',
        HUB_HOST: '127.0.0.1',
        HUB_HTTP_PORT: String(ports.http),
        HUB_MQTT_PORT: String(ports.mqtt),
        HUB_EMBEDDED_PG_PORT: String(ports.pg),
        HUB_DATA_DIR: dataDir,
        HUB_ADMIN_PASSWORD: ADMIN_PW,
        HUB_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  spawned.push(child);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return child;
}

async function waitReady(name: string, child: ChildProcess, http: string, log: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}); see ${log}`);
    const ok = await fetch(`${http}/api/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} not ready within 180 s; see ${log}`);
    await sleep(250);
  }
}

async function stopHub(child: ChildProcess): Promise<void> {
  const pgPids = await descendants(child.pid!);
  child.kill('SIGTERM');
  await waitExit(child, 60_000);
  // a hub killed on a busy machine before it stopped its embedded PostgreSQL leaves it orphaned
  for (const p of pgPids) {
    try {
      process.kill(p, 'SIGINT'); // postmaster: fast shutdown (a backend: cancel)
    } catch {
      // already gone
    }
  }
}

/** One compiled hub on fresh ports with its own data dir under `dir`; resolves once it is ready. */
async function launch(name: string, dir: string, env: Record<string, string>) {
  const ports = { http: await freePort(), mqtt: await freePort(), pg: await freePort() };
  const dataDir = path.join(dir, name);
  await fs.mkdir(dataDir, { recursive: true });
  const log = path.join(dir, `${name}.log`);
  const http = `http://127.0.0.1:${ports.http}`;
  const child = spawnHub(name, dataDir, ports, env, log);
  await waitReady(name, child, http, log);
  return { child, ports, dataDir, log, http };
}

async function startHub(name: string, dir: string, env: Record<string, string>): Promise<Target> {
  const first = await launch(name, dir, env);
  const { ports, dataDir, log, http } = first;
  let child = first.child;
  // provision N devices straight into PostgreSQL, then restart so the registry loads them
  const pgPassword = (await fs.readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
  const devices = await provision({ host: '127.0.0.1', port: ports.pg, user: 'postgres', password: pgPassword, database: 'bops' });
  await stopHub(child);
  child = spawnHub(name, dataDir, ports, env, log);
  await waitReady(name, child, http, log);
  const pid = child.pid!;
  return {
    name,
    nodes: [{ pid, mqttPort: ports.mqtt, http }],
    pids: [pid],
    devices,
    async stop() {
      await stopHub(child);
      if (!opt['keep-logs']) await fs.rm(log, { force: true });
    },
  };
}

/** N intercoms with their own secrets, straight into the hub's PostgreSQL (the hub loads them on its next start) */
async function provision(config: pg.PoolConfig): Promise<StormDev[]> {
  const pool = new pg.Pool({ ...config, max: 1 });
  pool.on('error', () => undefined); // the hub restarting its PostgreSQL under an idle pooled client
  await pool.query(`INSERT INTO "Site" (id, name) VALUES ('bench', 'bench') ON CONFLICT DO NOTHING`);
  await pool.query(
    `INSERT INTO "Building" (id, "siteId", name, floors) VALUES ('bench-b', 'bench', 'bench tower', 30) ON CONFLICT DO NOTHING`,
  );
  const devices: StormDev[] = Array.from({ length: N }, (_, i) => ({
    id: `storm-${i}`,
    secret: randomBytes(24).toString('base64url'),
    statusTopic: `bops/v1/bench/bench-b/intercom/storm-${i}/status`,
  }));
  await pool.query(
    `INSERT INTO "Device" (id, "siteId", "buildingId", class, name, "secretHash")
     SELECT id, 'bench', 'bench-b', 'intercom', id, h FROM unnest($1::text[], $2::text[]) AS t(id, h)`,
    [devices.map((d) => d.id), devices.map((d) => hashDeviceSecret(d.secret))],
  );
  await pool.end();
  return devices;
}

/**
 * The hub in scale-out mode (docs/scale-out.md): `k` instances on one redis-server of its own and
 * one throw-away database. The first instance alone creates the schema; the devices are then
 * provisioned and every instance started, so each loads them.
 */
async function startCluster(name: string, dir: string, k: number): Promise<Target> {
  const db = await scratchDatabase(`bops_storm_${randomBytes(4).toString('hex')}`);
  if (!db) throw new Error('hub-cluster needs a PostgreSQL server (BENCH_PG_ADMIN_URL) for its instances to share');
  const { child: redis, url: redisUrl } = await startRedisPeer();
  spawned.push(redis);
  const start = (i: number) =>
    launch(`${name}-${i}`, dir, { ...HUB_ENV, DATABASE_URL: db.url, REDIS_URL: redisUrl, HUB_INSTANCE_ID: `${name}-${i}` });
  const first = await start(1);
  const devices = await provision({ connectionString: db.url });
  await stopHub(first.child);
  const instances = await Promise.all(Array.from({ length: k }, (_, i) => start(i + 1)));
  return {
    name,
    nodes: instances.map((x) => ({ pid: x.child.pid!, mqttPort: x.ports.mqtt, http: x.http })),
    pids: [...instances.map((x) => x.child.pid!), redis.pid!],
    devices,
    async stop() {
      await Promise.all(instances.map((x) => stopHub(x.child)));
      redis.kill('SIGTERM');
      await waitExit(redis, 5000);
      await db.drop();
      if (!opt['keep-logs']) for (const x of [first, ...instances]) await fs.rm(x.log, { force: true });
    },
  };
}

async function startAedes(): Promise<Target> {
  const { child, port } = await startAedesPeer(root);
  spawned.push(child);
  return {
    name: 'aedes',
    nodes: [{ pid: child.pid!, mqttPort: port }],
    pids: [child.pid!],
    devices: Array.from({ length: N }, (_, i) => ({
      id: `storm-${i}`,
      secret: 'x',
      statusTopic: `bops/v1/bench/bench-b/intercom/storm-${i}/status`,
    })),
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 5000);
    },
  };
}

// ---------------------------------------------------------------------------- device side

class Clients {
  readonly child: ChildProcess;
  private waiters: Array<(m: Record<string, unknown>) => void> = [];
  constructor() {
    this.child = fork(path.join(root, 'bench/storm-clients.ts'), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    spawned.push(this.child);
    this.child.on('message', (m: Record<string, unknown>) => this.waiters.shift()?.(m));
  }
  ask(m: StormMsg): Promise<Record<string, unknown>> {
    const p = new Promise<Record<string, unknown>>((r) => this.waiters.push(r));
    this.child.send(m);
    return p;
  }
}

/** one MQTT CONNECT → CONNACK → close of a device, timed in ms (NaN when refused) */
function mqttPing(port: number, d: StormDev): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () =>
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: d.id,
          keepalive: 60,
          username: d.id,
          password: Buffer.from(d.secret),
        }),
      ),
    );
    s.once('data', (b: Buffer) => {
      const ms = performance.now() - t0;
      s.end(Buffer.from([0xe0, 0x00])); // DISCONNECT
      resolve(b[0] === 0x20 && b[3] === 0 ? ms : NaN);
    });
    s.on('error', () => resolve(NaN));
  });
}

async function timedGet(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
  return performance.now() - t0;
}

/** Linux's count of connections dropped because an accept queue was full (machine-wide) */
async function listenOverflows(): Promise<number> {
  const t = await fs.readFile('/proc/net/netstat', 'utf8');
  const [names, values] = t.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const i = names!.split(' ').indexOf('ListenOverflows');
  return Number(values!.split(' ')[i]);
}

interface Result {
  connectS: number;
  failed: number;
  retries: number;
  refused: Record<string, number>;
  lagMaxMs: number;
  lagP99Ms: number;
  /** all devices disconnect at once: until the target saw every connection gone, and the loop's worst delay meanwhile */
  dropS: number;
  dropLagMaxMs: number;
  probeMaxMs: number;
  healthP99Ms: number;
  healthP50Ms: number;
  pingP99Ms: number;
  /** summed over the target's processes */
  rssMb: number;
  /** its largest process */
  rssMaxMb: number;
  throttled: number;
  shed: number;
  connectTimeouts: number;
  listenOverflows: number;
  cpuUsPerConnect: number;
  /** the target's CPU while N are held idle, % of one core (a cluster: summed) */
  idleCpuPct: number;
  /** storm / drop: the most any node's main thread waited for a CPU, % of the storm's / drop's wall time */
  stormWaitPct: number;
  dropWaitPct: number;
}

/** a /metrics scrape of every node with an HTTP API (each scrape resets that hub's event-loop histogram) */
const scrapeAll = (t: Target) => Promise.all(t.nodes.flatMap((n) => (n.http ? [scrape(n.http)] : [])));
const sumCpu = async (t: Target) => (await Promise.all(t.pids.map(cpuSeconds))).reduce((x, y) => x + y, 0);
/** each node's main thread: seconds on a CPU and seconds waiting for one (bench/stats.ts) */
const sched = (t: Target) => Promise.all(t.nodes.map((n) => schedSeconds(n.pid)));
/** the largest share of `wallS` a node's main thread spent ready but waiting for a CPU, % */
const waitPct = (a: Array<{ wait: number }>, b: Array<{ wait: number }>, wallS: number) =>
  Math.max(...b.map((x, i) => ((x.wait - a[i]!.wait) * 100) / wallS));
/** the largest of one metric over the nodes' scrapes */
const maxOf = (ms: Array<Map<string, number>>, k: string) => Math.max(...ms.map((m) => m.get(k) ?? NaN));
/** a counter's increase between two scrapes of every node, summed */
const deltaOf = (a: Array<Map<string, number>>, b: Array<Map<string, number>>, k: string) =>
  a.length ? b.reduce((n, m, i) => n + (m.get(k) ?? 0) - (a[i]!.get(k) ?? 0), 0) : NaN;

let round = 0;
async function storm(t: Target, clients: Clients[], dummy: StormDev): Promise<Result> {
  round++;
  const hubs = t.nodes.some((n) => n.http);
  const before = await scrapeAll(t); // also resets the event-loop histograms
  const cpu0 = await sumCpu(t);
  const sched0 = await sched(t);
  const storm0 = performance.now();
  const overflows0 = await listenOverflows();
  const slices = clients.map((_, k) => t.devices.slice(Math.floor((k * N) / clients.length), Math.floor(((k + 1) * N) / clients.length)));
  // probes during the storm, rotated over the nodes: is each process answering at all?
  let probing = true;
  const probes: number[] = [];
  const prober = (async () => {
    for (let i = 0; probing; i++) {
      const n = t.nodes[i % t.nodes.length]!;
      probes.push(n.http ? await timedGet(`${n.http}/api/health/live`).catch(() => NaN) : await mqttPing(n.mqttPort, dummy));
      await sleep(50);
    }
  })();
  const replies = await Promise.all(
    clients.map((c, k) =>
      c.ask({
        cmd: 'connect',
        ports: t.nodes.map((n) => n.mqttPort),
        // its own source address per process and round: no ephemeral port is still in TIME_WAIT
        localAddress: `127.${1 + (round % 250)}.${1 + k}.${1 + Math.floor(round / 250)}`,
        devices: slices[k]!,
        rate: RAMP / clients.length,
        keepalive: KEEPALIVE,
        retries: 10,
      }),
    ),
  );
  probing = false;
  await prober;
  const after = await scrapeAll(t);
  const cpuUsPerConnect = (((await sumCpu(t)) - cpu0) * 1e6) / t.devices.length;
  const stormWaitPct = waitPct(sched0, await sched(t), (performance.now() - storm0) / 1000);
  const overflows = (await listenOverflows()) - overflows0;
  const connectS = Math.max(...replies.map((r) => r.ms as number)) / 1000;
  const refused: Record<string, number> = {};
  for (const r of replies) for (const [k, v] of Object.entries(r.refused as Record<string, number>)) refused[k] = (refused[k] ?? 0) + v;
  // held idle
  await sleep(5000);
  const health: number[] = [];
  const pings: number[] = [];
  for (let i = 0; i < HEALTH_N; i++) {
    const n = t.nodes[i % t.nodes.length]!;
    if (n.http) health.push(await timedGet(`${n.http}/api/health`));
  }
  for (let i = 0; i < HEALTH_N; i++) pings.push(await mqttPing(t.nodes[i % t.nodes.length]!.mqttPort, dummy));
  // what holding them costs once the storm's after-work is done (each device pings every 30 s
  // and sends its status every 2 min): the target's CPU over --hold seconds
  const idle0 = await sumCpu(t);
  const idleT0 = performance.now();
  await sleep(HOLD_S * 1000);
  const idleCpuPct = (((await sumCpu(t)) - idle0) * 1e5) / (performance.now() - idleT0);
  const rss = await Promise.all(t.pids.map(async (p) => (await memory(p)).rssMb));
  health.sort((a, b) => a - b);
  pings.sort((a, b) => a - b);
  // every device disconnects at once (what a NAT or firewall resetting its table looks like to
  // the hub): the scrape before resets the event-loop histograms, each scrape after reads and
  // resets them again, so the maximum over them covers the whole drop
  await scrapeAll(t);
  const dropSched0 = await sched(t);
  const drop0 = performance.now();
  await Promise.all(clients.map((c) => c.ask({ cmd: 'close' })));
  // wait for the target to see every connection gone before the next one starts
  let dropS = NaN;
  let dropLagMaxMs = NaN;
  let dropWaitPct = NaN;
  if (hubs) {
    dropLagMaxMs = 0;
    for (let i = 0; i < 600; i++) {
      const ms = await scrapeAll(t);
      dropLagMaxMs = Math.max(dropLagMaxMs, maxOf(ms, 'nodejs_eventloop_lag_max_seconds') * 1000);
      if (ms.every((m) => m.get('bops_mqtt_connections') === 0)) {
        dropS = (performance.now() - drop0) / 1000;
        dropWaitPct = waitPct(dropSched0, await sched(t), dropS);
        break;
      }
      await sleep(100);
    }
  } else await sleep(2000);
  return {
    connectS,
    failed: replies.reduce((n, r) => n + (r.failed as number), 0),
    retries: replies.reduce((n, r) => n + (r.retries as number), 0),
    refused,
    lagMaxMs: hubs ? maxOf(after, 'nodejs_eventloop_lag_max_seconds') * 1000 : NaN,
    lagP99Ms: hubs ? maxOf(after, 'nodejs_eventloop_lag_p99_seconds') * 1000 : NaN,
    dropS,
    dropLagMaxMs,
    stormWaitPct,
    dropWaitPct,
    probeMaxMs: Math.max(...probes.filter(Number.isFinite)),
    healthP50Ms: quantile(health, 0.5),
    healthP99Ms: quantile(health, 0.99),
    pingP99Ms: quantile(pings.filter(Number.isFinite), 0.99),
    rssMb: rss.reduce((x, y) => x + y, 0),
    rssMaxMb: Math.max(...rss),
    cpuUsPerConnect,
    idleCpuPct,
    listenOverflows: overflows,
    shed: deltaOf(before, after, 'bops_mqtt_connects_shed_total'),
    connectTimeouts: deltaOf(before, after, 'bops_mqtt_rejections_total{reason="connect_timeout"}'),
    throttled: deltaOf(before, after, 'bops_mqtt_connects_throttled_total'),
  };
}

// ---------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const procs = Math.max(1, Math.ceil(N / PER_PROC));
  console.log(
    `connect storm: ${fmt(N)} devices from ${procs} client processes (≤ ${fmt(PER_PROC)} each), ${REPS} repetitions, ${RAMP > 0 ? `ramp ${fmt(RAMP)}/s` : 'all at once'}`,
  );
  console.log(
    `open-file limit here: ${spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()} per process (hard). One hub process needs one descriptor per device + ~100 of its own, so one hub holds < ${fmt(FD_LIMIT)} devices on this machine; issue 12's 50,000 needs a raised limit (LimitNOFILE) or several instances (hub-cluster; docs/scale-out.md).`,
  );
  for (const name of TARGETS) {
    const perProcess = Math.ceil(N / (name === 'hub-cluster' ? INSTANCES : 1));
    if (perProcess + 200 > FD_LIMIT)
      console.log(`warning: ${name}: ${fmt(perProcess)} devices per process will not fit under ${fmt(FD_LIMIT)} descriptors`);
  }
  console.log(
    `load average before: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const b = spawnSync(process.execPath, ['scripts/build.mjs', '--server-only', '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('build failed');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-storm-'));
  await fs.chmod(dir, 0o755); // the embedded PostgreSQL runs as `postgres` and must reach its data dir
  const targets: Target[] = [];
  const clients = Array.from({ length: procs }, () => new Clients());
  try {
    for (const name of TARGETS) {
      if (name === 'hub') targets.push(await startHub(name, dir, HUB_ENV));
      else if (name === 'hub-nothrottle') targets.push(await startHub(name, dir, { HUB_MQTT_CONNECT_RATE: '0' }));
      else if (name === 'aedes') targets.push(await startAedes());
      else if (name === 'hub-cluster') targets.push(await startCluster(name, dir, INSTANCES));
      else throw new Error(`unknown target ${name}`);
    }
    const results = new Map<string, Result[]>(targets.map((t) => [t.name, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const t of rotation(targets, rep)) {
        // the extra device for probes: the last one, kept out of the storm
        const dummy = t.devices.at(-1)!;
        const storming = { ...t, devices: t.devices.slice(0, -1) } as Target;
        const r = await storm(storming, clients, dummy);
        results.get(t.name)!.push(r);
        console.log(
          `rep ${rep + 1} ${t.name.padEnd(15)} connect ${fmt(r.connectS, 2)} s, loop max ${fmt(r.lagMaxMs, 0)} ms p99 ${fmt(r.lagP99Ms, 0)} ms, CPU wait ${fmt(r.stormWaitPct)} %, drop ${fmt(r.dropS, 2)} s loop max ${fmt(r.dropLagMaxMs, 0)} ms CPU wait ${fmt(r.dropWaitPct)} %, probe max ${fmt(r.probeMaxMs, 0)} ms, health p99 ${fmt(r.healthP99Ms, 1)} ms, connect p99 ${fmt(r.pingP99Ms, 1)} ms, CPU/connect ${fmt(r.cpuUsPerConnect)} µs, idle CPU ${fmt(r.idleCpuPct)} %, RSS ${fmt(r.rssMb)} MB, throttled ${fmt(r.throttled)}, shed ${fmt(r.shed)}, connect timeouts ${fmt(r.connectTimeouts)}, listen overflows ${fmt(r.listenOverflows)}, failed ${r.failed}, retries ${r.retries} ${JSON.stringify(r.refused)}`,
        );
      }
    }
    report(results);
  } finally {
    for (const c of clients) c.child.send({ cmd: 'exit' } satisfies StormMsg);
    for (const t of targets) await t.stop().catch(() => undefined);
    for (const p of spawned) if (p.exitCode === null) p.kill('SIGKILL');
    if (!opt['keep-logs']) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  console.log(
    `load average after: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

const sp = (s: Spread, d = 0) => (s.n ? `${fmt(s.min, d)} / ${fmt(s.median, d)} / ${fmt(s.max, d)}` : '—');

function report(results: Map<string, Result[]>): void {
  const names = [...results.keys()];
  console.log(`\n${fmt(N - 1)} devices in the storm (+1 for probes); min / median / max over ${REPS} repetitions`);
  if (names.includes('hub-cluster')) console.log(`hub-cluster: ${INSTANCES} instances, ~${fmt(N / INSTANCES)} devices each`);
  console.log(`| measure | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---|').join('')}`);
  const rows: Array<[string, (r: Result) => number, number]> = [
    ['all connected, s', (r) => r.connectS, 2],
    ['event-loop delay max during the storm, ms', (r) => r.lagMaxMs, 0],
    ['event-loop delay p99 during the storm, ms', (r) => r.lagP99Ms, 0],
    ['main thread ready but waiting for a CPU during the storm, % of its wall time (most of any process)', (r) => r.stormWaitPct, 0],
    ['slowest probe during the storm, ms', (r) => r.probeMaxMs, 0],
    [`/api/health p50 with N idle (${HEALTH_N} requests), ms`, (r) => r.healthP50Ms, 1],
    [`/api/health p99 with N idle (${HEALTH_N} requests), ms`, (r) => r.healthP99Ms, 1],
    [`extra MQTT connect p99 with N idle (${HEALTH_N}), ms`, (r) => r.pingP99Ms, 1],
    ['target CPU per connect during the storm, µs', (r) => r.cpuUsPerConnect, 0],
    [`target CPU with N idle (${HOLD_S} s after the probes), % of one core`, (r) => r.idleCpuPct, 0],
    ['RSS with N idle, MB (a cluster: its hubs and Redis)', (r) => r.rssMb, 0],
    ['RSS with N idle, largest process, MB', (r) => r.rssMaxMb, 0],
    ['CONNECTs throttled (queued)', (r) => r.throttled, 0],
    ['CONNECTs refused, throttle queue full (CONNACK 3)', (r) => r.shed, 0],
    ['sockets cut by the hub: no CONNECT within 10 s', (r) => r.connectTimeouts, 0],
    ['accept-queue overflows (kernel, whole machine)', (r) => r.listenOverflows, 0],
    ['devices that gave up (10 retries)', (r) => r.failed, 0],
    ['all disconnected at once: until the hub saw every connection gone, s', (r) => r.dropS, 2],
    ['all disconnected at once: event-loop delay max, ms', (r) => r.dropLagMaxMs, 0],
    ['all disconnected at once: main thread waiting for a CPU, % of the drop (most of any process)', (r) => r.dropWaitPct, 0],
    ['retries (refused or closed before CONNACK)', (r) => r.retries, 0],
  ];
  for (const [label, f, d] of rows) console.log(`| ${label} | ${names.map((n) => sp(spread(results.get(n)!.map(f)), d)).join(' | ')} |`);
  const on = results.get('hub');
  const off = results.get('hub-nothrottle');
  if (on && off) {
    console.log('\nthrottle on / off, per repetition (ratio, min / median / max; each rep):');
    for (const [label, f] of [
      ['all connected', (r: Result) => r.connectS],
      ['event-loop delay max', (r: Result) => r.lagMaxMs],
      ['slowest probe', (r: Result) => r.probeMaxMs],
    ] as Array<[string, (r: Result) => number]>) {
      const x = ratios(on.map(f), off.map(f));
      console.log(`  ${label}: ${sp(spread(x), 2)} (${x.map((v) => fmt(v, 2)).join(', ')})`);
    }
  }
  const a = results.get('aedes');
  if (a && on) {
    const x = ratios(
      on.map((r) => r.rssMb),
      a.map((r) => r.rssMb),
    );
    console.log(`  hub/aedes RSS with N idle: ${sp(spread(x), 2)} (${x.map((v) => fmt(v, 2)).join(', ')})`);
    const c = ratios(
      on.map((r) => r.connectS),
      a.map((r) => r.connectS),
    );
    console.log(`  hub/aedes all connected: ${sp(spread(c), 2)} (${c.map((v) => fmt(v, 2)).join(', ')})`);
  }
}

// Ctrl-C: stop what was started (the hubs' embedded PostgreSQL would otherwise be orphaned)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const p of spawned) if (p.exitCode === null) p.kill('SIGTERM');
    setTimeout(() => process.exit(130), 10_000).unref();
  });
}

await main().catch((err: Error) => {
  console.error(err);
  for (const p of spawned) if (p.exitCode === null) p.kill('SIGKILL');
  process.exit(1);
});
process.exit(0);
