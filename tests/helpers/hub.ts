// Start a real hub for integration tests: its own fresh database, broker and HTTP server on
// ephemeral loopback ports, embedded telemetry unless INFLUX_* is given. Always `close()`.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import type { DeviceClass } from '../../contracts/domain.js';
import { loadConfig } from '../../services/core/config.js';
import { createLogger, type Logger } from '../../services/core/logger.js';
import { Hub, type HubStartOptions } from '../../services/hub/hub.js';
import type { SimulatorConfig } from '../../devices/simulators/index.js';
import { createTestDatabase, type TestDatabase } from './pg.js';

// the password policy (services/admin/users.ts) applies on first start: ≥ 10 characters, not containing "admin"
export const ADMIN_PASSWORD = 'hub-test-pass-1';

export interface TestHub {
  hub: Hub;
  db: TestDatabase;
  http: string;
  mqttUrl: string;
  env: Record<string, string>;
  token: string;
  close(): Promise<void>;
  restart(extraEnv?: Record<string, string>): Promise<void>;
}

const TEST_HEARTBEATS = { 'fire-panel': 600_000, elevator: 600_000, power: 600_000, intercom: 600_000 } as const;

export async function startTestHub(
  opts: {
    env?: Record<string, string>;
    db?: TestDatabase;
    now?: () => number;
    incidentConfig?: HubStartOptions['incidentConfig'];
    linkPolicy?: HubStartOptions['linkPolicy'];
    heartbeatMs?: HubStartOptions['heartbeatMs'];
    /** a logger of the test's own (e.g. to assert what is logged); default: HUB_TEST_LOG level */
    log?: Logger;
  } = {},
): Promise<TestHub> {
  const db = opts.db ?? (await createTestDatabase());
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-hub-'));
  const env: Record<string, string> = {
    HUB_HOST: '127.0.0.1',
    HUB_HTTP_PORT: '0',
    HUB_MQTT_PORT: '0',
    HUB_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HUB_DEMO: '0',
    HUB_LOG_LEVEL: process.env.HUB_TEST_LOG ?? 'error',
    HUB_SOCKET_THROTTLE_MS: '100',
    ...opts.env,
  };
  const boot = async (extra: Record<string, string> = {}) => {
    const config = loadConfig({ ...env, ...extra });
    return Hub.start(config, {
      log: opts.log ?? createLogger(config.logLevel, 'test-hub'),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.incidentConfig ? { incidentConfig: opts.incidentConfig } : {}),
      ...(opts.linkPolicy ? { linkPolicy: opts.linkPolicy } : {}),
      // The simulators report once a minute (startSims), slower than the production heartbeats
      // (power 30 s): a test hub watches for silence at 10 min unless the test sets its own.
      heartbeatMs: { ...TEST_HEARTBEATS, ...opts.heartbeatMs },
    });
  };
  const t: TestHub = {
    hub: await boot(),
    db,
    http: '',
    mqttUrl: '',
    env,
    token: '',
    async close() {
      await t.hub.stop();
      if (!opts.db) await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
    async restart(extra) {
      await t.hub.stop();
      t.hub = await boot(extra);
      refresh();
    },
  };
  const refresh = () => {
    t.http = `http://127.0.0.1:${t.hub.httpPort}`;
    t.mqttUrl = `mqtt://127.0.0.1:${t.hub.mqttPort}`;
  };
  refresh();
  t.token = (await login(t, 'admin', ADMIN_PASSWORD)).token;
  return t;
}

export async function login(t: TestHub, username: string, password: string): Promise<{ token: string; status: number }> {
  const r = await fetch(`${t.http}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, token: true }),
  });
  const body = (await r.json()) as { token: string };
  return { token: body.token, status: r.status };
}

export async function api<T = unknown>(
  t: TestHub,
  method: string,
  url: string,
  body?: unknown,
  token = t.token,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const r = await fetch(`${t.http}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function seedPlace(t: TestHub, site = 'site-1', buildings = ['bldg-1']): Promise<void> {
  await t.hub.db.site.upsert({ where: { id: site }, update: {}, create: { id: site, name: site } });
  for (const b of buildings) {
    await t.hub.db.building.upsert({
      where: { id: b },
      update: {},
      create: { id: b, siteId: site, name: b, floors: 10, address: `${b} address` },
    });
  }
}

export interface Provisioned {
  id: string;
  deviceId: string;
  secret: string;
  site: string;
  building: string;
  class: DeviceClass;
}

export async function provision(
  t: TestHub,
  id: string,
  cls: DeviceClass,
  building = 'bldg-1',
  site = 'site-1',
  extra: Record<string, unknown> = {},
): Promise<Provisioned> {
  const r = await api<{ id: string; secret: string }>(t, 'POST', '/api/devices', { id, site, building, class: cls, ...extra });
  if (r.status !== 201) throw new Error(`provision ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return { id, deviceId: id, secret: r.body.secret, site, building, class: cls };
}

/** Connect a raw mqtt.js client; resolves on CONNACK, rejects on refusal. */
export function connectRaw(url: string, o: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...o });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

export function connectDevice(t: TestHub, d: Provisioned, o: IClientOptions = {}): Promise<MqttClient> {
  return connectRaw(t.mqttUrl, { clientId: d.id, username: d.id, password: d.secret, ...o });
}

export function socket(t: TestHub, ns = '/control-room', token = t.token): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = ioClient(`${t.http}${ns}`, { auth: { token }, transports: ['websocket'], reconnection: false });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => {
      s.close();
      reject(e);
    });
  });
}

export async function waitFor<T>(fn: () => T | Promise<T>, ms = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Start real simulated devices (SDK + simulators) for provisioned devices against the test hub. */
export async function startSims(
  t: TestHub,
  list: Provisioned[],
  simConfig: SimulatorConfig = { elevator: { floorTravelMs: 40, doorMs: 40 } },
) {
  const { startDevices } = await import('../../devices/runtime.js');
  return startDevices(
    list.map((d) => ({
      id: d.id,
      secret: d.secret,
      site: d.site,
      building: d.building,
      class: d.class,
      floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    })),
    // fast cars so drills take milliseconds; telemetry once so the hub knows each car's floor
    { url: t.mqttUrl, intervalMs: 60_000, keepalive: 5, simConfig: () => simConfig },
  );
}
