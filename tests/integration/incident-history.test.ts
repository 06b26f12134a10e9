// Issue 14 through the API of a real hub (real PostgreSQL, real broker): the incident history
// (search, filters, closed incidents, pages, CSV, scope, personal data), bulk acknowledge / close
// of device faults with one reason, and snooze (never for life-safety kinds; ends by itself at
// its limit through the stored timer, across a restart; holds the notification chain meanwhile).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkView, HistoryPage, IncidentDetail } from '../../contracts/incidents.js';
import { api, login, provision, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';
import { startReceivers, type Receivers } from '../helpers/notify-receivers.js';
import type { WebhookPayload } from '../../contracts/notifications.js';

let t: TestHub;
let rx: Receivers;
/** the hub's clock: real time plus whatever a test skips ahead */
let skew = 0;
const tok = { op: '', opA: '', desk: '', sup: '' };
const MISSING = '00000000-0000-4000-8000-000000000000';

async function staff(username: string, role: string, buildings: string[] = []): Promise<string> {
  const password = `history-${role}-pass-12`;
  const r = await api(t, 'POST', '/api/users', { username, displayName: username, role, password, buildings });
  if (r.status !== 201) throw new Error(`user ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return (await login(t, username, password)).token;
}

async function fault(building: string, deviceId: string, description: string, token = tok.op): Promise<IncidentDetail> {
  const r = await api<IncidentDetail>(
    t,
    'POST',
    '/api/incidents',
    { kind: 'device_fault', building, payload: { deviceId, description } },
    token,
  );
  if (r.status !== 201) throw new Error(`fault ${deviceId}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function fire(building: string, floor: number, location: string): Promise<IncidentDetail> {
  const r = await api<IncidentDetail>(t, 'POST', '/api/incidents', { kind: 'fire_alarm', building, payload: { floor, location } }, tok.op);
  if (r.status !== 201) throw new Error(`fire: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const detail = async (id: string) => (await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`, undefined, tok.op)).body;
const search = (qs: string, token = tok.op) => api<HistoryPage>(t, 'GET', `/api/incidents/search?${qs}`, undefined, token);

beforeAll(async () => {
  rx = await startReceivers();
  t = await startTestHub({
    now: () => Date.now() + skew,
    env: { NOTIFY_POLL_MS: '200' },
    // no linked repair work orders: the counts below are of the incidents each test opens
    incidentConfig: { device_fault: { openWorkOrder: false } },
  });
  await api(t, 'POST', '/api/sites', { id: 'site-h', name: '和平苑' });
  await api(t, 'POST', '/api/buildings', { id: 'h-1', site: 'site-h', name: '和平苑一号楼', floors: 20 });
  await api(t, 'POST', '/api/buildings', { id: 'h-2', site: 'site-h', name: '和平苑二号楼', floors: 20 });
  await provision(t, 'panel-h1', 'fire-panel', 'h-1', 'site-h', { name: '一号楼消防主机' });
  await provision(t, 'lift-h2', 'elevator', 'h-2', 'site-h', { name: '二号楼客梯' });
  tok.op = await staff('op.h', 'operator');
  tok.opA = await staff('op.h1', 'operator', ['h-1']);
  tok.desk = await staff('desk.h', 'frontdesk');
  tok.sup = await staff('sup.h', 'supervisor');
});
afterAll(async () => {
  await t?.close();
  await rx?.close();
});

describe('incident history (GET /api/incidents/search, /export)', () => {
  const ids = { panel: '', lift: '', fire: '', visit: '' };
  beforeAll(async () => {
    ids.panel = (await fault('h-1', 'panel-h1', '主机掉线')).id;
    ids.lift = (await fault('h-2', 'lift-h2', '轿厢通讯中断')).id;
    ids.fire = (await fire('h-1', 7, '七层走廊')).id;
    // a closed one: acknowledged and closed with a note that only the history can still find
    await api(t, 'POST', `/api/incidents/${ids.lift}/actions/acknowledge`, { payload: { notes: '已知悉' } }, tok.op);
    await api(
      t,
      'POST',
      `/api/incidents/${ids.lift}/actions/dispatch_maintenance`,
      { payload: { party: 'contractor', notes: '已派维保' } },
      tok.op,
    );
    await api(t, 'POST', `/api/incidents/${ids.lift}/actions/close`, { payload: { resolution: '更换通讯模块 kx-17' } }, tok.op);
    const v = await api<IncidentDetail>(t, 'POST', '/api/visits', { building: 'h-1', unit: '1201', visitorName: '欧阳修远' }, tok.desk);
    expect(v.status).toBe(201);
    ids.visit = v.body.id;
  });

  it('finds closed incidents by what was written on them, with names not ids', async () => {
    const r = await search('q=kx-17');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(1);
    expect(r.body.items[0]).toMatchObject({
      id: ids.lift,
      open: false,
      kind: 'device_fault',
      buildingName: '和平苑二号楼',
      deviceName: '二号楼客梯',
      kindLabel: '设备故障',
      stateLabel: '已结案',
    });
    // closed incidents never drop out of the history, whatever the in-memory window
    expect((await search('state=closed')).body.items.map((i) => i.id)).toEqual([ids.lift]);
  });

  it('filters by kind, building, state, device name, kind name, number and opening time', async () => {
    expect((await search('kind=device_fault')).body.total).toBe(2);
    expect((await search('building=h-1&kind=device_fault')).body.items.map((i) => i.id)).toEqual([ids.panel]);
    expect((await search('state=open&kind=device_fault')).body.items.map((i) => i.id)).toEqual([ids.panel]);
    expect((await search(`q=${encodeURIComponent('消防主机')}`)).body.items.map((i) => i.id)).toEqual([ids.panel]);
    expect((await search(`q=${encodeURIComponent('火警')}`)).body.items.map((i) => i.id)).toEqual([ids.fire]);
    const fireNo = (await detail(ids.fire)).number;
    expect((await search(`q=%23${fireNo}`)).body.items.map((i) => i.id)).toContain(ids.fire);
    const opened = (await detail(ids.panel)).openedAt;
    expect((await search(`from=${opened + 1}&kind=device_fault`)).body.items.map((i) => i.id)).toEqual([ids.lift]);
    expect((await search(`to=${opened + 1}&kind=device_fault`)).body.items.map((i) => i.id)).toEqual([ids.panel]);
    // a LIKE wildcard typed by a person is a character, not "anything"
    expect((await search('q=%25')).body.total).toBe(0);
  });

  it('pages newest first with the total of all matches', async () => {
    const p1 = await search('pageSize=2&page=1');
    const p2 = await search('pageSize=2&page=2');
    expect(p1.body.total).toBe(4);
    expect(p1.body.items).toHaveLength(2);
    expect(p2.body.items).toHaveLength(2);
    const all = [...p1.body.items, ...p2.body.items];
    expect(new Set(all.map((i) => i.id)).size).toBe(4);
    expect(all.map((i) => i.openedAt)).toEqual([...all.map((i) => i.openedAt)].sort((a, b) => b - a));
    expect((await search('pageSize=2&page=3')).body).toMatchObject({ items: [], total: 4 });
  });

  it('refuses unknown enum values and a reversed range (400), and the front desk (403)', async () => {
    for (const qs of ['state=bogus', 'kind=bogus', 'pageSize=1000', 'from=10&to=5', 'page=0'])
      expect((await search(qs)).status, qs).toBe(400);
    expect((await search('state=bogus')).body).toMatchObject({ code: 'HUB_ERR_BAD_REQUEST' });
    expect((await search('', tok.desk)).status).toBe(403);
    expect((await api(t, 'GET', '/api/incidents/export', undefined, tok.desk)).status).toBe(403);
  });

  it('a user confined to one building sees only that building', async () => {
    const mine = await search('', tok.opA);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.every((i) => i.building === 'h-1')).toBe(true);
    expect((await search('building=h-2', tok.opA)).body.total).toBe(0);
    expect((await search('q=kx-17', tok.opA)).body.total).toBe(0);
  });

  it('a visitor’s name is neither shown nor searchable for roles without the visitor duty; reads are logged', async () => {
    const name = encodeURIComponent('欧阳修远');
    expect((await search(`q=${name}`, tok.op)).body.total).toBe(0);
    const opRow = (await search('kind=visitor_approval', tok.op)).body.items[0]!;
    expect(opRow.masked).toBe(true);
    expect(opRow.title).not.toContain('欧阳修远');
    const before = await t.hub.db.personalDataAccess.count();
    const sup = await search(`q=${name}`, tok.sup);
    expect(sup.body.items.map((i) => i.id)).toEqual([ids.visit]);
    expect(sup.body.items[0]!.title).toContain('欧阳修远');
    expect(await t.hub.db.personalDataAccess.count()).toBeGreaterThan(before);
  });

  it('exports CSV for Excel (BOM, CRLF, names, the reader’s language) and audits the export', async () => {
    const r = await fetch(`${t.http}/api/incidents/export?kind=device_fault`, { headers: { authorization: `Bearer ${tok.op}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/attachment/);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    const lines = text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('编号,类型,标题,状态,处理中,楼栋,楼层,设备,发生时间,结案时间');
    expect(lines).toHaveLength(3);
    expect(text).toContain('和平苑二号楼');
    expect(text).toContain('二号楼客梯');
    expect(text).not.toContain('lift-h2');
    const en = await fetch(`${t.http}/api/incidents/export?kind=device_fault&lang=en`, { headers: { authorization: `Bearer ${tok.op}` } });
    // (fetch's text() drops the BOM)
    expect((await en.text()).split('\r\n')[0]).toBe('No.,Kind,Title,State,Open,Building,Floor,Device,Opened,Closed');
    const audit = await t.hub.db.auditLog.findMany({ where: { action: 'incident.export' } });
    expect(audit.length).toBe(2);
    expect(audit[0]!.data).toMatchObject({ rows: 2, filters: { kind: 'device_fault' } });
  });
});

describe('bulk acknowledge / close of device faults (POST /api/incidents/bulk)', () => {
  it('acknowledges each fault through its procedure with the one reason; a non-fault is refused for its id only', async () => {
    const a = await fault('h-1', 'bulk-a', '通讯故障 A');
    const b = await fault('h-2', 'bulk-b', '通讯故障 B');
    const f = await fire('h-2', 3, '三层');
    const r = await api<BulkView>(
      t,
      'POST',
      '/api/incidents/bulk',
      { action: 'acknowledge', ids: [a.id, f.id, b.id, MISSING], reason: '维保单位已知悉' },
      tok.op,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ done: 2, failed: 2 });
    expect(r.body.results.map((x) => [x.id, x.ok, x.code ?? null])).toEqual([
      [a.id, true, null],
      [f.id, false, 'HUB_ERR_BAD_REQUEST'],
      [b.id, true, null],
      [MISSING, false, 'HUB_ERR_NOT_FOUND'],
    ]);
    expect(r.body.results[1]!.message).toBe('批量处理仅适用于设备故障');
    for (const id of [a.id, b.id]) {
      const d = await detail(id);
      expect(d.state).toBe('acknowledged');
      expect(d.steps.find((s) => s.key === 'acknowledge')).toMatchObject({ status: 'done', notes: '维保单位已知悉' });
      const audit = await t.hub.db.auditLog.findMany({ where: { target: `incident:${id}`, action: 'incident.acknowledge' } });
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toMatch(/^user:/);
    }
    expect((await detail(f.id)).state).toBe('awaiting_ack');
  });

  it('closes faults with one reason; one the procedure may not close yet is refused for its id, with why', async () => {
    const ready = await fault('h-1', 'close-a', '待结案 A');
    const noDispatch = await fault('h-1', 'close-b', '待结案 B');
    const notAcked = await fault('h-1', 'close-c', '待结案 C');
    for (const f of [ready, noDispatch])
      await api(t, 'POST', `/api/incidents/${f.id}/actions/acknowledge`, { payload: { notes: '已知悉' } }, tok.op);
    await api(
      t,
      'POST',
      `/api/incidents/${ready.id}/actions/dispatch_maintenance`,
      { payload: { party: 'engineering', notes: '工程部' } },
      tok.op,
    );
    const r = await api<BulkView>(
      t,
      'POST',
      '/api/incidents/bulk',
      { action: 'close', ids: [ready.id, noDispatch.id, notAcked.id], reason: '现场复查正常' },
      tok.op,
    );
    expect(r.body.results.map((x) => [x.ok, x.state, x.code ?? null])).toEqual([
      [true, 'closed', null],
      [false, 'acknowledged', 'HUB_ERR_CONFLICT'],
      [false, 'open', 'HUB_ERR_CONFLICT'],
    ]);
    expect(r.body.results[1]!.message).toContain('派维保');
    const d = await detail(ready.id);
    expect(d.open).toBe(false);
    expect(d.steps.find((s) => s.key === 'resolve')).toMatchObject({ status: 'done', notes: '现场复查正常' });
    expect(d.timeline.find((e) => e.type === 'closed')?.message).toBe('现场复查正常');
    expect(await t.hub.db.auditLog.count({ where: { target: `incident:${ready.id}`, action: 'incident.close' } })).toBe(1);
    expect((await detail(notAcked.id)).open).toBe(true);
  });

  it('is refused as a whole for bad input (400) and the front desk (403); another building is "not found" per id', async () => {
    const a = await fault('h-2', 'scope-b', '越权测试');
    const bad = (body: unknown, token = tok.op) => api(t, 'POST', '/api/incidents/bulk', body, token);
    expect((await bad({ action: 'acknowledge', ids: [a.id, a.id], reason: 'x' })).status).toBe(400);
    expect((await bad({ action: 'acknowledge', ids: [a.id], reason: '   ' })).status).toBe(400);
    expect((await bad({ action: 'reopen', ids: [a.id], reason: 'x' })).status).toBe(400);
    expect((await bad({ action: 'acknowledge', ids: [], reason: 'x' })).status).toBe(400);
    expect((await bad({ action: 'acknowledge', ids: [a.id], reason: 'x' }, tok.desk)).status).toBe(403);
    const scoped = await api<BulkView>(t, 'POST', '/api/incidents/bulk', { action: 'acknowledge', ids: [a.id], reason: 'x' }, tok.opA);
    expect(scoped.body.results[0]).toMatchObject({ ok: false, code: 'HUB_ERR_NOT_FOUND', state: null });
    expect((await detail(a.id)).state).toBe('open');
  });
});

describe('snooze 静音', () => {
  it('is never offered for a fire alarm and refused with a coded error', async () => {
    const f = await fire('h-1', 9, '九层');
    expect(f.allowedActions?.map((a) => a.action)).not.toContain('snooze');
    const r = await api<{ code: string; message: string }>(
      t,
      'POST',
      `/api/incidents/${f.id}/actions/snooze`,
      { payload: { minutes: 10, reason: '测试' } },
      tok.op,
    );
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('HUB_ERR_CONFLICT');
    expect(r.body.message).toBe('火警不能静音');
  });

  it('holds a fault’s notification chain until its limit, then ends by itself on the timeline — across a restart', async () => {
    const ch = await api<{ id: string }>(t, 'POST', '/api/notification-channels', {
      name: '值班群',
      kind: 'webhook',
      config: { url: `${rx.url}/webhook`, secret: rx.secrets.webhook },
    });
    expect(ch.status).toBe(201);
    const put = await api(t, 'PUT', '/api/escalation-policies/device_fault', {
      levels: [
        { afterSeconds: 0, targets: [{ channelId: ch.body.id }] },
        { afterSeconds: 120, targets: [{ channelId: ch.body.id }] },
      ],
    });
    expect(put.status).toBe(200);
    // a device of its own: the notifier summarises a flapping device's repeats (other tests' faults)
    const f = await fault('h-1', 'snooze-dev-1', '静音测试');
    expect(f.allowedActions?.map((a) => a.action)).toContain('snooze');
    const sentFor = (reason: string) =>
      rx.received.filter(
        (r) =>
          r.kind === 'webhook' && (r.body as unknown as WebhookPayload).items?.some((i) => i.incident.id === f.id && i.reason === reason),
      );
    await waitFor(() => sentFor('opened').length > 0, 10_000, 'level 0');
    // longer than the setting allows (4 h by default) → 400
    const tooLong = await api<{ code: string }>(
      t,
      'POST',
      `/api/incidents/${f.id}/actions/snooze`,
      { payload: { minutes: 300, reason: 'x' } },
      tok.op,
    );
    expect(tooLong.status).toBe(400);
    const s = await api<IncidentDetail>(
      t,
      'POST',
      `/api/incidents/${f.id}/actions/snooze`,
      { payload: { minutes: 10, reason: '维保已在路上' } },
      tok.op,
    );
    expect(s.status).toBe(200);
    const until = (s.body.data.snooze as { until: number }).until;
    expect(s.body.timeline.at(-1)).toMatchObject({ type: 'snoozed', message: '维保已在路上' });
    expect(s.body.allowedActions?.map((a) => a.action)).toContain('unsnooze');
    expect(s.body.timers.find((x) => x.key === 'snooze')).toMatchObject({ status: 'running', dueAt: until });
    expect(await t.hub.db.auditLog.count({ where: { target: `incident:${f.id}`, action: 'incident.snooze' } })).toBe(1);
    // level 1 came due during the snooze: the stored chain waits for the snooze's end instead of sending
    skew += 3 * 60_000;
    await waitFor(
      async () => (await t.hub.db.notificationChain.findUnique({ where: { incidentId: f.id } }))?.nextAt?.getTime() === until,
      10_000,
      'chain held until the snooze ends',
    );
    expect(sentFor('escalated')).toHaveLength(0);
    expect(await t.hub.db.notificationDelivery.count({ where: { incidentId: f.id, level: 1 } })).toBe(0);
    // the snooze's end is a stored timer: a restart in between does not lose it
    await t.restart();
    skew += 8 * 60_000;
    const ended = await waitFor(
      async () => {
        const d = await detail(f.id);
        return d.timeline.find((e) => e.type === 'unsnoozed') ? d : null;
      },
      15_000,
      'snooze ended by its timer',
    );
    expect(ended.data.snooze).toBeNull();
    expect(ended.timers.find((x) => x.key === 'snooze')?.status).toBe('fired');
    expect(ended.timeline.find((e) => e.type === 'unsnoozed')!.text).toContain('到达设定时间');
    // the held step goes out now: queued for delivery (not awaited at the receiver — the send
    // queue, pg-boss `startAfter`, runs by the database's clock, which this test's hub clock is ahead of)
    const level1 = await waitFor(
      () => t.hub.db.notificationDelivery.findFirst({ where: { incidentId: f.id, level: 1 } }),
      15_000,
      'level 1 after the snooze',
    );
    expect(level1.reason).toBe('escalated');
    expect(level1.createdAt.getTime()).toBeGreaterThanOrEqual(until);
  });
});
