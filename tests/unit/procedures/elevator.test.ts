import { describe, expect, it } from 'vitest';
import {
  Sim,
  T0,
  SEC,
  MIN,
  HOUR,
  admin,
  deviceTrigger,
  ev,
  expectErr,
  frontdesk,
  operator,
  supervisor,
  allowedActions,
  planTrigger,
  routeDeviceEvent,
  registry,
  tryPlanTrigger,
} from './helpers.js';

const LIFT = 'lift-a1';
const trapped = (passengers?: number) =>
  deviceTrigger(LIFT, 'elevator', ev('elevator.entrapment', { car: 'A1', floor: 7, ...(passengers !== undefined ? { passengers } : {}) }));
const openEntrapment = (config?: Record<string, unknown>) => new Sim('elevator_entrapment', trapped(2), T0, config);

/** Ack, record, dispatch, arrive, release, sign, report: ready to close. */
function toInService(sim: Sim) {
  sim.act(operator, 'acknowledge', {});
  sim.act(operator, 'record_passengers', { count: 2, vulnerable: [] });
  sim.act(operator, 'dispatch_contractor', { company: 'Otis 维保', person: '王师傅' });
  sim.act(operator, 'dispatch_security', { person: '李保安' });
  sim.advance(12 * MIN);
  sim.act(operator, 'record_contractor_arrival', {});
  sim.act(operator, 'confirm_release', { headcount: 2 });
  sim.act(supervisor, 'sign_fit', { contractorCompany: 'Otis 维保', contractorPerson: '王师傅' });
  sim.act(operator, 'file_report', { summary: '7F 困人 2 人,12 分钟解救' });
}

describe('elevator entrapment — opening', () => {
  it('opens from elevator.entrapment awaiting acknowledgement with a 30 s ack timer', () => {
    const sim = openEntrapment();
    expect(sim.s).toMatchObject({
      kind: 'elevator_entrapment',
      state: 'awaiting_ack',
      open: true,
      severity: 80,
      floor: 7,
      deviceId: LIFT,
      dedupKey: LIFT,
    });
    expect(sim.timer('ack')).toMatchObject({ status: 'running', dueAt: T0 + 30 * SEC });
    expect(sim.s.steps.map((s) => s.key)).toEqual([
      'acknowledge',
      'record_passengers',
      'call_120',
      'dispatch_contractor',
      'contractor_arrived',
      'dispatch_security',
      'release',
      'sign_fit',
      'schedule_followup',
      'special_report',
    ]);
    expect(sim.step('call_120').required).toBe(false);
    // the title is stored as a key with params, rendered per reader
    // the device's name says which car: the car number is only for reports without a device
    expect(sim.s.title).toEqual({ key: 'elevator_entrapment.title', params: { device: LIFT, car: null, floor: 7 } });
    expect(registry.catalog.render(sim.s.title, 'zh-CN')).toBe(`电梯困人 · ${LIFT} · 7层`);
    // a floor corrected on the phone with the passengers: the title follows it (issue 14)
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'record_passengers', { count: 2, vulnerable: [], floor: 2 });
    expect(registry.catalog.render(sim.s.title, 'zh-CN')).toBe(`电梯困人 · ${LIFT} · 2层`);
    expect(sim.s.floor).toBe(2);
    expect(sim.timelineOf('opened')[0]).toMatchObject({ actorType: 'device', actor: LIFT });
    expect(sim.effectsOf('duty_log').map((e) => e.key)).toEqual(['engine.duty.opened']);
    expect(sim.effectsOf('notify')[0]).toMatchObject({ key: 'incident_opened', to: ['operator', 'supervisor'] });
  });

  it('opens from the alarm button too', () => {
    const sim = new Sim('elevator_entrapment', deviceTrigger(LIFT, 'elevator', ev('elevator.alarm_button', { car: 'A1', floor: 3 })));
    expect(sim.s.state).toBe('awaiting_ack');
    expect(sim.s.floor).toBe(3);
  });

  it('a manual report by an operator opens it; one already talking to the passengers starts acknowledged', () => {
    const waiting = Sim.manual('elevator_entrapment', operator, { deviceId: LIFT, car: 'A1', floor: 4 });
    expect(waiting.s.state).toBe('awaiting_ack');
    expect(waiting.s.dedupKey).toBe(LIFT);
    const talking = Sim.manual('elevator_entrapment', operator, {
      deviceId: LIFT,
      floor: 4,
      talkingToPassengers: true,
      callerPhone: '13800000000',
    });
    expect(talking.s.state).toBe('in_progress');
    expect(talking.step('acknowledge')).toMatchObject({ status: 'done', doneBy: 'user:op-1' });
    expect(talking.timer('ack')).toBeUndefined();
    expect(talking.timer('recontact')?.status).toBe('running');
  });

  it('refuses a manual report from the front desk or without a floor', () => {
    expect(() => Sim.manual('elevator_entrapment', frontdesk, { floor: 4 })).toThrow(/HUB_ERR_FORBIDDEN/);
    expect(() => Sim.manual('elevator_entrapment', operator, { car: 'A1' })).toThrow(/HUB_ERR_BAD_REQUEST/);
  });

  it('a manual report is checked against the reporting roles before it can merge into an open incident (issue 7 item 16)', () => {
    const sim = openEntrapment();
    const byPhone = (actor: typeof operator) =>
      ({ source: 'manual', siteId: 'site-1', buildingId: 'bldg-a', actor, payload: { deviceId: LIFT, floor: 7 } }) as const;
    // an operator's phone report about the same car merges into the open entrapment
    expect(planTrigger('elevator_entrapment', byPhone(operator), [sim.s], T0 + SEC)).toMatchObject({
      op: 'decide',
      incidentId: sim.s.id,
      input: { type: 'repeat_trigger' },
    });
    // the front desk may not report an entrapment: refused, not merged (it was appended before)
    const refused = tryPlanTrigger('elevator_entrapment', byPhone(frontdesk), [sim.s], T0 + SEC);
    expect(refused).toMatchObject({ ok: false, code: 'HUB_ERR_FORBIDDEN', msg: { key: 'engine.error.report_forbidden' } });
    expect('ok' in refused && !refused.ok && refused.message).toBe('role frontdesk may not report elevator_entrapment');
  });

  it('a repeated trigger for the open incident becomes a timeline append, not a second incident', () => {
    const sim = openEntrapment();
    const again = deviceTrigger(LIFT, 'elevator', ev('elevator.alarm_button', { car: 'A1', floor: 7 }));
    const plan = planTrigger('elevator_entrapment', again, [sim.s], T0 + 5 * SEC);
    expect(plan).toMatchObject({ op: 'decide', incidentId: sim.s.id, input: { type: 'repeat_trigger' } });
    if (plan.op !== 'decide') throw new Error('unreachable');
    sim.apply(plan.input);
    expect(sim.timelineOf('repeat_trigger')).toHaveLength(1);
    expect(sim.s.state).toBe('awaiting_ack');
    // another car is a separate incident
    const other = deviceTrigger('lift-a2', 'elevator', ev('elevator.alarm_button', { car: 'A2', floor: 1 }));
    expect(planTrigger('elevator_entrapment', other, [sim.s], T0).op).toBe('open');
  });
});

describe('elevator entrapment — timers', () => {
  it('acknowledged within 30 s: no escalation', () => {
    const sim = openEntrapment();
    sim.advance(29 * SEC);
    sim.act(operator, 'acknowledge', { notes: '已安抚,请勿扒门' });
    sim.advance(60 * SEC);
    expect(sim.effectsOf('escalate')).toHaveLength(0);
    expect(sim.s.state).toBe('in_progress');
    expect(sim.timer('ack')?.status).toBe('cancelled');
  });

  it('not acknowledged in 30 s → escalates to the supervisor (exactly at 30 s)', () => {
    const sim = openEntrapment();
    expect(sim.advance(30 * SEC - 1)).toHaveLength(0);
    const fired = sim.advance(1);
    expect(sim.effectsOf('escalate', fired)).toEqual([expect.objectContaining({ to: 'supervisor', reason: 'ack_overdue' })]);
    expect(sim.timelineOf('escalated')).toHaveLength(1);
    expect(sim.timer('ack')?.status).toBe('fired');
    // still waiting for a person
    expect(sim.s.state).toBe('awaiting_ack');
  });

  it('a timer that is not due yet is refused', () => {
    const sim = openEntrapment();
    expectErr(sim.try({ type: 'timer', key: 'ack' }), 'HUB_ERR_CONFLICT', /not due/);
    expectErr(sim.try({ type: 'timer', key: 'recontact' }), 'HUB_ERR_CONFLICT', /not running/);
  });

  it('contractor not arrived within 30 min of the call → escalates', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.advance(2 * MIN);
    sim.act(operator, 'dispatch_contractor', { company: '迅达', person: '张工', phone: '010-1234' });
    expect(sim.timer('contractor_arrival')?.dueAt).toBe(T0 + 32 * MIN);
    expect(sim.step('dispatch_contractor').data).toMatchObject({ company: '迅达', person: '张工', calledAt: T0 + 2 * MIN });
    const before = sim.advance(30 * MIN - 1);
    expect(sim.effectsOf('escalate', before)).toHaveLength(0);
    const fired = sim.advance(1);
    expect(sim.effectsOf('escalate', fired)).toEqual([expect.objectContaining({ reason: 'contractor_overdue' })]);
  });

  it('the arrival target is configurable and arrival stops the countdown', () => {
    const sim = openEntrapment({ contractorArrivalMs: 20 * MIN });
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'dispatch_contractor', { company: '迅达', person: '张工', calledAt: T0 - 5 * MIN });
    expect(sim.timer('contractor_arrival')?.dueAt).toBe(T0 + 15 * MIN);
    sim.advance(14 * MIN);
    sim.act(operator, 'record_contractor_arrival', {});
    expect(sim.advance(HOUR).filter((e) => e.type === 'escalate')).toHaveLength(0);
    expect(sim.step('contractor_arrived').data).toMatchObject({ late: false, minutes: 19 });
  });

  it('a late arrival is flagged', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'dispatch_contractor', { company: '迅达', person: '张工' });
    sim.advance(40 * MIN);
    sim.act(operator, 'record_contractor_arrival', {});
    expect(sim.effectsOf('flag')).toEqual([expect.objectContaining({ code: 'contractor_late' })]);
  });

  it('re-contact reminder repeats every 5 minutes until release; a recorded contact restarts it', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    expect(sim.timer('recontact')).toMatchObject({ dueAt: T0 + 5 * MIN, repeatMs: 5 * MIN });
    const fired = sim.advance(15 * MIN);
    expect(sim.effectsOf('notify', fired).filter((e) => e.key === 'recontact_due')).toHaveLength(3);
    expect(sim.timelineOf('reminder')).toHaveLength(3);
    expect(sim.timer('recontact')).toMatchObject({ status: 'running', dueAt: T0 + 20 * MIN });
    sim.advance(2 * MIN);
    sim.act(operator, 'recontact', { party: 'security', notes: '乘客情绪稳定' });
    expect(sim.timer('recontact')?.dueAt).toBe(T0 + 22 * MIN);
    sim.act(operator, 'confirm_release', { headcount: 2 });
    expect(sim.timer('recontact')?.status).toBe('cancelled');
    expect(sim.advance(HOUR).filter((e) => e.type === 'notify' && e.key === 'recontact_due')).toHaveLength(0);
  });
});

describe('elevator entrapment — passengers and release', () => {
  it('injury or illness makes "call 120" required and blocks closing until it is recorded', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'record_passengers', { count: 2, vulnerable: [{ category: 'elderly' }, { category: 'injured', note: '手腕扭伤' }] });
    expect(sim.step('call_120').required).toBe(true);
    expect(sim.effectsOf('escalate')).toEqual([expect.objectContaining({ reason: 'injury_reported' })]);
    sim.act(operator, 'dispatch_contractor', { company: 'Otis', person: '王' });
    sim.act(operator, 'dispatch_security', { person: '李' });
    sim.act(operator, 'record_contractor_arrival', {});
    sim.act(operator, 'confirm_release', { headcount: 2 });
    sim.act(supervisor, 'sign_fit', { contractorCompany: 'Otis', contractorPerson: '王' });
    sim.act(operator, 'file_report', { summary: 's' });
    expectErr(sim.tryAct(supervisor, 'close', {}), 'HUB_ERR_CONFLICT', /call_120/);
    // a required step cannot simply be skipped by the operator
    expectErr(sim.tryAct(operator, 'skip_step', { step: 'call_120', reason: 'x' }), 'HUB_ERR_FORBIDDEN');
    sim.act(operator, 'record_120_call', { reference: '120-778' });
    sim.act(supervisor, 'close', {});
    expect(sim.s.open).toBe(false);
  });

  it('elderly or children alone do not require 120; the optional step is skipped at close', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'record_passengers', { count: 2, vulnerable: [{ category: 'child' }] });
    expect(sim.step('call_120').required).toBe(false);
    sim.act(operator, 'dispatch_contractor', { company: 'Otis', person: '王' });
    sim.act(operator, 'dispatch_security', { person: '李' });
    sim.act(operator, 'record_contractor_arrival', {});
    sim.act(operator, 'confirm_release', { headcount: 2 });
    sim.act(supervisor, 'sign_fit', { contractorCompany: 'Otis', contractorPerson: '王' });
    sim.act(operator, 'file_report', { summary: 's' });
    sim.act(supervisor, 'close', {});
    expect(sim.step('call_120').status).toBe('skipped');
  });

  it('elevator.normal with doors open only suggests the release; a person confirms it', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    const r = sim.event(LIFT, ev('elevator.normal', { floor: 7, doors: 'open' }), 'elevator');
    expect(r.timeline.map((t) => t.type)).toEqual(['device_event', 'hint']);
    expect(r.effects).toEqual([expect.objectContaining({ type: 'notify', key: 'release_suggested' })]);
    expect(sim.s.state).toBe('in_progress');
    expect(sim.step('release').status).toBe('pending');
    // doors closed: no hint
    expect(sim.event(LIFT, ev('elevator.normal', { floor: 7, doors: 'closed' })).timeline.map((t) => t.type)).toEqual(['device_event']);
  });

  it('headcount must match the recorded passengers unless the discrepancy is explained', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'record_passengers', { count: 3, vulnerable: [] });
    expectErr(sim.tryAct(operator, 'confirm_release', { headcount: 2 }), 'HUB_ERR_BAD_REQUEST', /discrepancy/);
    sim.act(operator, 'confirm_release', { headcount: 2, discrepancy: '一人已自行从门缝离开,已核实' });
    expect(sim.effectsOf('flag')).toEqual([expect.objectContaining({ code: 'headcount_mismatch' })]);
  });

  it('release: out of service, follow-up due within 2 working days, duty log', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'confirm_release', { headcount: 2, releasedBy: 'security' });
    expect(sim.s.state).toBe('released');
    expect(sim.step('release')).toMatchObject({ status: 'done', doneBy: 'user:op-1', data: { headcount: 2, releasedAt: T0 } });
    expect(sim.effectsOf('device_service')).toEqual([expect.objectContaining({ deviceId: LIFT, inService: false })]);
    // Monday 10:00 → Wednesday end of day (CST)
    const follow = sim.effectsOf('create_followup')[0]!;
    expect(follow.dueAt).toBe(Date.UTC(2025, 0, 8, 15, 59, 59, 999));
    expect(sim.step('schedule_followup')).toMatchObject({ status: 'done', doneBy: 'system' });
    expect(sim.effectsOf('duty_log').map((e) => e.key)).toContain('elevator_entrapment.duty.released');
  });

  it('a Friday release gets its follow-up due the next Tuesday (weekend skipped)', () => {
    const friday = Date.UTC(2025, 0, 10, 7, 0, 0); // Fri 15:00 CST
    const sim = new Sim('elevator_entrapment', trapped(), friday);
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'confirm_release', { headcount: 1 });
    expect(new Date(sim.effectsOf('create_followup')[0]!.dueAt).toISOString()).toBe('2025-01-14T15:59:59.999Z');
  });
});

describe('elevator entrapment — sign-off, close and roles', () => {
  it('stays out of service until a supervisor records the contractor signing it fit', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'dispatch_contractor', { company: 'Otis', person: '王' });
    sim.act(operator, 'confirm_release', { headcount: 2 });
    expectErr(sim.tryAct(operator, 'sign_fit', { contractorCompany: 'Otis', contractorPerson: '王' }), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(supervisor, 'sign_fit', { contractorCompany: 'Otis', contractorPerson: '王' }), 'HUB_ERR_CONFLICT', /arrival/);
    sim.act(operator, 'record_contractor_arrival', {});
    expectErr(sim.tryAct(supervisor, 'sign_fit', { contractorCompany: 'Otis' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(supervisor, 'sign_fit', { contractorCompany: 'Otis', contractorPerson: '王' });
    expect(sim.s.state).toBe('in_service');
    expect(sim.effectsOf('device_service').map((e) => e.inService)).toEqual([false, true]);
  });

  it('full path closes with a special report and a duty-log entry; only a supervisor closes', () => {
    const sim = openEntrapment();
    toInService(sim);
    expectErr(sim.tryAct(operator, 'close', {}), 'HUB_ERR_FORBIDDEN');
    const r = sim.act(supervisor, 'close', { notes: '处理完毕' });
    expect(sim.s).toMatchObject({ state: 'closed', open: false, closedAt: sim.now });
    expect(r.effects.map((e) => e.type)).toEqual(expect.arrayContaining(['duty_log', 'special_report']));
    expect(sim.s.timers.every((t) => t.status !== 'running')).toBe(true);
    expect(sim.s.steps.every((s) => s.status !== 'pending')).toBe(true);
    // closed: read forever, annotate only
    expectErr(sim.tryAct(operator, 'recontact', {}), 'HUB_ERR_CONFLICT', /closed/);
    sim.act(frontdesk, 'add_note', { text: '回访完成,乘客满意' });
    expect(sim.timelineOf('note').at(-1)?.reason).toEqual({ text: '回访完成,乘客满意' });
  });

  it('the special report is required before closing', () => {
    const sim = openEntrapment();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'record_passengers', { count: 2, vulnerable: [] });
    sim.act(operator, 'dispatch_contractor', { company: 'Otis', person: '王' });
    sim.act(operator, 'dispatch_security', { person: '李' });
    sim.act(operator, 'record_contractor_arrival', {});
    sim.act(operator, 'confirm_release', { headcount: 2 });
    sim.act(supervisor, 'sign_fit', { contractorCompany: 'Otis', contractorPerson: '王' });
    expectErr(sim.tryAct(admin, 'close', {}), 'HUB_ERR_CONFLICT', /special_report/);
  });

  it('refuses the front desk, wrong states and bad payloads', () => {
    const sim = openEntrapment();
    expectErr(sim.tryAct(frontdesk, 'acknowledge', {}), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(operator, 'confirm_release', { headcount: 1 }), 'HUB_ERR_CONFLICT', /awaiting_ack/);
    expectErr(sim.tryAct(operator, 'no_such_action', {}), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'acknowledge', {});
    expectErr(sim.tryAct(operator, 'acknowledge', {}), 'HUB_ERR_CONFLICT');
    expectErr(sim.tryAct(operator, 'record_passengers', { count: -1 }), 'HUB_ERR_BAD_REQUEST');
    expectErr(sim.tryAct(operator, 'record_passengers', { count: 1, vulnerable: [{ category: 'alien' }] }), 'HUB_ERR_BAD_REQUEST');
    expectErr(
      sim.tryAct(operator, 'record_passengers', { count: 1, vulnerable: [{ category: 'child' }, { category: 'elderly' }] }),
      'HUB_ERR_BAD_REQUEST',
      /more vulnerable/,
    );
    expectErr(sim.tryAct(operator, 'dispatch_contractor', { company: 'Otis' }), 'HUB_ERR_BAD_REQUEST');
    expectErr(
      sim.tryAct(operator, 'dispatch_contractor', { company: 'Otis', person: 'x', calledAt: sim.now + MIN }),
      'HUB_ERR_BAD_REQUEST',
      /future/,
    );
    expectErr(sim.tryAct(operator, 'record_contractor_arrival', {}), 'HUB_ERR_CONFLICT', /dispatched/);
  });

  it('allowedActions reflects role and state', () => {
    const sim = openEntrapment();
    expect(allowedActions(sim.s, 'operator').map((a) => a.action)).toEqual(expect.arrayContaining(['acknowledge', 'add_note']));
    expect(allowedActions(sim.s, 'frontdesk').map((a) => a.action)).toEqual(['add_note']);
    expectErr(sim.tryAct(frontdesk, 'skip_step', { step: 'call_120', reason: 'x' }), 'HUB_ERR_FORBIDDEN');
    sim.act(operator, 'acknowledge', {});
    const ops = allowedActions(sim.s, 'operator').map((a) => a.action);
    expect(ops).not.toContain('acknowledge');
    expect(ops).toEqual(expect.arrayContaining(['record_passengers', 'dispatch_contractor', 'recontact', 'confirm_release']));
    expect(ops).not.toContain('close_no_entrapment');
    expect(allowedActions(sim.s, 'supervisor').map((a) => a.action)).toContain('close_no_entrapment');
  });

  it('nobody trapped: a supervisor closes it with a reason', () => {
    const sim = new Sim('elevator_entrapment', deviceTrigger(LIFT, 'elevator', ev('elevator.alarm_button', { car: 'A1', floor: 1 })));
    sim.act(operator, 'acknowledge', { notes: '对讲无人应答,监控确认轿厢无人' });
    expectErr(sim.tryAct(supervisor, 'close_no_entrapment', {}), 'HUB_ERR_BAD_REQUEST');
    sim.act(supervisor, 'close_no_entrapment', { reason: '儿童误按警铃' });
    expect(sim.s).toMatchObject({ state: 'closed', open: false, data: expect.objectContaining({ outcome: 'no_entrapment' }) });
    expect(sim.s.timers.every((t) => t.status !== 'running')).toBe(true);
  });

  it('routeDeviceEvent sends the car’s own later events to its incident', () => {
    const sim = openEntrapment();
    const plans = routeDeviceEvent(
      {
        siteId: 'site-1',
        buildingId: 'bldg-a',
        deviceId: LIFT,
        deviceClass: 'elevator',
        event: ev('elevator.normal', { floor: 7, doors: 'open' }),
      },
      [sim.s],
      T0,
    );
    expect(plans).toEqual([
      expect.objectContaining({ op: 'decide', incidentId: sim.s.id, input: expect.objectContaining({ type: 'device_event' }) }),
    ]);
  });
});
