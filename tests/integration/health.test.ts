// Start-up and health tell the truth (issue 7 items 4 and 5; issue 15 "Health"; CONTRACT.md
// "Operations"), with the dependencies really going away: a PostgreSQL and an InfluxDB started
// by this file are stopped and started under a running hub.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/mqtt.js';
import { loadConfig } from '../../services/core/config.js';
import { createLogger } from '../../services/core/logger.js';
import { seedDemo } from '../../services/hub/demo.js';
import { Hub } from '../../services/hub/hub.js';
import { api, connectDevice, provision, seedPlace, startTestHub, waitFor, ADMIN_PASSWORD, type TestHub } from '../helpers/hub.js';
import { freePort, startInfluxd, type InfluxdHandle } from '../helpers/influx.js';
import { createTestDatabase } from '../helpers/pg.js';
import { pgServer, type PgServer } from '../helpers/pg-server.js';

const quiet = createLogger(process.env.HUB_TEST_LOG ?? 'error', 'test-hub');
const tmpDirs: string[] = [];
async function tempDir(mode = 0o755): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-health-'));
  await fs.chmod(d, mode);
  tmpDirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of tmpDirs) await fs.rm(d, { recursive: true, force: true });
});

function baseEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HUB_HOST: '127.0.0.1',
    HUB_HTTP_PORT: '0',
    HUB_MQTT_PORT: '0',
    HUB_DATA_DIR: dataDir,
    HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HUB_DEMO: '0',
    HUB_LOG_LEVEL: 'error',
    ...extra,
  };
}

async function get<T = Record<string, unknown>>(url: string, token?: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: r.status, body: (await r.json()) as T };
}

describe('starting without the database', () => {
  let pgs: PgServer;
  let hub: Hub | null = null;
  const logs: string[] = [];
  beforeAll(async () => {
    pgs = await pgServer();
    // initialised once (initdb, the database) so that starting it later is quick; then down
    await pgs.start();
    await pgs.stop();
  });
  afterAll(async () => {
    await hub?.stop();
    await pgs?.destroy();
  });

  it('waits for DATABASE_URL with a clear message, answers live/ready meanwhile, and starts once it is there', async () => {
    const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(s) });
    const config = loadConfig(baseEnv(await tempDir(), { DATABASE_URL: pgs.url, HUB_DB_WAIT_S: '120' }));
    hub = Hub.create(config, { log });
    const running = hub.run();
    const h = hub;
    await waitFor(() => h.httpPort > 0, 10_000, 'HTTP listening before the database');
    const base = `http://127.0.0.1:${h.httpPort}`;
    expect((await get(`${base}/api/health/live`)).status).toBe(200);
    const notReady = await waitFor(
      async () => {
        const r = await get<{ ready: boolean; reason?: string }>(`${base}/api/health/ready`);
        return r.status === 503 && r.body.reason?.includes('ECONNREFUSED') ? r.body : null;
      },
      10_000,
      'readiness naming the refused database',
    );
    expect(notReady.ready).toBe(false);
    expect(notReady.reason).toContain('DATABASE_URL');
    expect(notReady.reason).toContain(`127.0.0.1:${pgs.port}/bops`);
    expect(notReady.reason).not.toContain('test-pg-password');
    expect((await get(`${base}/api/health`)).body).toEqual({ status: 'starting' });
    const other = await fetch(`${base}/api/devices`);
    expect(other.status).toBe(503);
    expect(other.headers.get('retry-after')).toBeTruthy();
    // the log says what is wrong and which setting to check — not a raw stack, never the password
    await waitFor(() => logs.some((l) => l.includes('waiting for PostgreSQL at DATABASE_URL')), 10_000, 'the wait logged');
    expect(logs.join('\n')).not.toContain('test-pg-password');

    await pgs.start();
    await running; // Hub.run resolves once fully started
    const ready = await get<{ ready: boolean }>(`${base}/api/health/ready`);
    expect(ready).toEqual({ status: 200, body: { ready: true, status: 'ready' } });
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
  });

  it('gives up after HUB_DB_WAIT_S with a message naming DATABASE_URL', async () => {
    const dead = `postgresql://postgres:x@127.0.0.1:${pgs.port + 1}/bops`; // nothing listens there
    const config = loadConfig(baseEnv(await tempDir(), { DATABASE_URL: dead, HUB_DB_WAIT_S: '1.5' }));
    await expect(Hub.start(config, { log: quiet })).rejects.toMatchObject({
      code: 'HUB_ERR_DB_UNREACHABLE',
      message: expect.stringMatching(/DATABASE_URL.*HUB_DB_WAIT_S/s),
    });
  });

  it('while running: the database stopping makes the hub not ready (503 with the reason) and requests 503, not 500; it recovers', async () => {
    const h = hub!;
    const base = `http://127.0.0.1:${h.httpPort}`;
    const token = (await h.auth.login('admin', ADMIN_PASSWORD)).token;
    await h.db.site.create({ data: { id: 'site-1', name: 'site' } });
    await h.db.building.create({ data: { id: 'bldg-1', siteId: 'site-1', name: 'b', floors: 3 } });
    // an operator's session, checked once before the outage (the hub caches verified sessions)
    expect((await get<{ status: string }>(`${base}/api/health`, token)).body.status).toBe('ok');
    logs.length = 0;
    await pgs.stop();
    const r = await waitFor(
      async () => {
        const x = await get<{ reason?: string }>(`${base}/api/health/ready`);
        return x.status === 503 ? x.body : null;
      },
      10_000,
      'not ready',
    );
    expect(r.reason).toMatch(/database unreachable/);
    const health = await get<{ status: string; db: { ok: boolean } }>(`${base}/api/health`, token);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', db: { ok: false } });
    // a request that needs the database: 503 with Retry-After, and the visitor's name is nowhere in the logs
    const visit = await fetch(`${base}/api/visits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ building: 'bldg-1', unit: '1201', visitorName: '秘密访客甲', notes: '车牌 粤B12345' }),
    });
    expect(visit.status).toBe(503);
    expect(((await visit.json()) as { code: string }).code).toBe('HUB_ERR_UNAVAILABLE');
    expect(logs.length).toBeGreaterThan(0); // the outage was logged…
    expect(logs.join('\n')).not.toMatch(/秘密访客甲|粤B12345/); // …without the request's data

    await pgs.start();
    await waitFor(async () => (await get(`${base}/api/health/ready`)).status === 200, 20_000, 'ready again');
    expect((await get<{ status: string }>(`${base}/api/health`, token)).body.status).toBe('ok');
  });
});

describe('telemetry health and counters', () => {
  let influx: InfluxdHandle;
  let t: TestHub;
  let c: MqttClient;
  beforeAll(async () => {
    influx = await startInfluxd({ db: 'healthtest' });
    t = await startTestHub({
      env: {
        INFLUX_URL: influx.url,
        INFLUX_API: '1',
        INFLUX_DB: 'healthtest',
        TELEMETRY_PROBE_S: '0.2',
        // nothing is flushed by the timer during the test: points wait in the buffer
        TELEMETRY_FLUSH_MS: '60000',
      },
    });
    await seedPlace(t);
  });
  afterAll(async () => {
    c?.end(true);
    await t?.close();
    await influx?.stop();
  });

  it('InfluxDB down: /api/health says degraded without waiting for a write, and ok again once it is back', async () => {
    expect((await api<{ status: string }>(t, 'GET', '/api/health')).body.status).toBe('ok');
    await influx.terminate();
    const down = await waitFor(
      async () => {
        const h = await api<{ status: string; telemetry: { ok: boolean; lastError: string | null } }>(t, 'GET', '/api/health');
        return h.body.status === 'degraded' ? h : null;
      },
      10_000,
      'degraded with no telemetry flowing',
    );
    expect(down.status).toBe(503);
    expect(down.body.telemetry.ok).toBe(false);
    expect(down.body.telemetry.lastError).toBeTruthy();
    // readiness is about serving the building, which the hub still does
    expect((await get(`${t.http}/api/health/ready`)).status).toBe(200);
    expect((await get(`${t.http}/api/health`)).body).toEqual({ status: 'degraded' }); // anonymous: status only
    await influx.restart();
    await waitFor(async () => (await api<{ status: string }>(t, 'GET', '/api/health')).body.status === 'ok', 10_000, 'ok again');
    expect(t.hub.telemetry.stats().written).toBe(0); // recovered by the probe, not by a write
  });

  it('QoS0 points still buffered at shutdown that cannot be written count as dropped, and the count survives the restart', async () => {
    const d = await provision(t, 'pm-health', 'power');
    c = await connectDevice(t, d);
    await influx.terminate();
    const n = 40;
    for (let i = 0; i < n - 1; i++)
      c.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: Date.now() - 1000 + i, metrics: { voltage_v: 380 + i } }), { qos: 0 });
    // a QoS1 last: its PUBACK means the hub has taken every point before it
    await new Promise<void>((r) =>
      c.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: Date.now(), metrics: { voltage_v: 400 } }), { qos: 1 }, () => r()),
    );
    await waitFor(() => t.hub.telemetry.stats().buffered === n, 5000, `${n} points buffered`);
    c.end(true);
    await t.restart(); // stop(): the final flush fails (InfluxDB is down) → counted, saved
    const h = await api<{ telemetry: { dropped: number; buffered: number } }>(t, 'GET', '/api/health');
    expect(h.body.telemetry).toMatchObject({ dropped: n, buffered: 0 });
    const row = await t.hub.db.hubCounter.findUnique({ where: { name: 'telemetry.dropped' } });
    expect(Number(row?.value)).toBe(n);
    await influx.restart();
  });
});

describe('data directory', () => {
  it('a demo start creates a missing HUB_DATA_DIR (demo-credentials.json used to fail with ENOENT)', async () => {
    const db = await createTestDatabase();
    const dataDir = path.join(await tempDir(), 'not', 'there', 'yet');
    const hub = await Hub.start(loadConfig(baseEnv(dataDir, { DATABASE_URL: db.url })), { log: quiet });
    try {
      const demo = await seedDemo(hub);
      expect(demo.fleet.length).toBeGreaterThan(0);
      await expect(fs.stat(path.join(dataDir, 'demo-credentials.json'))).resolves.toBeTruthy();
    } finally {
      await hub.stop();
      await db.drop();
    }
  });

  it('a `mktemp -d` folder (0700) works as HUB_DATA_DIR for the embedded PostgreSQL, also as root', async () => {
    const dataDir = await tempDir(0o700);
    const hub = await Hub.start(loadConfig(baseEnv(dataDir, { HUB_EMBEDDED_PG_PORT: String(await freePort()) })), { log: quiet });
    try {
      expect((await hub.health()).db).toEqual({ ok: true, embedded: true });
    } finally {
      await hub.stop();
    }
  });

  it('an unreachable ancestor that is not the hub’s own: fails with what exactly to do (as root), or just works (as a user)', async () => {
    const parent = await tempDir(0o700);
    const dataDir = path.join(parent, 'data');
    const start = Hub.start(loadConfig(baseEnv(dataDir, { HUB_EMBEDDED_PG_PORT: String(await freePort()) })), { log: quiet });
    if (process.getuid?.() === 0) {
      await expect(start).rejects.toMatchObject({
        code: 'HUB_ERR_EMBEDDED_PG',
        message: expect.stringContaining(`chmod o+x ${parent}`),
      });
      expect(((await fs.stat(parent)).mode & 0o777).toString(8)).toBe('700'); // not someone else's folder to change
    } else {
      const hub = await start;
      await hub.stop();
    }
  });
});
