import { describe, expect, it } from 'vitest';
import { type Trigger } from '../../../services/core/procedure/index.js';
import { heartbeatCheck, heartbeatScanMs } from '../../../services/devices/heartbeat.js';
import { DEFAULT_LINK_POLICY, linkGuardInit, onLinkStatus, onLinkTick, type LinkGuard } from '../../../services/devices/machine.js';
import {
  Sim,
  T0,
  SEC,
  MIN,
  deviceTrigger,
  ev,
  expectErr,
  frontdesk,
  operator,
  planTrigger,
  routeDeviceEvent,
  routeDeviceStatus,
} from './helpers.js';

const PANEL = 'panel-a';
const linkTrigger = (cause: 'offline' | 'flapping' = 'offline', since = T0): Trigger => ({
  source: 'link',
  siteId: 'site-1',
  buildingId: 'bldg-a',
  deviceId: PANEL,
  deviceClass: 'fire-panel',
  cause,
  since,
});
const trouble = (zone = 'Z4') => deviceTrigger(PANEL, 'fire-panel', ev('fire.trouble', { zone, code: 'E-OPEN' }));

describe('link flapping guard', () => {
  it('debounces offline: a short blip opens nothing', () => {
    let g = linkGuardInit(PANEL, 'fire-panel');
    const a = onLinkStatus(g, 'lost', T0);
    expect(a.decision).toEqual({ op: 'check_at', at: T0 + DEFAULT_LINK_POLICY.offlineDebounceMs });
    g = a.guard;
    const b = onLinkStatus(g, 'online', T0 + 10 * SEC);
    expect(b.decision).toEqual({ op: 'none', reason: 'debounced' });
    expect(onLinkTick(b.guard, T0 + 40 * SEC).decision.op).toBe('none');
  });

  it('still offline at the deadline → open a fault, once; back online → recovered', () => {
    let g: LinkGuard = linkGuardInit('lift-a1', 'elevator');
    g = onLinkStatus(g, 'offline', T0).guard;
    expect(onLinkTick(g, T0 + 29 * SEC).decision).toEqual({ op: 'check_at', at: T0 + 30 * SEC });
    const t = onLinkTick(g, T0 + 30 * SEC);
    expect(t.decision).toEqual({ op: 'open_fault', cause: 'offline', since: T0 });
    g = t.guard;
    expect(onLinkTick(g, T0 + 60 * SEC).decision.op).toBe('none');
    expect(onLinkStatus(g, 'lost', T0 + 61 * SEC).decision).toEqual({ op: 'none', reason: 'unchanged' });
    const back = onLinkStatus(g, 'online', T0 + 5 * MIN);
    expect(back.decision).toEqual({ op: 'recovered', downMs: 5 * MIN });
    expect(back.guard.faultOpen).toBe(false);
  });

  it('repeated short drops within the window open a flapping fault', () => {
    let g = linkGuardInit(PANEL, 'fire-panel');
    let last = onLinkStatus(g, 'online', T0);
    for (let i = 0; i < 5; i++) {
      last = onLinkStatus(g, 'lost', T0 + i * MIN);
      g = last.guard;
      if (i < 4) {
        expect(last.decision.op).toBe('check_at');
        g = onLinkStatus(g, 'online', T0 + i * MIN + 5 * SEC).guard;
      }
    }
    expect(last.decision).toEqual({ op: 'open_fault', cause: 'flapping', since: T0 });
  });

  it('drops spread beyond the flap window do not count', () => {
    let g = linkGuardInit(PANEL, 'fire-panel');
    for (let i = 0; i < 6; i++) {
      const r = onLinkStatus(g, 'lost', T0 + i * 3 * MIN);
      expect(r.decision.op).toBe('check_at');
      g = onLinkStatus(r.guard, 'online', T0 + i * 3 * MIN + SEC).guard;
    }
  });

  it('ignores devices that are not life-safety (power meter, intercom)', () => {
    expect(onLinkStatus(linkGuardInit('meter-a', 'power'), 'lost', T0).decision).toEqual({ op: 'none', reason: 'not_life_safety' });
    expect(onLinkStatus(linkGuardInit('door-a', 'intercom'), 'offline', T0).decision.op).toBe('none');
  });
});

describe('device fault incident', () => {
  it('opens from a debounced offline with acknowledge / dispatch / resolve', () => {
    const sim = new Sim('device_fault', linkTrigger());
    expect(sim.s).toMatchObject({ kind: 'device_fault', state: 'open', severity: 40, deviceId: PANEL, dedupKey: `${PANEL}/link` });
    expect(sim.s.data).toMatchObject({ cause: 'offline', deviceClass: 'fire-panel', since: T0 });
    expect(sim.s.steps.map((s) => s.key)).toEqual(['acknowledge', 'dispatch_maintenance', 'resolve']);
  });

  it('back online → recovered, close suggested; an operator closes with a resolution', () => {
    const sim = new Sim('device_fault', linkTrigger());
    expectErr(sim.tryAct(frontdesk, 'acknowledge', {}), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(operator, 'close', { resolution: 'x' }), 'HUB_ERR_CONFLICT');
    sim.act(operator, 'acknowledge', {});
    expectErr(sim.tryAct(operator, 'close', { resolution: 'ok' }), 'HUB_ERR_CONFLICT', /dispatch_maintenance/);
    const [plan] = routeDeviceStatus(PANEL, 'online', [sim.s]);
    expect(plan).toMatchObject({ op: 'decide', incidentId: sim.s.id, input: { type: 'device_status', state: 'online' } });
    if (plan?.op === 'decide') sim.apply(plan.input);
    expect(sim.s.state).toBe('recovered');
    expect(sim.timelineOf('hint').at(-1)?.data).toEqual({ hint: 'close_suggested' });
    expect(sim.effectsOf('notify').map((n) => n.key)).toContain('fault_recovered');
    expect(sim.step('dispatch_maintenance').required).toBe(false);
    expectErr(sim.tryAct(operator, 'close', {}), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'close', { resolution: '交换机重启后恢复' });
    expect(sim.s).toMatchObject({ state: 'closed', open: false });
    expect(sim.step('dispatch_maintenance').status).toBe('skipped');
  });

  it('going offline again while recovered returns to the previous state', () => {
    const sim = new Sim('device_fault', linkTrigger());
    sim.act(operator, 'acknowledge', {});
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'online' });
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'lost' });
    expect(sim.s.state).toBe('acknowledged');
    expect(sim.step('dispatch_maintenance').required).toBe(true);
    expect(sim.s.data.recurrences).toBe(1);
  });

  it('can close itself on recovery when configured', () => {
    const sim = new Sim('device_fault', linkTrigger(), T0, { autoCloseOnRecovery: true });
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'online' });
    expect(sim.s.state).toBe('recovered'); // not acknowledged yet: a person must see it
    sim.act(operator, 'acknowledge', {});
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'lost' });
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'online' });
    expect(sim.s).toMatchObject({ open: false, state: 'closed' });
  });

  it('fire.trouble / fire.supervisory open lower-severity faults per panel + zone; the panel reset clears them', () => {
    const sim = new Sim('device_fault', trouble('Z4'));
    expect(sim.s).toMatchObject({
      dedupKey: `${PANEL}/trouble/Z4`,
      data: expect.objectContaining({ cause: 'trouble', zone: 'Z4', code: 'E-OPEN' }),
    });
    expect(sim.s.severity).toBeLessThan(100);
    expect(planTrigger('device_fault', trouble('Z4'), [sim.s], T0).op).toBe('decide');
    expect(planTrigger('device_fault', trouble('Z5'), [sim.s], T0).op).toBe('open');
    const sup = deviceTrigger(PANEL, 'fire-panel', ev('fire.supervisory', { zone: 'Z4' }));
    expect(planTrigger('device_fault', sup, [sim.s], T0)).toMatchObject({ op: 'open', dedupKey: `${PANEL}/supervisory/Z4` });
    const plans = routeDeviceEvent(
      { siteId: 'site-1', buildingId: 'bldg-a', deviceId: PANEL, deviceClass: 'fire-panel', event: ev('fire.reset', {}) },
      [sim.s],
      T0,
    );
    expect(plans).toHaveLength(1);
    if (plans[0]?.op === 'decide') sim.apply(plans[0].input);
    expect(sim.s.state).toBe('recovered');
  });

  it('flapping guard: a re-trigger within 120 s of close is recorded on the closed incident, later ones reopen', () => {
    const sim = new Sim('device_fault', trouble());
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'dispatch_maintenance', { party: 'vendor', reference: 'WO-1' });
    sim.act(operator, 'close', { resolution: '更换模块' });
    sim.advance(60 * SEC);
    const plan = planTrigger('device_fault', trouble(), [sim.s], sim.now);
    expect(plan).toMatchObject({ op: 'decide', incidentId: sim.s.id, input: { type: 'repeat_trigger' } });
    if (plan.op === 'decide') sim.apply(plan.input);
    expect(sim.timelineOf('retrigger_suppressed')).toHaveLength(1);
    expect(sim.s).toMatchObject({ open: false, state: 'closed' });
    expect(planTrigger('device_fault', trouble(), [sim.s], sim.now + 61 * SEC).op).toBe('open');
  });

  it('a repeated trouble while recovered puts it back', () => {
    const sim = new Sim('device_fault', trouble());
    sim.event(PANEL, ev('fire.reset', {}));
    expect(sim.s.state).toBe('recovered');
    sim.apply({ type: 'repeat_trigger', trigger: trouble() });
    expect(sim.s.state).toBe('open');
  });

  it('an operator can report a fault by hand', () => {
    const sim = Sim.manual('device_fault', operator, { deviceId: 'lift-a2', description: '轿厢异响' });
    expect(sim.s).toMatchObject({
      deviceId: 'lift-a2',
      dedupKey: 'lift-a2/manual',
      data: expect.objectContaining({ cause: 'manual', description: '轿厢异响' }),
    });
    expect(() => Sim.manual('device_fault', frontdesk, { deviceId: 'lift-a2', description: 'x' })).toThrow(/FORBIDDEN/);
  });
});

describe('device health: heartbeat, elevator faults, drills leave no trail (PROCEDURES.md "Device health")', () => {
  const silentTrigger = (since = T0, cause: 'silent' | 'offline' = 'silent'): Trigger => ({
    source: 'link',
    siteId: 'site-1',
    buildingId: 'bldg-a',
    deviceId: 'lift-a1',
    deviceClass: 'elevator',
    cause,
    since,
  });
  const liftEvent = (type: 'elevator.fault' | 'elevator.out_of_service', data: { code: string } | Record<string, never>) =>
    deviceTrigger('lift-a1', 'elevator', ev(type, data as never));

  it('heartbeat check: connected and quiet past the interval → silent; talking again → recovered; offline is not silent', () => {
    const d = { class: 'elevator' as const, state: 'online', lastSeenAt: T0 };
    expect(heartbeatCheck(d, T0 + 60 * SEC, 60 * SEC, false)).toBeNull();
    expect(heartbeatCheck(d, T0 + 60 * SEC + 1, 60 * SEC, false)).toBe('silent');
    expect(heartbeatCheck(d, T0 + 10 * MIN, 60 * SEC, true)).toBeNull(); // still silent: nothing new
    expect(heartbeatCheck({ ...d, lastSeenAt: T0 + 10 * MIN }, T0 + 10 * MIN + SEC, 60 * SEC, true)).toBe('talking_again');
    expect(heartbeatCheck({ ...d, state: 'lost' }, T0 + 10 * MIN, 60 * SEC, false)).toBeNull();
    // scanned at a quarter of the shortest heartbeat of the classes present
    const policy = { heartbeatMs: (c: string) => (c === 'power' ? 30 * SEC : 300 * SEC) };
    expect(heartbeatScanMs(policy, ['intercom', 'power'])).toBe(7500);
    expect(heartbeatScanMs(policy, ['intercom'])).toBe(75 * SEC);
  });

  it('a silent device opens its link fault; it talking again (online) records the recovery', () => {
    const sim = new Sim('device_fault', silentTrigger(T0 - 90 * SEC));
    expect(sim.s).toMatchObject({ dedupKey: 'lift-a1/link', data: expect.objectContaining({ cause: 'silent', since: T0 - 90 * SEC }) });
    // silent, then the link drops: the same fault, not a second one
    expect(planTrigger('device_fault', silentTrigger(T0, 'offline'), [sim.s], T0).op).toBe('decide');
    expect(routeDeviceStatus('lift-a1', 'online', [sim.s])).toHaveLength(1);
    sim.apply({ type: 'device_status', deviceId: 'lift-a1', state: 'online' });
    expect(sim.s.state).toBe('recovered');
    expect(sim.timelineOf('state_changed').at(-1)?.reason).toMatchObject({ key: 'device_fault.reason.back_online' });
  });

  it('elevator.fault opens one fault per car + code (repeats append); elevator.normal records the clearing', () => {
    const sim = new Sim('device_fault', liftEvent('elevator.fault', { code: 'E-DOOR' }));
    expect(sim.s).toMatchObject({
      dedupKey: 'lift-a1/elevator_fault/E-DOOR',
      data: expect.objectContaining({ cause: 'elevator_fault', code: 'E-DOOR' }),
    });
    const again = planTrigger('device_fault', liftEvent('elevator.fault', { code: 'E-DOOR' }), [sim.s], T0);
    expect(again).toMatchObject({ op: 'decide', incidentId: sim.s.id, input: { type: 'repeat_trigger' } });
    if (again.op === 'decide') sim.apply(again.input);
    expect(sim.timelineOf('repeat_trigger')).toHaveLength(1);
    expect(planTrigger('device_fault', liftEvent('elevator.fault', { code: 'E-OVERSPEED' }), [sim.s], T0).op).toBe('open');
    const oos = planTrigger('device_fault', liftEvent('elevator.out_of_service', {}), [sim.s], T0);
    expect(oos).toMatchObject({ op: 'open', dedupKey: 'lift-a1/out_of_service' });
    // normal operation again clears it (recorded); another car's normal does not
    const normal = (id: string) => ({
      siteId: 'site-1',
      buildingId: 'bldg-a',
      deviceId: id,
      deviceClass: 'elevator' as const,
      event: ev('elevator.normal', { floor: 1, doors: 'closed' }),
    });
    expect(routeDeviceEvent(normal('lift-a2'), [sim.s], T0).filter((p) => p.op === 'decide')).toHaveLength(0);
    const plans = routeDeviceEvent(normal('lift-a1'), [sim.s], T0).filter((p) => p.op === 'decide');
    expect(plans).toHaveLength(1);
    if (plans[0]?.op === 'decide') sim.apply(plans[0].input);
    expect(sim.s.state).toBe('recovered');
    expect(sim.timelineOf('state_changed').at(-1)?.reason).toMatchObject({ key: 'device_fault.reason.elevator_normal' });
    // recovered: the car's further normal reports are not routed to it (nor written to it)…
    expect(routeDeviceEvent(normal('lift-a1'), [sim.s], T0 + 1000).filter((p) => p.op === 'decide')).toHaveLength(0);
    // …until the fault comes back
    const back = planTrigger('device_fault', liftEvent('elevator.fault', { code: 'E-DOOR' }), [sim.s], T0 + 2000);
    if (back.op === 'decide') sim.apply(back.input);
    expect(sim.s.state).not.toBe('recovered');
    expect(routeDeviceEvent(normal('lift-a1'), [sim.s], T0 + 3000).filter((p) => p.op === 'decide')).toHaveLength(1);
  });

  it('a fault that recovers by itself and stays well closes after the settle time, unacknowledged — no trail from drills', () => {
    const sim = new Sim('device_fault', linkTrigger());
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'online' });
    expect(sim.timer('settle')).toMatchObject({ status: 'running', dueAt: T0 + 10 * MIN });
    // it drops again before settling: back open, settle cancelled
    sim.advance(5 * MIN);
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'lost' });
    expect(sim.s.state).toBe('open');
    expect(sim.timer('settle')?.status).toBe('cancelled');
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'online' });
    sim.advance(10 * MIN - 1);
    expect(sim.s.open).toBe(true);
    sim.advance(1);
    expect(sim.s).toMatchObject({ open: false, state: 'closed' });
    expect(sim.step('acknowledge')).toMatchObject({ status: 'skipped', doneBy: 'timer:settle' });
    expect(sim.step('resolve')).toMatchObject({ status: 'done', data: { auto: 'settled' } });
    expect(sim.effectsOf('duty_log').map((d) => d.key)).toContain('engine.duty.closed');
    expect(sim.s.data).toMatchObject({ recoveries: 2, recurrences: 1 });
    // one more blip soon after: recorded on the closed incident, not a new one
    const plan = planTrigger('device_fault', linkTrigger(), [sim.s], sim.now + 30 * SEC);
    expect(plan).toMatchObject({ op: 'decide', incidentId: sim.s.id });
  });

  it('an acknowledged fault is the operator’s: it does not close itself on recovery (unless configured)', () => {
    const sim = new Sim('device_fault', linkTrigger());
    sim.act(operator, 'acknowledge', {});
    sim.apply({ type: 'device_status', deviceId: PANEL, state: 'online' });
    expect(sim.timer('settle')).toBeUndefined();
    sim.advance(60 * MIN);
    expect(sim.s).toMatchObject({ open: true, state: 'recovered' });
    // acknowledging while recovered stops the settle timer, too
    const b = new Sim('device_fault', linkTrigger());
    b.apply({ type: 'device_status', deviceId: PANEL, state: 'online' });
    b.act(operator, 'acknowledge', {});
    expect(b.timer('settle')?.status).toBe('cancelled');
    b.advance(60 * MIN);
    expect(b.s.open).toBe(true);
  });
});
