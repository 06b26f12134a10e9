// Water leak / pipe burst / flooding (PROCEDURES.md §5) under a fake clock.
import { describe, expect, it } from 'vitest';
import { SEVERITY } from '../../../contracts/domain.js';
import { WEATHER_SEVERITY_STEP, type WaterContext } from '../../../services/water/machine.js';
import {
  Sim,
  SEC,
  MIN,
  T0,
  allowedActions,
  deviceTrigger,
  ev,
  expectErr,
  frontdesk,
  operator,
  planTrigger,
  supervisor,
  triggerKindFor,
  dutyText,
  engine,
} from './helpers.js';

const CTX: WaterContext = {
  lobbyFloor: 1,
  elevators: [
    { deviceId: 'lift-1', car: '1' },
    { deviceId: 'lift-2', car: '2' },
  ],
  zones: {
    'b1-lift-pit': { floor: -1, near: ['elevator'] },
    'b1-switch-room': { floor: -1, near: ['electrical'] },
    'b1-sump': { floor: -1, near: ['pump_room'] },
    'f9-riser': { floor: 9, near: [] },
  },
  weather: null,
};
const leak = (zone: string, floor: number, ctx: WaterContext = CTX) =>
  deviceTrigger('wt-1', 'water', ev('water.leak', { zone, floor }), ctx);
const openLeak = (zone = 'f9-riser', floor = 9, ctx: WaterContext = CTX) => new Sim('water_leak', leak(zone, floor, ctx));

/** acknowledge → dispatch → on site → stopped → owners told (the common path). */
function respond(sim: Sim): void {
  sim.act(operator, 'acknowledge');
  sim.act(operator, 'dispatch_engineering', { person: '工程部 老周' });
  sim.advance(5 * MIN);
  sim.act(operator, 'record_engineering_on_site');
  sim.act(operator, 'record_water_stopped', { measure: 'valve_closed', location: '9F 水管井' });
  sim.act(frontdesk, 'record_owners_notified', { floors: [9, 8, 7], channel: 'phone' });
}

describe('water leak — opening and acknowledgement', () => {
  it('water.leak, water.level_high and water.pump_failed open a water incident; water.cleared does not', () => {
    const src = (type: 'water.leak' | 'water.cleared') => ({
      siteId: 's',
      buildingId: 'bldg-a',
      deviceId: 'wt-1',
      deviceClass: 'water' as const,
      event: type === 'water.leak' ? ev('water.leak', { zone: 'z', floor: 1 }) : ev('water.cleared', { zone: 'z' }),
    });
    expect(triggerKindFor(src('water.leak'))).toBe('water_leak');
    expect(triggerKindFor(src('water.cleared'))).toBeNull();
    expect(triggerKindFor({ ...src('water.leak'), event: ev('water.level_high', { pit: 'b1-sump', levelCm: 60 }) })).toBe('water_leak');
    expect(triggerKindFor({ ...src('water.leak'), event: ev('water.pump_failed', { pump: 'p1' }) })).toBe('water_leak');
  });

  it('opens with the zone in the title, a 60 s acknowledge target, and escalates when it passes', () => {
    const sim = openLeak();
    expect(sim.s).toMatchObject({ kind: 'water_leak', state: 'awaiting_ack', severity: SEVERITY.water_leak, floor: 9, dedupKey: 'bldg-a' });
    expect(sim.s.title).toEqual({ key: 'water_leak.title', params: { zone: 'f9-riser', floor: 9 } });
    expect(sim.timer('ack')).toMatchObject({ dueAt: T0 + 60 * SEC, status: 'running' });
    expect(sim.advance(60 * SEC - 1)).toHaveLength(0);
    const fired = sim.advance(1);
    expect(sim.effectsOf('escalate', fired)).toEqual([expect.objectContaining({ reason: 'ack_overdue' })]);
  });

  it('acknowledged in time: no escalation', () => {
    const sim = openLeak();
    sim.advance(30 * SEC);
    sim.act(operator, 'acknowledge');
    expect(sim.s.state).toBe('responding');
    expect(sim.effectsOf('escalate', sim.advance(10 * MIN))).toHaveLength(0);
  });

  it('front desk may tell owners but not acknowledge; close is for a supervisor', () => {
    const sim = openLeak();
    expectErr(sim.tryAct(frontdesk, 'acknowledge'), 'HUB_ERR_FORBIDDEN');
    expect(allowedActions(sim.s, 'frontdesk').map((a) => a.action)).toContain('record_owners_notified');
    respond(sim);
    sim.act(operator, 'confirm_cleared', { propertyDamaged: false });
    sim.act(operator, 'record_repair_order', { cause: '9F 立管接头老化' });
    expectErr(sim.tryAct(operator, 'close'), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'close');
    expect(sim.s.open).toBe(false);
  });

  it('a manual report (phone) opens it with the caller’s location and what the water is near', () => {
    const sim = Sim.manual('water_leak', operator, { floor: -1, location: '地下车库 B 区', source: 'flooding', near: ['electrical'] }, CTX);
    expect(sim.s).toMatchObject({ floor: -1, dedupKey: null });
    expect(sim.step('protect').required).toBe(true);
    expect(sim.s.data.location).toBe('地下车库 B 区');
  });
});

describe('water leak — engineering on site within 15 min', () => {
  it('overdue → escalated; arriving late is flagged', () => {
    const sim = openLeak();
    sim.act(operator, 'acknowledge');
    sim.act(operator, 'dispatch_engineering', { person: '老周' });
    expect(sim.timer('engineering_arrival')).toMatchObject({ dueAt: sim.now + 15 * MIN });
    const fired = sim.advance(15 * MIN);
    expect(sim.effectsOf('escalate', fired)).toEqual([expect.objectContaining({ reason: 'engineering_overdue' })]);
    sim.advance(3 * MIN);
    sim.act(operator, 'record_engineering_on_site');
    expect(sim.step('engineering_on_site').data).toMatchObject({ minutes: 18, late: true });
    expect(sim.effectsOf('flag', sim.last.effects).map((f) => f.code)).toEqual(['engineering_late']);
  });

  it('on site before dispatch is refused', () => {
    const sim = openLeak();
    sim.act(operator, 'acknowledge');
    expectErr(sim.tryAct(operator, 'record_engineering_on_site'), 'HUB_ERR_CONFLICT');
  });
});

describe('water leak — protecting lifts and electrics (§5.3)', () => {
  it('water in the lift pit: protect becomes required and the hub proposes the cars out; nothing is sent until a person confirms', () => {
    const sim = openLeak('b1-lift-pit', -1);
    expect(sim.step('protect').required).toBe(true);
    expect(sim.effectsOf('notify').map((n) => n.key)).toContain('propose_cars_out');
    expect(sim.effectsOf('send_command')).toHaveLength(0);
    sim.act(operator, 'acknowledge');
    sim.act(operator, 'take_cars_out_of_service');
    const cmds = sim.effectsOf('send_command', sim.last.effects);
    // water below the lobby: cars parked at the lobby (a floor above the water)
    expect(cmds.map((c) => [c.target, c.name, c.data])).toEqual([
      [{ deviceId: 'lift-1' }, 'recall', { floor: 1 }],
      [{ deviceId: 'lift-2' }, 'recall', { floor: 1 }],
    ]);
    expect(sim.effectsOf('device_service', sim.last.effects).map((d) => d.inService)).toEqual([false, false]);
    expect(sim.step('elevators_returned').required).toBe(true);
    // one car answers, the other does not: flagged after 60 s
    sim.apply({ type: 'command_result', corr: cmds[0]!.corr, ok: true, deviceId: 'lift-1' });
    expect(sim.step('protect').status).toBe('pending');
    const fired = sim.advance(60 * SEC);
    expect(sim.effectsOf('flag', fired).map((f) => [f.code, f.deviceId])).toEqual([['recall_unconfirmed', 'lift-2']]);
    // a person sees car 2 parked: every car confirmed completes protect (water only near the lifts)
    sim.act(operator, 'confirm_car_recalled', { deviceId: 'lift-2', notes: '安管确认 2 号梯停在 1 层' });
    expect(sim.step('protect')).toMatchObject({ status: 'done', doneBy: 'system' });
  });

  it('water above the lobby: the cars park one floor above the highest wet floor', () => {
    const sim = Sim.manual('water_leak', operator, { floor: 3, location: '3F 机房', near: ['elevator'] }, CTX);
    sim.act(operator, 'take_cars_out_of_service');
    expect(sim.effectsOf('send_command').map((c) => c.data)).toEqual([{ floor: 4 }, { floor: 4 }]);
  });

  it('an elevator.recalled event from a parked car confirms it', () => {
    const sim = openLeak('b1-lift-pit', -1);
    sim.act(operator, 'take_cars_out_of_service');
    sim.event('lift-1', ev('elevator.recalled', { floor: 1 }), 'elevator');
    expect(sim.s.data.recall).toMatchObject({ cars: [{ deviceId: 'lift-1', status: 'confirmed' }, { status: 'sent' }] });
  });

  it('electrical room: protection is recorded by a person, not while a car is still unconfirmed', () => {
    const sim = openLeak('b1-switch-room', -1);
    expect(sim.step('protect').required).toBe(true);
    expect(sim.effectsOf('notify').map((n) => n.key)).not.toContain('propose_cars_out');
    sim.act(operator, 'record_protection', { measures: ['power_isolated', 'sandbags'] });
    expect(sim.step('protect').status).toBe('done');
  });

  it('a riser leak near nothing leaves protect optional', () => {
    expect(openLeak().step('protect').required).toBe(false);
  });
});

describe('water leak — sump pit and pumps', () => {
  const pit = (type: 'high' | 'pump') =>
    deviceTrigger(
      'pit-1',
      'water',
      type === 'high' ? ev('water.level_high', { pit: 'b1-sump', levelCm: 62 }) : ev('water.pump_failed', { pump: 'p1' }),
      CTX,
    );

  it('a pump failing while the pit is high escalates at once (once), and a later leak joins the same incident', () => {
    const sim = new Sim('water_leak', pit('high'));
    expect(sim.s.data.pit).toMatchObject({ name: 'b1-sump', levelCm: 62, high: true });
    expect(sim.effectsOf('escalate')).toHaveLength(0);
    const plan = planTrigger('water_leak', pit('pump'), [sim.s], T0);
    expect(plan).toMatchObject({ op: 'decide', incidentId: sim.s.id });
    sim.apply({ type: 'repeat_trigger', trigger: pit('pump') });
    expect(sim.effectsOf('escalate', sim.last.effects)).toEqual([expect.objectContaining({ reason: 'pump_failed_high_water' })]);
    sim.apply({ type: 'repeat_trigger', trigger: deviceTrigger('pit-1', 'water', ev('water.pump_failed', { pump: 'p2' }), CTX) });
    expect(sim.effectsOf('escalate').filter((e) => e.reason === 'pump_failed_high_water')).toHaveLength(1);
    // the pit is in the pump room: protect required
    expect(sim.step('protect').required).toBe(true);
  });

  it('a failed pump alone is flagged, not escalated; high water afterwards escalates', () => {
    const sim = new Sim('water_leak', pit('pump'));
    expect(sim.effectsOf('flag').map((f) => f.code)).toEqual(['pump_failed']);
    expect(sim.effectsOf('escalate')).toHaveLength(0);
    sim.apply({ type: 'repeat_trigger', trigger: pit('high') });
    expect(sim.effectsOf('escalate', sim.last.effects).map((e) => e.reason)).toEqual(['pump_failed_high_water']);
  });
});

describe('water leak — cleared, repair order, report, close', () => {
  it('water.cleared only suggests; a person confirms after the water is stopped', () => {
    const sim = openLeak();
    sim.act(operator, 'acknowledge');
    sim.event('wt-1', ev('water.cleared', { zone: 'f9-riser' }), 'water');
    expect(sim.s.state).toBe('responding');
    expect(sim.effectsOf('notify', sim.last.effects).map((n) => n.key)).toEqual(['cleared_suggested']);
    expectErr(sim.tryAct(operator, 'confirm_cleared', { propertyDamaged: false }), 'HUB_ERR_CONFLICT', /stopped first/);
  });

  it('happy path: owners on the floor and below are proposed; repair order required; closes with the duty log', () => {
    const sim = openLeak();
    expect(engineDefaults(sim)).toEqual({ floors: [9, 8, 7, 6, 5, 4, 3, 2, 1] });
    respond(sim);
    sim.act(operator, 'confirm_cleared', { propertyDamaged: false });
    expect(sim.s.state).toBe('cleared');
    expectErr(sim.tryAct(supervisor, 'close'), 'HUB_ERR_CONFLICT');
    sim.act(operator, 'record_repair_order', { cause: '立管接头老化', orderRef: 'WO-1' });
    sim.act(supervisor, 'close');
    expect(sim.s).toMatchObject({ state: 'closed', open: false });
    const duty = sim.effectsOf('duty_log').map((d) => dutyText(d, 'en'));
    expect(duty.some((t) => t.includes('cause: 立管接头老化'))).toBe(true);
    // no damage: no special report
    expect(sim.effectsOf('special_report')).toHaveLength(0);
  });

  it('property damaged: the special report with photos becomes required and is rendered on close', () => {
    const sim = openLeak();
    respond(sim);
    sim.act(operator, 'confirm_cleared', { propertyDamaged: true });
    sim.act(operator, 'record_repair_order', { cause: '爆管' });
    expectErr(sim.tryAct(supervisor, 'close'), 'HUB_ERR_CONFLICT');
    expectErr(sim.tryAct(operator, 'file_report', { summary: '8F 天花受损' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'file_report', { summary: '8F 天花受损', attachmentIds: ['ph-1'] });
    sim.act(supervisor, 'close');
    expect(sim.effectsOf('special_report')).toHaveLength(1);
  });

  it('cars taken out must be returned one by one before close', () => {
    const sim = openLeak('b1-lift-pit', -1);
    respond(sim);
    sim.act(operator, 'take_cars_out_of_service');
    sim.event('lift-1', ev('elevator.recalled', { floor: 1 }), 'elevator');
    sim.event('lift-2', ev('elevator.recalled', { floor: 1 }), 'elevator');
    expect(sim.step('protect').status).toBe('done');
    sim.act(operator, 'confirm_cleared', { propertyDamaged: false });
    sim.act(operator, 'record_repair_order', { cause: '底坑渗水' });
    expectErr(sim.tryAct(supervisor, 'close'), 'HUB_ERR_CONFLICT');
    sim.act(operator, 'return_elevator', { deviceId: 'lift-1' });
    expect(sim.effectsOf('device_service', sim.last.effects)).toEqual([expect.objectContaining({ deviceId: 'lift-1', inService: true })]);
    expectErr(sim.tryAct(operator, 'return_elevator', { deviceId: 'lift-1' }), 'HUB_ERR_CONFLICT');
    sim.act(operator, 'return_elevator', { deviceId: 'lift-2' });
    sim.act(supervisor, 'close');
    expect(sim.s.open).toBe(false);
  });

  it('water again after cleared reopens the response', () => {
    const sim = openLeak();
    respond(sim);
    sim.act(operator, 'confirm_cleared', { propertyDamaged: false });
    sim.apply({ type: 'repeat_trigger', trigger: leak('b1-switch-room', -1) });
    expect(sim.s.state).toBe('responding');
    expect(sim.step('cleared').status).toBe('pending');
    expect(sim.step('protect').required).toBe(true);
    expect(sim.s.floor).toBe(-1);
  });
});

describe('water leak — the cause becomes a repair work order (§5.5 → §8)', () => {
  function clearedLeak(): Sim {
    const sim = openLeak();
    respond(sim);
    sim.act(operator, 'confirm_cleared', { propertyDamaged: false });
    return sim;
  }

  it('recording the cause opens a plumbing work order linked under the leak, with the wet place as its location', () => {
    const sim = clearedLeak();
    expect(engine.actionDefaults(sim.s, 'record_repair_order')).toEqual({ category: 'plumbing', location: '9F f9-riser' });
    sim.act(operator, 'record_repair_order', { cause: '9F 立管接头老化' });
    const link = sim.effectsOf('open_linked_incident', sim.last.effects);
    expect(link).toHaveLength(1);
    expect(link[0]).toMatchObject({ kind: 'repair', parentId: sim.s.id, trigger: { source: 'linked', parentKind: 'water_leak' } });
    // the leak cable only saw the water: the order must not merge into the cable's device order
    expect(link[0]!.trigger).not.toHaveProperty('deviceId');
    expect(sim.timelineOf('linked_incident')).toHaveLength(1);
    expect(sim.step('repair_order')).toMatchObject({ status: 'done', data: { opened: true, category: 'plumbing' } });

    const plan = planTrigger('repair', link[0]!.trigger, [], sim.now);
    expect(plan).toMatchObject({ op: 'open', kind: 'repair', dedupKey: `incident:${sim.s.id}`, parentId: null });
    const order = new Sim('repair', link[0]!.trigger, sim.now);
    expect(order.s).toMatchObject({ parentId: sim.s.id, deviceId: null, floor: 9, state: 'registered' });
    expect(order.s.data).toMatchObject({
      source: 'staff',
      area: 'common',
      category: 'plumbing',
      location: '9F f9-riser',
      description: '9F 立管接头老化',
      faultIds: [],
    });
    // the order runs on its own targets (seed 002 §3.3: response within 24 h)
    expect(order.effectsOf('escalate', order.advance(24 * 60 * MIN - 1))).toHaveLength(0);
    expect(order.effectsOf('escalate', order.advance(1))).toEqual([expect.objectContaining({ reason: 'response_overdue' })]);
  });

  it('recording the cause again adds to the same open order instead of opening a second', () => {
    const sim = clearedLeak();
    sim.act(operator, 'record_repair_order', { cause: '立管接头老化', category: 'plumbing' });
    const first = sim.effectsOf('open_linked_incident', sim.last.effects)[0]!;
    const order = new Sim('repair', first.trigger, sim.now);
    sim.act(operator, 'record_repair_order', { cause: '立管接头老化,另有阀门渗漏', location: '9F 水管井' });
    const again = sim.effectsOf('open_linked_incident', sim.last.effects)[0]!;
    expect(planTrigger('repair', again.trigger, [order.s], sim.now)).toMatchObject({ op: 'decide', incidentId: order.s.id });
  });

  it('an order the desk already registered is linked by its number and none is opened', () => {
    const sim = clearedLeak();
    sim.act(operator, 'record_repair_order', { cause: '立管接头老化', orderRef: 'WO-1' });
    expect(sim.effectsOf('open_linked_incident')).toHaveLength(0);
    expect(sim.step('repair_order').data).toMatchObject({ orderRef: 'WO-1', opened: false });
  });

  it('no order before the water is cleared, and not for a category a leak does not cause', () => {
    const sim = openLeak();
    respond(sim);
    expectErr(sim.tryAct(operator, 'record_repair_order', { cause: '立管接头老化' }), 'HUB_ERR_CONFLICT');
    sim.act(operator, 'confirm_cleared', { propertyDamaged: false });
    expectErr(sim.tryAct(operator, 'record_repair_order', { cause: 'x', category: 'elevator' }), 'HUB_ERR_BAD_REQUEST');
    expect(sim.effectsOf('open_linked_incident')).toHaveLength(0);
  });
});

describe('water leak — severe weather (§7)', () => {
  it('opens one severity higher while a warning is in force', () => {
    const sim = openLeak('f9-riser', 9, { ...CTX, weather: { incidentId: 'inc-w', level: 'red' } });
    expect(sim.s.severity).toBe(SEVERITY.water_leak + WEATHER_SEVERITY_STEP);
    expect(sim.s.data.weather).toEqual({ incidentId: 'inc-w', level: 'red' });
  });
});

function engineDefaults(sim: Sim): unknown {
  // what the dashboard's form starts with (ActionDef.defaults)
  return engine.actionDefaults(sim.s, 'record_owners_notified');
}
