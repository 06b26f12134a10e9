// Repair work orders 报修 (PROCEDURES.md §8): every state and both timers under a fake clock.
import { describe, expect, it } from 'vitest';
import { type Trigger } from '../../../services/core/procedure/index.js';
import { addWorkingDays } from '../../../services/core/procedure/workdays.js';
import {
  Sim,
  T0,
  HOUR,
  MIN,
  admin,
  ev,
  expectErr,
  frontdesk,
  operator,
  planTrigger,
  routeDeviceEvent,
  routeDeviceStatus,
  supervisor,
} from './helpers.js';

const unitReport = (extra: Record<string, unknown> = {}) => ({
  category: 'plumbing',
  area: 'unit',
  unit: '1203',
  location: '厨房',
  description: '水龙头漏水',
  source: 'resident_phone',
  reporterName: '张三',
  ...extra,
});
const commonReport = { category: 'public_facilities', area: 'common', location: '大堂', description: '大堂灯不亮', source: 'staff' };
const newUnitOrder = () => Sim.manual('repair', frontdesk, unitReport(), { unitKnown: true, unitFloor: 12 });

function faultLinked(deviceId = 'lift-a1', parentId = 'fault-1'): Trigger {
  return {
    source: 'linked',
    siteId: 'site-1',
    buildingId: 'bldg-a',
    parentId,
    parentKind: 'device_fault',
    deviceId,
    payload: { cause: 'trouble', code: 'E-42', zone: null, deviceClass: 'elevator', description: '' },
  };
}

describe('repair: registration 接单登记', () => {
  it('a resident report is registered with both targets running from registration', () => {
    const sim = newUnitOrder();
    expect(sim.s.state).toBe('registered');
    expect(sim.step('register').status).toBe('done');
    expect(sim.s.floor).toBe(12);
    expect(sim.timer('response')?.dueAt).toBe(T0 + 24 * HOUR);
    expect(sim.timer('completion')?.dueAt).toBe(T0 + 48 * HOUR);
    expect(sim.s.title).toMatchObject({ params: { unit: '1203', category: { key: 'repair.value.plumbing' } } });
  });

  it('a unit repair needs a unit in the owner file; a common-area one does not', () => {
    expect(() => Sim.manual('repair', frontdesk, unitReport(), { unitKnown: false })).toThrow(/not in the owner file/);
    expect(() => Sim.manual('repair', frontdesk, unitReport({ unit: undefined }))).toThrow(/unit required/);
    const c = Sim.manual('repair', operator, commonReport);
    expect(c.s.state).toBe('registered');
    expect((c.s.data as { unit: unknown }).unit).toBeNull();
  });

  it('the targets are settings: configured hours apply to orders opened afterwards', () => {
    const sim = Sim.manual('repair', frontdesk, commonReport, undefined, { responseMs: 2 * HOUR, completionMs: 8 * HOUR });
    expect(sim.timer('response')?.dueAt).toBe(T0 + 2 * HOUR);
    expect(sim.timer('completion')?.dueAt).toBe(T0 + 8 * HOUR);
  });
});

describe('repair: dispatch → response → completion → acceptance → close → 回访', () => {
  it('walks the whole order on time; 回访 is due 2 working days after closing', () => {
    const sim = newUnitOrder();
    sim.advance(30 * MIN);
    sim.act(frontdesk, 'dispatch', { contactId: 'c-1', party: '工程部 李师傅', phone: '13800138000' });
    expect(sim.s.state).toBe('dispatched');
    sim.advance(3 * HOUR);
    sim.act(frontdesk, 'record_response', { notes: '已电话联系业主' });
    expect(sim.s.state).toBe('in_progress');
    expect(sim.timer('response')?.status).toBe('cancelled');
    sim.advance(5 * HOUR);
    sim.act(frontdesk, 'complete', { workDone: '更换阀芯' });
    expect(sim.s.state).toBe('awaiting_acceptance');
    expect(sim.timer('completion')?.status).toBe('cancelled');
    expect(sim.effectsOf('escalate')).toHaveLength(0);
    sim.act(frontdesk, 'accept', { signedBy: 'owner', signerName: '张三', satisfied: true });
    expect(sim.s.state).toBe('closed');
    expect(sim.s.open).toBe(false);
    expect(sim.step('close').status).toBe('done');
    const fu = sim.effectsOf('create_followup');
    expect(fu).toHaveLength(1);
    // Monday 18:30 CST + 2 working days → end of Wednesday
    expect(fu[0]!.dueAt).toBe(addWorkingDays(sim.now, 2));
    expect(new Date(fu[0]!.dueAt + 8 * HOUR).toISOString().slice(0, 10)).toBe('2025-01-08');
    const data = sim.s.data as { overdue: { response: boolean; completion: boolean } };
    expect(data.overdue).toEqual({ response: false, completion: false });
  });

  it('回访 skips the holidays of the working-day calendar (and counts 调休 days)', () => {
    const cal = { holidays: ['2025-01-07', '2025-01-08'], extraWorkdays: [] };
    const sim = Sim.manual('repair', frontdesk, commonReport, undefined, cal);
    sim.act(operator, 'dispatch', { party: '工程部' });
    sim.act(operator, 'complete', { workDone: '更换灯管' });
    sim.act(operator, 'accept', { signedBy: 'staff', signerName: '王工', satisfied: true });
    const due = sim.effectsOf('create_followup')[0]!.dueAt;
    expect(new Date(due + 8 * HOUR).toISOString().slice(0, 10)).toBe('2025-01-10');
  });

  it('no response in 24 h escalates once; no completion in 48 h escalates; both stay recorded', () => {
    const sim = newUnitOrder();
    sim.act(frontdesk, 'dispatch', { party: '外包维修' });
    const first = sim.advance(24 * HOUR - 1);
    expect(first.filter((e) => e.type === 'escalate')).toHaveLength(0);
    const at24 = sim.advance(1);
    expect(at24.filter((e) => e.type === 'escalate').map((e) => (e as { reason: string }).reason)).toEqual(['response_overdue']);
    sim.act(frontdesk, 'record_response', {});
    expect(sim.step('respond').data).toMatchObject({ late: true });
    const at48 = sim.advance(24 * HOUR);
    expect(at48.filter((e) => e.type === 'escalate').map((e) => (e as { reason: string }).reason)).toEqual(['completion_overdue']);
    sim.act(frontdesk, 'complete', { workDone: 'done' });
    expect(sim.step('complete').data).toMatchObject({ late: true });
    expect((sim.s.data as { overdue: unknown }).overdue).toEqual({ response: true, completion: true });
    expect(sim.effectsOf('flag').map((f) => f.code)).toEqual(['response_late', 'completion_late']);
  });

  it('completing on the first visit records the response too', () => {
    const sim = newUnitOrder();
    sim.act(frontdesk, 'dispatch', { party: '工程部' });
    sim.act(frontdesk, 'complete', { workDone: '紧固' });
    expect(sim.step('respond').status).toBe('done');
    expect(sim.timer('response')?.status).toBe('cancelled');
  });

  it('the owner signs a unit repair, staff a common-area one; not satisfied → rework', () => {
    const sim = newUnitOrder();
    sim.act(frontdesk, 'dispatch', { party: '工程部' });
    sim.act(frontdesk, 'complete', { workDone: '更换阀芯' });
    expectErr(sim.tryAct(frontdesk, 'accept', { signedBy: 'staff', signerName: '王工', satisfied: true }), 'HUB_ERR_CONFLICT');
    sim.act(frontdesk, 'accept', { signedBy: 'owner', signerName: '张三', satisfied: false, notes: '仍在滴水' });
    expect(sim.s.state).toBe('in_progress');
    expect((sim.s.data as { rework: number }).rework).toBe(1);
    sim.act(frontdesk, 'complete', { workDone: '更换整个龙头' });
    sim.act(frontdesk, 'accept', { signedBy: 'owner', signerName: '张三', satisfied: true });
    expect(sim.s.state).toBe('closed');

    const c = Sim.manual('repair', operator, commonReport);
    expectErr(c.tryAct(operator, 'complete', { workDone: 'x' }), 'HUB_ERR_CONFLICT');
    c.act(operator, 'dispatch', { party: '工程部' });
    c.act(operator, 'complete', { workDone: 'x' });
    expectErr(c.tryAct(operator, 'accept', { signedBy: 'owner', signerName: '张三', satisfied: true }), 'HUB_ERR_CONFLICT');
  });

  it('cancel closes without 回访; actions are refused out of order', () => {
    const sim = newUnitOrder();
    expectErr(sim.tryAct(frontdesk, 'record_response', {}), 'HUB_ERR_CONFLICT');
    expectErr(sim.tryAct(frontdesk, 'accept', { signedBy: 'owner', signerName: 'x', satisfied: true }), 'HUB_ERR_CONFLICT');
    sim.act(supervisor, 'cancel', { reason: '重复报修' });
    expect(sim.s.state).toBe('cancelled');
    expect(sim.s.open).toBe(false);
    expect(sim.effectsOf('create_followup')).toHaveLength(0);
    expect(sim.s.timers.every((t) => t.status !== 'running')).toBe(true);
  });

  it('re-dispatch keeps every dispatch', () => {
    const sim = newUnitOrder();
    sim.act(frontdesk, 'dispatch', { party: 'A' });
    sim.act(admin, 'dispatch', { party: 'B' });
    expect((sim.s.data as { dispatches: { party: string }[] }).dispatches.map((d) => d.party)).toEqual(['A', 'B']);
    expect(sim.s.state).toBe('dispatched');
  });
});

describe('repair: from a device fault (linked both ways)', () => {
  it('a device fault opens a work order for its device, linked under the fault', () => {
    const fault = new Sim('device_fault', {
      source: 'device',
      siteId: 'site-1',
      buildingId: 'bldg-a',
      deviceId: 'panel-a',
      deviceClass: 'fire-panel',
      event: ev('fire.trouble', { zone: 'Z4', code: 'E-OPEN' }),
    });
    const link = fault.effectsOf('open_linked_incident');
    expect(link).toHaveLength(1);
    expect(link[0]).toMatchObject({ kind: 'repair', dedupKey: 'device:panel-a', parentId: fault.s.id });
    expect(fault.timelineOf('linked_incident')).toHaveLength(1);
    const order = new Sim('repair', link[0]!.trigger);
    expect(order.s.parentId).toBe(fault.s.id);
    expect(order.s.deviceId).toBe('panel-a');
    expect(order.s.data).toMatchObject({ source: 'device', area: 'common', category: 'fire_safety', faultIds: [fault.s.id] });
  });

  it('a setting turns the automatic work order off', () => {
    const fault = new Sim(
      'device_fault',
      { source: 'link', siteId: 'site-1', buildingId: 'bldg-a', deviceId: 'lift-a1', deviceClass: 'elevator', cause: 'offline', since: T0 },
      T0,
      { openWorkOrder: false },
    );
    expect(fault.effectsOf('open_linked_incident')).toHaveLength(0);
  });

  it('a second fault on the same device adds to the open order', () => {
    const order = new Sim('repair', faultLinked('lift-a1', 'fault-1'));
    const plan = planTrigger('repair', faultLinked('lift-a1', 'fault-2'), [order.s], T0 + HOUR);
    expect(plan).toMatchObject({ op: 'decide', incidentId: order.s.id });
    if (plan.op !== 'decide') throw new Error('unreachable');
    order.apply(plan.input);
    expect((order.s.data as { faultIds: string[] }).faultIds).toEqual(['fault-1', 'fault-2']);
  });

  it('the device reporting normal suggests completion (once); a person confirms', () => {
    const order = new Sim('repair', faultLinked());
    order.act(operator, 'dispatch', { party: '电梯维保' });
    const src = {
      siteId: 'site-1',
      buildingId: 'bldg-a',
      deviceId: 'lift-a1',
      deviceClass: 'elevator' as const,
      event: ev('elevator.normal', { floor: 1, doors: 'closed' as const }),
    };
    const plans = routeDeviceEvent(src, [order.s], T0);
    expect(plans).toEqual([expect.objectContaining({ op: 'decide', incidentId: order.s.id })]);
    order.event('lift-a1', src.event, 'elevator');
    expect(order.timelineOf('hint').map((h) => h.data.hint)).toEqual(['completion_suggested']);
    expect(order.s.state).toBe('dispatched');
    // said: the car's further normal reports are not routed to the order (nor written to it)…
    const again = { ...src, event: ev('elevator.normal', { floor: 2, doors: 'closed' as const }) };
    expect(routeDeviceEvent(again, [order.s], T0 + 1000)).toEqual([]);
    // …until the device faults again (a linked fault starts a new episode)
    order.apply({ type: 'repeat_trigger', trigger: faultLinked('lift-a1', 'fault-2') });
    expect(routeDeviceEvent(again, [order.s], T0 + 2000)).toEqual([expect.objectContaining({ op: 'decide', incidentId: order.s.id })]);
    order.event('lift-a1', again.event, 'elevator');
    expect(order.timelineOf('hint')).toHaveLength(2);
    order.apply({ type: 'device_status', deviceId: 'lift-a1', state: 'online' });
    expect(order.timelineOf('hint')).toHaveLength(2);
    expect(routeDeviceStatus('lift-a1', 'online', [order.s])).toHaveLength(1);
    expect(routeDeviceStatus('lift-b2', 'online', [order.s])).toHaveLength(0);
    order.act(operator, 'complete', { workDone: '更换门机板' });
    expect(order.s.state).toBe('awaiting_acceptance');
    expect(routeDeviceStatus('lift-a1', 'online', [order.s])).toHaveLength(0);
  });
});
