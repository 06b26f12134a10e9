// Shifts 班次 through the API against a real hub (PostgreSQL, live push) with a fake clock:
// the per-shift duty log and its signature, the handover the hub opens at the shift's end (open
// items, a provider's pending items, devices down, the equipment check √/×), the outgoing operator
// on duty until the incoming one accepts, reminders (live push + notification), the monthly
// review and the ≥ 20 % spot-check counts, and the shift configuration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { HandoverResponse } from '../../contracts/records.js';
import type { HandoverDraft, MonthReviewView, OnDutyView, ShiftLogResponse, ShiftView, SummaryReport } from '../../contracts/shifts.js';
import type { ShiftNoticePush } from '../../contracts/socket.js';
import { login, provision, seedPlace, socket, startTestHub, type TestHub } from '../helpers/hub.js';

type Err = { code: string; message: string };
const MIN = 60_000;
const cst = (iso: string) => Date.parse(`${iso}+08:00`);

let clock = cst('2026-11-30T17:40:00');
let t: TestHub;
const tok: Record<string, string> = {};
const ids: Record<string, string> = {};
const pushes: ShiftNoticePush[] = [];
let live: Socket | null = null;

async function call<T = Err>(
  method: string,
  url: string,
  body?: unknown,
  who = 'admin',
  lang?: string,
): Promise<{ status: number; body: T }> {
  const r = await fetch(`${t.http}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${tok[who]}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(lang ? { 'accept-language': lang } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

async function relogin() {
  for (const u of ['op1', 'op2', 'sup']) tok[u] = (await login(t, u, `${u}-password`)).token;
  tok.admin = (await login(t, 'admin', 'hub-test-pass-1')).token;
}

beforeAll(async () => {
  t = await startTestHub({ now: () => clock });
  await seedPlace(t, 'site-1', ['bldg-1']);
  for (const [u, role, name] of [
    ['op1', 'operator', '张值班'],
    ['op2', 'operator', '李接班'],
    ['sup', 'supervisor', '王主管'],
  ] as const) {
    ids[u] = (await t.hub.auth.createUser(u, `${u}-password`, role, name)).id;
  }
  await relogin();
  // a device never connected: offline at the handover
  await provision(t, 'fp-1', 'fire-panel');
  // a pending-items provider, as work orders will plug in (services/hub/hub.ts addProvider)
  t.hub.shifts.addProvider({
    source: 'work_order',
    label: ['报修', 'Work order'],
    pending: async ({ buildings }) =>
      buildings && !buildings.includes('bldg-1')
        ? []
        : [{ id: 'wo-7', title: { text: '3 栋 1201 漏水 leak' }, building: 'bldg-1', dueAt: clock - MIN, overdue: true }],
  });
  live = await socket(t, '/control-room', tok.op1);
  live.on('shift:notify', (e: ShiftNoticePush) => pushes.push(e));
});
afterAll(async () => {
  live?.close();
  await t?.close();
});

/** a live push within 10 s (a time budget, not a count of 20 ms naps: those ran out at ~2 s under a loaded CI) */
const waitFor = async (pred: () => boolean) => {
  for (const end = Date.now() + 10_000; !pred() && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
  return pred();
};

describe('the duty log is kept per shift', () => {
  it('the current shift is the day shift; manual entries land in its log; it cannot be signed before it ends', async () => {
    const cur = await call<OnDutyView>('GET', '/api/shifts/current', undefined, 'op1');
    expect(cur.status).toBe(200);
    expect(cur.body.shift).toMatchObject({ id: '2026-11-30T0800', defId: 'day', name: '白班', status: 'current' });
    expect(cur.body.shift.endsAt).toBe(cst('2026-11-30T18:00:00'));
    expect(cur.body.pendingHandover).toBeNull();
    expect((await call('POST', '/api/shift-log', { text: '17:40 巡查完毕' }, 'op1')).status).toBe(201);
    const log = await call<ShiftLogResponse>('GET', '/api/shift-log', undefined, 'op1');
    expect(log.body.shift.id).toBe('2026-11-30T0800');
    expect(log.body.entries.map((e) => e.text)).toContain('17:40 巡查完毕');
    const early = await call<Err>('POST', '/api/shifts/2026-11-30T0800/sign', { note: '' }, 'sup');
    expect(early.status).toBe(400);
    expect(early.body.message).toMatch(/尚未结束/);
    expect((await call('GET', '/api/shift-log?shift=2026-11-30T08', undefined, 'op1')).status).toBe(400);
    expect((await call('GET', '/api/shift-log?shift=2020-01-01T0800', undefined, 'op1')).status).toBe(404);
  });
});

describe('handover at the shift end 交接班', () => {
  let handover: HandoverResponse;

  it('the hub opens the handover when the shift ends: duty-log line, live push to operators', async () => {
    clock = cst('2026-11-30T18:00:03');
    await t.hub.shifts.tick();
    const row = await t.hub.db.dutyShift.findUniqueOrThrow({ where: { id: '2026-11-30T0800' } });
    expect(row.handoverOpenedAt?.getTime()).toBe(clock);
    expect(await waitFor(() => pushes.some((p) => p.key === 'handover_opened'))).toBe(true);
    expect(pushes.find((p) => p.key === 'handover_opened')).toMatchObject({ shiftId: '2026-11-30T0800' });
    // a second tick opens nothing twice
    await t.hub.shifts.tick();
    expect(await t.hub.db.auditLog.count({ where: { action: 'handover.open', target: 'shift:2026-11-30T0800' } })).toBe(1);
    // the line closes the ended shift's log (seed 004 篇3 §1.3), though written after its end
    const day = await call<ShiftLogResponse>('GET', '/api/shift-log?shift=2026-11-30T0800', undefined, 'op1');
    expect(day.body.entries.find((e) => e.key === 'records.duty.handover_opened')?.text).toMatch(
      /^2026-11-30T0800 白班结束,系统发起交接班/,
    );
    const night = await call<ShiftLogResponse>('GET', '/api/shift-log', undefined, 'op1');
    expect(night.body.shift.id).toBe('2026-11-30T1800');
    expect(night.body.entries.map((e) => e.key)).not.toContain('records.duty.handover_opened');
  });

  it('the outgoing operator stays on duty (overtime) while the handover waits', async () => {
    const cur = await call<OnDutyView>('GET', '/api/shifts/current', undefined, 'op2');
    expect(cur.body.shift.id).toBe('2026-11-30T1800');
    expect(cur.body.overtime).toBe(true);
    expect(cur.body.pendingHandover).toMatchObject({ shiftId: '2026-11-30T0800', state: 'waiting_outgoing', handoverId: null });
  });

  it('the draft lists open items, the provider’s pending work orders, devices offline and the equipment list', async () => {
    const d = await call<HandoverDraft>('GET', '/api/handover-draft', undefined, 'op1');
    expect(d.status).toBe(200);
    expect(d.body.shift.id).toBe('2026-11-30T0800');
    expect(d.body.pending).toEqual([expect.objectContaining({ source: 'work_order', sourceLabel: '报修', id: 'wo-7', overdue: true })]);
    expect(d.body.devices).toEqual([expect.objectContaining({ id: 'fp-1', condition: 'offline', conditionLabel: '离线' })]);
    expect(d.body.equipment.map((e) => e.id)).toContain('fire_panel');
    expect(d.body.equipment.find((e) => e.id === 'cctv')?.label).toBe('监控录像系统运行正常');
    const other = await call<HandoverDraft>('GET', '/api/handover-draft?buildings=bldg-9', undefined, 'op1', 'en');
    expect(other.body.pending).toEqual([]);
    expect(other.body.devices).toEqual([]);
    expect(other.body.equipment.find((e) => e.id === 'cctv')?.label).toBe('CCTV recording normal');
  });

  it('refuses a handover without the complete equipment check, or with an unknown item', async () => {
    const none = await call<Err>('POST', '/api/handovers', { notes: '交班' }, 'op1');
    expect(none.status).toBe(400);
    expect(none.body.message).toMatch(/交接班检查未完成/);
    const bad = await call<Err>('POST', '/api/handovers', { notes: '交班', checks: [{ item: 'nope', ok: true }] }, 'op1');
    expect(bad.status).toBe(400);
  });

  it('the outgoing operator signs with √/× per item; the snapshot holds the pending work order and the device', async () => {
    const items = (await call<HandoverDraft>('GET', '/api/handover-draft', undefined, 'op1')).body.equipment;
    const checks = items.map((e) => ({ item: e.id, ok: e.id !== 'cctv', note: e.id === 'cctv' ? '3 号摄像头黑屏' : '' }));
    const r = await call<HandoverResponse>('POST', '/api/handovers', { notes: '本班无大事', incomingUsername: 'op2', checks }, 'op1');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    handover = r.body;
    expect(r.body.shiftId).toBe('2026-11-30T0800');
    expect(r.body.checks.find((c) => c.item === 'cctv')).toEqual({
      item: 'cctv',
      label: '监控录像系统运行正常',
      ok: false,
      note: '3 号摄像头黑屏',
    });
    expect(r.body.openItems).toContainEqual(expect.objectContaining({ type: 'pending', source: 'work_order', id: 'wo-7' }));
    expect(r.body.openItems).toContainEqual(expect.objectContaining({ type: 'device', id: 'fp-1', condition: 'offline' }));
    const audit = await t.hub.db.auditLog.findFirstOrThrow({ where: { action: 'handover.create', target: `handover:${r.body.id}` } });
    expect(audit.data).toMatchObject({ shiftId: '2026-11-30T0800', notOk: ['cctv'] });
    const log = await call<ShiftLogResponse>('GET', '/api/shift-log?shift=2026-11-30T0800', undefined, 'op1', 'en');
    expect(log.body.entries.map((e) => e.text)).toContain('Handover check not OK (×): CCTV recording normal (3 号摄像头黑屏)');
    expect(log.body.entries.map((e) => e.key)).toContain('records.duty.handover_created');
    const night = await call<ShiftLogResponse>('GET', '/api/shift-log', undefined, 'op1');
    expect(night.body.entries.map((e) => e.key).filter((k) => k.startsWith('records.duty.handover_'))).toEqual([]);
    const cur = await call<OnDutyView>('GET', '/api/shifts/current', undefined, 'op2');
    expect(cur.body.onDuty?.id).toBe(ids.op1);
    expect(cur.body.pendingHandover).toMatchObject({ state: 'open', handoverId: r.body.id });
  });

  it('reminds of the unaccepted handover after the configured delay (live push and once per round)', async () => {
    pushes.length = 0;
    clock = cst('2026-11-30T18:14:00');
    await t.hub.shifts.tick();
    clock = cst('2026-11-30T18:15:00');
    await t.hub.shifts.tick();
    await t.hub.shifts.tick();
    expect(await waitFor(() => pushes.some((p) => p.key === 'handover_pending'))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(pushes.filter((p) => p.key === 'handover_pending')).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ shiftId: '2026-11-30T0800', params: { minutes: 15, outgoingSigned: true } });
  });

  it('the incoming operator accepts: the incoming one is on duty, nothing is pending, no more reminders', async () => {
    expect((await call('POST', `/api/handovers/${handover.id}/accept`, {}, 'op1')).status).toBe(403);
    const a = await call<HandoverResponse>('POST', `/api/handovers/${handover.id}/accept`, { note: '已核对' }, 'op2');
    expect(a.status).toBe(200);
    const cur = await call<OnDutyView>('GET', '/api/shifts/current', undefined, 'op2');
    expect(cur.body).toMatchObject({ overtime: false, pendingHandover: null });
    expect(cur.body.onDuty?.id).toBe(ids.op2);
    pushes.length = 0;
    clock = cst('2026-11-30T19:30:00');
    await t.hub.shifts.tick();
    const shift = await call<ShiftView>('GET', '/api/shifts/2026-11-30T0800', undefined, 'op1');
    expect(shift.body.handover).toMatchObject({ state: 'accepted', outgoingName: '张值班', incomingName: '李接班' });
    const log = await call<ShiftLogResponse>('GET', '/api/shift-log?shift=2026-11-30T0800', undefined, 'op1');
    expect(log.body.entries.at(-1)).toMatchObject({ key: 'records.duty.handover_accepted', text: '交接班:李接班 接班签字' });
    // a second handover of the same shift is refused
    expect((await call('POST', '/api/handovers', { notes: 'again', shiftId: '2026-11-30T0800' }, 'op1')).status).toBe(409);
    expect(pushes.filter((p) => p.key === 'handover_pending')).toEqual([]);
  });
});

describe('supervisor: signature per shift, spot checks, monthly review', () => {
  it('a supervisor signs the ended shift once; operators cannot', async () => {
    expect((await call('POST', '/api/shifts/2026-11-30T0800/sign', { note: '' }, 'op1')).status).toBe(403);
    const s = await call<ShiftLogResponse>('POST', '/api/shifts/2026-11-30T0800/sign', { note: '已阅' }, 'sup');
    expect(s.status).toBe(200);
    expect(s.body.signature).toMatchObject({ signedByName: '王主管', note: '已阅' });
    expect(s.body.shift.signature?.signedAt).toBe(clock);
    expect((await call('POST', '/api/shifts/2026-11-30T0800/sign', {}, 'admin')).status).toBe(409);
    expect(await t.hub.db.auditLog.count({ where: { action: 'duty_log.sign_shift', target: 'shift:2026-11-30T0800' } })).toBe(1);
  });

  it('spot checks are counted against ≥ 20 % of the month’s ended shifts; the month is reviewed once', async () => {
    const before = await call<MonthReviewView>('GET', '/api/duty-review/2026-11', undefined, 'sup');
    expect(before.body).toMatchObject({ month: '2026-11', shifts: 1, signed: 1, unsigned: 0, review: null });
    expect(before.body.spotCheck).toMatchObject({ total: 1, checked: 0, required: 1, met: false });
    expect((await call('POST', '/api/shifts/2026-11-30T1800/spot-check', {}, 'sup')).status).toBe(400); // not ended
    const c = await call<ShiftView>('POST', '/api/shifts/2026-11-30T0800/spot-check', { note: '抽查无误' }, 'sup');
    expect(c.status).toBe(200);
    expect(c.body.spotCheck).toMatchObject({ byName: '王主管', note: '抽查无误' });
    expect((await call('POST', '/api/shifts/2026-11-30T0800/spot-check', {}, 'sup')).status).toBe(409);
    const after = await call<MonthReviewView>('GET', '/api/duty-review/2026-11', undefined, 'sup');
    expect(after.body.spotCheck).toMatchObject({ checked: 1, required: 1, met: true, ratio: 1 });
    expect((await call('GET', '/api/duty-review/2026-11', undefined, 'op1')).status).toBe(403);
    expect((await call('POST', '/api/duty-review/2026-12', {}, 'sup')).status).toBe(400);
    const r = await call<MonthReviewView>('POST', '/api/duty-review/2026-11', { note: '11 月值班记录已查阅' }, 'sup');
    expect(r.status).toBe(200);
    expect(r.body.review).toMatchObject({ byName: '王主管', note: '11 月值班记录已查阅' });
    expect((await call('POST', '/api/duty-review/2026-11', {}, 'sup')).status).toBe(409);
    expect(await t.hub.db.auditLog.count({ where: { action: 'duty_log.month_review', target: 'duty_month:2026-11' } })).toBe(1);
  });

  it('an unsigned shift log is reminded to supervisors after the configured delay', async () => {
    pushes.length = 0;
    // the night shift ends 12-01 08:00; its handover opens then; reminded 24 h later (default)
    clock = cst('2026-12-01T08:00:01');
    await relogin();
    await t.hub.shifts.tick();
    clock = cst('2026-12-02T08:00:02');
    await relogin();
    await t.hub.shifts.tick();
    const sup = await socket(t, '/control-room', tok.sup);
    const got: ShiftNoticePush[] = [];
    sup.on('shift:notify', (e: ShiftNoticePush) => got.push(e));
    clock = cst('2026-12-02T09:10:00'); // next repeat round
    await t.hub.shifts.tick();
    expect(await waitFor(() => got.some((p) => p.key === 'unsigned_logs'))).toBe(true);
    sup.close();
    expect(got.find((p) => p.key === 'unsigned_logs')?.params).toMatchObject({ oldest: '2026-11-30T1800' });
  });
});

describe('configuration (admin)', () => {
  it('only an admin changes the shifts and the equipment list; audited; applies from the next boundary', async () => {
    const body = {
      shifts: [
        { id: 'a', name: ['早班', 'Early'], start: '07:00' },
        { id: 'b', name: ['晚班', 'Late'], start: '19:00' },
      ],
      equipment: [{ id: 'fire_panel', label: ['消防主机', 'Fire panel'] }],
    };
    expect((await call('PUT', '/api/shifts/config', body, 'sup')).status).toBe(403);
    expect((await call('PUT', '/api/shifts/config', { shifts: [] }, 'admin')).status).toBe(400);
    const r = await call<{ shifts: unknown[] }>('PUT', '/api/shifts/config', body, 'admin');
    expect(r.status).toBe(200);
    expect(await t.hub.db.auditLog.count({ where: { action: 'shifts.config' } })).toBe(1);
    const cur = await call<OnDutyView>('GET', '/api/shifts/current', undefined, 'op1');
    // the running day shift keeps its written period
    expect(cur.body.shift).toMatchObject({ id: '2026-12-02T0800', endsAt: cst('2026-12-02T18:00:00') });
    clock = cst('2026-12-02T18:30:00');
    await relogin();
    const next = await call<OnDutyView>('GET', '/api/shifts/current', undefined, 'op1');
    expect(next.body.shift).toMatchObject({
      id: '2026-12-02T1800',
      startsAt: cst('2026-12-02T18:00:00'),
      endsAt: cst('2026-12-02T19:00:00'),
    });
  });
});

describe('summary reports 汇总报表', () => {
  it('counts incidents by kind with the on-time rate per target, visitors, follow-ups and shifts; JSON, CSV with BOM, printable page', async () => {
    // an entrapment acknowledged at once (ack target met), opened on 12-02 at 18:30
    const inc = await call<{ id: string }>(
      'POST',
      '/api/incidents',
      { kind: 'elevator_entrapment', building: 'bldg-1', payload: { car: 'C1', floor: 3 } },
      'op1',
    );
    expect(inc.status).toBe(201);
    clock += 5000;
    expect((await call('POST', `/api/incidents/${inc.body.id}/acknowledge`, { payload: { notes: '已安抚' } }, 'op1')).status).toBe(200);
    expect((await call('GET', '/api/reports/summary?period=day&date=2026-12-02', undefined, 'op1')).status).toBe(403);
    const r = await call<SummaryReport>('GET', '/api/reports/summary?period=day&date=2026-12-02', undefined, 'sup');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ent = r.body.incidents.find((k) => k.kind === 'elevator_entrapment');
    expect(ent).toMatchObject({ opened: 1, open: 1, label: ['电梯困人', 'Elevator entrapment'] });
    expect(ent?.targets.find((x) => x.target === 'ack')).toMatchObject({ total: 1, onTime: 1, rate: 1 });
    // every declared target is listed, measured or not
    expect(ent?.targets.find((x) => x.target === 'contractor_arrival')).toMatchObject({ total: 0, rate: null });
    expect(r.body.sections.map((s) => s.source)).toContain('followup');
    const week = await call<SummaryReport>('GET', '/api/reports/summary?period=week&date=2026-12-02', undefined, 'sup');
    expect(week.body.label).toBe('2026-11-30~2026-12-06');
    expect(week.body.shifts?.handovers).toBe(1);
    expect(
      (await call<SummaryReport>('GET', '/api/reports/summary?period=day&date=2026-12-02&buildings=bldg-9', undefined, 'sup')).body
        .incidents,
    ).toEqual([]);

    const csv = await fetch(`${t.http}/api/reports/summary?period=day&date=2026-12-02&format=csv`, {
      headers: { authorization: `Bearer ${tok.sup}` },
    });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="summary-day-2026-12-02.csv"/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text).toContain('\r\n');
    expect(text).toMatch(/事件,电梯困人 · 接警时限[^,]*,1\/1,100\.0%/);

    const html = await fetch(`${t.http}/api/reports/summary?period=month&date=2026-12-02&format=html&lang=en`, {
      headers: { authorization: `Bearer ${tok.sup}` },
    });
    expect(html.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const page = await html.text();
    expect(page).toContain('Operations summary · Monthly 2026-12');
    expect(page).toContain('Elevator entrapment');
    expect(page).not.toMatch(/电梯困人/);
    expect(await t.hub.db.auditLog.count({ where: { action: 'report.summary', actor: `user:${ids.sup}` } })).toBe(5);
  });
});
