import { describe, expect, it } from 'vitest';
import {
  Sim,
  T0,
  SEC,
  MIN,
  admin,
  deviceTrigger,
  ev,
  expectErr,
  frontdesk,
  operator,
  supervisor,
  routeDeviceEvent,
  triggerKindFor,
  dutyText,
  allowedActions,
  engine,
} from './helpers.js';

const engineDefaults = (sim: Sim) => engine.actionDefaults(sim.s, 'record_119_call');

const PANEL = 'panel-a';
const ELEVATORS = [
  { deviceId: 'lift-a1', car: 'A1' },
  { deviceId: 'lift-a2', car: 'A2' },
  { deviceId: 'lift-a3', car: 'A3' },
];
const ctx = { elevators: ELEVATORS, lobbyFloor: 1, address: '北京市朝阳区示例路1号A座' };
const alarm = (c: object = ctx) => deviceTrigger(PANEL, 'fire-panel', ev('fire.alarm', { zone: 'Z12', floor: 12, detector: 'smoke' }), c);
const openFire = (c?: object) => new Sim('fire_alarm', alarm(c));

/** [deviceId, status] of every tracked car */
const cars = (sim: Sim) => (sim.s.data.recall as { cars: { deviceId: string; status: string }[] }).cars.map((c) => [c.deviceId, c.status]);

function toGeneralAlarm() {
  const sim = openFire();
  sim.act(operator, 'acknowledge', {});
  sim.act(operator, 'verify', { outcome: 'serious_fire', verifiedBy: '保安 刘', location: '12F 电梯厅' });
  return sim;
}

describe('fire alarm — acknowledge and verify', () => {
  it('opens from fire.alarm with a 15 s ack target and recalls every car of the building at once', () => {
    const sim = openFire();
    expect(sim.s).toMatchObject({ kind: 'fire_alarm', state: 'awaiting_ack', severity: 100, floor: 12, dedupKey: PANEL });
    expect(sim.timer('ack')).toMatchObject({ dueAt: T0 + 15 * SEC, status: 'running' });
    // ASME A17.1 §2.27.3.2: Phase I recall is initiated by the fire alarm itself (消防联动, GB 50116 §4.7)
    const cmds = sim.effectsOf('send_command');
    expect(cmds.map((c) => c.target)).toEqual(ELEVATORS.map((e) => ({ deviceId: e.deviceId })));
    for (const c of cmds) expect(c).toMatchObject({ name: 'recall', data: { floor: 1 }, expiresAt: T0 + 60 * SEC });
    expect(sim.timer('recall_confirm')).toMatchObject({ dueAt: T0 + 60 * SEC, status: 'running' });
    expect(cars(sim)).toEqual([
      ['lift-a1', 'sent'],
      ['lift-a2', 'sent'],
      ['lift-a3', 'sent'],
    ]);
    // the recalled cars must come back before the incident can close
    expect(sim.s.steps.filter((s) => s.required).map((s) => s.key)).toEqual(['acknowledge', 'verify', 'panel_reset', 'elevators_returned']);
    expect(sim.step('elevator_recall')).toMatchObject({ status: 'pending', required: false });
  });

  it('acknowledged in time → verifying with 180 s from acknowledgement', () => {
    const sim = openFire();
    sim.advance(10 * SEC);
    sim.act(operator, 'acknowledge', {});
    expect(sim.s.state).toBe('verifying');
    expect(sim.timer('verify')).toMatchObject({ dueAt: T0 + 190 * SEC, status: 'running' });
    expect(sim.effectsOf('escalate')).toHaveLength(0);
  });

  it('not acknowledged in 15 s → escalated and general alarm (NFPA 72 positive alarm sequence)', () => {
    const sim = openFire();
    expect(sim.advance(15 * SEC - 1)).toHaveLength(0);
    const fired = sim.advance(1);
    expect(sim.effectsOf('escalate', fired).map((e) => e.reason)).toEqual(['ack_overdue', 'general_alarm']);
    expect(sim.s.state).toBe('general_alarm');
    expect(sim.s.data.generalAlarmReason).toBe('ack_timeout');
    // the cars were recalled at the alarm; the general alarm does not send a second recall
    expect(sim.effectsOf('send_command', fired)).toHaveLength(0);
    expect(sim.effectsOf('send_command')).toHaveLength(3);
    expect(sim.step('elevator_recall').required).toBe(true);
    expect(sim.timer('recall_confirm')?.dueAt).toBe(T0 + 60 * SEC);
    // the late acknowledgement is still recorded
    sim.act(operator, 'acknowledge', {});
    expect(sim.step('acknowledge').status).toBe('done');
    expect(sim.s.state).toBe('general_alarm');
  });

  it('not verified within 180 s → treated as confirmed: general alarm', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'dispatch_verifier', { person: '保安 刘' });
    // meanwhile the cars recalled at the alarm and still silent at 60 s are flagged (PROCEDURES.md §2.5)
    const early = sim.advance(180 * SEC - 1);
    expect(early.map((e) => e.type)).toEqual(['flag', 'flag', 'flag', 'notify']);
    expect(sim.effectsOf('flag', early).map((f) => [f.code, f.deviceId])).toEqual(ELEVATORS.map((e) => ['recall_unconfirmed', e.deviceId]));
    expect(sim.s.state).toBe('verifying');
    const fired = sim.advance(1);
    expect(sim.s.state).toBe('general_alarm');
    expect(sim.effectsOf('send_command', fired)).toHaveLength(0);
    expect(sim.step('verify')).toMatchObject({ status: 'skipped' });
    expect(sim.s.data.generalAlarmReason).toBe('unverified');
    expect(sim.effectsOf('escalate', fired)).toEqual([
      expect.objectContaining({ reason: 'general_alarm', params: { trigger: 'unverified' } }),
    ]);
    expect(sim.effectsOf('notify', fired).map((n) => n.key)).toEqual(expect.arrayContaining(['general_alarm', 'approval_119_needed']));
    for (const k of ['interlocks_auto', 'approve_119', 'call_119', 'elevator_recall', 'evacuation', 'seal_scene', 'special_report']) {
      expect(sim.step(k).required, k).toBe(true);
    }
  });

  it('refuses the front desk and actions out of order', () => {
    const sim = openFire();
    expectErr(sim.tryAct(frontdesk, 'acknowledge', {}), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(operator, 'verify', { outcome: 'small_fire' }), 'HUB_ERR_CONFLICT', /awaiting_ack/);
    sim.act(operator, 'acknowledge', {});
    expectErr(sim.tryAct(operator, 'verify', { outcome: 'smoky' }), 'HUB_ERR_BAD_REQUEST');
    expectErr(sim.tryAct(supervisor, 'approve_119', {}), 'HUB_ERR_CONFLICT', /verifying/);
  });
});

describe('fire alarm — false alarm', () => {
  it('needs its cause (GB 25201 §5.3)', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    expectErr(sim.tryAct(operator, 'verify', { outcome: 'false_alarm' }), 'HUB_ERR_BAD_REQUEST', /cause/);
    expectErr(sim.tryAct(operator, 'verify', { outcome: 'false_alarm', cause: '   ' }), 'HUB_ERR_BAD_REQUEST', /cause/);
  });

  it('drill: alarm → recall of the building’s cars → per-car confirmations → false alarm with cause → reset → cars back one by one → closed', () => {
    const sim = openFire();
    const cmds = sim.effectsOf('send_command');
    expect(cmds.map((c) => c.target)).toEqual(ELEVATORS.map((e) => ({ deviceId: e.deviceId })));
    sim.advance(8 * SEC);
    sim.event('lift-a1', ev('elevator.recalled', { floor: 1 }), 'elevator');
    sim.apply({ type: 'command_result', corr: cmds[1]!.corr, ok: true, deviceId: 'lift-a2' });
    sim.act(operator, 'acknowledge', {});
    expect(sim.step('elevator_recall').status).toBe('pending');
    expect(sim.timer('recall_confirm')?.status).toBe('running');
    sim.event('lift-a3', ev('elevator.recalled', { floor: 1 }), 'elevator');
    expect(cars(sim)).toEqual([
      ['lift-a1', 'confirmed'],
      ['lift-a2', 'confirmed'],
      ['lift-a3', 'confirmed'],
    ]);
    expect(sim.step('elevator_recall').status).toBe('done');
    expect(sim.timer('recall_confirm')?.status).toBe('cancelled'); // all answered: the countdown stops
    sim.act(operator, 'verify', { outcome: 'false_alarm', cause: '厨房油烟触发感烟探测器' });
    expect(sim.s.state).toBe('false_alarm');
    expect(sim.timer('verify')?.status).toBe('cancelled');
    expect(sim.effectsOf('send_command')).toHaveLength(3);
    // the cars stay recalled while the panel is in alarm (PROCEDURES.md §2.7: reset, then cars back)
    expectErr(sim.tryAct(operator, 'return_elevator', { deviceId: 'lift-a1' }), 'HUB_ERR_CONFLICT', /reset the panel/);
    sim.advance(2 * MIN); // every car answered before 60 s: nothing is flagged
    expect(sim.effectsOf('flag')).toHaveLength(0);
    sim.event(PANEL, ev('fire.reset', {}), 'fire-panel');
    expect(sim.step('panel_reset')).toMatchObject({ status: 'done', doneBy: `device:${PANEL}` });
    // issue 14: the state says the reset happened; what is left is the recalled cars
    expect(sim.s).toMatchObject({ state: 'false_alarm_reset', open: true }); // three cars still recalled
    expect(sim.s.data.cause).toBe('厨房油烟触发感烟探测器');
    expect(allowedActions(sim.s, operator.role).map((a) => a.action)).not.toContain('record_panel_reset');
    expect(allowedActions(sim.s, operator.role).find((a) => a.action === 'return_elevator')?.blocked).toBeUndefined();
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a2' });
    expectErr(sim.tryAct(operator, 'return_elevator', { deviceId: 'lift-a2' }), 'HUB_ERR_CONFLICT', /already back/);
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a1' });
    expect(sim.s.open).toBe(true);
    const r = sim.act(operator, 'return_elevator', { deviceId: 'lift-a3' });
    expect(sim.s).toMatchObject({ state: 'closed', open: false });
    expect(sim.effectsOf('device_service').map((e) => [e.deviceId, e.inService])).toEqual([
      ['lift-a2', true],
      ['lift-a1', true],
      ['lift-a3', true],
    ]);
    expect(sim.step('elevators_returned')).toMatchObject({ status: 'done', doneBy: 'user:op-1' });
    expect(r.effects.filter((e) => e.type === 'duty_log').map((e) => (e.type === 'duty_log' ? e.key : ''))).toEqual(['engine.duty.closed']);
    expect(r.effects.some((e) => e.type === 'special_report')).toBe(false);
    expect(sim.s.data.cause).toBe('厨房油烟触发感烟探测器');
  });

  it('with nothing recalled (a building without elevators) the panel reset recorded by the operator closes it', () => {
    const sim = openFire({ ...ctx, elevators: [] });
    expect(sim.effectsOf('send_command')).toHaveLength(0);
    expect(sim.step('elevators_returned').status).toBe('skipped');
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'false_alarm', cause: '施工粉尘' });
    sim.act(operator, 'record_panel_reset', {});
    expect(sim.s).toMatchObject({ state: 'closed', open: false });
  });

  it('does not close before the recalled cars are back, unless a supervisor waives the step', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'false_alarm', cause: '施工粉尘' });
    sim.act(operator, 'record_panel_reset', {});
    expect(sim.s).toMatchObject({ state: 'false_alarm_reset', open: true });
    expectErr(sim.tryAct(supervisor, 'close', {}), 'HUB_ERR_CONFLICT', /elevators_returned/);
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a1' });
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a2' });
    expectErr(sim.tryAct(operator, 'return_elevator', { deviceId: 'lift-b1' }), 'HUB_ERR_BAD_REQUEST', /not recalled/);
    expect(sim.s.open).toBe(true);
    // A3 cannot be returned (taken over by the contractor): only a supervisor may waive the step
    expectErr(sim.tryAct(operator, 'skip_step', { step: 'elevators_returned', reason: 'x' }), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'skip_step', { step: 'elevators_returned', reason: 'A3 由维保单位接管,暂停使用' });
    expectErr(sim.tryAct(operator, 'close', {}), 'HUB_ERR_FORBIDDEN');
    const r = sim.act(supervisor, 'close', {});
    expect(sim.s).toMatchObject({ state: 'closed', open: false });
    expect(sim.step('elevators_returned')).toMatchObject({ status: 'skipped', doneBy: 'user:sup-1' });
    expect(sim.effectsOf('device_service').map((e) => e.deviceId)).toEqual(['lift-a1', 'lift-a2']);
    expect(r.effects.some((e) => e.type === 'special_report')).toBe(false);
  });

  it('a new alarm while awaiting reset sends it back to verification', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'false_alarm', cause: '误触' });
    sim.apply({
      type: 'repeat_trigger',
      trigger: deviceTrigger(PANEL, 'fire-panel', ev('fire.alarm', { zone: 'Z13', floor: 13, detector: 'heat' }), ctx),
    });
    expect(sim.s.state).toBe('verifying');
    expect(sim.timer('verify')?.status).toBe('running');
    expect(sim.effectsOf('flag').map((f) => f.code)).toEqual(['alarm_after_false_alarm']);
    expect((sim.s.data.zones as unknown[]).length).toBe(2);
  });

  it('a new alarm after the reset (cars still recalled) sends it back to verification and needs a new reset', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'false_alarm', cause: '误触' });
    sim.act(operator, 'record_panel_reset', {});
    expect(sim.s.state).toBe('false_alarm_reset');
    sim.apply({
      type: 'repeat_trigger',
      trigger: deviceTrigger(PANEL, 'fire-panel', ev('fire.alarm', { zone: 'Z13', floor: 13, detector: 'heat' }), ctx),
    });
    expect(sim.s.state).toBe('verifying');
    expect(sim.step('panel_reset').status).toBe('pending');
  });

  it('a panel reset before verification is flagged and does not close anything', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.event(PANEL, ev('fire.reset', {}));
    expect(sim.s.state).toBe('verifying');
    expect(sim.effectsOf('flag').map((f) => f.code)).toEqual(['reset_before_verification']);
  });

  it('standing down a general alarm as false alarm is a supervisor decision; recalled cars must come back first', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.advance(180 * SEC);
    expect(sim.s.state).toBe('general_alarm');
    expectErr(sim.tryAct(operator, 'verify', { outcome: 'false_alarm', cause: '探测器故障' }), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'verify', { outcome: 'false_alarm', cause: '探测器故障' });
    expect(sim.s.state).toBe('false_alarm');
    expect(sim.step('approve_119').required).toBe(false);
    sim.event(PANEL, ev('fire.reset', {}));
    expect(sim.s.open).toBe(true); // three cars still recalled
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a1' });
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a2' });
    expect(sim.s.open).toBe(true);
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a3' });
    expect(sim.s).toMatchObject({ open: false, state: 'closed' });
  });
  it('a stood-down alarm whose cars cannot all be returned closes once a supervisor waives the step', () => {
    const sim = openFire({ lobbyFloor: 1 }); // elevator list unknown: building-wide recall
    sim.advance(15 * SEC);
    sim.act(supervisor, 'verify', { outcome: 'false_alarm', cause: '探测器积尘' });
    sim.act(operator, 'acknowledge', {}); // the late acknowledgement must still be recorded
    sim.event(PANEL, ev('fire.reset', {}));
    expect(sim.s.state).toBe('false_alarm_reset');
    expectErr(sim.tryAct(operator, 'skip_step', { step: 'elevators_returned', reason: 'x' }), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'skip_step', { step: 'elevators_returned', reason: '物业工程部逐台检查已恢复' });
    const r = sim.act(supervisor, 'close', {});
    expect(sim.s.open).toBe(false);
    expect(r.effects.some((e) => e.type === 'special_report')).toBe(false);
  });
});

describe('fire alarm — small fire', () => {
  it('extinguished and security notified → recovery; report + reset; supervisor closes', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'small_fire', location: '12F 垃圾桶' });
    expect(sim.s.state).toBe('small_fire');
    // the cars were recalled at the alarm; a small fire sends nothing more
    expect(sim.effectsOf('send_command')).toHaveLength(3);
    expect(sim.step('elevators_returned').required).toBe(true);
    sim.act(operator, 'record_extinguished', { by: '保安 刘' });
    expect(sim.s.state).toBe('small_fire');
    sim.act(operator, 'notify_security', { person: '秩序维护部 班长' });
    expect(sim.s.state).toBe('recovery');
    expectErr(sim.tryAct(supervisor, 'close', {}), 'HUB_ERR_CONFLICT', /special_report|panel_reset/);
    sim.act(operator, 'file_report', { summary: '烟头引燃垃圾桶,已扑灭' });
    sim.event(PANEL, ev('fire.reset', {}));
    expectErr(sim.tryAct(operator, 'close', {}), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(supervisor, 'close', {}), 'HUB_ERR_CONFLICT', /elevators_returned/);
    for (const e of ELEVATORS) sim.act(operator, 'return_elevator', { deviceId: e.deviceId });
    expect(sim.step('elevators_returned').status).toBe('done');
    const r = sim.act(supervisor, 'close', {});
    expect(sim.s.open).toBe(false);
    expect(r.effects.map((e) => e.type)).toEqual(expect.arrayContaining(['duty_log', 'special_report']));
    // none of the serious-fire steps were needed
    expect(sim.step('call_119').status).toBe('skipped');
  });

  it('a small-fire verdict after the general alarm already sounded keeps the serious path', () => {
    const sim = openFire();
    sim.advance(15 * SEC);
    sim.act(operator, 'verify', { outcome: 'small_fire' });
    expect(sim.s.state).toBe('general_alarm');
    expect(sim.step('extinguish').required).toBe(false);
    expect(sim.step('call_119').required).toBe(true);
  });

  it('a small fire can be escalated to serious', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'small_fire' });
    const r = sim.act(operator, 'escalate_to_serious', { reason: '火势蔓延' });
    expect(sim.s.state).toBe('general_alarm');
    // recalled at the alarm already: no second recall
    expect(sim.effectsOf('send_command', r.effects)).toHaveLength(0);
    expect(sim.effectsOf('send_command')).toHaveLength(3);
  });
});

describe('fire alarm — only what this role may do now (issue 14)', () => {
  it('the 119 call is offered blocked, with the reason, until the supervisor approves it', () => {
    const sim = toGeneralAlarm();
    const before = allowedActions(sim.s, operator.role).find((a) => a.action === 'record_119_call');
    expect(before?.blocked).toEqual({ key: 'fire_alarm.error.needs_approval' });
    expectErr(sim.tryAct(operator, 'record_119_call', { address: 'x', fireLocation: 'y', burning: 'z' }), 'HUB_ERR_CONFLICT');
    sim.act(supervisor, 'approve_119', {});
    expect(allowedActions(sim.s, operator.role).find((a) => a.action === 'record_119_call')?.blocked).toBeUndefined();
  });

  it('the 119 form starts with the building’s address and the alarm zone in words', () => {
    const sim = toGeneralAlarm();
    expect(engineDefaults(sim)).toEqual({ address: ctx.address, fireLocation: '12层 Z12区' });
  });

  it('standing a general alarm down as a false alarm is not offered to the operator, but to the supervisor', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.advance(180 * SEC);
    expect(allowedActions(sim.s, operator.role).find((a) => a.action === 'verify')?.withheld).toEqual({ outcome: ['false_alarm'] });
    expect(allowedActions(sim.s, supervisor.role).find((a) => a.action === 'verify')?.withheld).toBeUndefined();
  });
});

describe('fire alarm — serious fire', () => {
  it('after the general alarm the cars stay on the one recall sent at the alarm (lobby, corr and expiry per car)', () => {
    const sim = toGeneralAlarm();
    expect(sim.s.data.recall).toMatchObject({ sentAt: T0, floor: 1, broadcast: false });
    expect(sim.s.state).toBe('general_alarm');
    expect(sim.step('general_alarm').status).toBe('done');
    const cmds = sim.effectsOf('send_command');
    expect(cmds.map((c) => c.target)).toEqual(ELEVATORS.map((e) => ({ deviceId: e.deviceId })));
    expect(new Set(cmds.map((c) => c.corr)).size).toBe(3);
    for (const c of cmds) expect(c).toMatchObject({ name: 'recall', data: { floor: 1 }, expiresAt: T0 + 60 * SEC });
    expect(sim.timer('recall_confirm')?.dueAt).toBe(T0 + 60 * SEC);
    expect(sim.timelineOf('command_sent')).toHaveLength(3);
  });

  it('tracks each car’s confirmation; a car silent for 60 s is flagged', () => {
    const sim = toGeneralAlarm();
    const [c1, c2] = sim.effectsOf('send_command');
    sim.advance(20 * SEC);
    sim.event('lift-a1', ev('elevator.recalled', { floor: 1 }), 'elevator');
    sim.apply({ type: 'command_result', corr: c2!.corr, ok: true, deviceId: 'lift-a2' });
    const fired = sim.advance(40 * SEC);
    expect(sim.effectsOf('flag', fired)).toEqual([expect.objectContaining({ code: 'recall_unconfirmed', deviceId: 'lift-a3' })]);
    // (the 119 approval target, also 60 s, fires at the same moment with its own notice)
    expect(sim.effectsOf('notify', fired).filter((n) => n.key === 'recall_unconfirmed')).toHaveLength(1);
    const cars = (sim.s.data.recall as { cars: { deviceId: string; status: string }[] }).cars;
    expect(cars.map((c) => [c.deviceId, c.status])).toEqual([
      ['lift-a1', 'confirmed'],
      ['lift-a2', 'confirmed'],
      ['lift-a3', 'flagged'],
    ]);
    expect(sim.step('elevator_recall').status).toBe('pending');
    expect(c1).toBeDefined();
    // security checks the last car by hand
    expectErr(sim.tryAct(operator, 'confirm_car_recalled', { deviceId: 'lift-a3' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'confirm_car_recalled', { deviceId: 'lift-a3', notes: '保安到首层确认 A3 已停靠开门' });
    expect(sim.step('elevator_recall').status).toBe('done');
  });

  it('a refused or expired recall is flagged at once', () => {
    const sim = toGeneralAlarm();
    const [c1] = sim.effectsOf('send_command');
    sim.apply({ type: 'command_result', corr: c1!.corr, ok: false, expired: true });
    expect(sim.effectsOf('flag')).toEqual([expect.objectContaining({ code: 'recall_failed', deviceId: 'lift-a1' })]);
  });

  it('119 only after supervisor approval, with address, location and what is burning', () => {
    const sim = toGeneralAlarm();
    expectErr(sim.tryAct(operator, 'approve_119', {}), 'HUB_ERR_FORBIDDEN');
    const call = { address: ctx.address, fireLocation: '12层电梯厅', burning: '装修材料' };
    expectErr(sim.tryAct(operator, 'record_119_call', call), 'HUB_ERR_CONFLICT', /approval/);
    sim.act(supervisor, 'approve_119', { notes: '经理同意' });
    expect(sim.step('approve_119')).toMatchObject({ status: 'done', doneBy: 'user:sup-1' });
    expect(sim.effectsOf('notify').map((n) => n.key)).toContain('approved_119');
    expectErr(sim.tryAct(operator, 'record_119_call', { address: ctx.address, fireLocation: '12层' }), 'HUB_ERR_BAD_REQUEST', /burning/);
    sim.act(operator, 'record_119_call', call);
    expect(sim.step('call_119')).toMatchObject({ status: 'done', data: expect.objectContaining(call) });
    expect(sim.effectsOf('duty_log').map((d) => d.key)).toContain('fire_alarm.duty.call_119');
    expect(dutyText(sim.effectsOf('duty_log').find((d) => d.key === 'fire_alarm.duty.call_119')!)).toContain('装修材料');
    // a supervisor cannot waive the approval
    expectErr(sim.tryAct(supervisor, 'skip_step', { step: 'approve_119', reason: 'x' }), 'HUB_ERR_CONFLICT');
  });

  it('no supervisor approves 119 in time → escalated, the call no longer held (消防法 §44), recorded as unapproved', () => {
    const sim = toGeneralAlarm();
    const at = sim.now;
    expect(sim.timer('approval_119')).toMatchObject({ status: 'running', dueAt: at + 60 * SEC });
    const call = { address: ctx.address, fireLocation: '12层电梯厅', burning: '装修材料' };
    expect(sim.advance(60 * SEC - 1).filter((e) => e.type === 'escalate' && e.reason === 'approval_119_overdue')).toHaveLength(0);
    expectErr(sim.tryAct(operator, 'record_119_call', call), 'HUB_ERR_CONFLICT', /approval/);
    const fired = sim.advance(1);
    expect(sim.effectsOf('escalate', fired)).toEqual([
      expect.objectContaining({ reason: 'approval_119_overdue', params: { seconds: 60 } }),
    ]);
    expect(sim.effectsOf('notify', fired).map((n) => n.key)).toContain('call_119_without_approval');
    expect(sim.step('approve_119')).toMatchObject({ status: 'skipped', doneBy: 'timer:approval_119' });
    // the operator calls 119 now; the record says it was not approved
    sim.act(operator, 'record_119_call', call);
    expect(sim.step('call_119')).toMatchObject({ status: 'done', data: expect.objectContaining({ approved: false }) });
    expect(sim.effectsOf('duty_log').map((d) => d.key)).toContain('fire_alarm.duty.call_119_unapproved');
    // a late approval is no longer possible (the step is settled), and nothing escalates twice
    expectErr(sim.tryAct(supervisor, 'approve_119', {}), 'HUB_ERR_CONFLICT');
    expect(sim.effectsOf('escalate', sim.advance(10 * MIN)).filter((e) => e.reason === 'approval_119_overdue')).toHaveLength(0);
  });

  it('an approval in time stops the 119 approval timer', () => {
    const sim = toGeneralAlarm();
    sim.advance(20 * SEC);
    sim.act(supervisor, 'approve_119', {});
    expect(sim.timer('approval_119')?.status).toBe('cancelled');
    expect(sim.effectsOf('escalate', sim.advance(5 * MIN)).filter((e) => e.reason === 'approval_119_overdue')).toHaveLength(0);
  });

  it('full serious path: interlocks, evacuation, sealing, report with photos, reset, cars back one by one, close', () => {
    const sim = toGeneralAlarm();
    for (const c of sim.effectsOf('send_command')) sim.apply({ type: 'command_result', corr: c.corr, ok: true });
    expect(sim.step('elevator_recall').status).toBe('done');
    sim.act(operator, 'confirm_interlocks_auto', {});
    sim.act(supervisor, 'approve_119', {});
    sim.act(operator, 'record_119_call', { address: ctx.address, fireLocation: '12F', burning: '电缆' });
    expectErr(sim.tryAct(operator, 'record_evacuation', {}), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'record_evacuation', { announcement: true });
    sim.act(operator, 'record_scene_sealed', { posts: '12F 楼梯口 2 人, 首层大堂 1 人' });
    expectErr(sim.tryAct(operator, 'declare_fire_out', { notes: 'out' }), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(operator, 'return_elevator', { deviceId: 'lift-a1' }), 'HUB_ERR_CONFLICT', /general_alarm/);
    sim.act(supervisor, 'declare_fire_out', { notes: '消防队确认明火扑灭' });
    expect(sim.s.state).toBe('recovery');
    expectErr(sim.tryAct(operator, 'file_report', { summary: '...' }), 'HUB_ERR_BAD_REQUEST', /attachments/);
    sim.act(operator, 'file_report', { summary: '12F 电缆井起火', attachmentIds: ['att-1', 'att-2'] });
    sim.act(operator, 'record_panel_reset', {});
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a1' });
    expectErr(sim.tryAct(operator, 'return_elevator', { deviceId: 'lift-a1' }), 'HUB_ERR_CONFLICT', /already/);
    expectErr(sim.tryAct(supervisor, 'close', {}), 'HUB_ERR_CONFLICT', /elevators_returned/);
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a2' });
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a3' });
    expect(sim.effectsOf('device_service').map((e) => [e.deviceId, e.inService])).toEqual([
      ['lift-a1', true],
      ['lift-a2', true],
      ['lift-a3', true],
    ]);
    const r = sim.act(admin, 'close', {});
    expect(sim.s.open).toBe(false);
    expect(r.effects.map((e) => e.type)).toEqual(expect.arrayContaining(['special_report', 'duty_log']));
  });

  it('unknown elevator list → one building-wide recall, cars tracked as they answer', () => {
    const sim = openFire({ lobbyFloor: 0 });
    expect(sim.effectsOf('send_command')).toHaveLength(1); // sent at the alarm
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'serious_fire' });
    expect(sim.effectsOf('send_command')).toHaveLength(1);
    const [cmd] = sim.effectsOf('send_command');
    expect(cmd).toMatchObject({ target: { buildingId: 'bldg-a', deviceClass: 'elevator' }, data: { floor: 0 } });
    sim.event('lift-x', ev('elevator.recalled', { floor: 0 }), 'elevator');
    expect((sim.s.data.recall as { cars: unknown[] }).cars).toHaveLength(1);
    expect(sim.step('elevator_recall').status).toBe('done');
  });

  it('a building without elevators skips the recall steps', () => {
    const sim = openFire({ elevators: [] });
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'serious_fire' });
    expect(sim.effectsOf('send_command')).toHaveLength(0);
    expect(sim.step('elevator_recall').status).toBe('skipped');
    expect(sim.step('elevators_returned').status).toBe('skipped');
  });

  it('routes elevator.recalled from the building to the fire incident; supervisory/trouble open device faults instead', () => {
    const sim = toGeneralAlarm();
    const src = {
      siteId: 'site-1',
      buildingId: 'bldg-a',
      deviceId: 'lift-a2',
      deviceClass: 'elevator' as const,
      event: ev('elevator.recalled', { floor: 1 }),
    };
    expect(routeDeviceEvent(src, [sim.s], T0)).toEqual([expect.objectContaining({ op: 'decide', incidentId: sim.s.id })]);
    expect(routeDeviceEvent({ ...src, buildingId: 'bldg-b' }, [sim.s], T0)).toEqual([]);
    const panel = { siteId: 'site-1', buildingId: 'bldg-a', deviceId: PANEL, deviceClass: 'fire-panel' as const };
    expect(triggerKindFor({ ...panel, event: ev('fire.alarm', { zone: 'Z1', floor: 1, detector: 'manual' }) })).toBe('fire_alarm');
    expect(triggerKindFor({ ...panel, event: ev('fire.trouble', { zone: 'Z1', code: 'E12' }) })).toBe('device_fault');
    expect(triggerKindFor({ ...panel, event: ev('fire.supervisory', { zone: 'Z1' }) })).toBe('device_fault');
    expect(triggerKindFor({ ...panel, event: ev('fire.silenced', {}) })).toBeNull();
  });

  it('a manual fire report by an operator opens the same procedure', () => {
    const sim = Sim.manual('fire_alarm', operator, { floor: 3, location: '3F 配电间', reportedBy: '业主电话' }, ctx);
    expect(sim.s).toMatchObject({ state: 'awaiting_ack', floor: 3 });
    expect(() => Sim.manual('fire_alarm', frontdesk, { floor: 3, location: 'x' })).toThrow(/FORBIDDEN/);
  });
});

describe('fire alarm — elevator recall at the alarm (ASME A17.1 §2.27.3.2; 消防联动 GB 50116 §4.7)', () => {
  it('recalls only the cars of the alarm’s building given in context.elevators', () => {
    const sim = openFire({
      ...ctx,
      elevators: [
        { deviceId: 'lift-a1', buildingId: 'bldg-a', car: 'A1' },
        { deviceId: 'lift-a2', car: 'A2' },
        { deviceId: 'lift-b1', buildingId: 'bldg-b', car: 'B1' },
      ],
    });
    expect(sim.effectsOf('send_command').map((c) => c.target)).toEqual([{ deviceId: 'lift-a1' }, { deviceId: 'lift-a2' }]);
    expect(cars(sim)).toEqual([
      ['lift-a1', 'sent'],
      ['lift-a2', 'sent'],
    ]);
    // a car of another building is neither counted nor confirmable here
    sim.event('lift-b1', ev('elevator.recalled', { floor: 1 }), 'elevator');
    expect(cars(sim)).toHaveLength(2);
    expectErr(sim.tryAct(operator, 'confirm_car_recalled', { deviceId: 'lift-b1', notes: '误报' }), 'HUB_ERR_BAD_REQUEST', /not recalled/);
  });

  it('tracks each car from the alarm on: confirmations while verifying, a car silent for 60 s flagged', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    const [c1] = sim.effectsOf('send_command');
    sim.advance(20 * SEC);
    sim.apply({ type: 'command_result', corr: c1!.corr, ok: true, deviceId: 'lift-a1' });
    sim.event('lift-a2', ev('elevator.recalled', { floor: 1 }), 'elevator');
    expect(sim.advance(40 * SEC - 1)).toHaveLength(0);
    const fired = sim.advance(1);
    expect(sim.s.state).toBe('verifying');
    expect(sim.effectsOf('flag', fired)).toEqual([expect.objectContaining({ code: 'recall_unconfirmed', deviceId: 'lift-a3' })]);
    expect(sim.effectsOf('notify', fired)).toEqual([
      expect.objectContaining({ key: 'recall_unconfirmed', params: expect.objectContaining({ cars: ['lift-a3'] }) }),
    ]);
    expect(cars(sim)).toEqual([
      ['lift-a1', 'confirmed'],
      ['lift-a2', 'confirmed'],
      ['lift-a3', 'flagged'],
    ]);
    sim.act(operator, 'confirm_car_recalled', { deviceId: 'lift-a3', notes: '保安到首层确认 A3 已停靠开门' });
    expect(cars(sim)).toEqual([
      ['lift-a1', 'confirmed'],
      ['lift-a2', 'confirmed'],
      ['lift-a3', 'confirmed'],
    ]);
    expect(sim.step('elevator_recall')).toMatchObject({ status: 'done', doneBy: 'user:op-1' });
  });

  it('a manual (phoned-in) report recalls nothing until it becomes a general alarm', () => {
    const sim = Sim.manual('fire_alarm', operator, { floor: 3, location: '3F 配电间', reportedBy: '业主电话' }, ctx);
    expect(sim.effectsOf('send_command')).toHaveLength(0);
    expect(sim.s.data.recall).toBeUndefined();
    expect(sim.timer('recall_confirm')).toBeUndefined();
    expect(sim.step('elevators_returned').required).toBe(false);
    sim.act(operator, 'acknowledge', {});
    sim.advance(30 * SEC);
    expect(sim.effectsOf('send_command')).toHaveLength(0);
    sim.act(operator, 'verify', { outcome: 'serious_fire', location: '3F 配电间' });
    expect(sim.s.state).toBe('general_alarm');
    expect(sim.effectsOf('send_command').map((c) => c.target)).toEqual(ELEVATORS.map((e) => ({ deviceId: e.deviceId })));
    expect(sim.timer('recall_confirm')).toMatchObject({ dueAt: T0 + 90 * SEC, status: 'running' });
    expect(sim.step('elevators_returned').required).toBe(true);
  });

  it('a manual report found to be a false alarm closes on the panel reset: no car was recalled', () => {
    const sim = Sim.manual('fire_alarm', operator, { floor: 3, location: '3F 配电间' }, ctx);
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'false_alarm', cause: '业主误将蒸汽当作烟雾' });
    sim.act(operator, 'record_panel_reset', {});
    expect(sim.s).toMatchObject({ state: 'closed', open: false });
    expect(sim.effectsOf('send_command')).toHaveLength(0);
  });

  it('a new panel alarm after a false-alarm verdict recalls again the cars already returned, and needs a new reset', () => {
    const sim = openFire();
    const first = sim.effectsOf('send_command')[0]!.corr;
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'false_alarm', cause: '误触' });
    sim.event(PANEL, ev('fire.reset', {}), 'fire-panel');
    sim.act(operator, 'return_elevator', { deviceId: 'lift-a1' });
    sim.advance(1 * MIN); // A2, A3 never answered: flagged
    const r = sim.apply({
      type: 'repeat_trigger',
      trigger: deviceTrigger(PANEL, 'fire-panel', ev('fire.alarm', { zone: 'Z13', floor: 13, detector: 'heat' }), ctx),
    });
    expect(sim.s.state).toBe('verifying');
    const again = sim.effectsOf('send_command', r.effects);
    expect(again.map((c) => c.target)).toEqual([{ deviceId: 'lift-a1' }]);
    expect(again[0]!.corr).not.toBe(first);
    expect(cars(sim)).toEqual([
      ['lift-a1', 'sent'],
      ['lift-a2', 'flagged'],
      ['lift-a3', 'flagged'],
    ]);
    expect(sim.timer('recall_confirm')).toMatchObject({ dueAt: T0 + 2 * MIN, status: 'running' });
    expect(sim.step('panel_reset')).toMatchObject({ status: 'pending', required: true });
    expect(sim.step('elevators_returned')).toMatchObject({ status: 'pending', required: true });
  });

  it('a new panel alarm in recovery after every car was returned reopens the return step', () => {
    const sim = openFire();
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'verify', { outcome: 'small_fire' });
    sim.act(operator, 'record_extinguished', { by: '保安 刘' });
    sim.act(operator, 'notify_security', {});
    sim.act(operator, 'file_report', { summary: '烟头引燃垃圾桶' });
    sim.event(PANEL, ev('fire.reset', {}));
    for (const e of ELEVATORS) sim.act(operator, 'return_elevator', { deviceId: e.deviceId });
    expect(sim.step('elevators_returned').status).toBe('done');
    const r = sim.apply({
      type: 'repeat_trigger',
      trigger: deviceTrigger(PANEL, 'fire-panel', ev('fire.alarm', { zone: 'Z12', floor: 12, detector: 'smoke' }), ctx),
    });
    expect(sim.effectsOf('send_command', r.effects).map((c) => c.target)).toEqual(ELEVATORS.map((e) => ({ deviceId: e.deviceId })));
    expect(sim.step('elevators_returned')).toMatchObject({ status: 'pending', required: true, doneBy: null });
    expectErr(sim.tryAct(supervisor, 'close', {}), 'HUB_ERR_CONFLICT', /panel_reset|elevators_returned/);
  });

  it('a repeated panel alarm while the cars are still recalled sends nothing new', () => {
    const sim = openFire();
    const r = sim.apply({
      type: 'repeat_trigger',
      trigger: deviceTrigger(PANEL, 'fire-panel', ev('fire.alarm', { zone: 'Z13', floor: 13, detector: 'heat' }), ctx),
    });
    expect(sim.effectsOf('send_command', r.effects)).toHaveLength(0);
    expect(sim.effectsOf('send_command')).toHaveLength(3);
  });
});
