// Accident / medical emergency (PROCEDURES.md §6) under a fake clock, and its link from an
// entrapment with injured passengers (PROCEDURES.md §1.2 → §6).
import { describe, expect, it } from 'vitest';
import type { MedicalContext } from '../../../services/medical/machine.js';
import {
  Sim,
  SEC,
  MIN,
  HOUR,
  T0,
  deviceTrigger,
  ev,
  expectErr,
  frontdesk,
  operator,
  supervisor,
  planTrigger,
  dutyText,
} from './helpers.js';

const CTX: MedicalContext = { lobbyFloor: 1, elevators: [{ deviceId: 'lift-1', car: '1' }, { deviceId: 'lift-2' }] };
const report = (p: object = {}) =>
  Sim.manual('medical_emergency', frontdesk, { floor: 1, location: '大堂东侧台阶', category: 'fall', people: 1, ...p }, CTX);

/** acknowledge → 120 → first aid → zone → family (the common path up to the ambulance). */
function respond(sim: Sim): void {
  sim.act(operator, 'acknowledge');
  sim.act(frontdesk, 'record_120_call', { told: '老人在大堂台阶摔倒,头部出血,意识清醒', reference: '120-88' });
  sim.act(operator, 'dispatch_first_aid', { person: '秩序维护员 小刘', firstAider: true });
  sim.act(operator, 'record_zone_secured', { zone: '大堂东侧台阶,已放警示牌' });
}

describe('medical emergency — report, acknowledge, 120', () => {
  it('the front desk reports it by phone; 30 s acknowledge and 3 min 120 targets escalate', () => {
    const sim = report();
    expect(sim.s).toMatchObject({ kind: 'medical_emergency', state: 'awaiting_ack', severity: 70, floor: 1, dedupKey: null });
    expect(sim.s.title).toMatchObject({ params: { category: { key: 'medical_emergency.value.fall' }, location: '大堂东侧台阶' } });
    const fired = sim.advance(30 * SEC);
    expect(sim.effectsOf('escalate', fired).map((e) => e.reason)).toEqual(['ack_overdue']);
    sim.act(operator, 'acknowledge');
    const later = sim.advance(3 * MIN);
    expect(sim.effectsOf('escalate', later).map((e) => e.reason)).toEqual(['call_120_overdue']);
  });

  it('120 recorded in time: no 120 escalation; time and what was said are on the step and in the duty log', () => {
    const sim = report();
    sim.act(operator, 'acknowledge');
    sim.advance(MIN);
    sim.act(frontdesk, 'record_120_call', { told: '摔伤,意识清醒' });
    expect(sim.step('call_120').data).toMatchObject({ calledAt: T0 + MIN, told: '摔伤,意识清醒' });
    expect(sim.effectsOf('escalate', sim.advance(10 * MIN))).toHaveLength(0);
    const duty = sim.effectsOf('duty_log').map((d) => dutyText(d, 'zh-CN'));
    expect(duty.some((t) => t.includes('已报120:摔伤,意识清醒'))).toBe(true);
    expectErr(sim.tryAct(operator, 'record_120_call', { told: 'x', calledAt: sim.now + HOUR }), 'HUB_ERR_CONFLICT');
  });
});

describe('medical emergency — family, ambulance, lift, statement', () => {
  it('contacting the family from the owner file needs the logged read', () => {
    const sim = report();
    respond(sim);
    const unitId = '7b0b9b5e-6a43-4c4b-9d37-4d2b7ed0a0a1';
    expectErr(sim.tryAct(frontdesk, 'record_family_contacted', { unitId, reached: true }), 'HUB_ERR_BAD_REQUEST', /logged reason/);
    sim.act(frontdesk, 'record_family_contacted', { unitId, accessSeq: 42, reached: true });
    expect(sim.step('contact_family').data).toEqual({ unitId, accessSeq: 42, reached: true });
  });

  it('a car is held at the lobby for the stretcher: recall sent, the car confirms; unconfirmed is flagged', () => {
    const sim = report();
    respond(sim);
    sim.act(operator, 'hold_elevator', { deviceId: 'lift-2' });
    const [cmd] = sim.effectsOf('send_command', sim.last.effects);
    expect(cmd).toMatchObject({ target: { deviceId: 'lift-2' }, name: 'recall', data: { floor: 1 } });
    const fired = sim.advance(60 * SEC);
    expect(sim.effectsOf('flag', fired).map((f) => [f.code, f.deviceId])).toEqual([['hold_unconfirmed', 'lift-2']]);
    // a late arrival still confirms it
    sim.event('lift-2', ev('elevator.recalled', { floor: 1 }), 'elevator');
    expect(sim.step('hold_elevator')).toMatchObject({ status: 'done', data: { deviceId: 'lift-2', floor: 1 } });
    expectErr(sim.tryAct(operator, 'hold_elevator', { deviceId: 'elsewhere' }), 'HUB_ERR_CONFLICT');
  });

  it('a car outside the building is refused; a command answered ok confirms the hold', () => {
    const sim = report();
    respond(sim);
    expectErr(sim.tryAct(operator, 'hold_elevator', { deviceId: 'lift-x' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'hold_elevator', { deviceId: 'lift-1' });
    const [cmd] = sim.effectsOf('send_command', sim.last.effects);
    sim.apply({ type: 'command_result', corr: cmd!.corr, ok: true, deviceId: 'lift-1' });
    expect(sim.step('hold_elevator').status).toBe('done');
    expect(sim.timer('hold_confirm')?.status).toBe('cancelled');
  });

  it('one public statement, approved by a supervisor only', () => {
    const sim = report();
    respond(sim);
    expectErr(sim.tryAct(operator, 'approve_statement', { text: '...' }), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'approve_statement', { text: '一位住户在大堂摔倒,已送医,物业正在跟进。' });
    expect(sim.effectsOf('notify', sim.last.effects).map((n) => n.key)).toEqual(['statement_approved']);
    expectErr(sim.tryAct(supervisor, 'approve_statement', { text: '另一说法' }), 'HUB_ERR_CONFLICT');
  });
});

describe('medical emergency — handover, report, follow-up, close', () => {
  it('ambulance: met at the gate, car released, report filed, statement approved → closed with a 2-working-day follow-up', () => {
    const sim = report();
    respond(sim);
    sim.act(frontdesk, 'record_ambulance_met', { gate: '南大门', person: '前台 李娜' });
    sim.act(operator, 'hold_elevator', { deviceId: 'lift-1' });
    sim.event('lift-1', ev('elevator.recalled', { floor: 1 }), 'elevator');
    sim.act(frontdesk, 'record_handover', { outcome: 'ambulance', hospital: '仁济医院' });
    expect(sim.s.state).toBe('handed_over');
    sim.act(operator, 'file_report', { summary: '大堂台阶摔伤,已送仁济医院' });
    expectErr(sim.tryAct(supervisor, 'close'), 'HUB_ERR_CONFLICT');
    sim.act(supervisor, 'approve_statement', { text: '已送医' });
    // the held car must be released before closing
    expectErr(sim.tryAct(supervisor, 'close'), 'HUB_ERR_CONFLICT', /release/);
    sim.act(operator, 'release_elevator');
    expect(sim.effectsOf('device_service', sim.last.effects)).toEqual([expect.objectContaining({ deviceId: 'lift-1', inService: true })]);
    sim.act(supervisor, 'close');
    expect(sim.s.open).toBe(false);
    // handed over Monday 10:00 (China time) → due by the end of Wednesday (2 working days, seed 001 §五)
    const [fu] = sim.effectsOf('create_followup');
    expect(new Date(fu!.dueAt + 8 * HOUR).toISOString()).toBe('2025-01-08T23:59:59.999Z');
    expect(sim.effectsOf('special_report')).toHaveLength(1);
  });

  it('treated on site: the ambulance steps are skipped with the reason', () => {
    const sim = report();
    respond(sim);
    sim.act(operator, 'record_handover', { outcome: 'treated_on_site' });
    expect(sim.step('meet_ambulance').status).toBe('skipped');
    sim.act(operator, 'file_report', { summary: '擦伤,现场处理' });
    sim.act(supervisor, 'approve_statement', { text: '现场处理' });
    sim.act(supervisor, 'close');
    expect(sim.s.state).toBe('closed');
  });
});

describe('medical emergency — linked from an entrapment with injured passengers', () => {
  it('recording an injured passenger opens one medical emergency under the entrapment', () => {
    const ent = new Sim(
      'elevator_entrapment',
      deviceTrigger('lift-1', 'elevator', ev('elevator.entrapment', { car: '1', floor: 7, passengers: 2 })),
    );
    ent.act(operator, 'acknowledge');
    ent.act(operator, 'record_passengers', { count: 2, vulnerable: [{ category: 'injured', note: '手臂擦伤' }] });
    const [link] = ent.effectsOf('open_linked_incident');
    expect(link).toMatchObject({ kind: 'medical_emergency', dedupKey: `incident:${ent.s.id}`, parentId: ent.s.id });
    // the hub opens it (service: plan → open) …
    const med = new Sim('medical_emergency', { ...link!.trigger, context: CTX });
    expect(med.s).toMatchObject({ parentId: ent.s.id, deviceId: 'lift-1', floor: 7, dedupKey: `incident:${ent.s.id}` });
    expect(med.s.data).toMatchObject({ category: 'entrapment_injury', people: 1, linkedFrom: { incidentId: ent.s.id, car: '1' } });
    // … and a second record of the same entrapment goes to the same medical incident
    ent.act(operator, 'record_passengers', { count: 2, vulnerable: [{ category: 'injured' }, { category: 'ill' }] });
    const again = ent.effectsOf('open_linked_incident', ent.last.effects)[0]!;
    expect(planTrigger('medical_emergency', again.trigger, [med.s], T0 + MIN)).toMatchObject({ op: 'decide', incidentId: med.s.id });
  });

  it('no injured passenger, no medical emergency', () => {
    const ent = new Sim('elevator_entrapment', deviceTrigger('lift-1', 'elevator', ev('elevator.entrapment', { car: '1', floor: 7 })));
    ent.act(operator, 'acknowledge');
    ent.act(operator, 'record_passengers', { count: 1, vulnerable: [{ category: 'elderly' }] });
    expect(ent.effectsOf('open_linked_incident')).toHaveLength(0);
  });
});
