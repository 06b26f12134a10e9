// The work-order section of the summary report (issue 11 "Reports"; PROCEDURES.md §8): orders
// registered and closed in the period, the on-time rate of the 24 h response, the 48 h completion
// and the 回访 (seed 002 §3.3; seed 001 §五.2), and the orders by category — every number checked
// against orders driven through the real hub on a clock the test moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type { ReportSection, SummaryReport } from '../../contracts/shifts.js';
import { api, login, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

const HOUR = 3_600_000;
// Wednesday 2 December 2026, 09:00 in the estate's time zone (UTC+8)
const BASE = Date.parse('2026-12-02T09:00:00+08:00');
const realStart = Date.now();
let offset = 0;
let t: TestHub;
let desk: string;
let adm: string;

beforeAll(async () => {
  t = await startTestHub({ now: () => BASE + (Date.now() - realStart) + offset });
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  await t.hub.auth.createUser('desk', 'desk-password', 'frontdesk', '前台小王');
  desk = (await login(t, 'desk', 'desk-password')).token;
});
afterAll(async () => {
  await t?.close();
});

const order = async (building: string, category: string, description: string): Promise<string> => {
  const r = await api<IncidentDetail>(
    t,
    'POST',
    '/api/work-orders',
    { building, category, area: 'common', location: '大堂', description, source: 'staff' },
    desk,
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
};
const act = async (id: string, action: string, payload: unknown) => {
  const r = await api<IncidentDetail>(t, 'POST', `/api/incidents/${id}/actions/${action}`, { payload }, desk);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const section = async (query: string): Promise<ReportSection> => {
  const r = await api<SummaryReport>(t, 'GET', `/api/reports/summary?${query}`, undefined, adm);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const s = r.body.sections.find((x) => x.source === 'repair');
  expect(s?.label).toEqual(['报修工单', 'Work orders']);
  return s!;
};
/** [zh label, value, rate] of every row */
const figures = (s: ReportSection) => s.rows.map((r) => [r.label[0], r.value, r.rate ?? null]);

describe('summary report: work orders', () => {
  it('counts registered and closed orders, on-time response / completion / 回访, and orders by category', async () => {
    // A: done the whole way on time, followed up on time
    const a = await order('bldg-1', 'plumbing', '水管渗水');
    await act(a, 'dispatch', { party: '工程部 李师傅' });
    await act(a, 'record_response', { notes: '已到场' });
    await act(a, 'complete', { workDone: '更换管件' });
    await act(a, 'accept', { signedBy: 'staff', signerName: '王工', satisfied: true });
    const fu = await t.hub.db.followUp.findFirstOrThrow({ where: { incidentId: a } });
    const done = await api(t, 'POST', `/api/followups/${fu.id}/done`, { notes: '业主满意' }, desk);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    // B: nobody answers within 24 h (the response target is missed), then it is taken up
    const b = await order('bldg-1', 'electrical', '走廊灯不亮');
    // C: another building, cancelled before anyone went
    const c = await order('bldg-2', 'plumbing', '地漏堵塞');
    await act(c, 'cancel', { reason: '业主已自行处理' });
    offset += 24 * HOUR + 1000;
    // the sessions of a day ago have expired
    desk = (await login(t, 'desk', 'desk-password')).token;
    adm = (await login(t, 'admin', 'hub-test-pass-1')).token;
    await waitFor(
      async () => (await t.hub.db.incidentTimer.findFirst({ where: { incidentId: b, key: 'response', status: 'fired' } })) !== null,
      5000,
      'the missed response target',
    );
    await act(b, 'dispatch', { party: '工程部 张师傅' });
    await act(b, 'record_response', { notes: '晚到' });

    const zero = ['给排水', '电气'].length; // categories with orders below; every other category shows 0
    const month = figures(await section('period=month&date=2026-12-02'));
    expect(month.slice(0, 5)).toEqual([
      ['登记工单', 3, null],
      ['结单', 1, null],
      // measured: A (on time) and B (late); C was never responded to
      ['24小时内响应', 1, 0.5],
      // measured: A only (B is not complete and not yet late)
      ['48小时内完工', 1, 1],
      ['按时回访', 1, 1],
    ]);
    const byCategory = month.slice(5);
    expect(byCategory.find((r) => r[0] === '类别·给排水')).toEqual(['类别·给排水', 2, null]);
    expect(byCategory.find((r) => r[0] === '类别·电气')).toEqual(['类别·电气', 1, null]);
    expect(byCategory.filter((r) => r[1] === 0)).toHaveLength(byCategory.length - zero);

    // one building: only its orders
    const b2 = figures(await section('period=month&date=2026-12-02&buildings=bldg-2'));
    expect(b2.slice(0, 5)).toEqual([
      ['登记工单', 1, null],
      ['结单', 0, null],
      ['24小时内响应', 0, null],
      ['48小时内完工', 0, null],
      ['按时回访', 0, null],
    ]);
    expect(b2.slice(5).find((r) => r[0] === '类别·给排水')?.[1]).toBe(1);

    // the next day's report: nothing was registered or closed then
    const next = figures(await section('period=day&date=2026-12-03'));
    expect(next.slice(0, 2)).toEqual([
      ['登记工单', 0, null],
      ['结单', 0, null],
    ]);
  });
});
