// Complaints 投诉 (PROCEDURES.md §9; seed 001 §四; seed 002 §5.1.3): every state and every timer
// (2 h reply, agreed next-reply reminder, 24 h response, 72 h solution, 回访 window) under a fake clock.
import { describe, expect, it } from 'vitest';
import { addWorkingDays } from '../../../services/core/procedure/workdays.js';
import { Sim, T0, HOUR, MIN, allowedActions, expectErr, frontdesk, operator, supervisor } from './helpers.js';

const residentComplaint = (extra: Record<string, unknown> = {}) => ({
  complainantType: 'resident',
  unit: '1203',
  complainantName: '张三',
  channel: 'phone',
  category: 'environment',
  location: '3号楼大堂',
  description: '大堂垃圾两天没人清理',
  ...extra,
});
const outsideComplaint = {
  complainantType: 'outside',
  complainantName: '李四',
  complainantPhone: '13900000000',
  channel: 'visit',
  category: 'service',
  description: '保安态度恶劣',
};
const newComplaint = (config?: Record<string, unknown>) =>
  Sim.manual('complaint', frontdesk, residentComplaint(), { unitKnown: true, unitFloor: 12 }, config);
type D = {
  valid: boolean | null;
  overdue: Record<string, boolean>;
  followupDueAt: number | null;
  replies: { text: string; nextReplyAt: number | null }[];
  complainantPhone: string;
};
const data = (sim: Sim) => sim.s.data as unknown as D;
const escalations = (effects: { type: string }[]) =>
  effects.filter((e) => e.type === 'escalate').map((e) => (e as unknown as { reason: string }).reason);

describe('complaint: registration 登记', () => {
  it('registers who, channel, what and category; the 2 h reply clock starts at registration', () => {
    const sim = newComplaint();
    expect(sim.s.state).toBe('registered');
    expect(sim.step('register').status).toBe('done');
    expect(sim.s.floor).toBe(12);
    expect(sim.timer('reply')?.dueAt).toBe(T0 + 2 * HOUR);
    // the 24 h / 72 h targets belong to valid complaints: they start when it is confirmed valid
    expect(sim.timer('response')).toBeUndefined();
    expect(sim.s.title).toMatchObject({ params: { unit: '1203', category: { key: 'complaint.value.environment' } } });
    expect(sim.s.data).toMatchObject({ channel: 'phone', category: 'environment', complainantType: 'resident', complainantPhone: '' });
  });

  it('a resident needs a unit in the owner file; an outside person needs a name (their phone is kept)', () => {
    expect(() => Sim.manual('complaint', frontdesk, residentComplaint(), { unitKnown: false })).toThrow(/not in the owner file/);
    expect(() => Sim.manual('complaint', frontdesk, residentComplaint({ unit: undefined }))).toThrow(/unit required/);
    expect(() => Sim.manual('complaint', frontdesk, { ...outsideComplaint, complainantName: '' })).toThrow(/name required/);
    expect(() => Sim.manual('complaint', frontdesk, residentComplaint({ channel: 'fax' }))).toThrow();
    const o = Sim.manual('complaint', operator, outsideComplaint);
    expect(o.s.state).toBe('registered');
    expect(data(o).complainantPhone).toBe('13900000000');
    expect((o.s.data as { unit: unknown }).unit).toBeNull();
  });

  it('a resident phone given at registration is not copied (it stays in the owner file)', () => {
    const sim = Sim.manual('complaint', frontdesk, residentComplaint({ complainantPhone: '13800000000' }), { unitKnown: true });
    expect(data(sim).complainantPhone).toBe('');
  });
});

describe('complaint: invalid 无效投诉', () => {
  it('is closed with the reason and the explanation given to the complainant, no 回访', () => {
    const sim = newComplaint();
    sim.advance(30 * MIN);
    sim.act(frontdesk, 'mark_invalid', { reason: '属于业主之间的私人纠纷', explanation: '已向业主说明并建议联系居委会' });
    expect(sim.s.state).toBe('invalid');
    expect(sim.s.open).toBe(false);
    expect(data(sim).valid).toBe(false);
    expect(sim.step('reply')).toMatchObject({ status: 'done', notes: '已向业主说明并建议联系居委会' });
    expect(sim.step('followup').status).toBe('skipped');
    expect(sim.timer('reply')?.status).toBe('cancelled');
    expect(data(sim).overdue.reply).toBe(false);
    expect(sim.effectsOf('duty_log').map((e) => e.key)).toContain('complaint.duty.invalid');
  });

  it('needs both a reason and an explanation; an invalid one explained after 2 h is late', () => {
    const sim = newComplaint();
    expectErr(sim.tryAct(frontdesk, 'mark_invalid', { reason: 'x' }), 'HUB_ERR_BAD_REQUEST');
    const esc = sim.advance(2 * HOUR);
    expect(escalations(esc)).toEqual(['reply_overdue']);
    sim.act(frontdesk, 'mark_invalid', { reason: '非物业管理范围', explanation: '已说明' });
    expect(sim.step('reply').data).toMatchObject({ late: true });
    expect(data(sim).overdue.reply).toBe(true);
  });
});

describe('complaint: valid → reply → hand-off → response → solution → 回访', () => {
  it('walks the whole complaint on time; 回访 is due 2 working days after the solution reply', () => {
    const sim = newComplaint();
    sim.advance(20 * MIN);
    sim.act(frontdesk, 'accept_valid', {});
    expect(sim.s.state).toBe('handling');
    expect(sim.timer('response')?.dueAt).toBe(T0 + 24 * HOUR);
    expect(sim.timer('solution')?.dueAt).toBe(T0 + 72 * HOUR);
    sim.advance(40 * MIN);
    const nextAt = sim.now + 4 * HOUR;
    sim.act(frontdesk, 'record_reply', { text: '已安排保洁,今天下午回复', nextReplyAt: nextAt });
    expect(sim.timer('reply')?.status).toBe('cancelled');
    expect(sim.timer('next_reply')).toMatchObject({ dueAt: nextAt, status: 'running', repeatMs: HOUR });
    sim.act(frontdesk, 'hand_off', { department: 'cleaning', party: '保洁班长王五' });
    expectErr(sim.tryAct(frontdesk, 'record_followup', { satisfied: true }), 'HUB_ERR_CONFLICT');
    sim.advance(HOUR);
    sim.act(frontdesk, 'record_response', { notes: '保洁已到场' });
    expect(sim.timer('response')?.status).toBe('cancelled');
    sim.advance(HOUR);
    sim.act(frontdesk, 'record_solution', { solution: '垃圾已清理,增加每日两次巡查' });
    expect(sim.s.state).toBe('awaiting_followup');
    expect(sim.timer('solution')?.status).toBe('cancelled');
    expect(sim.timer('next_reply')?.status).toBe('cancelled');
    // Monday 13:00 CST + 2 working days → Wednesday
    const due = addWorkingDays(sim.now, 2);
    expect(data(sim).followupDueAt).toBe(due);
    expect(sim.timer('followup')?.dueAt).toBe(due);
    expect(sim.s.open).toBe(true);
    sim.advance(HOUR);
    sim.act(frontdesk, 'record_followup', { satisfied: true, notes: '业主满意' });
    expect(sim.s.state).toBe('closed');
    expect(sim.s.open).toBe(false);
    expect(escalations(sim.effects)).toEqual([]);
    expect(data(sim).overdue).toEqual({ reply: false, response: false, solution: false, followup: false });
  });

  it('a valid complaint cannot close without 回访: no close action, and the 回访 step cannot be waived', () => {
    const sim = newComplaint();
    sim.act(frontdesk, 'accept_valid', { solvedOnSpot: true, solution: '当场更换了灯泡' });
    expect(sim.s.state).toBe('awaiting_followup');
    const names = allowedActions(sim.s, 'supervisor').map((a) => a.action);
    expect(names).toContain('record_followup');
    expect(names.filter((n) => /close|cancel/.test(n))).toEqual([]);
    expectErr(sim.tryAct(supervisor, 'skip_step', { step: 'followup', reason: '不需要' }), 'HUB_ERR_CONFLICT');
    expect(sim.s.open).toBe(true);
  });

  it('solved on the spot settles reply, response and solution at once and needs what was done', () => {
    const sim = newComplaint();
    expectErr(sim.tryAct(frontdesk, 'accept_valid', { solvedOnSpot: true }), 'HUB_ERR_BAD_REQUEST');
    sim.act(frontdesk, 'accept_valid', { solvedOnSpot: true, solution: '当场道歉并调整' });
    for (const k of ['assess', 'reply', 'respond', 'solve'] as const) expect(sim.step(k).status).toBe('done');
    expect(sim.step('hand_off').status).toBe('skipped');
    expect(sim.s.timers.filter((t) => t.status === 'running').map((t) => t.key)).toEqual(['followup']);
  });

  it('the agreed next reply must be in the future; the reminder fires at that time and repeats until replied', () => {
    const sim = newComplaint({ nextReplyRepeatMs: 30 * MIN });
    sim.act(frontdesk, 'accept_valid', {});
    expectErr(sim.tryAct(frontdesk, 'record_reply', { text: 'x', nextReplyAt: sim.now }), 'HUB_ERR_BAD_REQUEST');
    sim.act(frontdesk, 'record_reply', { text: '正在处理', nextReplyAt: sim.now + 3 * HOUR });
    const before = sim.advance(3 * HOUR - 1);
    expect(sim.effectsOf('notify', before).filter((n) => n.key === 'next_reply_due')).toHaveLength(0);
    const at = sim.advance(1);
    expect(sim.effectsOf('notify', at).map((n) => n.key)).toEqual(['next_reply_due']);
    const again = sim.advance(30 * MIN);
    expect(sim.effectsOf('notify', again).map((n) => n.key)).toEqual(['next_reply_due']);
    // the next reply agrees a new time: the reminder moves there
    sim.act(frontdesk, 'record_reply', { text: '明天上午给结果', nextReplyAt: sim.now + 10 * HOUR });
    const quiet = sim.advance(10 * HOUR - 1);
    expect(sim.effectsOf('notify', quiet).filter((n) => n.key === 'next_reply_due')).toHaveLength(0);
    expect(data(sim).replies).toHaveLength(2);
  });

  it('2 h reply, 24 h response, 72 h solution and the 回访 window each escalate once when missed and stay recorded', () => {
    const sim = newComplaint();
    expect(escalations(sim.advance(2 * HOUR - 1))).toEqual([]);
    expect(escalations(sim.advance(1))).toEqual(['reply_overdue']);
    sim.act(frontdesk, 'accept_valid', {});
    sim.act(frontdesk, 'hand_off', { department: 'engineering' });
    expect(escalations(sim.advance(22 * HOUR - 1))).toEqual([]);
    expect(escalations(sim.advance(1))).toEqual(['response_overdue']);
    sim.act(frontdesk, 'record_response', {});
    expect(sim.step('respond').data).toMatchObject({ late: true });
    expect(escalations(sim.advance(48 * HOUR))).toEqual(['solution_overdue']);
    sim.act(frontdesk, 'record_solution', { solution: '已修复' });
    expect(sim.step('solve').data).toMatchObject({ late: true });
    const due = data(sim).followupDueAt!;
    expect(escalations(sim.advance(due - sim.now))).toEqual(['followup_overdue']);
    sim.act(frontdesk, 'record_followup', { satisfied: true });
    expect(sim.step('followup').data).toMatchObject({ late: true });
    expect(data(sim).overdue).toEqual({ reply: true, response: true, solution: true, followup: true });
    expect(sim.effectsOf('flag').map((f) => f.code)).toEqual(['response_late', 'reply_late', 'solution_late']);
  });

  it('the targets are settings: configured hours apply', () => {
    const sim = newComplaint({ replyMs: HOUR, responseMs: 4 * HOUR, solutionMs: 8 * HOUR, followupWorkingDays: 1 });
    expect(sim.timer('reply')?.dueAt).toBe(T0 + HOUR);
    sim.act(frontdesk, 'accept_valid', {});
    expect(sim.timer('response')?.dueAt).toBe(T0 + 4 * HOUR);
    expect(sim.timer('solution')?.dueAt).toBe(T0 + 8 * HOUR);
    sim.act(frontdesk, 'record_solution', { solution: 'ok' });
    expect(data(sim).followupDueAt).toBe(addWorkingDays(sim.now, 1));
  });

  it('回访 counts working days on the calendar (holidays skipped)', () => {
    const sim = newComplaint({ holidays: ['2025-01-07', '2025-01-08'] });
    sim.act(frontdesk, 'accept_valid', { solvedOnSpot: true, solution: 'ok' });
    expect(new Date(data(sim).followupDueAt! + 8 * HOUR).toISOString().slice(0, 10)).toBe('2025-01-10');
  });

  it('not satisfied at 回访 → handled again, then followed up again', () => {
    const sim = newComplaint();
    sim.act(frontdesk, 'accept_valid', { solvedOnSpot: true, solution: '已调整' });
    sim.act(frontdesk, 'record_followup', { satisfied: false, notes: '问题依旧' });
    expect(sim.s.state).toBe('handling');
    expect(sim.timer('followup')?.status).toBe('cancelled');
    expect(sim.effectsOf('notify').map((n) => n.key)).toContain('unsatisfied');
    sim.act(frontdesk, 'record_solution', { solution: '彻底更换' });
    expect(sim.s.state).toBe('awaiting_followup');
    sim.act(frontdesk, 'record_followup', { satisfied: true });
    expect(sim.s.state).toBe('closed');
  });

  it('actions are refused out of order and for an invalid one', () => {
    const sim = newComplaint();
    expectErr(sim.tryAct(frontdesk, 'record_reply', { text: 'x', nextReplyAt: sim.now + HOUR }), 'HUB_ERR_CONFLICT');
    sim.act(frontdesk, 'accept_valid', {});
    expectErr(sim.tryAct(frontdesk, 'mark_invalid', { reason: 'x', explanation: 'y' }), 'HUB_ERR_CONFLICT');
    expectErr(sim.tryAct(frontdesk, 'record_response', {}), 'HUB_ERR_CONFLICT');
    // offered disabled with the reason until handed off
    expect(allowedActions(sim.s, 'frontdesk').find((a) => a.action === 'record_response')?.blocked).toEqual({
      key: 'complaint.error.hand_off_first',
    });
    sim.act(frontdesk, 'hand_off', { department: 'security' });
    expect(allowedActions(sim.s, 'frontdesk').find((a) => a.action === 'record_response')?.blocked).toBeUndefined();
  });
});

describe('complaint: a repair work order from a complaint (linked both ways)', () => {
  it('opens a repair under the complaint with the complaint as its source', () => {
    const sim = newComplaint();
    sim.act(frontdesk, 'accept_valid', {});
    sim.act(frontdesk, 'open_work_order', { repairCategory: 'plumbing', area: 'unit', location: '厨房', description: '楼上漏水' });
    const link = sim.effectsOf('open_linked_incident');
    expect(link).toHaveLength(1);
    expect(link[0]).toMatchObject({ kind: 'repair', parentId: sim.s.id });
    expect(sim.timelineOf('linked_incident')).toHaveLength(1);
    expect(sim.step('hand_off').status).toBe('done');
    const order = new Sim('repair', link[0]!.trigger);
    expect(order.s.parentId).toBe(sim.s.id);
    expect(order.s.data).toMatchObject({ source: 'complaint', area: 'unit', unit: '1203', category: 'plumbing', faultIds: [] });
    expect(order.timer('response')?.dueAt).toBe(order.s.openedAt + 24 * HOUR);
  });

  it('a complaint without a unit can only open a common-area repair', () => {
    const sim = Sim.manual('complaint', frontdesk, outsideComplaint);
    sim.act(frontdesk, 'accept_valid', {});
    expectErr(sim.tryAct(frontdesk, 'open_work_order', { repairCategory: 'civil', area: 'unit', description: 'x' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(frontdesk, 'open_work_order', { repairCategory: 'civil', area: 'common', description: '围墙破损' });
    const order = new Sim('repair', sim.effectsOf('open_linked_incident')[0]!.trigger);
    expect(order.s.data).toMatchObject({ area: 'common', unit: null });
  });
});
