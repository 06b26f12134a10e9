// HTTP API and socket.io against a real hub: auth and roles, provisioning, validation errors,
// OpenAPI, telemetry through the hub into the (embedded) store and back, throttled live push.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/mqtt.js';
import { api, connectDevice, login, provision, seedPlace, socket, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let operatorToken: string;

beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t);
  await t.hub.auth.createUser('op1', 'op1-password', 'operator', 'Operator One');
  operatorToken = (await login(t, 'op1', 'op1-password')).token;
});
afterAll(async () => t?.close());

describe('auth', () => {
  it('health needs no login; anonymous callers get the status only, staff every dependency', async () => {
    const anon = await fetch(`${t.http}/api/health`);
    expect(anon.status).toBe(200);
    expect(await anon.json()).toEqual({ status: 'ok' });
    const r = await fetch(`${t.http}/api/health`, { headers: { authorization: `Bearer ${operatorToken}` } });
    expect(r.status).toBe(200);
    const h = (await r.json()) as Record<string, { ok: boolean }>;
    expect(h.broker!.ok).toBe(true);
    expect(h.db!.ok).toBe(true);
    expect(h.telemetry).toMatchObject({ ok: true, backend: 'embedded-pg' });
  });

  it('refuses a wrong password and unknown users alike, and audits it', async () => {
    expect((await login(t, 'op1', 'wrong')).status).toBe(401);
    expect((await login(t, 'nobody', 'wrong')).status).toBe(401);
    const audit = await t.hub.db.auditLog.count({ where: { action: 'login.failed' } });
    expect(audit).toBeGreaterThanOrEqual(2);
  });

  it('requires a session for the API and a role for admin actions', async () => {
    expect((await api(t, 'GET', '/api/devices', undefined, 'bogus-token')).status).toBe(401);
    const r = await api<{ code: string }>(
      t,
      'POST',
      '/api/devices',
      { id: 'x-1', site: 'site-1', building: 'bldg-1', class: 'elevator' },
      operatorToken,
    );
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('HUB_ERR_FORBIDDEN');
  });

  it('passwords are stored as scrypt hashes', async () => {
    const u = await t.hub.db.user.findUnique({ where: { username: 'op1' } });
    expect(u?.passwordHash).toMatch(/^scrypt\$/);
    expect(u?.passwordHash).not.toContain('op1-password');
  });
});

describe('devices', () => {
  it('provisions a device, shows the secret once and stores only its hash', async () => {
    const r = await api<{ id: string; secret: string }>(t, 'POST', '/api/devices', {
      id: 'pm-1',
      site: 'site-1',
      building: 'bldg-1',
      class: 'power',
      meta: { feeder: 'f-1' },
    });
    expect(r.status).toBe(201);
    expect(r.body.secret.length).toBeGreaterThanOrEqual(40);
    const row = await t.hub.db.device.findUnique({ where: { id: 'pm-1' } });
    expect(row?.secretHash).toMatch(/^sha256\$/);
    expect(row?.secretHash).not.toContain(r.body.secret);
    const list = await api<Array<Record<string, unknown>>>(t, 'GET', '/api/devices');
    const d = list.body.find((x) => x.id === 'pm-1')!;
    expect(d).toMatchObject({ class: 'power', state: 'offline', meta: { feeder: 'f-1' } });
    expect(JSON.stringify(list.body)).not.toContain(r.body.secret);
    expect((await api(t, 'POST', '/api/devices', { id: 'pm-1', site: 'site-1', building: 'bldg-1', class: 'power' })).status).toBe(409);
  });

  it('answers bad input with a clear coded error', async () => {
    const r = await api<{ code: string; message: string }>(t, 'POST', '/api/devices', {
      id: 'Bad Id!',
      site: 'site-1',
      building: 'bldg-1',
      class: 'toaster',
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('HUB_ERR_BAD_REQUEST');
    expect(r.body.message).toMatch(/id/);
    expect(r.body.message).toMatch(/class/);
    const unknownBuilding = await api<{ message: string }>(t, 'POST', '/api/devices', {
      id: 'el-9',
      site: 'site-1',
      building: 'nope',
      class: 'elevator',
    });
    expect(unknownBuilding.status).toBe(400);
    expect(unknownBuilding.body.message).toMatch(/building nope/);
    expect((await api(t, 'GET', '/api/devices/nope')).status).toBe(404);
  });

  it('serves the OpenAPI document with the contract routes', async () => {
    const r = await api<{ openapi: string; paths: Record<string, unknown> }>(t, 'GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    for (const p of ['/api/health', '/api/auth/login', '/api/devices', '/api/telemetry']) expect(Object.keys(r.body.paths)).toContain(p);
  });
});

describe('telemetry and live push', () => {
  it('stores telemetry published by a device and returns it for charts', async () => {
    const d = await provision(t, 'el-tele', 'elevator');
    const c = await connectDevice(t, d);
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 30; i++) {
      c.publish(
        topics.telemetry(d),
        JSON.stringify({ v: 1, ts: t0 + i * 2000, metrics: { floor: i % 10, load_kg: 100 + i, moving: i % 2 === 0, door_open: false } }),
        { qos: 0 },
      );
    }
    await new Promise<void>((r) =>
      c.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: t0 + 60_000, metrics: { floor: 3 } }), { qos: 1 }, () => r()),
    );
    await t.hub.telemetry.flush();
    const r = await waitFor(
      async () => {
        const s = await api<{ points: Array<[number, number | null]> }>(
          t,
          'GET',
          `/api/telemetry?deviceId=${d.id}&metric=load_kg&from=${t0 - 1000}&to=${t0 + 61_000}&step=2000`,
        );
        return s.body.points.filter((p) => p[1] !== null).length === 30 ? s : null;
      },
      5000,
      'telemetry points',
    );
    const values = r.body.points.filter((p) => p[1] !== null).map((p) => p[1]);
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
    expect((await api(t, 'GET', `/api/telemetry?deviceId=${d.id}&metric=load_kg&from=10&to=5`)).status).toBe(400);
    c.end(true);
  });

  it('throttles telemetry per device so a chatty device cannot flood browsers', async () => {
    const d = await provision(t, 'el-chatty', 'elevator');
    const s = await socket(t);
    const got: Array<{ metrics: Record<string, unknown> }> = [];
    s.on('telemetry', (e: { deviceId: string; metrics: Record<string, unknown> }) => e.deviceId === d.id && got.push(e));
    const c = await connectDevice(t, d);
    for (let i = 0; i < 200; i++)
      c.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: Date.now(), metrics: { floor: i } }), { qos: 0 });
    // the last value always arrives (trailing edge), but far fewer than 200 messages
    await waitFor(() => got.at(-1)?.metrics.floor === 199, 5000, 'latest telemetry');
    expect(got.length).toBeLessThan(10);
    s.close();
    c.end(true);
  });

  it('refuses socket.io without a session and front-desk namespace to operators', async () => {
    await expect(socket(t, '/control-room', 'nope')).rejects.toThrow(/unauthenticated/);
    await expect(socket(t, '/front-desk', operatorToken)).rejects.toThrow(/forbidden/);
    const ok = await socket(t, '/control-room', operatorToken);
    const snap = await ok.emitWithAck('sync');
    expect(snap.ok).toBe(true);
    expect(snap.devices.map((x: { id: string }) => x.id)).toContain('pm-1');
    ok.close();
  });
});
