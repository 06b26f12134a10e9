// Scale-out (issue 13; CONTRACT.md "Operations": REDIS_URL; docs/scale-out.md): three hub
// processes (services/hub/main.ts, as deployed) on ephemeral ports share one PostgreSQL
// database and one real Redis (a redis-server of this test's own on an ephemeral loopback port —
// never the machine's on 6379). Devices reach them directly or through a small round-robin TCP
// front, the stand-in for HAProxy (docker-compose), which cannot run here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { DeviceView } from '../../contracts/api.js';
import { startDevices, stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { FirePanelSim } from '../../devices/simulators/fire-panel.js';
import { waitFor } from '../helpers/hub.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startReceivers, type Receivers } from '../helpers/notify-receivers.js';
import type { WebhookPayload } from '../../contracts/notifications.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD = 'scale-test-Pass-42';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bops-scale-'));
// the production bundle (scripts/build.mjs), built once: an instance starts in a second or two
// instead of tsx compiling the sources at every (re)start. Under node_modules so that its
// packages resolve.
const bundleDir = path.join(ROOT, 'node_modules', '.cache', `bops-scale-test-${process.pid}`);

// ------------------------------------------------------------------ processes

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface RedisServer {
  url: string;
  proc: ChildProcess;
}

/** A redis-server of our own (no persistence), on a free loopback port. */
async function startRedis(): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ok = await new Promise<boolean>((resolve) => {
      let out = '';
      const t = setTimeout(() => resolve(false), 10_000);
      proc.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(t);
          resolve(true);
        }
      });
      proc.once('exit', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    if (ok) return { url: `redis://127.0.0.1:${port}`, proc };
    proc.kill('SIGKILL');
    if (attempt >= 2) throw new Error('redis-server did not start');
  }
}

interface HubProc {
  name: string;
  proc: ChildProcess;
  http: string;
  mqttPort: number;
  mqttUrl: string;
  out: string;
}

let db: TestDatabase;
let redis: RedisServer;
let sql: pg.Pool;
let rx: Receivers;
const hubs = new Map<string, HubProc>();
let token = '';

/** Start one instance (`services/hub/main.ts`, as deployed); resolves once it serves. */
function startHub(name: string): Promise<HubProc> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--enable-source-maps', path.join(bundleDir, 'hub.mjs')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        HUB_HOST: '127.0.0.1',
        HUB_HTTP_PORT: '0',
        HUB_MQTT_PORT: '0',
        HUB_DEMO: '0',
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        HUB_INSTANCE_ID: name,
        // a killed instance's devices and timer claims are taken over within ~3 s
        HUB_CLUSTER_LEASE_S: '3',
        HUB_ADMIN_PASSWORD: PASSWORD,
        HUB_LOG_LEVEL: process.env.HUB_TEST_LOG ?? 'error',
        HUB_DATA_DIR: path.join(dataDir, name),
        HUB_SOCKET_THROTTLE_MS: '100',
        // deliveries picked up quickly, one message per step (no storm grouping)
        NOTIFY_GROUP_WINDOW_MS: '0',
        NOTIFY_POLL_MS: '200',
        NOTIFY_RETRY_DELAY_S: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub ${name} did not start: ${out}`)), 90_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const h = /Dashboard[^\n]*?(http:\/\/[^\s/]+)/.exec(out);
      const m = /MQTT \(TCP\):\s+mqtt:\/\/[^:\s]+:(\d+)/.exec(out);
      if (h && m) {
        // Once. (This ran for every later chunk too: each line the instance printed after its
        // banner — an error logged while it stopped — removed stopHub's 'exit' listener, so the
        // stop waited forever, and put the instance back in `hubs`, over its successor.)
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.stderr!.off('data', onErr);
        proc.off('exit', onEarlyExit);
        const mqttPort = Number(m[1]);
        const hp: HubProc = {
          name,
          proc,
          http: h[1]!.replace('localhost', '127.0.0.1'),
          mqttPort,
          mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
          out,
        };
        // what it prints later is kept too: a stop that hangs reports it
        proc.stdout!.on('data', (b: Buffer) => void (hp.out += b.toString()));
        proc.stderr!.on('data', (b: Buffer) => void (hp.out += b.toString()));
        hubs.set(name, hp);
        resolve(hp);
      }
    };
    const onErr = (b: Buffer) => void (out += b.toString());
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`hub ${name} exited with ${code}: ${out}`));
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onErr);
    proc.once('exit', onEarlyExit);
  });
}

/**
 * SIGTERM (orderly stop) or SIGKILL; resolves when the process is gone. An orderly stop that
 * takes over 60 s fails the test with what the instance printed (and the instance is killed).
 */
async function stopHub(name: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const h = hubs.get(name);
  if (!h) return;
  hubs.delete(name);
  if (h.proc.exitCode !== null || h.proc.signalCode !== null) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      h.proc.kill('SIGKILL');
      reject(new Error(`hub ${name} did not exit within 60 s of ${signal}; its output:\n${h.out.slice(-4000)}`));
    }, 60_000);
    h.proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    h.proc.kill(signal);
  });
}

function hub(name: string): HubProc {
  const h = hubs.get(name);
  if (!h) throw new Error(`hub ${name} not running`);
  return h;
}

async function call<T>(name: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${hub(name).http}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

async function ok<T>(name: string, method: string, url: string, body?: unknown): Promise<T> {
  const r = await call<T>(name, method, url, body);
  if (r.status >= 300) throw new Error(`${name} ${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Until instance `name` reads setting `key` as `value` (the settings notice has crossed). */
async function settingSeen(name: string, key: string, value: unknown): Promise<void> {
  await waitFor(
    async () => {
      const s = await ok<{ settings: Array<{ key: string; value: unknown }> }>(name, 'GET', '/api/settings');
      return s.settings.find((x) => x.key === key)?.value === value;
    },
    10_000,
    `${key} = ${String(value)} seen on ${name}`,
  );
}

function live(name: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = ioClient(`${hub(name).http}/control-room`, { auth: { token }, transports: ['websocket'], reconnection: false });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => {
      s.close();
      reject(e);
    });
  });
}

/** Round-robin TCP front over the instances listed in `backends` (HAProxy's part in production). */
class TcpFront {
  backends: number[] = [];
  private next = 0;
  private readonly server = net.createServer((c) => this.route(c));
  private readonly conns = new Set<net.Socket>();
  port = 0;

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private route(c: net.Socket): void {
    const port = this.backends[this.next++ % Math.max(1, this.backends.length)];
    if (port === undefined) return void c.destroy();
    const b = net.connect(port, '127.0.0.1');
    for (const s of [c, b]) {
      this.conns.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.conns.delete(s);
        c.destroy();
        b.destroy();
      });
    }
    c.pipe(b).pipe(c);
  }

  async close(): Promise<void> {
    for (const s of this.conns) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function connectMqtt(url: string, id: string, secret: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId: id, username: id, password: secret, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

/**
 * Resolves on the PUBACK. Bounded: a PUBACK that never comes fails here, saying so, instead of
 * hanging the test until its timeout. In one CI run (2026-12-01, machine heavily loaded) the
 * replay test below timed out at 120 s without saying where and the next two failed after it;
 * a hang before its `finally` would also keep the incident lock it holds.
 */
function publishEvent(c: MqttClient, base: string, event: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no PUBACK within 30 s for ${base}/event (connected: ${c.connected})`)), 30_000);
    c.publish(`${base}/event`, JSON.stringify({ v: 1, ...event }), { qos: 1 }, (e) => {
      clearTimeout(timer);
      if (e) reject(e);
      else resolve();
    });
  });
}

const provisioned = new Map<string, string>();
async function provision(via: string, id: string, cls: string, building = 'bldg-1', extra: Record<string, unknown> = {}): Promise<string> {
  const r = await ok<{ secret: string }>(via, 'POST', '/api/devices', { id, site: 'site-1', building, class: cls, ...extra });
  provisioned.set(id, r.secret);
  return r.secret;
}
const identity = (id: string, cls: 'elevator' | 'fire-panel', building = 'bldg-1') => ({
  id,
  secret: provisioned.get(id)!,
  site: 'site-1',
  building,
  class: cls,
  floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
});

// ------------------------------------------------------------------ setup

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--server-only', '--outdir', bundleDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  [db, redis, rx] = await Promise.all([createTestDatabase(), startRedis(), startReceivers()]);
  sql = new pg.Pool({ connectionString: db.url, max: 2 });
  // the database is dropped at the end with its connections terminated: an idle one going is no error
  sql.on('error', () => undefined);
  await startHub('a'); // first: creates the admin account
  await Promise.all([startHub('b'), startHub('c')]);
  const r = await fetch(`${hub('a').http}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD, token: true }),
  });
  token = ((await r.json()) as { token: string }).token;
  await ok('a', 'POST', '/api/sites', { id: 'site-1', name: '一号园区' });
  await ok('b', 'POST', '/api/buildings', { id: 'bldg-1', site: 'site-1', name: '1 号楼', floors: 10 });
  await ok('c', 'POST', '/api/buildings', { id: 'bldg-2', site: 'site-1', name: '2 号楼', floors: 10 });
}, 180_000);

afterAll(async () => {
  for (const name of [...hubs.keys()]) await stopHub(name, 'SIGKILL');
  await sql?.end();
  redis?.proc.kill('SIGKILL');
  await rx?.close();
  await db?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(bundleDir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ scenarios

describe('three hub instances on one Redis and one PostgreSQL', () => {
  it('fire alarm on A: dashboards on B and C see it live, one incident, the recall reaches cars on B and C and is confirmed', async () => {
    await provision('a', 'fp-1', 'fire-panel');
    await provision('b', 'el-1', 'elevator', 'bldg-1', { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], meta: { car: '1' } });
    await provision('c', 'el-2', 'elevator', 'bldg-1', { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], meta: { car: '2' } });
    const opts = {
      keepalive: 5,
      intervalMs: 60_000,
      reconnectPeriod: 0,
      simConfig: () => ({ elevator: { floorTravelMs: 40, doorMs: 40 } }),
    };
    const sims: StartedDevice[] = [
      ...(await startDevices([identity('fp-1', 'fire-panel')], { ...opts, url: hub('a').mqttUrl })),
      ...(await startDevices([identity('el-1', 'elevator')], { ...opts, url: hub('b').mqttUrl })),
      ...(await startDevices([identity('el-2', 'elevator')], { ...opts, url: hub('c').mqttUrl })),
    ];
    const recalls: string[] = [];
    for (const s of sims) s.client.on('command', (r: { name: string }) => void recalls.push(`${s.identity.id}:${r.name}`));
    const [sb, sc] = await Promise.all([live('b'), live('c')]);
    try {
      // every instance knows every device is online (the owner announced it)
      for (const name of ['a', 'b', 'c']) {
        await waitFor(
          async () => {
            const list = await ok<DeviceView[]>(name, 'GET', '/api/devices');
            return ['fp-1', 'el-1', 'el-2'].every((id) => list.find((d) => d.id === id)?.state === 'online');
          },
          10_000,
          `devices online as seen by ${name}`,
        );
      }
      const seen = { b: [] as IncidentView[], c: [] as IncidentView[] };
      sb.on('incident:opened', (v: IncidentView) => void seen.b.push(v));
      sc.on('incident:opened', (v: IncidentView) => void seen.c.push(v));
      await (sims[0]!.sim as FirePanelSim).alarm('z5', 5, 'smoke');
      await waitFor(() => seen.b.some((v) => v.kind === 'fire_alarm') && seen.c.some((v) => v.kind === 'fire_alarm'), 10_000, 'live push');
      // exactly once on each dashboard (the adapter fans out; nobody re-sends it)
      expect(seen.b.filter((v) => v.kind === 'fire_alarm')).toHaveLength(1);
      expect(seen.c.filter((v) => v.kind === 'fire_alarm')).toHaveLength(1);
      const id = seen.b.find((v) => v.kind === 'fire_alarm')!.id;
      const confirmed = await waitFor(
        async () => {
          const d = await ok<IncidentDetail>('c', 'GET', `/api/incidents/${id}`);
          const cmds = d.commands.filter((c) => c.name === 'recall');
          const cars = (d.data.recall as { cars?: Array<{ deviceId: string; status: string }> } | undefined)?.cars ?? [];
          return cmds.length === 2 &&
            cmds.every((c) => c.state === 'confirmed') &&
            cars.length === 2 &&
            cars.every((c) => c.status === 'confirmed')
            ? d
            : null;
        },
        15_000,
        'both recalls confirmed',
      );
      expect(recalls.filter((r) => r.endsWith(':recall')).sort()).toEqual(['el-1:recall', 'el-2:recall']);
      expect(confirmed.commands.map((c) => c.deviceId).sort()).toEqual(['el-1', 'el-2']);
      // the same answer everywhere: one open fire incident
      for (const name of ['a', 'b', 'c']) {
        const open = await ok<IncidentView[]>(name, 'GET', '/api/incidents?state=open&kind=fire_alarm');
        expect(open.map((v) => v.id)).toEqual([id]);
      }
      // sync gives the same devices on every instance
      const syncOf = (s: Socket) =>
        new Promise<{ devices: DeviceView[] }>((resolve) => s.emit('sync', (r: { devices: DeviceView[] }) => resolve(r)));
      const [yb, yc] = await Promise.all([syncOf(sb), syncOf(sc)]);
      const states = (r: { devices: DeviceView[] }) => r.devices.map((d) => `${d.id}:${d.state}`).sort();
      expect(states(yb)).toEqual(states(yc));
      expect(states(yb)).toEqual(['el-1:online', 'el-2:online', 'fp-1:online']);
    } finally {
      sb.close();
      sc.close();
      await stopDevices(sims);
    }
  });

  it('provisioned through B, a device connects to A at once; disabled through C, A drops it', async () => {
    const secret = await provision('b', 'el-p', 'elevator', 'bldg-2');
    const c = await connectMqtt(hub('a').mqttUrl, 'el-p', secret);
    try {
      const closed = new Promise<void>((r) => c.once('close', () => r()));
      await ok('c', 'PATCH', '/api/devices/el-p', { enabled: false });
      await closed;
      // and every instance refuses it once its registry has the change: the notice reaches each
      // instance on its own (Redis pub/sub), so B or C may learn it a moment after A dropped it
      for (const name of ['a', 'b', 'c']) {
        await waitFor(
          async () => (await ok<DeviceView>(name, 'GET', '/api/devices/el-p')).enabled === false,
          10_000,
          `disabled on ${name}`,
        );
        await expect(connectMqtt(hub(name).mqttUrl, 'el-p', secret)).rejects.toThrow(/Not authorized|Bad username|refused/i);
      }
    } finally {
      c.end(true);
    }
  });

  it('maintenance set through B: a dashboard on C sees it live once, A (holding the panel) opens no fault; ended through C, faults open again', async () => {
    const secret = await provision('a', 'fp-m', 'fire-panel', 'bldg-2');
    const base = 'bops/v1/site-1/bldg-2/fire-panel/fp-m';
    const onA = await connectMqtt(hub('a').mqttUrl, 'fp-m', secret);
    const sc = await live('c');
    const pushes: DeviceView[] = [];
    sc.on('device:changed', (v: DeviceView) => void (v.id === 'fp-m' && pushes.push(v)));
    try {
      await ok('b', 'PUT', '/api/devices/fp-m/maintenance', { reason: '年检 annual test', until: Date.now() + 3_600_000 });
      await waitFor(() => pushes.some((v) => v.maintenance?.reason === '年检 annual test'), 10_000, 'maintenance push on C');
      // the instance holding the connection learnt it too (its fault watchers read its own registry)
      await waitFor(async () => (await ok<DeviceView>('a', 'GET', '/api/devices/fp-m')).maintenance !== null, 10_000, 'maintenance on A');
      await publishEvent(onA, base, { id: 'm-1', ts: Date.now(), type: 'fire.trouble', data: { zone: 'z3', code: 'E-IN-MAINT' } });
      // the PUBACK means stored, not yet decided: end the window only once A's incident engine has
      // routed the event (A's routed watermark has passed it, services/devices/replay.ts) — else, on
      // a busy machine, the event is decided after the window ended and rightly opens a fault
      await waitFor(
        async () =>
          (
            await sql.query(
              `SELECT 1 FROM "DeviceEvent" e JOIN "EventRouting" r ON r."storedBy" = e."storedBy"
                WHERE e."deviceId" = 'fp-m' AND e."eventId" = 'm-1' AND r."routedBefore" > e."receivedAt"`,
            )
          ).rowCount === 1,
        10_000,
        'm-1 routed on A',
      );
      await ok('c', 'DELETE', '/api/devices/fp-m/maintenance');
      await waitFor(() => pushes.some((v) => v.maintenance === null), 10_000, 'maintenance ended push on C');
      await waitFor(async () => (await ok<DeviceView>('a', 'GET', '/api/devices/fp-m')).maintenance === null, 10_000, 'ended on A');
      // events of one device are decided in order: once the later fault shows, the earlier one was decided
      await publishEvent(onA, base, { id: 'm-2', ts: Date.now(), type: 'fire.trouble', data: { zone: 'z3', code: 'E-AFTER' } });
      const faults = await waitFor(
        async () => {
          const list = (await ok<IncidentView[]>('b', 'GET', '/api/incidents?state=all&kind=device_fault')).filter(
            (v) => v.deviceId === 'fp-m',
          );
          return list.length ? list : null;
        },
        10_000,
        'fault after maintenance',
      );
      expect(faults.map((f) => f.data.code)).toEqual(['E-AFTER']);
      // each change reached C exactly once (the adapter fans out; no instance re-sends it)
      expect(pushes.map((v) => (v.maintenance ? 'on' : 'off'))).toEqual(['on', 'off']);
    } finally {
      sc.close();
      onA.end(true);
    }
  });

  it('failed logins spread over the instances share one limit (rate-limit counters in Redis)', async () => {
    // HUB_LOGIN_FAILS_PER_USER defaults to 5: three failures on A and two on B use it up
    const attempt = async (name: string) =>
      (
        await fetch(`${hub(name).http}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'guessed-account', password: 'wrong-Pass-123' }),
        })
      ).status;
    const statuses: number[] = [];
    for (const name of ['a', 'a', 'a', 'b', 'b']) statuses.push(await attempt(name));
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    // C has seen none of them itself, and still refuses without checking the password
    expect(await attempt('c')).toBe(429);
    expect(await attempt('a')).toBe(429);
    // the counter lives in Redis under the hub's prefix, not in one process
    const keys = spawnSync('redis-cli', ['-u', redis.url, '--scan', '--pattern', 'bops:rate-limit:*'], { encoding: 'utf8' });
    expect(keys.stdout).toContain('login-user:guessed-account');
  });

  it('a maintenance window set through B runs out by itself: every instance arms its expiry, one push reaches C, A suppresses no more', async () => {
    await provision('a', 'fp-x', 'fire-panel', 'bldg-2');
    const sc = await live('c');
    const pushes: DeviceView[] = [];
    sc.on('device:changed', (v: DeviceView) => void (v.id === 'fp-x' && pushes.push(v)));
    try {
      await ok('b', 'PUT', '/api/devices/fp-x/maintenance', { reason: '短时检修 short window', until: Date.now() + 2000 });
      await waitFor(() => pushes.some((v) => v.maintenance !== null), 10_000, 'maintenance push on C');
      await waitFor(() => pushes.some((v) => v.maintenance === null), 10_000, 'expiry push on C');
      for (const name of ['a', 'b', 'c'])
        await waitFor(
          async () => (await ok<DeviceView>(name, 'GET', '/api/devices/fp-x')).maintenance === null,
          10_000,
          `expired on ${name}`,
        );
      // a later change reaches C after any copy of the expiry push would have: still one of each
      await ok('a', 'PUT', '/api/devices/fp-x/maintenance', { reason: '复检 recheck', until: Date.now() + 3_600_000 });
      await waitFor(() => pushes.filter((v) => v.maintenance !== null).length === 2, 10_000, 'second window on C');
      expect(pushes.map((v) => (v.maintenance ? 'on' : 'off'))).toEqual(['on', 'off', 'on']);
    } finally {
      sc.close();
    }
  });

  it('the same QoS1 event id through two instances (reconnect elsewhere, redelivery) is processed once', async () => {
    const secret = await provision('a', 'fp-d', 'fire-panel', 'bldg-2');
    const base = 'bops/v1/site-1/bldg-2/fire-panel/fp-d';
    const onA = await connectMqtt(hub('a').mqttUrl, 'fp-d', secret);
    await publishEvent(onA, base, { id: 'dup-1', ts: Date.now(), type: 'fire.trouble', data: { zone: 'z9', code: 'E1' } });
    const inc = await waitFor(
      async () => (await ok<IncidentView[]>('b', 'GET', '/api/incidents?state=open&kind=device_fault')).find((v) => v.deviceId === 'fp-d'),
      10_000,
      'fault incident',
    );
    const before = (await ok<IncidentDetail>('c', 'GET', `/api/incidents/${inc.id}`)).timeline.length;
    // the device reconnects to B (takeover of its client id across instances) and redelivers
    const aClosed = new Promise<void>((r) => onA.once('close', () => r()));
    const onB = await connectMqtt(hub('b').mqttUrl, 'fp-d', secret);
    try {
      await aClosed;
      await publishEvent(onB, base, { id: 'dup-1', ts: Date.now(), type: 'fire.trouble', data: { zone: 'z9', code: 'E1' } });
      // a new event after it: once it shows, the redelivery (acked before it) has been decided
      await publishEvent(onB, base, { id: 'dup-2', ts: Date.now(), type: 'fire.trouble', data: { zone: 'z9', code: 'E2' } });
      const after = await waitFor(
        async () => {
          const d = await ok<IncidentDetail>('c', 'GET', `/api/incidents/${inc.id}`);
          return d.timeline.length > before ? d : null;
        },
        10_000,
        'second event on the timeline',
      );
      expect(after.timeline.length).toBe(before + 1);
      const stored = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM "DeviceEvent" WHERE "deviceId" = 'fp-d'`);
      expect(Number(stored.rows[0]!.n)).toBe(2);
      const faults = await ok<IncidentView[]>('a', 'GET', '/api/incidents?state=open&kind=device_fault');
      expect(faults.filter((v) => v.deviceId === 'fp-d')).toHaveLength(1);
      // the takeover left the device online (owned by B), as every instance sees it
      for (const name of ['a', 'c']) {
        const d = (await ok<DeviceView[]>(name, 'GET', '/api/devices')).find((x) => x.id === 'fp-d');
        expect(d?.state).toBe('online');
      }
    } finally {
      onB.end(true);
    }
  });

  it('a telemetry rule created through C is evaluated on A (cluster bus); deleted through B, A clears its fault', async () => {
    const secret = await provision('b', 'wt-r', 'water', 'bldg-1', { floors: [-1], meta: { role: 'sump', pit: 'b1-sump' } });
    const rule = await ok<{ id: string }>('c', 'POST', '/api/telemetry-rules', {
      name: '集水井水位高',
      deviceClass: 'water',
      metric: 'water_level_cm',
      comparison: 'gt',
      threshold: 50,
      hysteresis: 5,
    });
    const c = await connectMqtt(hub('a').mqttUrl, 'wt-r', secret);
    const send = () =>
      c.publish('bops/v1/site-1/bldg-1/water/wt-r/telemetry', JSON.stringify({ v: 1, ts: Date.now(), metrics: { water_level_cm: 80 } }));
    // A learns of the rule through Redis (at most once, asynchronously): the pit keeps reporting
    const beat = setInterval(send, 200);
    try {
      send();
      const fault = await waitFor(
        async () => (await ok<IncidentView[]>('b', 'GET', '/api/incidents?kind=device_fault')).find((i) => i.deviceId === 'wt-r'),
        15_000,
        'rule fault opened on A',
      );
      expect(fault.data).toMatchObject({ cause: 'rule' });
    } finally {
      clearInterval(beat);
    }
    await ok('b', 'DELETE', `/api/telemetry-rules/${rule.id}`);
    await waitFor(
      async () =>
        (await ok<IncidentView[]>('c', 'GET', '/api/incidents?kind=device_fault')).find((i) => i.deviceId === 'wt-r')?.state ===
        'recovered',
      15_000,
      'A cleared the fault of the deleted rule',
    );
    c.end(true);
  });

  it('a timer due while its instance is SIGKILLed fires once, on another instance; settings changed on C apply on A', async () => {
    await ok('c', 'PATCH', '/api/settings', { values: { 'elevator_entrapment.ackSeconds': 5 } });
    await settingSeen('a', 'elevator_entrapment.ackSeconds', 5);
    const secret = await provision('c', 'el-t', 'elevator', 'bldg-2', { floors: [1, 2, 3], meta: { car: 't' } });
    const c = await connectMqtt(hub('a').mqttUrl, 'el-t', secret);
    const t0 = Date.now();
    await publishEvent(c, 'bops/v1/site-1/bldg-2/elevator/el-t', {
      id: 'trap-1',
      ts: t0,
      type: 'elevator.entrapment',
      data: { car: 't', floor: 2 },
    });
    const inc = await waitFor(
      async () =>
        (await ok<IncidentView[]>('b', 'GET', '/api/incidents?state=open&kind=elevator_entrapment')).find((v) => v.deviceId === 'el-t'),
      10_000,
      'entrapment incident',
    );
    const ack = inc.timers.find((x) => x.key === 'ack')!;
    expect(ack.dueAt - t0).toBeLessThan(5000 + 2000); // the 5 s set on C, applied by A
    expect(Date.now()).toBeLessThan(ack.dueAt); // killed before it is due
    await stopHub('a', 'SIGKILL');
    c.end(true);
    const fired = await waitFor(
      async () => {
        const d = await ok<IncidentDetail>('b', 'GET', `/api/incidents/${inc.id}`);
        return d.timers.find((x) => x.key === 'ack' && x.status === 'fired') ? d : null;
      },
      15_000,
      'ack timer fired elsewhere',
    );
    expect(fired.timers.find((x) => x.key === 'ack')!.firedAt).toBeGreaterThanOrEqual(ack.dueAt);
    const count = async () =>
      Number(
        (
          await sql.query<{ n: string }>(`SELECT count(*) AS n FROM "AuditLog" WHERE target = $1 AND actor = 'timer:ack'`, [
            `incident:${inc.id}`,
          ])
        ).rows[0]!.n,
      );
    expect(await count()).toBe(1);
    // A comes back (its start ticks every due timer): still once
    await startHub('a');
    expect(await count()).toBe(1);
    // the killed instance's device was marked lost by a survivor (owner sweep), seen everywhere
    for (const name of ['a', 'b', 'c']) {
      await waitFor(
        async () => (await ok<DeviceView[]>(name, 'GET', '/api/devices')).find((x) => x.id === 'el-t')?.state !== 'online',
        10_000,
        `el-t not online on ${name}`,
      );
    }
  });

  it('a rolling restart of all three under a steady device load loses no event and no incident', async () => {
    const front = new TcpFront();
    await front.listen();
    front.backends = ['a', 'b', 'c'].map((n) => hub(n).mqttPort);
    // a steady load this shared 2-core machine carries next to three instances (BENCHMARKS.md
    // has the throughput figures): 2 cars at 5 events/s, one panel opening a fault every 0.5 s
    const cars = ['ld-e1', 'ld-e2'];
    const panels = ['ld-p1'];
    for (const id of cars) await provision('a', id, 'elevator', 'bldg-2', { floors: [1, 2, 3] });
    for (const id of panels) await provision('b', id, 'fire-panel', 'bldg-2');
    const url = `mqtt://127.0.0.1:${front.port}`;
    const clients = new Map<string, MqttClient>();
    for (const id of [...cars, ...panels]) {
      clients.set(id, await connectMqtt(url, id, provisioned.get(id)!, { reconnectPeriod: 200, keepalive: 5 }));
    }
    const acked = new Map<string, string[]>();
    const zones: string[] = [];
    let running = true;
    let stoppedAt = Infinity;
    /** publish until acknowledged (same id on every retry: the hub processes it once) */
    const deliver = async (id: string, base: string, ev: Record<string, unknown>) => {
      for (;;) {
        const c = clients.get(id)!;
        try {
          await Promise.race([
            publishEvent(c, base, ev),
            new Promise((_, rej) => setTimeout(() => rej(new Error('no PUBACK in 3 s')), 3000)),
          ]);
          return;
        } catch (err) {
          // not forever: a hub that never acknowledges again must fail the test, not hang it
          if (Date.now() - stoppedAt > 30_000)
            throw new Error(
              `${ev.id as string} not acknowledged 30 s after the load stopped: ${String(err)}; the client is ${c.connected ? 'connected' : 'not connected'}, ${c.getLastMessageId()} last packet id; the instances printed:\n` +
                [...hubs.values()].map((h) => `--- ${h.name}\n${h.out.slice(-3000)}`).join('\n'),
            );
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const load = [...cars, ...panels].map(async (id) => {
      const panel = id.startsWith('ld-p');
      const base = `bops/v1/site-1/bldg-2/${panel ? 'fire-panel' : 'elevator'}/${id}`;
      for (let n = 0; running; n++) {
        const evId = `${id}-${n}`;
        const zone = `${id}-z${n}`;
        await deliver(
          id,
          base,
          panel
            ? { id: evId, ts: Date.now(), type: 'fire.trouble', data: { zone, code: 'T' } }
            : { id: evId, ts: Date.now(), type: 'elevator.normal', data: { floor: 1 + (n % 3), doors: 'closed' } },
        );
        acked.set(id, [...(acked.get(id) ?? []), evId]);
        if (panel) zones.push(zone);
        await new Promise((r) => setTimeout(r, panel ? 500 : 200));
      }
    });
    let loadEnded: Array<PromiseSettledResult<void>> = [];
    try {
      const total = () => [...acked.values()].reduce((s, l) => s + l.length, 0);
      await waitFor(() => total() > 20, 10_000, 'load running');
      for (const name of ['a', 'b', 'c']) {
        // drained from the front (HAProxy's health check), stopped in order, started again
        front.backends = front.backends.filter((p) => p !== hub(name).mqttPort);
        const mark = total();
        await stopHub(name, 'SIGTERM');
        await startHub(name);
        front.backends.push(hub(name).mqttPort);
        await waitFor(() => total() > mark + 5, 15_000, `load continues after restarting ${name}`);
      }
    } finally {
      running = false;
      stoppedAt = Date.now();
      loadEnded = await Promise.allSettled(load);
      for (const c of clients.values()) c.end(true);
      await front.close();
    }
    for (const r of loadEnded) if (r.status === 'rejected') throw r.reason;
    // every acknowledged event stored exactly once
    const rows = await sql.query<{ deviceId: string; eventId: string }>(
      `SELECT "deviceId", "eventId" FROM "DeviceEvent" WHERE "deviceId" = ANY($1)`,
      [[...cars, ...panels]],
    );
    const stored = rows.rows.map((r) => r.eventId).sort();
    expect(stored).toEqual([...acked.values()].flat().sort());
    // every trouble zone has its one fault incident (none lost, none doubled)
    const troubleKeys = async () =>
      (
        await sql.query<{ key: string }>(
          `SELECT "dedupKey" AS key FROM "Incident" WHERE kind = 'device_fault' AND "deviceId" = ANY($1) AND "dedupKey" LIKE '%/trouble/%'`,
          [panels],
        )
      ).rows.map((r) => r.key);
    await waitFor(async () => (await troubleKeys()).length >= zones.length, 15_000, 'one fault incident per trouble zone');
    const keys = await troubleKeys();
    expect(keys.sort()).toEqual(zones.map((z) => `${z.slice(0, z.lastIndexOf('-z'))}/trouble/${z}`).sort());
    // three orderly restarts: on this shared 2-core machine an instance takes 15–60 s to start
  }, 300_000);
  it('an event stored and acknowledged on A, which is SIGKILLed before routing it, is routed once by a survivor', async () => {
    const secret = await provision('b', 'fp-r', 'fire-panel', 'bldg-2');
    // hold bldg-2's incident lock (services/core/locks.ts names it incidents:<building>): A stores
    // and acknowledges the event, then waits for the lock to open the fault — and is killed there
    const holder = new pg.Client({ connectionString: db.url });
    holder.on('error', () => undefined); // ended in `finally`; a dropped connection is no test result
    await holder.connect();
    await holder.query(`SELECT pg_advisory_lock(hashtextextended('incidents:bldg-2', 0))`);
    let killed = '';
    try {
      const dev = await connectMqtt(hub('a').mqttUrl, 'fp-r', secret);
      await publishEvent(dev, 'bops/v1/site-1/bldg-2/fire-panel/fp-r', {
        id: 'unrouted-1',
        ts: Date.now(),
        type: 'fire.trouble',
        data: { zone: 'zr', code: 'E7' },
      });
      // PUBACKed: stored by A, and not yet routed by A's watermark
      const row = await sql.query<{ storedBy: string | null; routed: boolean }>(
        `SELECT e."storedBy", r."routedBefore" > e."receivedAt" AS routed
           FROM "DeviceEvent" e JOIN "EventRouting" r ON r."storedBy" = e."storedBy"
          WHERE e."deviceId" = 'fp-r' AND e."eventId" = 'unrouted-1'`,
      );
      expect(row.rows[0]?.storedBy).toMatch(/^a:/);
      expect(row.rows[0]?.routed).toBe(false);
      killed = row.rows[0]!.storedBy!;
      await stopHub('a', 'SIGKILL');
      dev.end(true);
    } finally {
      await holder.end(); // the lock goes with the session
    }
    // A's heartbeat lapses (HUB_CLUSTER_LEASE_S = 3): a survivor replays the event
    const faults = async () =>
      (await sql.query<{ id: string }>(`SELECT id FROM "Incident" WHERE kind = 'device_fault' AND "deviceId" = 'fp-r'`)).rows.map(
        (r) => r.id,
      );
    await waitFor(async () => (await faults()).length > 0, 30_000, 'fault opened from the replayed event');
    await waitFor(
      async () => (await sql.query(`SELECT 1 FROM "EventRouting" WHERE "storedBy" = $1`, [killed])).rowCount === 0,
      10_000,
      'the dead process replayed (its watermark row gone)',
    );
    expect(await faults()).toHaveLength(1);
    const d = await ok<IncidentDetail>('b', 'GET', `/api/incidents/${(await faults())[0]}`);
    expect(d.open).toBe(true);
    await startHub('a');
  }, 120_000);

  it('devices held by a SIGKILLed instance are marked lost by a survivor, and the dead instance is forgotten', async () => {
    const secret = await provision('a', 'ic-k', 'intercom');
    const stateOn = async (name: string) => (await ok<DeviceView[]>(name, 'GET', '/api/devices')).find((x) => x.id === 'ic-k')?.state;
    const cli = (...args: string[]) => spawnSync('redis-cli', ['-u', redis.url, ...args], { encoding: 'utf8' }).stdout.trim();
    const dev = await connectMqtt(hub('c').mqttUrl, 'ic-k', secret, { reconnectPeriod: 0 });
    try {
      await waitFor(async () => (await stateOn('a')) === 'online', 10_000, 'online, seen on a');
      expect(cli('HGET', 'bops:owner', 'ic-k')).toBe('c');
      expect(cli('SISMEMBER', 'bops:instances', 'c')).toBe('1');
      await stopHub('c', 'SIGKILL');
      // c's heartbeat lapses (HUB_CLUSTER_LEASE_S = 3) and a survivor's owner sweep (every 1.5 s)
      // finds it dead: the device it held is lost, its ownership released, c no longer listed
      await waitFor(async () => (await stateOn('b')) === 'lost', 15_000, 'lost, seen on b');
      // whichever survivor swept, the other learns it over Redis a moment later (CI once read
      // a's view in between: 'online')
      await waitFor(async () => (await stateOn('a')) === 'lost', 5_000, 'lost, seen on a');
      await waitFor(() => cli('SISMEMBER', 'bops:instances', 'c') === '0', 10_000, 'c forgotten');
      expect(cli('HEXISTS', 'bops:owner', 'ic-k')).toBe('0');
      expect(cli('SMEMBERS', 'bops:instances').split('\n').sort()).toEqual(['a', 'b']);
    } finally {
      dev.end(true);
      if (!hubs.has('c')) await startHub('c');
    }
    // back in the set with its first heartbeat
    expect(cli('SISMEMBER', 'bops:instances', 'c')).toBe('1');
  }, 60_000);

  it('a link fault opened after a drop on A recovers when the device is back on B (a status routed without the lock first)', async () => {
    await ok('c', 'PATCH', '/api/settings', { values: { 'device_link.offlineDebounceSeconds': 5 } });
    await settingSeen('a', 'device_link.offlineDebounceSeconds', 5);
    try {
      const secret = await provision('c', 'fp-o', 'fire-panel', 'bldg-2');
      const faults = async () =>
        (await ok<IncidentView[]>('c', 'GET', '/api/incidents?state=all&kind=device_fault')).filter((v) => v.deviceId === 'fp-o');
      const first = await connectMqtt(hub('a').mqttUrl, 'fp-o', secret, { reconnectPeriod: 0 });
      await waitFor(
        async () => (await ok<DeviceView[]>('a', 'GET', '/api/devices')).find((x) => x.id === 'fp-o')?.state === 'online',
        10_000,
        'online on a',
      );
      first.stream.destroy(); // lost, not a goodbye
      const [fault] = await waitFor(
        async () => ((await faults()).length ? await faults() : null),
        20_000,
        'offline fault after the debounce',
      );
      expect(fault!.state).not.toBe('recovered');
      const back = await connectMqtt(hub('b').mqttUrl, 'fp-o', secret);
      try {
        await waitFor(async () => (await faults())[0]?.state === 'recovered', 15_000, 'the fault recovered by the status on b');
        expect(await faults()).toHaveLength(1);
        const d = await ok<IncidentDetail>('a', 'GET', `/api/incidents/${fault!.id}`);
        expect(d.state).toBe('recovered');
      } finally {
        back.end(true);
      }
    } finally {
      await ok('c', 'PATCH', '/api/settings', { values: { 'device_link.offlineDebounceSeconds': 30 } });
    }
  }, 90_000);

  it('a device flapping between instances is judged from all its drops, once', async () => {
    await ok('c', 'PATCH', '/api/settings', {
      values: { 'device_link.flapThreshold': 3, 'device_link.offlineDebounceSeconds': 5 },
    });
    for (const name of ['a', 'b']) await settingSeen(name, 'device_link.flapThreshold', 3);
    const secret = await provision('c', 'fp-f', 'fire-panel', 'bldg-2');
    const stateOn = async (name: string) => (await ok<DeviceView[]>(name, 'GET', '/api/devices')).find((x) => x.id === 'fp-f')?.state;
    // one drop on each instance: none of them alone sees three. Each drop is counted into the
    // shared guard in Redis before the next connection: the guard is read, changed and written
    // back (not atomic), so two drops on two instances within that moment could count once —
    // seen once in CI under load; the known limit is in docs/scale-out.md
    const dropsInRedis = () => {
      const v = spawnSync('redis-cli', ['-u', redis.url, 'GET', 'bops:link:fp-f'], { encoding: 'utf8' }).stdout.trim();
      return v ? (JSON.parse(v) as { drops: number[] }).drops.length : 0;
    };
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      const c = await connectMqtt(hub(name).mqttUrl, 'fp-f', secret);
      await waitFor(async () => (await stateOn(name)) === 'online', 10_000, `online on ${name}`);
      c.end(true);
      await waitFor(async () => (await stateOn(name)) !== 'online', 10_000, `dropped on ${name}`);
      await waitFor(() => dropsInRedis() >= i + 1, 10_000, `drop ${i + 1} counted in Redis`);
    }
    const back = await connectMqtt(hub('a').mqttUrl, 'fp-f', secret);
    try {
      const faults = async () =>
        (await ok<IncidentView[]>('b', 'GET', '/api/incidents?state=open&kind=device_fault')).filter((v) => v.deviceId === 'fp-f');
      const [fault] = await waitFor(async () => ((await faults()).length ? await faults() : null), 15_000, 'flapping fault');
      const d = await ok<IncidentDetail>('c', 'GET', `/api/incidents/${fault!.id}`);
      expect((d.data as { cause?: string }).cause).toBe('flapping');
      expect(await faults()).toHaveLength(1);
    } finally {
      back.end(true);
      await ok('c', 'PATCH', '/api/settings', {
        values: { 'device_link.flapThreshold': 5, 'device_link.offlineDebounceSeconds': 30 },
      });
    }
  });

  it('the instance that opened an escalation chain is SIGKILLed: the next levels are delivered once, by another instance', async () => {
    const chan = await ok<{ id: string }>('b', 'POST', '/api/notification-channels', {
      name: '监控中心群',
      kind: 'webhook',
      config: { url: `${rx.url}/webhook-chain`, secret: rx.secrets.webhook },
    });
    await ok('c', 'PUT', '/api/escalation-policies/device_fault', {
      levels: [
        { afterSeconds: 0, targets: [{ channelId: chan.id }] },
        { afterSeconds: 8, targets: [{ channelId: chan.id }] },
        { afterSeconds: 12, targets: [{ channelId: chan.id }] },
      ],
    });
    // opened through A: A's bus opens the chain and sends level 0
    const inc = await ok<IncidentView>('a', 'POST', '/api/incidents', {
      kind: 'device_fault',
      building: 'bldg-1',
      payload: { deviceId: 'chain-dev', description: '离线' },
    });
    const levels = (lv: number) =>
      rx.received.filter(
        (r) =>
          r.path === '/webhook-chain' &&
          r.status === 200 &&
          ((r.body as unknown as WebhookPayload).items ?? []).some((i) => i.incident.id === inc.id && i.level === lv),
      );
    await waitFor(() => levels(0).length > 0, 10_000, 'level 0 delivered');
    await stopHub('a', 'SIGKILL');
    expect(Date.now()).toBeLessThan(inc.openedAt + 8000); // killed before level 1 was due
    // B and C both tick: one of them claims each step; level 2 arriving means level 1 has been decided
    await waitFor(() => levels(2).length > 0, 30_000, 'level 2 delivered after the opener died');
    expect(levels(1)).toHaveLength(1);
    expect(levels(0)).toHaveLength(1);
    expect([...levels(0), ...levels(1), ...levels(2)].every((r) => r.verified)).toBe(true);
    const rows = await sql.query<{ level: number; n: string }>(
      `SELECT level, count(*) AS n FROM "NotificationDelivery" WHERE "incidentId" = $1 GROUP BY level ORDER BY level`,
      [inc.id],
    );
    expect(rows.rows.map((r) => `${r.level}:${r.n}`)).toEqual(['0:1', '1:1', '2:1']);
    const chain = await sql.query<{ nextAt: Date | null; claimedBy: string | null }>(
      `SELECT "nextAt", "claimedBy" FROM "NotificationChain" WHERE "incidentId" = $1`,
      [inc.id],
    );
    // the last level is done and no claim is left behind
    expect(chain.rows[0]).toEqual({ nextAt: null, claimedBy: null });
    await startHub('a');
  }, 120_000);
});
