// Durable deliveries: the hub runs as a separate process, deliveries pile up while the receiver
// is down (503, retried with backoff), the hub is killed with SIGKILL, the receiver recovers and
// the hub is started again on the same database → every message arrives, none twice.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WebhookPayload } from '../../contracts/notifications.js';
import { createPrisma, type Db } from '../../services/core/db.js';
import { waitFor } from '../helpers/hub.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { startReceivers, type Receivers } from '../helpers/notify-receivers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD = 'restart-test-Pass-42';

let db: TestDatabase;
let prisma: Db;
let rx: Receivers;
let child: ChildProcess | null = null;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bops-restart-'));

/** Start the hub (`services/hub/main.ts`) as its own process; resolves with its HTTP base URL. */
function startHub(): Promise<{ proc: ChildProcess; http: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'services/hub/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        HUB_HOST: '127.0.0.1',
        HUB_HTTP_PORT: '0',
        HUB_MQTT_PORT: '0',
        HUB_DEMO: '0',
        DATABASE_URL: db.url,
        HUB_ADMIN_PASSWORD: PASSWORD,
        HUB_LOG_LEVEL: 'error',
        HUB_DATA_DIR: dataDir,
        NOTIFY_GROUP_WINDOW_MS: '0',
        NOTIFY_RETRY_LIMIT: '20',
        NOTIFY_RETRY_DELAY_S: '1',
        NOTIFY_JOB_EXPIRE_S: '3',
        NOTIFY_MAINTENANCE_S: '1',
        NOTIFY_POLL_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${out}`)), 60_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /Dashboard[^\n]*?(http:\/\/[^\s/]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, http: m[1]! });
      }
    });
    proc.stderr!.on('data', (b: Buffer) => void (out += b.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}: ${out}`));
    });
  });
}

async function call<T>(http: string, token: string, method: string, url: string, body?: unknown): Promise<T> {
  const r = await fetch(`${http}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

beforeAll(async () => {
  [db, rx] = await Promise.all([createTestDatabase(), startReceivers()]);
  prisma = createPrisma(db.url);
  await prisma.site.create({ data: { id: 'site-1', name: 'site-1' } });
  await prisma.building.create({ data: { id: 'bldg-1', siteId: 'site-1', name: '1 号楼' } });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await prisma?.$disconnect();
  await rx?.close();
  await db?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('kill -9 with deliveries queued: all delivered after restart, none twice', async () => {
  let hub = await startHub();
  child = hub.proc;
  const login = await fetch(`${hub.http}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD, token: true }),
  });
  const token = ((await login.json()) as { token: string }).token;
  const chan = await call<{ id: string }>(hub.http, token, 'POST', '/api/notification-channels', {
    name: '监控中心群',
    kind: 'webhook',
    config: { url: `${rx.url}/webhook-r`, secret: rx.secrets.webhook },
  });
  await call(hub.http, token, 'PUT', '/api/escalation-policies/device_fault', {
    levels: [{ afterSeconds: 0, targets: [{ channelId: chan.id }] }],
  });
  rx.failing.set('/webhook-r', 503);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const inc = await call<{ id: string }>(hub.http, token, 'POST', '/api/incidents', {
      kind: 'device_fault',
      building: 'bldg-1',
      payload: { deviceId: `dev-${i}`, description: '离线' },
    });
    ids.push(inc.id);
  }
  const carries = (r: { body: Record<string, unknown> }, id: string) =>
    ((r.body as unknown as WebhookPayload).items ?? []).some((i) => i.incident.id === id);
  // every delivery has been tried (and refused) at least once: they are queued for retry
  await waitFor(() => ids.every((id) => rx.received.some((r) => r.path === '/webhook-r' && carries(r, id))), 20_000, 'first attempts');

  hub.proc.kill('SIGKILL');
  await new Promise((r) => hub.proc.once('exit', r));
  const queued = await prisma.notificationDelivery.count({ where: { incidentId: { in: ids }, state: 'queued' } });
  expect(queued).toBe(10);

  rx.failing.delete('/webhook-r');
  hub = await startHub();
  child = hub.proc;
  const ok = () => rx.received.filter((r) => r.path === '/webhook-r' && r.status === 200);
  await waitFor(() => ids.every((id) => ok().some((r) => carries(r, id))), 40_000, 'all delivered after restart');
  // the outbox is drained (a positive signal that nothing else is pending) before checking for duplicates
  await waitFor(
    async () =>
      (await prisma.notificationDelivery.count({ where: { incidentId: { in: ids }, state: { not: 'sent' } } })) === 0 &&
      Number(
        (
          await prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
            `SELECT count(*) AS n FROM pgboss.job WHERE name = 'bops-notify-send' AND state IN ('created','retry','active')`,
          )
        )[0]!.n,
      ) === 0,
    20_000,
    'outbox drained',
  );
  const perIncident = ids.map((id) => ok().filter((r) => carries(r, id)).length);
  expect(perIncident).toEqual(ids.map(() => 1));
  expect(ok().every((r) => r.verified)).toBe(true);
  // the restart planned nothing twice: one delivery per incident
  expect(await prisma.notificationDelivery.count({ where: { incidentId: { in: ids } } })).toBe(10);
  hub.proc.kill('SIGTERM');
  await new Promise((r) => hub.proc.once('exit', r));
  child = null;
}, 180_000);
