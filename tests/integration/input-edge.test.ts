// Hostile and impossible input over real HTTP (issue 7 items 2 and 16): text the database cannot
// store (NUL, lone surrogates) → 400 on every route, impossible or out-of-range dates → 400,
// unknown enum values in queries → 400 (CONTRACT.md "HTTP"), never a 500 or an empty list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t);
  await t.hub.db.unit.create({
    data: { buildingId: 'bldg-1', number: '1201', floor: 12, ownerName: '王业主', ownerPhone: '13800000000' },
  });
});
afterAll(async () => t?.close());

/** POST raw JSON text (so lone surrogates travel exactly as a hostile client sends them). */
async function rawPost(path: string, json: string, token: string | null = t.token): Promise<{ status: number; body: { code?: string } }> {
  const r = await fetch(`${t.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: json,
  });
  return { status: r.status, body: (await r.json()) as { code?: string } };
}

describe('text the database cannot store', () => {
  it('a NUL or a lone surrogate in the login username is a 400, not a 500', async () => {
    for (const username of ['adm\\u0000in', 'adm\\ud800in', 'adm\\udc00in']) {
      const r = await rawPost('/api/auth/login', `{"username":"${username}","password":"whatever-pw"}`, null);
      expect(r.status, username).toBe(400);
      expect(r.body.code).toBe('HUB_ERR_BAD_REQUEST');
    }
    // a well-formed surrogate pair (an emoji) is ordinary text: just a wrong login
    expect((await rawPost('/api/auth/login', '{"username":"adm\\ud83d\\ude00in","password":"whatever-pw"}', null)).status).toBe(401);
  });

  it('visitor name, notes, duty log, handover notes, incident notes and reasons refuse them too', async () => {
    const cases: Array<[string, string]> = [
      ['/api/visits', '{"building":"bldg-1","unit":"1201","visitorName":"张\\u0000三"}'],
      ['/api/visits', '{"building":"bldg-1","unit":"1201","visitorName":"张三","notes":"x\\ud800"}'],
      ['/api/duty-log', '{"text":"巡查\\u0000完毕"}'],
      ['/api/handovers', '{"notes":"交接\\udfff"}'],
      ['/api/preauthorizations', `{"building":"bldg-1","unit":"1201","visitorName":"李\\u0000四","validFrom":1,"validTo":2}`],
    ];
    for (const [path, json] of cases) {
      const r = await rawPost(path, json);
      expect(r.status, `${path} ${json}`).toBe(400);
      expect(r.body.code).toBe('HUB_ERR_BAD_REQUEST');
    }
    // in a query string and in a path parameter as well
    expect((await api(t, 'GET', '/api/audit?actor=%00')).status).toBe(400);
    expect((await api(t, 'GET', '/api/incidents?building=a%00b')).status).toBe(400);
    expect((await api(t, 'GET', '/api/devices/a%00b')).status).toBe(400);
    // and nothing was stored
    expect(await t.hub.db.visit.count()).toBe(0);
    expect(await t.hub.db.dutyLogEntry.count({ where: { actor: { startsWith: 'user:' } } })).toBe(0);
  });

  it('holds on every state-changing route the API documents, whatever its schema', async () => {
    const doc = (await (await fetch(`${t.http}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops)
        .filter(([m, op]) => ['post', 'put', 'patch'].includes(m) && op.requestBody)
        .map(([m]) => [m.toUpperCase(), p.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000')] as const),
    );
    expect(routes.length).toBeGreaterThan(10);
    for (const [method, path] of routes) {
      const r = await fetch(`${t.http}${path}`, {
        method,
        headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
        body: '{"anything":{"nested":["ok","bad\\u0000"]}}',
      });
      expect(r.status, `${method} ${path}`).toBe(400);
    }
  });
});

describe('dates', () => {
  it('an impossible day is a 400; a real one signs', async () => {
    for (const day of ['2026-02-31', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31']) {
      const r = await api<{ code: string }>(t, 'POST', `/api/duty-log/${day}/sign`, {});
      expect(r.status, day).toBe(400);
      expect(r.body.code).toBe('HUB_ERR_BAD_REQUEST');
      expect((await api(t, 'GET', `/api/duty-log?day=${day}`)).status, day).toBe(400);
    }
    expect((await api(t, 'POST', '/api/duty-log/2024-02-29/sign', {})).status).toBe(200); // a leap day exists
    expect(await t.hub.db.dutyLogSignature.count()).toBe(1);
  });

  it('instants beyond what a Date holds are a 400, not a 500', async () => {
    const big = 8.64e15 + 1;
    const pre = await api<{ code: string }>(t, 'POST', '/api/preauthorizations', {
      building: 'bldg-1',
      unit: '1201',
      visitorName: '李四',
      validFrom: Date.now(),
      validTo: 1e20,
    });
    expect(pre.status).toBe(400);
    const outage = await api(t, 'POST', '/api/planned-outages', {
      building: 'bldg-1',
      startsAt: big,
      endsAt: big + 3600_000,
      noticeAt: Date.now(),
      reason: '检修',
    });
    expect(outage.status).toBe(400);
    expect((await api(t, 'GET', '/api/telemetry?deviceId=x&metric=load&from=0&to=1e20')).status).toBe(400);
    expect((await api(t, 'GET', '/api/telemetry?deviceId=x&metric=load&from=-5')).status).toBe(400);
    expect(await t.hub.db.preAuthorization.count()).toBe(0);
  });
});

describe('unknown enum values in queries', () => {
  it('are a 400 on every list, not an empty list', async () => {
    for (const url of [
      '/api/visits?state=bogus',
      '/api/incidents?state=bogus',
      '/api/incidents?kind=bogus',
      '/api/handovers?state=bogus',
      '/api/followups?open=maybe',
      '/api/planned-outages?current=maybe',
      '/api/preauthorizations?current=maybe',
      '/api/devices?class=toaster',
      '/api/incidents/00000000-0000-4000-8000-000000000000/report?format=docx',
    ]) {
      const r = await api<{ code: string }>(t, 'GET', url);
      expect(r.status, url).toBe(400);
      expect(r.body.code, url).toBe('HUB_ERR_BAD_REQUEST');
    }
    // the known values still work
    for (const url of ['/api/visits?state=all', '/api/visits?state=requested', '/api/incidents?kind=fire_alarm&state=all'])
      expect((await api(t, 'GET', url)).status, url).toBe(200);
  });

  it('?current=false on pre-authorisations means false (it used to be coerced to true)', async () => {
    await t.hub.db.preAuthorization.create({
      data: {
        buildingId: 'bldg-1',
        unitNumber: '1201',
        visitorName: '过期访客',
        idMasked: '',
        validFrom: new Date(Date.now() - 3 * 86400_000),
        validTo: new Date(Date.now() - 2 * 86400_000),
        registeredBy: 'test',
      },
    });
    const current = await api<unknown[]>(t, 'GET', '/api/preauthorizations?current=true');
    const all = await api<unknown[]>(t, 'GET', '/api/preauthorizations?current=false');
    expect(current.body).toHaveLength(0);
    expect(all.body).toHaveLength(1);
  });
});
