// Complaints 投诉 through the API of a real hub (PROCEDURES.md §9): registration by the desk, the
// owner's contact as a logged personal-data read, valid → reply with the next reply agreed →
// hand-off / a linked repair work order → response → solution → 回访, an invalid one closed with
// its explanation, the board's filters, the 2 h escalation, the handover's pending items, and the
// monthly complaint report (numbers, printable page, CSV, audit row) and its summary-report section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComplaintMonthReport, ComplaintView } from '../../contracts/complaints.js';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type { HandoverDraft, SummaryReport } from '../../contracts/shifts.js';
import type { OwnerContactView, WorkOrderView } from '../../contracts/workorders.js';
import { api, login, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

const HOUR = 3_600_000;
// The report is per China-time month (UTC+8) and the test moves the hub's clock 2 h on: in the
// last 2 h of a month that moved it into the next month, away from the complaints it had just
// filed (the suite failed on 30 November from 22:00 China time). There the hub's clock starts
// 3 h back instead, so both it and PostgreSQL's stay in one month.
const chinaNow = new Date(Date.now() + 8 * HOUR);
const monthEnds = Date.UTC(chinaNow.getUTCFullYear(), chinaNow.getUTCMonth() + 1, 1) - 8 * HOUR;
let offset = monthEnds - Date.now() < 3 * HOUR ? -3 * HOUR : 0;
let t: TestHub;
let desk: string;
let deskId: string;
let sup: string;

beforeAll(async () => {
  // a clock we can move forward for the 2 h target; real time otherwise
  t = await startTestHub({ now: () => Date.now() + offset });
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '802', floor: 8, ownerName: '周美玲', ownerPhone: '13700005678' } });
  deskId = (await t.hub.auth.createUser('desk', 'desk-password', 'frontdesk', '前台小李')).id;
  desk = (await login(t, 'desk', 'desk-password')).token;
  await t.hub.auth.createUser('sup', 'sup-password-1', 'supervisor', '客服主管');
  sup = (await login(t, 'sup', 'sup-password-1')).token;
});
afterAll(async () => {
  await t?.close();
});

const resident = {
  building: 'bldg-1',
  complainantType: 'resident',
  unit: '802',
  complainantName: '周美玲',
  channel: 'phone',
  category: 'environment',
  location: '8楼走廊',
  description: '走廊垃圾无人清理',
};
const act = (id: string, action: string, payload: unknown, token = desk) =>
  api<IncidentDetail>(t, 'POST', `/api/incidents/${id}/actions/${action}`, { payload }, token);
const report = async (q = '') => (await api<ComplaintMonthReport>(t, 'GET', `/api/complaints/report${q}`, undefined, sup)).body;

describe('complaints 投诉', () => {
  let mainId = '';
  let invalidId = '';
  let repairComplaintId = '';

  it('the desk registers a complaint; an unknown unit, a bad channel or an outsider without a name is refused', async () => {
    const r = await api<IncidentDetail>(t, 'POST', '/api/complaints', resident, desk);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ kind: 'complaint', state: 'registered', building: 'bldg-1', floor: 8 });
    mainId = r.body.id;
    const unknown = await api<{ code: string; message: string }>(t, 'POST', '/api/complaints', { ...resident, unit: '9999' }, desk);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('9999');
    expect((await api(t, 'POST', '/api/complaints', { ...resident, channel: 'fax' }, desk)).status).toBe(400);
    const outsider = { building: 'bldg-2', complainantType: 'outside', channel: 'visit', category: 'service', description: '门岗态度差' };
    expect((await api(t, 'POST', '/api/complaints', outsider, desk)).status).toBe(400);
    expect((await api(t, 'GET', '/api/complaints', undefined, 'not-a-token')).status).toBe(401);
  });

  it("the resident's contact comes from the owner file only with a reason, and the read is logged", async () => {
    expect((await api(t, 'GET', `/api/complaints/${mainId}/owner-contact`, undefined, desk)).status).toBe(400);
    const before = await t.hub.db.personalDataAccess.count();
    const r = await api<OwnerContactView>(
      t,
      'GET',
      `/api/complaints/${mainId}/owner-contact?reason=${encodeURIComponent('回复投诉')}`,
      undefined,
      desk,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ unit: '802', ownerName: '周美玲', ownerPhone: '13700005678' });
    expect(await t.hub.db.personalDataAccess.count()).toBe(before + 1);
    const rows = await t.hub.db.personalDataAccess.findMany({ where: { subject: `unit:${r.body.unitId}` } });
    expect(rows).toEqual([expect.objectContaining({ userId: deskId, reason: expect.stringMatching(/^complaint #\d+: 回复投诉$/) })]);
  });

  it('valid → reply (next reply agreed) → hand-off → response → solution → 回访 closes it; each change is audited', async () => {
    expect((await act(mainId, 'accept_valid', {})).status).toBe(200);
    const next = Date.now() + offset + 3 * HOUR;
    const reply = await act(mainId, 'record_reply', { text: '已通知保洁,下午三点前回复', nextReplyAt: next });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const v1 = (await api<ComplaintView>(t, 'GET', `/api/complaints/${mainId}`, undefined, desk)).body;
    expect(v1).toMatchObject({ state: 'handling', valid: true, nextReplyAt: next, overdue: { reply: false } });
    expect(v1.solutionDueAt! - v1.openedAt).toBe(72 * HOUR);
    // the agreed time is a stored reminder (it survives a restart), repeating every 60 min by default
    const detail = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${mainId}`, undefined, desk)).body;
    expect(detail.timers.find((x) => x.key === 'next_reply')).toMatchObject({ dueAt: next, status: 'running' });
    expect((await act(mainId, 'record_reply', { text: 'x', nextReplyAt: Date.now() + offset - 1000 })).status).toBe(400);
    expect((await act(mainId, 'hand_off', { department: 'cleaning', party: '保洁主管' })).status).toBe(200);
    expect((await act(mainId, 'record_response', { notes: '保洁已到场' })).status).toBe(200);
    expect((await act(mainId, 'record_followup', { satisfied: true })).status).toBe(409);
    expect((await act(mainId, 'record_solution', { solution: '已清理,每日加巡两次' })).status).toBe(200);
    // a valid complaint stays open until the 回访: the supervisor cannot waive it
    const skip = await act(mainId, 'skip_step', { step: 'followup', reason: '不需要' }, sup);
    expect(skip.status).toBe(409);
    const done = await act(mainId, 'record_followup', { satisfied: true, notes: '业主满意' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ state: 'closed', open: false });
    const audits = await t.hub.db.auditLog.findMany({ where: { target: { contains: mainId } } });
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining([expect.stringContaining('accept_valid'), expect.stringContaining('record_followup')]),
    );
  });

  it('an invalid complaint is closed with the reason and the explanation', async () => {
    const r = await api<IncidentDetail>(
      t,
      'POST',
      '/api/complaints',
      { ...resident, channel: 'online', category: 'service', description: '邻居装修太吵' },
      desk,
    );
    invalidId = r.body.id;
    expect((await act(invalidId, 'mark_invalid', { reason: '装修在允许时段内' })).status).toBe(400);
    const inv = await act(invalidId, 'mark_invalid', { reason: '装修在允许时段内', explanation: '已向业主解释装修管理规定' });
    expect(inv.status, JSON.stringify(inv.body)).toBe(200);
    expect(inv.body).toMatchObject({ state: 'invalid', open: false });
  });

  it('a facilities complaint opens a repair work order, linked both ways', async () => {
    const r = await api<IncidentDetail>(
      t,
      'POST',
      '/api/complaints',
      { ...resident, channel: 'visit', category: 'facilities', description: '楼道灯坏了一周' },
      desk,
    );
    repairComplaintId = r.body.id;
    await act(repairComplaintId, 'accept_valid', {});
    const wo = await act(repairComplaintId, 'open_work_order', {
      repairCategory: 'electrical',
      area: 'common',
      location: '8楼楼道',
      description: '楼道灯不亮',
    });
    expect(wo.status, JSON.stringify(wo.body)).toBe(200);
    const c = await waitFor(
      async () => {
        const v = (await api<ComplaintView>(t, 'GET', `/api/complaints/${repairComplaintId}`, undefined, desk)).body;
        return v.workOrderIds.length ? v : null;
      },
      5000,
      'work order of the complaint',
    );
    const order = (await api<WorkOrderView>(t, 'GET', `/api/work-orders/${c.workOrderIds[0]}`, undefined, desk)).body;
    expect(order).toMatchObject({ source: 'complaint', parentId: repairComplaintId, category: 'electrical', area: 'common' });
    const detail = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${repairComplaintId}`, undefined, desk)).body;
    expect(detail.children).toContain(order.id);
    expect(c.department).toBe('engineering');
  });

  it('the board filters by state, category, channel and building', async () => {
    const board = async (q: string) => (await api<ComplaintView[]>(t, 'GET', `/api/complaints${q}`, undefined, desk)).body.map((c) => c.id);
    expect(await board('')).toEqual([repairComplaintId]);
    expect(await board('?state=all')).toEqual(expect.arrayContaining([mainId, invalidId, repairComplaintId]));
    expect(await board('?state=invalid')).toEqual([invalidId]);
    expect(await board('?state=all&category=environment')).toEqual([mainId]);
    expect(await board('?state=all&channel=online')).toEqual([invalidId]);
    expect(await board('?state=all&building=bldg-2')).toEqual([]);
    expect(await board('?overdue=true')).toEqual([]);
    expect((await api(t, 'GET', '/api/complaints?state=bogus', undefined, desk)).status).toBe(400);
  });

  it('no reply within 2 h escalates; the board shows it overdue and the handover lists it', async () => {
    const r = await api<IncidentDetail>(
      t,
      'POST',
      '/api/complaints',
      { ...resident, building: 'bldg-1', channel: 'letter', category: 'safety', description: '消防通道被占' },
      desk,
    );
    offset += 2 * HOUR + 1000;
    desk = (await login(t, 'desk', 'desk-password')).token;
    sup = (await login(t, 'sup', 'sup-password-1')).token;
    const late = await waitFor(
      async () =>
        (await api<ComplaintView[]>(t, 'GET', '/api/complaints?overdue=true', undefined, desk)).body.find((c) => c.id === r.body.id),
      5000,
      'overdue complaint',
    );
    expect(late.overdue).toMatchObject({ reply: true });
    const d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${r.body.id}`, undefined, desk)).body;
    expect(d.timeline.some((e) => e.type === 'escalated')).toBe(true);
    const draft = (await api<HandoverDraft>(t, 'GET', '/api/handover-draft', undefined, desk)).body;
    expect(draft.pending.find((p) => p.id === r.body.id)).toMatchObject({ source: 'complaint', sourceLabel: '投诉', overdue: true });
    expect(draft.pending.some((p) => p.id === mainId)).toBe(false);
  });

  it('the monthly report counts by category and channel with on-time and follow-up rates; reading it is audited', async () => {
    expect((await api(t, 'GET', '/api/complaints/report', undefined, desk)).status).toBe(403);
    const before = await t.hub.db.auditLog.count({ where: { action: 'report.complaints' } });
    const r = await report();
    expect(r).toMatchObject({ total: 4, valid: 2, invalid: 1, undecided: 1, stillOpen: 2, workOrders: 1 });
    expect(r.byCategory.find((c) => c.category === 'environment')).toMatchObject({ total: 1, valid: 1 });
    expect(r.byCategory.find((c) => c.category === 'service')).toMatchObject({ total: 1, invalid: 1 });
    expect(r.byChannel.map((c) => [c.channel, c.total])).toEqual([
      ['phone', 1],
      ['visit', 1],
      ['online', 1],
      ['letter', 1],
      ['other', 0],
    ]);
    // replied on time: the main one and the invalid one; the safety one and the one handed to a
    // work order (never replied to) both missed their 2 h when the clock moved on
    expect(r.reply).toEqual({ measured: 4, onTime: 2, rate: 0.5 });
    expect(r.response).toEqual({ measured: 1, onTime: 1, rate: 1 });
    expect(r.solution).toEqual({ measured: 1, onTime: 1, rate: 1 });
    expect(r.followup).toEqual({ due: 1, done: 1, onTime: 1, rate: 1 });
    expect(await t.hub.db.auditLog.count({ where: { action: 'report.complaints' } })).toBe(before + 1);
    const other = await report('?month=2020-01');
    expect(other.total).toBe(0);
    expect(other.reply.rate).toBeNull();
  });

  it('the report prints as a page and exports as CSV; the summary report has a complaints section', async () => {
    const page = await fetch(`${t.http}/api/complaints/report?format=html&lang=zh-CN`, { headers: { authorization: `Bearer ${sup}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('投诉工作月报');
    expect(html).toContain('环境卫生');
    expect(html).toContain('50.0%');
    const csv = await fetch(`${t.http}/api/complaints/report?format=csv&lang=en`, { headers: { authorization: `Bearer ${sup}` } });
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="?complaints-\d{4}-\d{2}\.csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    // the byte-order mark Excel on a Chinese Windows needs to read UTF-8
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text).toContain('Reply within 2 h,2/4,50.0%');
    const summary = (await api<SummaryReport>(t, 'GET', '/api/reports/summary?period=month', undefined, sup)).body;
    const s = summary.sections.find((x) => x.source === 'complaint');
    expect(s?.rows.find((x) => x.label[1] === 'Registered')?.value).toBe(4);
    expect(s?.rows.find((x) => x.label[1] === 'Followed up (valid)')).toMatchObject({ value: 1, rate: 1 });
  });

  it('the complaint routes are in the OpenAPI document', async () => {
    const r = await api<{ paths: Record<string, unknown> }>(t, 'GET', '/api/openapi.json');
    for (const p of ['/api/complaints', '/api/complaints/report', '/api/complaints/{id}', '/api/complaints/{id}/owner-contact'])
      expect(Object.keys(r.body.paths)).toContain(p);
  });
});
