// Floor plans over HTTP on a real hub and PostgreSQL (docs/contract.md "Floor plans"): PNG/JPEG
// only and the bytes must say so (an SVG or a renamed file is refused), at most 2 MB; only
// supervisors and admins change plans and positions; every change leaves an audit row; a user
// confined to other buildings sees no plan of this one and can not change it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FloorPlanView, PlacementView } from '../../contracts/floorplans.js';
import { api, login, provision, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let operator: string;
let supervisor: string;
let otherSupervisor: string;

/** A real 1×1 PNG (what the dashboard would upload from a file). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60, 1), Buffer.from([0xff, 0xd9])]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

async function staff(username: string, role: string, buildings: string[] = []): Promise<string> {
  const password = `plans-${role}-pass-12`;
  const r = await api(t, 'POST', '/api/users', { username, displayName: username, role, password, buildings });
  if (r.status !== 201) throw new Error(`user ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return (await login(t, username, password)).token;
}

const audit = (action: string) => t.hub.db.auditLog.findMany({ where: { action }, orderBy: { at: 'asc' } });

beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  await provision(t, 'fp-1', 'fire-panel', 'bldg-1');
  await provision(t, 'el-1', 'elevator', 'bldg-1');
  await provision(t, 'el-9', 'elevator', 'bldg-2');
  operator = await staff('plan-op', 'operator');
  supervisor = await staff('plan-boss', 'supervisor');
  otherSupervisor = await staff('plan-boss-2', 'supervisor', ['bldg-2']);
});
afterAll(async () => t?.close());

describe('uploading a plan', () => {
  it('a supervisor uploads a PNG for a floor; it is listed and served with its type; the upload is audited', async () => {
    const r = await api<FloorPlanView>(
      t,
      'PUT',
      '/api/floor-plans/bldg-1/3',
      { mime: 'image/png', dataBase64: PNG.toString('base64') },
      supervisor,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      building: 'bldg-1',
      floor: 3,
      mime: 'image/png',
      size: PNG.length,
      placements: [],
      updatedByName: 'plan-boss',
    });
    const list = await api<FloorPlanView[]>(t, 'GET', '/api/floor-plans?building=bldg-1', undefined, operator);
    expect(list.status).toBe(200);
    expect(list.body.map((p) => p.floor)).toEqual([3]);
    const img = await fetch(`${t.http}${list.body[0]!.url}`, { headers: { authorization: `Bearer ${operator}` } });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await img.arrayBuffer()).equals(PNG)).toBe(true);
    const rows = await audit('floor_plan.upload');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target: 'floor_plan:bldg-1/3', data: { mime: 'image/png', size: PNG.length } });
    expect(rows[0]!.actor).toMatch(/^user:/);
  });

  it('replacing it with a JPEG keeps one plan per floor and is audited as a replacement', async () => {
    const r = await api<FloorPlanView>(
      t,
      'PUT',
      '/api/floor-plans/bldg-1/3',
      { mime: 'image/jpeg', dataBase64: JPEG.toString('base64') },
      supervisor,
    );
    expect(r.status).toBe(200);
    expect(r.body.mime).toBe('image/jpeg');
    expect(await t.hub.db.floorPlan.count()).toBe(1);
    expect(await audit('floor_plan.replace')).toHaveLength(1);
  });

  it('refuses SVG, a mismatched type, oversize and a floor the building does not have (coded errors, nothing stored)', async () => {
    const put = (body: unknown, floor = 4) => api<{ code: string }>(t, 'PUT', `/api/floor-plans/bldg-1/${floor}`, body, supervisor);
    const svg = await put({ mime: 'image/svg+xml', dataBase64: SVG.toString('base64') });
    expect(svg).toMatchObject({ status: 415, body: { code: 'HUB_ERR_PLAN_TYPE' } });
    // an SVG (or anything) labelled as PNG: the bytes decide
    const renamed = await put({ mime: 'image/png', dataBase64: SVG.toString('base64') });
    expect(renamed).toMatchObject({ status: 415, body: { code: 'HUB_ERR_PLAN_TYPE' } });
    const big = Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(2 * 1024 * 1024 + 1)]);
    expect(await put({ mime: 'image/png', dataBase64: big.toString('base64') })).toMatchObject({
      status: 413,
      body: { code: 'HUB_ERR_TOO_LARGE' },
    });
    expect(await put({ mime: 'image/png', dataBase64: 'not base64!' })).toMatchObject({
      status: 400,
      body: { code: 'HUB_ERR_BAD_REQUEST' },
    });
    expect(await put({ mime: 'image/png' })).toMatchObject({ status: 400, body: { code: 'HUB_ERR_BAD_REQUEST' } });
    expect(await put({ mime: 'image/png', dataBase64: PNG.toString('base64') }, 11)).toMatchObject({
      status: 400,
      body: { code: 'HUB_ERR_BAD_REQUEST' },
    });
    expect(await put({ mime: 'image/png', dataBase64: PNG.toString('base64') }, 0)).toMatchObject({ status: 400 });
    expect(
      await api(t, 'PUT', '/api/floor-plans/no-such/1', { mime: 'image/png', dataBase64: PNG.toString('base64') }, supervisor),
    ).toMatchObject({ status: 404, body: { code: 'HUB_ERR_NOT_FOUND' } });
    expect(await t.hub.db.floorPlan.count()).toBe(1);
  });

  it('an operator reads plans but may not upload, place or delete (403)', async () => {
    const body = { mime: 'image/png', dataBase64: PNG.toString('base64') };
    expect(await api(t, 'PUT', '/api/floor-plans/bldg-1/5', body, operator)).toMatchObject({
      status: 403,
      body: { code: 'HUB_ERR_FORBIDDEN' },
    });
    expect((await api(t, 'PUT', '/api/floor-plans/bldg-1/3/devices/fp-1', { x: 0.5, y: 0.5 }, operator)).status).toBe(403);
    expect((await api(t, 'DELETE', '/api/floor-plans/bldg-1/3', undefined, operator)).status).toBe(403);
    const desk = await staff('plan-desk', 'frontdesk');
    expect((await api(t, 'GET', '/api/floor-plans', undefined, desk)).status).toBe(403);
  });
});

describe('placing devices', () => {
  it('places a device at fractions of the image, moves it, and lists it on the plan; each change audited with where from', async () => {
    const p = await api<PlacementView>(t, 'PUT', '/api/floor-plans/bldg-1/3/devices/fp-1', { x: 0.25, y: 0.75 }, supervisor);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ deviceId: 'fp-1', x: 0.25, y: 0.75 });
    const moved = await api<PlacementView>(t, 'PUT', '/api/floor-plans/bldg-1/3/devices/fp-1', { x: 0.5, y: 0.4 }, supervisor);
    expect(moved.body).toMatchObject({ x: 0.5, y: 0.4 });
    const list = (await api<FloorPlanView[]>(t, 'GET', '/api/floor-plans', undefined, operator)).body;
    expect(list[0]!.placements).toEqual([expect.objectContaining({ deviceId: 'fp-1', x: 0.5, y: 0.4 })]);
    const rows = await audit('floor_plan.place');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      target: 'device:fp-1',
      data: { building: 'bldg-1', floor: 3, x: 0.5, y: 0.4, from: { x: 0.25, y: 0.75 } },
    });
  });

  it('refuses positions off the image, another building’s device, an unknown device and a floor without a plan', async () => {
    const place = (url: string, body: unknown) => api<{ code: string }>(t, 'PUT', url, body, supervisor);
    expect(await place('/api/floor-plans/bldg-1/3/devices/el-1', { x: 1.2, y: 0.5 })).toMatchObject({
      status: 400,
      body: { code: 'HUB_ERR_BAD_REQUEST' },
    });
    expect(await place('/api/floor-plans/bldg-1/3/devices/el-1', { x: 0.5 })).toMatchObject({ status: 400 });
    expect(await place('/api/floor-plans/bldg-1/3/devices/el-9', { x: 0.5, y: 0.5 })).toMatchObject({
      status: 400,
      body: { code: 'HUB_ERR_BAD_REQUEST' },
    });
    expect(await place('/api/floor-plans/bldg-1/3/devices/nope-1', { x: 0.5, y: 0.5 })).toMatchObject({
      status: 404,
      body: { code: 'HUB_ERR_DEVICE_UNKNOWN' },
    });
    expect(await place('/api/floor-plans/bldg-1/6/devices/el-1', { x: 0.5, y: 0.5 })).toMatchObject({
      status: 404,
      body: { code: 'HUB_ERR_NOT_FOUND' },
    });
    expect(await audit('floor_plan.place')).toHaveLength(2);
  });

  it('a supervisor of another building neither sees nor changes this building’s plans', async () => {
    expect((await api<FloorPlanView[]>(t, 'GET', '/api/floor-plans', undefined, otherSupervisor)).body).toEqual([]);
    expect((await api<FloorPlanView[]>(t, 'GET', '/api/floor-plans?building=bldg-1', undefined, otherSupervisor)).body).toEqual([]);
    expect((await api(t, 'GET', '/api/floor-plans/bldg-1/3/image', undefined, otherSupervisor)).status).toBe(404);
    expect((await api(t, 'PUT', '/api/floor-plans/bldg-1/3/devices/el-1', { x: 0.1, y: 0.1 }, otherSupervisor)).status).toBe(404);
    expect((await api(t, 'DELETE', '/api/floor-plans/bldg-1/3', undefined, otherSupervisor)).status).toBe(404);
    expect(await t.hub.db.floorPlan.count()).toBe(1);
  });

  it('taking a device off and deleting the plan are audited; the plan’s placements go with it', async () => {
    await api(t, 'PUT', '/api/floor-plans/bldg-1/3/devices/el-1', { x: 0.6, y: 0.6 }, supervisor);
    expect((await api(t, 'DELETE', '/api/floor-plans/bldg-1/3/devices/el-1', undefined, supervisor)).status).toBe(204);
    expect((await api(t, 'DELETE', '/api/floor-plans/bldg-1/3/devices/el-1', undefined, supervisor)).status).toBe(404);
    expect(await audit('floor_plan.unplace')).toHaveLength(1);
    expect((await api(t, 'DELETE', '/api/floor-plans/bldg-1/3', undefined, supervisor)).status).toBe(204);
    expect(await t.hub.db.devicePlacement.count()).toBe(0);
    const del = await audit('floor_plan.delete');
    expect(del).toHaveLength(1);
    expect(del[0]).toMatchObject({ target: 'floor_plan:bldg-1/3', data: { placements: 1 } });
    expect((await api(t, 'GET', '/api/floor-plans/bldg-1/3/image', undefined, operator)).status).toBe(404);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await api<{ paths: Record<string, Record<string, unknown>> }>(t, 'GET', '/api/openapi.json')).body;
    expect(Object.keys(doc.paths['/api/floor-plans/{building}/{floor}'] ?? {})).toEqual(expect.arrayContaining(['put', 'delete']));
    expect(doc.paths['/api/floor-plans/{building}/{floor}/devices/{deviceId}']).toBeDefined();
  });
});
