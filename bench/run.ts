// `npm run bench`: the hub under load over real TCP, with a bare aedes broker as the anchor.
//   1. telemetry: D devices publish T msgs/s (QoS0) for S seconds → accepted by the hub and
//      confirmed stored in InfluxDB 1.6.7 (counted back with InfluxQL).
//   2. events → socket.io: E events/s (QoS1) → 10 socket.io clients on /control-room;
//      latency publish → receipt, p50/p99.
//   3. entrapment events that each open an incident → incident:opened: the whole
//      procedure path (store, transition, push), p50/p99.
//   4. the telemetry and event loads against bare aedes (no auth, no contract, no storage) bridged to
//      socket.io — the ratio anchor.
// Options (env): BENCH_DEVICES=200 BENCH_RATE=20000 BENCH_SECONDS=15 BENCH_EVENT_RATE=2000
// BENCH_EVENT_SECONDS=10 BENCH_BROWSERS=10 BENCH_PG_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import pg from 'pg';
import { Server as IoServer } from 'socket.io';
import { loadConfig } from '../services/core/config.js';
import { createLogger } from '../services/core/logger.js';
import { Hub } from '../services/hub/hub.js';
import { startInfluxd } from '../tests/helpers/influx.js';

const N = (k: string, d: number) => Number(process.env[k] ?? d);
const DEVICES = N('BENCH_DEVICES', 200);
const RATE = N('BENCH_RATE', 20_000);
const SECONDS = N('BENCH_SECONDS', 15);
const EVENT_RATE = N('BENCH_EVENT_RATE', 2000);
const EVENT_SECONDS = N('BENCH_EVENT_SECONDS', 10);
const BROWSERS = N('BENCH_BROWSERS', 10);
const INCIDENT_RATE = N('BENCH_INCIDENT_RATE', 20);
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const here = path.dirname(fileURLToPath(import.meta.url));

type Reply = Record<string, number | string>;
class Load {
  private child: ChildProcess;
  private waiters: Array<(m: Reply) => void> = [];
  constructor() {
    this.child = fork(path.join(here, 'load.ts'), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    this.child.on('message', (m: Reply) => {
      if (m.cmd === 'error') throw new Error(`load generator: ${m.message}`);
      this.waiters.shift()?.(m);
    });
  }
  next(): Promise<Reply> {
    return new Promise((r) => this.waiters.push(r));
  }
  async ask(m: unknown): Promise<Reply> {
    const p = this.next();
    this.child.send(m as object);
    return p;
  }
  exit() {
    this.child.send({ cmd: 'exit' });
  }
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rss = () => process.memoryUsage().rss / 1024 / 1024;

async function scratchDb(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    console.log(`(no PostgreSQL at ${PG_ADMIN}: using the embedded one)`);
    return { url: undefined, drop: async () => undefined };
  }
  const name = `bops_bench_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

async function benchHub(load: Load) {
  const influx = await startInfluxd({ db: 'bench' });
  const db = await scratchDb();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-bench-'));
  await fs.chmod(dataDir, 0o755);
  const config = loadConfig({
    HUB_HOST: '127.0.0.1',
    HUB_HTTP_PORT: '0',
    HUB_MQTT_PORT: '0',
    HUB_EMBEDDED_PG_PORT: '54331',
    HUB_DATA_DIR: dataDir,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    INFLUX_URL: influx.url,
    INFLUX_API: '1',
    INFLUX_DB: 'bench',
    HUB_ADMIN_PASSWORD: 'bench-hub-pass',
    HUB_LOG_LEVEL: 'error',
  });
  const hub = await Hub.start(config, { log: createLogger('error', 'bench') });
  try {
    await hub.db.site.create({ data: { id: 'bench', name: 'bench' } });
    await hub.db.building.create({ data: { id: 'bench-b', siteId: 'bench', name: 'bench' } });
    const devices = [];
    for (let i = 0; i < DEVICES; i++) {
      const id = `bench-el-${i}`;
      const { secret } = await hub.registry.provision({ id, site: 'bench', building: 'bench-b', class: 'elevator' });
      devices.push({ id, secret, topicBase: `bops/v1/bench/bench-b/elevator/${id}` });
    }
    const token = (await hub.auth.login('admin', 'bench-hub-pass')).token;
    await load.ask({ cmd: 'connect', url: `mqtt://127.0.0.1:${hub.mqttPort}`, devices });

    // 1. telemetry
    let accepted = 0;
    const counter = {};
    hub.bus.on('device.telemetry', counter, () => void accepted++);
    const writtenBefore = hub.telemetry.stats().written;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const tel = await load.ask({ cmd: 'telemetry', rate: RATE, seconds: SECONDS });
    const tSent = performance.now();
    await hub.telemetry.flush();
    while (hub.telemetry.stats().written - writtenBefore < accepted && performance.now() - tSent < 30_000) {
      await new Promise((r) => setTimeout(r, 50));
      await hub.telemetry.flush();
    }
    const tStored = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const res = await influx.influxql('SELECT count(floor) FROM telemetry', 'bench');
    const inInflux = Number(res[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
    const stats = hub.telemetry.stats();
    const telemetry = {
      sent: Number(tel.sent) + Number(tel.extra),
      sendSeconds: Number(tel.ms) / 1000,
      accepted,
      acceptedPerSec: accepted / ((tSent - t0) / 1000),
      storedInInflux: inInflux,
      storedPerSec: inInflux / ((tStored - t0) / 1000),
      dropped: stats.dropped,
      hubCpuPct: ((cpu.user + cpu.system) / 1000 / (tStored - t0)) * 100,
    };

    // 2. events → socket.io (and, inside the hub, receive → stored → bus)
    const storeLat: number[] = [];
    hub.bus.on('device.event', storeLat, (e) => void storeLat.push(Date.now() - e.receivedAt));
    const ev = await load.ask({
      cmd: 'events',
      rate: EVENT_RATE,
      seconds: EVENT_SECONDS,
      socketUrl: `http://127.0.0.1:${hub.httpPort}/control-room`,
      token,
      browsers: BROWSERS,
      eventName: 'device:event',
    });
    // 3. a device event that opens an incident → incident:opened (store + procedure + push)
    const inc = await load.ask({
      cmd: 'incidents',
      rate: INCIDENT_RATE,
      socketUrl: `http://127.0.0.1:${hub.httpPort}/control-room`,
      token,
      browsers: BROWSERS,
    });
    const stored = await hub.db.deviceEvent.count();
    storeLat.sort((a, b) => a - b);
    const q = (p: number) => storeLat[Math.min(storeLat.length - 1, Math.floor(p * storeLat.length))] ?? NaN;
    return { telemetry, events: { ...ev, stored, storeP50: q(0.5), storeP99: q(0.99) } as Reply, incidents: inc, rssMb: rss() };
  } finally {
    await hub.stop();
    await influx.stop();
    await db.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

/** Bare aedes (no hooks) bridged to socket.io: what the transport alone costs. */
async function benchBare(load: Load) {
  const aedes = new Aedes();
  await aedes.listen();
  const server = net.createServer((s) => aedes.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const httpServer = http.createServer();
  const io = new IoServer(httpServer);
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  io.of('/control-room');
  let received = 0;
  aedes.subscribe(
    'bops/v1/#',
    (packet, cb) => {
      received++;
      if (packet.topic.endsWith('/event')) {
        const e = JSON.parse(packet.payload.toString()) as { id: string; type: string; data: unknown };
        io.of('/control-room').emit('device:event', { id: e.id, type: e.type, data: e.data });
      }
      cb();
    },
    () => undefined,
  );
  try {
    const devices = Array.from({ length: DEVICES }, (_, i) => ({
      id: `bare-${i}`,
      secret: 'x',
      topicBase: `bops/v1/bench/bench-b/elevator/bare-${i}`,
    }));
    await load.ask({ cmd: 'connect', url: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`, devices });
    const t0 = performance.now();
    const tel = await load.ask({ cmd: 'telemetry', rate: RATE, seconds: SECONDS });
    const t1 = performance.now();
    const telemetry = { sent: Number(tel.sent) + Number(tel.extra), received, receivedPerSec: received / ((t1 - t0) / 1000) };
    const ev = await load.ask({
      cmd: 'events',
      rate: EVENT_RATE,
      seconds: EVENT_SECONDS,
      socketUrl: `http://127.0.0.1:${(httpServer.address() as net.AddressInfo).port}/control-room`,
      token: null,
      browsers: BROWSERS,
      eventName: 'device:event',
    });
    return { telemetry, events: ev };
  } finally {
    await io.close();
    await new Promise<void>((r) => aedes.close(() => r()));
    server.close();
  }
}

async function main() {
  console.log(
    `bench: ${DEVICES} devices, telemetry ${fmt(RATE)} msgs/s × ${SECONDS} s, events ${fmt(EVENT_RATE)}/s × ${EVENT_SECONDS} s → ${BROWSERS} socket.io clients; ${os.cpus().length} cores, node ${process.version}`,
  );
  // the bare anchor first: a cold machine for both, in the same order every run
  const load2 = new Load();
  await load2.next();
  const bare = await benchBare(load2);
  load2.exit();
  const load1 = new Load();
  await load1.next();
  const hub = await benchHub(load1);
  load1.exit();

  const t = hub.telemetry;
  console.log('\n| measure | hub | bare aedes | target |');
  console.log('|---|---:|---:|---:|');
  console.log(`| telemetry sent (msgs) | ${fmt(t.sent)} | ${fmt(bare.telemetry.sent)} | |`);
  console.log(
    `| telemetry accepted, msgs/s | ${fmt(t.acceptedPerSec)} | ${fmt(bare.telemetry.receivedPerSec)} (delivered to subscriber) | ≥ 20,000 |`,
  );
  console.log(
    `| telemetry stored in InfluxDB 1.6.7, points (msgs/s until all stored) | ${fmt(t.storedInInflux)} (${fmt(t.storedPerSec)}/s) | — | ≥ 20,000/s |`,
  );
  console.log(`| telemetry dropped (buffer bound) | ${fmt(t.dropped)} | — | 0 |`);
  console.log(`| hub process CPU during telemetry | ${fmt(t.hubCpuPct)} % of one core | — | |`);
  console.log(
    `| events sent / received by ${BROWSERS} clients | ${hub.events.sent} / ${hub.events.received} of ${hub.events.expected} | ${bare.events.sent} / ${bare.events.received} of ${bare.events.expected} | all |`,
  );
  console.log(`| event → socket.io p50 (ms) | ${fmt(Number(hub.events.p50), 1)} | ${fmt(Number(bare.events.p50), 1)} | |`);
  console.log(`| event → socket.io p99 (ms) | ${fmt(Number(hub.events.p99), 1)} | ${fmt(Number(bare.events.p99), 1)} | < 50 |`);
  console.log(`| event → socket.io max (ms) | ${fmt(Number(hub.events.max), 1)} | ${fmt(Number(bare.events.max), 1)} | |`);
  console.log(`| events stored in PostgreSQL | ${fmt(Number(hub.events.stored))} | — | = sent |`);
  console.log(
    `| inside the hub: receive → stored → bus, p50 / p99 (ms) | ${fmt(Number(hub.events.storeP50), 1)} / ${fmt(Number(hub.events.storeP99), 1)} | — | |`,
  );
  console.log(
    `| entrapment event → incident:opened, p50 / p99 (ms), ${DEVICES} incidents at ${INCIDENT_RATE}/s | ${fmt(Number(hub.incidents.p50), 1)} / ${fmt(Number(hub.incidents.p99), 1)} (${hub.incidents.received} of ${hub.incidents.expected}) | — | |`,
  );
  console.log(`| hub process RSS after (MB) | ${fmt(hub.rssMb)} | — | |`);
  console.log(
    `\nratio hub/bare: telemetry ${fmt(t.acceptedPerSec / bare.telemetry.receivedPerSec, 2)}×, event p99 ${fmt(Number(hub.events.p99) / Number(bare.events.p99), 2)}×`,
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
