// `npm run bench:hostile`: a legitimate fleet publishes QoS1 events and telemetry while a bounded
// mix of hostile traffic hits the same hub (issue 7 "Done when"). The hub runs as a separate
// process (`node --import tsx services/hub/main.ts`, HUB_DEMO=0) on a throw-away database and
// ephemeral loopback ports, so its peak RSS (/proc/<pid>/status VmHWM) is its own.
//
// Phases: fleet alone (baseline), then fleet + attack. The attack, every part bounded in count
// and in time, from its own loopback addresses (127.0.0.x — all of 127/8 is local):
//   brute force    wrong secrets for a real device id (one of the fleet's)         127.0.0.3
//   id spraying    CONNECTs with made-up ids                                       127.0.0.4
//   oversize       CONNECT headers claiming 100 MB, then streaming bytes           127.0.0.5
//   garbage        random bytes instead of MQTT                                     127.0.0.6
//   MQTT 5         CONNECTs the broker does not speak                              127.0.0.7
//   silent         sockets that never send a CONNECT                               127.0.0.8
//   rogue device   a provisioned device sending malformed, poisoned, foreign,      127.0.0.9
//                  retained and oversize payloads, then protocol violations
//                  (wildcard topics, 1 MB packets) — reconnecting after each cut
// Printed: legit events lost (checked in the database; must be 0), fleet reconnects, PUBACK
// latency p50/p99 for the fleet in both phases, rejections by reason, hub peak RSS, hub log lines.
//
// Options (env): HOSTILE_DEVICES=50 HOSTILE_EVENT_RATE=5 (events/s per device)
// HOSTILE_BASELINE_SECONDS=8 HOSTILE_SECONDS=20 BENCH_PG_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres
import { fork, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { topics } from '../contracts/mqtt.js';
import { startEmbeddedPostgres } from '../services/core/db.js';
import { createLogger } from '../services/core/logger.js';
import { fixedHeader, rawConnect, rawSocket } from '../tests/helpers/mqtt-raw.js';
import { PG_ADMIN, freePort, scratchDatabase } from './peers/start.js';

const N = (k: string, d: number) => Number(process.env[k] ?? d);
const DEVICES = N('HOSTILE_DEVICES', 50);
const EVENT_RATE = N('HOSTILE_EVENT_RATE', 5);
const BASELINE_S = N('HOSTILE_BASELINE_SECONDS', 8);
const ATTACK_S = N('HOSTILE_SECONDS', 20);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1024 * 1024;
// the admin password policy (services/admin/users.ts): ≥ 10 characters, not containing "admin"
const ADMIN_PW = 'hostile-bench-pw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** A throw-away database on BENCH_PG_ADMIN_URL, or an embedded PostgreSQL when none answers. */
async function scratchDb(dir: string): Promise<{ url: string; drop(): Promise<void> }> {
  const db = await scratchDatabase(`bops_hostile_${process.pid}`);
  if (db) return db;
  console.log(`(no PostgreSQL at ${PG_ADMIN}: starting an embedded one)`);
  const e = await startEmbeddedPostgres(path.join(dir, 'pg-data'), await freePort(), createLogger('error', 'bench-pg'));
  return { url: e.url, drop: () => e.stop() };
}

/** CPU seconds (user + system) the process has used (/proc/<pid>/stat, clock ticks of 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const s = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function procStatus(pid: number): Promise<{ rssMb: number; hwmMb: number }> {
  const s = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

// ---------------------------------------------------------------------------- the hub process

interface HubProc {
  child: ChildProcess;
  http: string;
  mqttPort: number;
  logLines(): Promise<number>;
  stop(): Promise<void>;
}

async function startHub(dir: string, databaseUrl: string): Promise<HubProc> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const logFile = path.join(dir, 'hub.log');
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/hub/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      HUB_DEMO: '0',
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: String(httpPort),
      HUB_MQTT_PORT: String(mqttPort),
      HUB_DATA_DIR: path.join(dir, 'hub-data'),
      DATABASE_URL: databaseUrl,
      HUB_ADMIN_PASSWORD: ADMIN_PW,
      HUB_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const http = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hub exited (${child.exitCode}); see ${logFile}`);
    const ok = await fetch(`${http}/api/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`hub not ready within 60 s; see ${logFile}`);
    await sleep(200);
  }
  return {
    child,
    http,
    mqttPort,
    logLines: async () => (await fs.readFile(logFile, 'utf8')).split('\n').filter((l) => l.startsWith('{')).length,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------- API (admin)

class Api {
  private headers: Record<string, string> = {};
  constructor(private readonly base: string) {}
  async login(): Promise<void> {
    const r = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PW, token: true }),
    });
    if (r.status !== 200) throw new Error(`login: ${r.status}`);
    const body = (await r.json()) as { token?: string };
    // a bearer token (asked for explicitly): cookie-authenticated writes need the browser's CSRF header
    if (!body.token) throw new Error('login: no token in the response');
    this.headers = { authorization: `Bearer ${body.token}` };
  }
  async call<T>(method: string, url: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.base}${url}`, {
      method,
      headers: { ...this.headers, origin: this.base, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }
  /** Rejections by reason: from the authenticated health view (or /metrics, whichever has them). */
  async rejections(): Promise<Record<string, number>> {
    const h = await this.call<{ rejected?: Record<string, number> }>('GET', '/api/health').catch(() => null);
    if (h?.rejected) return h.rejected;
    const text = await fetch(`${this.base}/metrics`, { headers: this.headers }).then((r) => (r.ok ? r.text() : ''));
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^\w*reject\w*\{[^}]*reason="([^"]+)"[^}]*\}\s+([\d.e+]+)/gm))
      out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
    return out;
  }
}

// ---------------------------------------------------------------------------- the legit fleet

interface Device {
  id: string;
  secret: string;
  site: string;
  building: string;
  class: 'intercom';
  deviceId: string;
}

class Fleet {
  readonly clients: MqttClient[] = [];
  readonly sent = new Set<string>();
  acked = 0;
  reconnects = 0;
  private phase: number[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  async connect(port: number, devices: Device[]): Promise<void> {
    for (const d of devices) {
      const c = await new Promise<MqttClient>((resolve, reject) => {
        const cl = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
          clientId: d.id,
          username: d.id,
          password: d.secret,
          keepalive: 10,
          reconnectPeriod: 500,
        });
        cl.once('connect', () => resolve(cl));
        cl.once('error', reject);
      });
      c.on('close', () => this.reconnects++);
      this.clients.push(c);
    }
    this.running = true;
    this.loops = devices.map((d, i) => this.run(d, this.clients[i]!));
  }

  /** PUBACK latencies since the last call. */
  take(): number[] {
    const p = this.phase;
    this.phase = [];
    return p.sort((a, b) => a - b);
  }

  private async run(d: Device, c: MqttClient): Promise<void> {
    const every = 1000 / EVENT_RATE;
    // spread the devices over the interval
    await sleep(Math.random() * every);
    for (let n = 0; this.running; n++) {
      const id = `${d.id}-${n}`;
      this.sent.add(id);
      this.publish(d, c, id);
      if (n % EVENT_RATE === 0) {
        c.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: Date.now(), metrics: { calls_waiting: n % 7 } }), { qos: 0 });
      }
      await sleep(every);
    }
  }

  private publish(d: Device, c: MqttClient, id: string): void {
    const t0 = performance.now();
    const payload = JSON.stringify({ v: 1, id, ts: Date.now(), type: 'intercom.door_closed', data: {} });
    c.publish(topics.event(d), payload, { qos: 1 }, (err) => {
      if (!err) {
        this.acked++;
        this.phase.push(performance.now() - t0);
        return;
      }
      // mqtt.js drops publishes made while it resends after a reconnect (ENVIRONMENT-NOTES):
      // a device re-publishes the same event id itself; the hub stores it once
      setTimeout(() => this.publish(d, c, id), 500);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
  close(): void {
    for (const c of this.clients) c.end(true);
  }
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

// ---------------------------------------------------------------------------- the attack

interface Attack {
  name: string;
  attempts: number;
  outcome: Record<string, number>;
}

/** Run `fn` up to `count` times on `concurrency` lanes, stopping at `deadline`. */
async function bounded(count: number, concurrency: number, deadline: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && Date.now() < deadline) await fn(next++).catch(() => undefined);
    }),
  );
}

function tally(a: Attack, key: string): void {
  a.outcome[key] = (a.outcome[key] ?? 0) + 1;
}

async function attack(port: number, target: Device, rogue: Device, deadline: number): Promise<Attack[]> {
  const mk = (name: string): Attack => ({ name, attempts: 0, outcome: {} });
  const brute = mk('brute force (wrong secrets for a fleet device)');
  const spray = mk('id spraying (made-up ids)');
  const oversize = mk('oversize CONNECT (header claims 100 MB)');
  const garbage = mk('garbage bytes');
  const v5 = mk('MQTT 5 CONNECT');
  const silent = mk('silent sockets (no CONNECT)');
  const rogueA = mk('rogue device: malformed payloads (each acked)');
  const rogueP = mk('rogue device: protocol violations (each cut)');
  const code = (a: Attack, rc: number | null) => tally(a, rc === null ? 'closed' : `CONNACK ${rc}`);

  const silentSockets: net.Socket[] = [];
  await Promise.all([
    bounded(2000, 8, deadline, async (i) => {
      brute.attempts++;
      const r = await rawConnect(port, { clientId: target.id, username: target.id, password: `guess-${i}` }, { localAddress: '127.0.0.3' });
      code(brute, r.returnCode);
      r.conn.sock.destroy();
    }),
    bounded(2000, 8, deadline, async (i) => {
      spray.attempts++;
      const id = `ghost-${i}-${crypto.randomBytes(3).toString('hex')}`;
      const r = await rawConnect(port, { clientId: id, username: id, password: 'x' }, { localAddress: '127.0.0.4' });
      code(spray, r.returnCode);
      r.conn.sock.destroy();
    }),
    bounded(30, 3, deadline, async () => {
      oversize.attempts++;
      const s = await rawSocket(port, { localAddress: '127.0.0.5' });
      s.sock.write(fixedHeader(0x10, 100 * MB));
      const chunk = Buffer.alloc(MB, 0x41);
      let written = 0;
      while (!s.closed && written < 8 * MB) {
        if (!s.sock.write(chunk)) await Promise.race([new Promise((r) => s.sock.once('drain', r)), s.whenClosed, sleep(2000)]);
        written += MB;
      }
      await Promise.race([s.whenClosed, sleep(3000)]);
      tally(oversize, s.closed ? 'cut by the hub' : 'still open');
      s.sock.destroy();
    }),
    bounded(500, 25, deadline, async () => {
      garbage.attempts++;
      const s = await rawSocket(port, { localAddress: '127.0.0.6' });
      // never a valid CONNECT: the first byte's packet type is anything but 1
      const bytes = crypto.randomBytes(64);
      bytes[0] = (bytes[0]! & 0x0f) | 0xe0;
      s.sock.write(bytes);
      // bytes that happen to parse as the start of a packet wait for the CONNECT timeout (10 s)
      await Promise.race([s.whenClosed, sleep(12_000)]);
      tally(garbage, s.closed ? 'cut by the hub' : 'still open');
      s.sock.destroy();
    }),
    bounded(200, 2, deadline, async (i) => {
      v5.attempts++;
      const r = await rawConnect(
        port,
        { clientId: `v5-${i}`, username: target.id, password: 'x', protocolVersion: 5 },
        { localAddress: '127.0.0.7' },
      );
      code(v5, r.returnCode);
      r.conn.sock.destroy();
    }),
    bounded(100, 10, deadline, async () => {
      silent.attempts++;
      silentSockets.push((await rawSocket(port, { localAddress: '127.0.0.8' })).sock);
    }),
    (async () => {
      // a device whose credentials leaked: authenticated, then hostile
      const junk: Array<[string, string | Buffer, boolean]> = [
        [topics.event(rogue), '{"v":1,', false],
        [
          topics.event(rogue),
          JSON.stringify({ v: 1, id: 'x', ts: 1, type: 'intercom.call', data: { unit: '1', visitorName: '\u0000' } }),
          false,
        ],
        [topics.event(rogue), JSON.stringify({ v: 1, id: 'y', ts: 1, type: 'intercom.party', data: {} }), false],
        [topics.event(target), JSON.stringify({ v: 1, id: 'z', ts: 1, type: 'intercom.door_closed', data: {} }), false],
        [topics.telemetry(rogue), JSON.stringify({ v: 1, ts: 1, metrics: { calls_waiting: 'x'.repeat(300) } }), true],
        [topics.commandResult(rogue, 'selfdestruct'), JSON.stringify({ v: 1, corr: 'c', ok: true, ts: 1, data: {} }), true],
        [topics.event(rogue), Buffer.alloc(100 * 1024, 0x20), false],
      ];
      const violations = [
        { topic: `${topics.event(rogue)}/#`, payload: Buffer.from('{}') },
        { topic: `${topics.event(rogue)}${'/deep'.repeat(30)}`, payload: Buffer.from('{}') },
        { topic: topics.event(rogue), payload: Buffer.alloc(MB, 0x20) },
      ];
      for (let round = 0; round < 100 && Date.now() < deadline; round++) {
        const r = await rawConnect(port, { clientId: rogue.id, username: rogue.id, password: rogue.secret }, { localAddress: '127.0.0.9' });
        if (r.returnCode !== 0) {
          r.conn.sock.destroy();
          await sleep(200);
          continue;
        }
        for (let k = 0; k < 50; k++) {
          const [topic, payload, retain] = junk[k % junk.length]!;
          rogueA.attempts++;
          r.conn.send({ cmd: 'publish', topic, payload, qos: 1, messageId: k + 1, retain, dup: false });
        }
        let acks = 0;
        while (acks < 50) {
          try {
            await r.conn.next('puback', 5000);
            acks++;
          } catch {
            break;
          }
        }
        rogueA.outcome.acked = (rogueA.outcome.acked ?? 0) + acks;
        const v = violations[round % violations.length]!;
        rogueP.attempts++;
        r.conn.send({ cmd: 'publish', topic: v.topic, payload: v.payload, qos: 0, retain: false, dup: false });
        await Promise.race([r.conn.whenClosed, sleep(3000)]);
        tally(rogueP, r.conn.closed ? 'cut by the hub' : 'still open');
        r.conn.sock.destroy();
      }
    })(),
  ]);
  // the silent ones: the hub cuts them after its CONNECT timeout (10 s)
  await Promise.race([
    Promise.all(silentSockets.map((s) => new Promise((r) => (s.destroyed ? r(null) : s.once('close', r))))),
    sleep(12_000),
  ]);
  for (const s of silentSockets) {
    tally(silent, s.destroyed || s.readyState === 'closed' ? 'cut by the hub' : 'still open');
    s.destroy();
  }
  return [brute, spray, oversize, garbage, v5, silent, rogueA, rogueP];
}

/**
 * The attack runs in its own process, so its CPU does not delay the fleet's PUBACK callbacks
 * (which would show up as hub latency that is not the hub's).
 */
function attackInChild(port: number, target: Device, rogue: Device, deadline: number): Promise<Attack[]> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, HOSTILE_ROLE: 'attacker' },
      stdio: 'inherit',
    });
    child.once('message', (m) => resolve(m as Attack[]));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`attacker exited with ${code}`)));
    child.send({ port, target, rogue, deadline });
  });
}

// ---------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-hostile-'));
  await fs.chmod(dir, 0o755);
  const db = await scratchDb(dir);
  let hub: HubProc | null = null;
  const fleet = new Fleet();
  // dropping the scratch database in `finally` terminates the pool's idle connections: without a
  // listener that 'error' event would crash the bench and hide the error that led there
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined);
  try {
    hub = await startHub(dir, db.url);
    const pid = hub.child.pid!;
    await pool.query(`INSERT INTO "Site" (id, name) VALUES ('hb', 'hostile bench') ON CONFLICT DO NOTHING`);
    await pool.query(`INSERT INTO "Building" (id, "siteId", name, floors) VALUES ('hb-1', 'hb', 'bench tower', 30) ON CONFLICT DO NOTHING`);
    const api = new Api(hub.http);
    await api.login();
    const provision = async (id: string): Promise<Device> => {
      const r = await api.call<{ secret: string }>('POST', '/api/devices', { id, site: 'hb', building: 'hb-1', class: 'intercom' });
      return { id, deviceId: id, secret: r.secret, site: 'hb', building: 'hb-1', class: 'intercom' };
    };
    const devices: Device[] = [];
    for (let i = 0; i < DEVICES; i++) devices.push(await provision(`fleet-${i}`));
    const rogue = await provision('rogue-1');

    console.log(`hub pid ${pid}; ${DEVICES} devices × ${EVENT_RATE} events/s; baseline ${BASELINE_S} s, then attack ${ATTACK_S} s`);
    const rss0 = await procStatus(pid);
    const logs0 = await hub.logLines();
    await fleet.connect(hub.mqttPort, devices);
    await sleep(BASELINE_S * 1000);
    const baseline = fleet.take();
    const baseRss = await procStatus(pid);
    const rej0 = await api.rejections();

    const t0 = Date.now();
    const cpu0 = await cpuSeconds(pid);
    let peakRss = 0;
    const sampler = setInterval(() => void procStatus(pid).then((s) => (peakRss = Math.max(peakRss, s.rssMb))), 250);
    const attacks = await attackInChild(hub.mqttPort, devices[0]!, rogue, t0 + ATTACK_S * 1000);
    const attackMs = Date.now() - t0;
    const attackCpu = (await cpuSeconds(pid)) - cpu0;
    const under = fleet.take();
    clearInterval(sampler);
    await fleet.stop();
    const sent = fleet.sent.size;
    const drainDeadline = Date.now() + 30_000;
    while (fleet.acked < sent && Date.now() < drainDeadline) await sleep(100);
    const rej1 = await api.rejections();
    const end = await procStatus(pid);
    const logs1 = await hub.logLines();

    const { rows } = await pool.query<{ eventId: string }>(`SELECT "eventId" FROM "DeviceEvent" WHERE "deviceId" LIKE 'fleet-%'`);
    const stored = new Set(rows.map((r) => r.eventId));
    const lost = [...fleet.sent].filter((id) => !stored.has(id));

    const line = (k: string, v: string) => console.log(`| ${k} | ${v} |`);
    console.log('\n| measure | value |\n|---|---:|');
    line('legit events sent (QoS1) / PUBACKed', `${fmt(sent)} / ${fmt(fleet.acked)}`);
    line('**legit events lost** (sent, not in PostgreSQL)', `**${fmt(lost.length)}**`);
    line('legit events stored (rows, each once)', fmt(rows.length));
    line('legit device reconnects', fmt(fleet.reconnects));
    line(
      'PUBACK latency, fleet alone: p50 / p99 / max (ms)',
      `${fmt(q(baseline, 0.5), 1)} / ${fmt(q(baseline, 0.99), 1)} / ${fmt(baseline.at(-1) ?? NaN, 1)}`,
    );
    line(
      'PUBACK latency, under attack: p50 / p99 / max (ms)',
      `${fmt(q(under, 0.5), 1)} / **${fmt(q(under, 0.99), 1)}** / ${fmt(under.at(-1) ?? NaN, 1)}`,
    );
    line(
      'hub RSS: idle / fleet only / peak during attack / end (MB)',
      `${fmt(rss0.rssMb)} / ${fmt(baseRss.rssMb)} / ${fmt(peakRss)} / ${fmt(end.rssMb)}`,
    );
    line('**hub peak RSS** (VmHWM, MB)', `**${fmt(end.hwmMb)}**`);
    line('hub log lines during the run (all levels ≥ info)', fmt(logs1 - logs0));
    line('machine load average (1 min) at the end, cores', `${fmt(os.loadavg()[0]!, 1)}, ${os.cpus().length}`);
    line(
      'attack duration (s) / hub CPU meanwhile (% of one core)',
      `${fmt(attackMs / 1000, 1)} / ${fmt((attackCpu / (attackMs / 1000)) * 100)}`,
    );
    console.log('\n| attack | attempts | outcome |\n|---|---:|---|');
    for (const a of attacks) {
      console.log(
        `| ${a.name} | ${fmt(a.attempts)} | ${Object.entries(a.outcome)
          .map(([k, v]) => `${k}: ${fmt(v)}`)
          .join(', ')} |`,
      );
    }
    console.log('\n| rejection reason (counted by the hub during the attack) | count |\n|---|---:|');
    const reasons = [...new Set([...Object.keys(rej0), ...Object.keys(rej1)])].sort();
    for (const r of reasons) {
      const d = (rej1[r] ?? 0) - (rej0[r] ?? 0);
      if (d) line(r, fmt(d));
    }
    if (lost.length) {
      console.error(`LOST legit events: ${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ' …' : ''}`);
      process.exitCode = 1;
    }
  } finally {
    fleet.close();
    await pool.end().catch(() => undefined);
    await hub?.stop();
    await db.drop().catch((e: unknown) => console.error('drop database:', e));
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (process.env.HOSTILE_ROLE === 'attacker') {
  process.once('message', (m: { port: number; target: Device; rogue: Device; deadline: number }) => {
    void attack(m.port, m.target, m.rogue, m.deadline).then(
      (result) => process.send!(result, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
