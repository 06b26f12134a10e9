import { describe, expect, it } from 'vitest';
import { type Effect } from '../../../services/core/procedure/index.js';
import { NOTICE_MS, PLANNED_OUTAGE_SEVERITY, plannedOutageCovering, validatePlannedOutage } from '../../../services/power/machine.js';
import {
  Sim,
  T0,
  SEC,
  MIN,
  HOUR,
  deviceTrigger,
  ev,
  expectErr,
  frontdesk,
  must,
  operator,
  supervisor,
  admin,
  decide,
  open,
  planTrigger,
  routeDeviceEvent,
} from './helpers.js';

const METER = 'meter-a';
const lost = (context: object = { feederBuildings: ['bldg-b'], lobbyFloor: 1 }) =>
  deviceTrigger(METER, 'power', ev('power.mains_lost', { feeder: 'F3', floors: [1, 2, 3] }), context);
const openOutage = (context?: object) => new Sim('power_outage', lost(context));

const sweep = {
  cars: [
    { deviceId: 'lift-a1', car: 'A1', floor: 5, atLevel: true },
    { deviceId: 'lift-a2', car: 'A2', floor: 8, atLevel: false, passengers: 2 },
    { deviceId: 'lift-a3', car: 'A3', floor: 1, atLevel: true },
    { deviceId: 'lift-b1', buildingId: 'bldg-b', car: 'B1', floor: 3, atLevel: true, entrapment: true },
    { deviceId: 'lift-b2', buildingId: 'bldg-b', car: 'B2', floor: 9, atLevel: true },
  ],
};

describe('power outage — opening and standby power', () => {
  it('opens as an emergency: scope from the feeder, 10 s standby timer, elevator sweep requested', () => {
    const sim = openOutage();
    expect(sim.s).toMatchObject({ kind: 'power_outage', state: 'awaiting_ack', severity: 60, dedupKey: 'bldg-a/F3' });
    expect(sim.s.data.scope).toEqual({ buildingIds: ['bldg-a', 'bldg-b'], floors: [1, 2, 3] });
    expect(sim.timer('standby_power')).toMatchObject({ dueAt: T0 + 10 * SEC, status: 'running' });
    expect(sim.effectsOf('query')).toEqual([
      expect.objectContaining({
        incidentId: sim.s.id,
        name: 'elevator_sweep',
        params: { buildingIds: ['bldg-a', 'bldg-b'], staleMs: 120 * SEC },
        answer: 'record_elevator_sweep',
      }),
    ]);
  });

  it('ATS transfer within 10 s completes standby power, no escalation', () => {
    const sim = openOutage();
    sim.advance(4 * SEC);
    sim.event(METER, ev('power.ats_transferred', {}), 'power');
    expect(sim.step('standby_power')).toMatchObject({ status: 'done', data: { source: 'ats', afterMs: 4000 } });
    expect(sim.advance(MIN).filter((e) => e.type === 'escalate')).toHaveLength(0);
  });

  it('no ATS/generator in 10 s → escalated as generator failure', () => {
    const sim = openOutage();
    expect(sim.advance(10 * SEC - 1)).toHaveLength(0);
    const fired = sim.advance(1);
    expect(sim.effectsOf('escalate', fired)).toEqual([expect.objectContaining({ reason: 'generator_failure' })]);
    expect(sim.effectsOf('flag', fired).map((f) => f.code)).toEqual(['generator_failure']);
  });

  it('power.generator_failed escalates at once, and only once', () => {
    const sim = openOutage();
    sim.event(METER, ev('power.generator_failed', {}));
    sim.advance(30 * SEC);
    expect(sim.effectsOf('escalate').filter((e) => e.reason === 'generator_failure')).toHaveLength(1);
  });

  it('repeated mains_lost from the same feeder is merged (floors added)', () => {
    const sim = openOutage();
    const again = deviceTrigger(METER, 'power', ev('power.mains_lost', { feeder: 'F3', floors: [4] }));
    const plan = planTrigger('power_outage', again, [sim.s], T0);
    expect(plan.op).toBe('decide');
    if (plan.op === 'decide') sim.apply(plan.input);
    expect((sim.s.data.scope as { floors: number[] }).floors).toEqual([1, 2, 3, 4]);
    expect(planTrigger('power_outage', deviceTrigger(METER, 'power', ev('power.mains_lost', { feeder: 'F4' })), [sim.s], T0).op).toBe(
      'open',
    );
  });

  it('the front desk cannot run the control-room steps but may record the resident notice', () => {
    const sim = openOutage();
    expectErr(sim.tryAct(frontdesk, 'acknowledge', {}), 'HUB_ERR_FORBIDDEN');
    sim.act(frontdesk, 'record_resident_notice', { channel: 'notice_board' });
    expectErr(sim.tryAct(operator, 'record_resident_notice', { channel: 'pigeon' }), 'HUB_ERR_CONFLICT');
  });
});

describe('power outage — elevator sweep and lobby return', () => {
  it('a car that is offline or stale is not trusted: no lobby recall, no entrapment from its telemetry, flagged for an in-person check', () => {
    const sim = openOutage();
    sim.event(METER, ev('power.generator_started', {}));
    // the stale car claims to be out of level with passengers: that report is ignored, too
    const r = sim.apply({
      type: 'system',
      action: 'record_elevator_sweep',
      payload: {
        cars: [
          { deviceId: 'lift-a1', car: 'A1', floor: 5, atLevel: true },
          { deviceId: 'lift-a2', car: 'A2', floor: 8, atLevel: true, unknown: 'offline', lastSeenAt: T0 - 5 * MIN },
          { deviceId: 'lift-a3', car: 'A3', floor: 3, atLevel: false, passengers: 2, unknown: 'stale' },
          { deviceId: 'lift-a4', car: 'A4', atLevel: false, entrapment: true, unknown: 'offline' },
        ],
      },
    });
    expect(sim.effectsOf('send_command', r.effects).map((c) => c.target)).toEqual([{ deviceId: 'lift-a1' }]);
    // only the car with an open entrapment incident is linked; no entrapment guessed from stale data
    expect(sim.effectsOf('open_linked_incident', r.effects).map((l) => [l.dedupKey, l.trigger])).toEqual([
      ['lift-a4', expect.objectContaining({ deviceId: 'lift-a4' })],
    ]);
    expect(sim.effectsOf('flag', r.effects).map((f) => [f.code, f.deviceId])).toEqual([
      ['sweep_car_unknown', 'lift-a2'],
      ['sweep_car_unknown', 'lift-a3'],
    ]);
    expect(sim.step('elevator_sweep').data).toMatchObject({
      checked: 4,
      stuck: ['lift-a4'],
      unknown: [
        { deviceId: 'lift-a2', why: 'offline' },
        { deviceId: 'lift-a3', why: 'stale' },
        { deviceId: 'lift-a4', why: 'offline' },
      ],
    });
    // the telemetry of an unknown car is dropped from the record (floor, passengers)
    const cars = (sim.s.data.sweep as { cars: Record<string, unknown>[] }).cars;
    expect(cars.find((c) => c.deviceId === 'lift-a3')).toEqual({ deviceId: 'lift-a3', car: 'A3', atLevel: false, unknown: 'stale' });
    const hints = sim.timeline.filter((e) => e.type === 'hint' && e.data.hint === 'check_car_in_person');
    expect(hints.map((h) => h.data.deviceId)).toEqual(['lift-a2', 'lift-a3']);
    expect(hints[0]!.reason).toMatchObject({ key: 'power_outage.reason.car_unknown' });
  });

  it('stuck or entrapped cars open entrapments linked to the outage; others return to the lobby one at a time', () => {
    const sim = openOutage();
    sim.event(METER, ev('power.generator_started', {}));
    const r = sim.apply({ type: 'system', action: 'record_elevator_sweep', payload: sweep });
    const links = sim.effectsOf('open_linked_incident', r.effects);
    expect(links.map((l) => [l.kind, l.dedupKey, l.parentId])).toEqual([
      ['elevator_entrapment', 'lift-a2', sim.s.id],
      ['elevator_entrapment', 'lift-b1', sim.s.id],
    ]);
    expect(links[1]!.trigger).toMatchObject({ source: 'linked', buildingId: 'bldg-b', deviceId: 'lift-b1', parentKind: 'power_outage' });
    expect(sim.step('elevator_sweep')).toMatchObject({
      status: 'done',
      doneBy: 'system',
      data: { checked: 5, stuck: ['lift-a2', 'lift-b1'] },
    });
    // one car at a time, every free car — A3 too, though the sweep saw it at the lobby: that
    // floor is its last report and may be stale; a car already there confirms at once
    let cmds = sim.effectsOf('send_command');
    expect(cmds.map((c) => c.target)).toEqual([{ deviceId: 'lift-a1' }]);
    expect(cmds[0]).toMatchObject({ name: 'recall', data: { floor: 1 } });
    sim.advance(20 * SEC);
    sim.event('lift-a1', ev('elevator.recalled', { floor: 1 }), 'elevator');
    cmds = sim.effectsOf('send_command');
    expect(cmds.map((c) => c.target)).toEqual([{ deviceId: 'lift-a1' }, { deviceId: 'lift-a3' }]);
    sim.apply({ type: 'command_result', corr: cmds[1]!.corr, ok: true, deviceId: 'lift-a3' });
    cmds = sim.effectsOf('send_command');
    expect(cmds.map((c) => c.target)).toEqual([{ deviceId: 'lift-a1' }, { deviceId: 'lift-a3' }, { deviceId: 'lift-b2' }]);
    // B2 never answers: flagged after 60 s, then the queue is empty
    const fired = sim.advance(60 * SEC);
    expect(sim.effectsOf('flag', fired)).toEqual([expect.objectContaining({ code: 'lobby_return_unconfirmed', deviceId: 'lift-b2' })]);
    expect(sim.step('lobby_return').status).toBe('done');
    expect((sim.s.data.lobby as { done: { deviceId: string; result: string }[] }).done.map((x) => [x.deviceId, x.result])).toEqual([
      ['lift-a1', 'confirmed'],
      ['lift-a3', 'confirmed'],
      ['lift-b2', 'unconfirmed'],
    ]);
  });

  it('no lobby return before standby power; a refused recall moves on to the next car', () => {
    const sim = openOutage();
    sim.act(operator, 'record_elevator_sweep', sweep);
    expect(sim.effectsOf('send_command')).toHaveLength(0);
    sim.event(METER, ev('power.ats_transferred', {}));
    const [first] = sim.effectsOf('send_command');
    expect(first!.target).toEqual({ deviceId: 'lift-a1' });
    sim.apply({ type: 'command_result', corr: first!.corr, ok: false, deviceId: 'lift-a1' });
    expect(sim.effectsOf('flag').map((f) => [f.code, f.deviceId])).toEqual([['recall_failed', 'lift-a1']]);
    expect(sim.effectsOf('send_command').map((c) => c.target)).toEqual([{ deviceId: 'lift-a1' }, { deviceId: 'lift-a3' }]);
  });

  it('the linked-incident effect opens an entrapment under the outage; an already-open one is linked, not duplicated', () => {
    const sim = openOutage();
    sim.event(METER, ev('power.ats_transferred', {}));
    sim.apply({ type: 'system', action: 'record_elevator_sweep', payload: sweep });
    const link = sim.effectsOf('open_linked_incident')[0]!;
    const child = must(open(link.kind, link.trigger, sim.now, { id: 'child-1', parentId: link.parentId }));
    expect(child.next).toMatchObject({
      kind: 'elevator_entrapment',
      parentId: sim.s.id,
      deviceId: 'lift-a2',
      dedupKey: 'lift-a2',
      floor: 8,
      state: 'awaiting_ack',
    });
    expect(child.next.data).toMatchObject({ source: 'linked', reportedPassengers: 2, linkReason: 'sweep_out_of_level' });
    // the car had already reported an entrapment by itself: dedup into it and set the parent
    const existing = must(
      open('elevator_entrapment', deviceTrigger('lift-a2', 'elevator', ev('elevator.entrapment', { car: 'A2', floor: 8 })), T0, {
        id: 'own-1',
      }),
    ).next;
    const plan = planTrigger('elevator_entrapment', link.trigger, [existing], sim.now, link.parentId);
    expect(plan).toMatchObject({ op: 'decide', incidentId: 'own-1' });
    if (plan.op !== 'decide') throw new Error('unreachable');
    const linked = must(decide(existing, plan.input, sim.now));
    expect(linked.next.parentId).toBe(sim.s.id);
  });

  it('an entrapment reported by a car in scope opens linked to the outage and is excluded from the lobby return', () => {
    const sim = openOutage();
    const src = {
      siteId: 'site-1',
      buildingId: 'bldg-b',
      deviceId: 'lift-b2',
      deviceClass: 'elevator' as const,
      event: ev('elevator.entrapment', { car: 'B2', floor: 9 }),
    };
    const plans = routeDeviceEvent(src, [sim.s], T0);
    expect(plans).toEqual([
      expect.objectContaining({ op: 'open', kind: 'elevator_entrapment', dedupKey: 'lift-b2', parentId: sim.s.id }),
      expect.objectContaining({ op: 'decide', incidentId: sim.s.id }),
    ]);
    const feed = plans[1]!;
    if (feed.op === 'decide') sim.apply(feed.input);
    sim.event(METER, ev('power.ats_transferred', {}));
    sim.act(operator, 'record_elevator_sweep', { cars: [{ deviceId: 'lift-b2', floor: 9, atLevel: true }] });
    // already linked: no second entrapment, no recall of that car
    expect(sim.effectsOf('open_linked_incident')).toHaveLength(0);
    expect(sim.effectsOf('send_command')).toHaveLength(0);
    // a car outside the outage's scope is not adopted
    expect(routeDeviceEvent({ ...src, buildingId: 'bldg-z' }, [sim.s], T0)).toEqual([
      expect.objectContaining({ op: 'open', parentId: null }),
    ]);
  });
});

describe('power outage — restoration and close', () => {
  function worked(sim: Sim) {
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'confirm_scope', { buildingIds: ['bldg-a', 'bldg-b'], floors: [1, 2, 3] });
    sim.event(METER, ev('power.ats_transferred', {}));
    sim.act(operator, 'record_elevator_sweep', { cars: [] });
    expectErr(sim.tryAct(operator, 'record_utility_contact', { party: 'utility' }), 'HUB_ERR_BAD_REQUEST', /reference/);
    sim.act(operator, 'record_utility_contact', { party: 'utility', reference: '95598-20250106-001' });
    sim.act(frontdesk, 'record_resident_notice', { channel: 'sms' });
  }

  it('mains_restored → verify → close, with a special report', () => {
    const sim = openOutage();
    worked(sim);
    sim.act(operator, 'confirm_emergency_lighting', {});
    expectErr(sim.tryAct(operator, 'verify_restoration', { systemsOk: true, elevatorsInService: true }), 'HUB_ERR_CONFLICT', /active/);
    sim.advance(40 * MIN);
    const r = sim.event(METER, ev('power.mains_restored', { feeder: 'F3' }));
    expect(sim.s.state).toBe('restored');
    expect(r.effects).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'notify', key: 'verify_restoration' })]));
    expectErr(sim.tryAct(operator, 'verify_restoration', { systemsOk: false, elevatorsInService: true }), 'HUB_ERR_BAD_REQUEST');
    const v = sim.act(operator, 'verify_restoration', { systemsOk: true, elevatorsInService: true });
    expect(sim.s).toMatchObject({ state: 'closed', open: false });
    expect(v.effects.map((e) => e.type)).toEqual(expect.arrayContaining(['duty_log', 'special_report']));
  });

  it('verification with steps still open keeps it restored until they are done', () => {
    const sim = openOutage();
    worked(sim);
    sim.event(METER, ev('power.mains_restored', { feeder: 'F3' }));
    sim.act(operator, 'verify_restoration', { systemsOk: true, elevatorsInService: true });
    expect(sim.s.state).toBe('restored');
    expect(sim.timelineOf('hint').at(-1)?.data).toMatchObject({ steps: ['emergency_lighting'] });
    expectErr(sim.tryAct(operator, 'close', {}), 'HUB_ERR_CONFLICT', /emergency_lighting/);
    sim.act(supervisor, 'skip_step', { step: 'emergency_lighting', reason: '白天停电,来电前未需要' });
    sim.act(operator, 'close', {});
    expect(sim.s.open).toBe(false);
  });

  it('mains restored on another feeder is not routed to this outage', () => {
    const sim = openOutage();
    const src = { siteId: 'site-1', buildingId: 'bldg-a', deviceId: METER, deviceClass: 'power' as const };
    expect(routeDeviceEvent({ ...src, event: ev('power.mains_restored', { feeder: 'F9' }) }, [sim.s], T0)).toEqual([]);
    expect(routeDeviceEvent({ ...src, event: ev('power.mains_restored', { feeder: 'F3' }) }, [sim.s], T0)).toHaveLength(1);
  });
});

describe('planned outages (计划停电)', () => {
  const base = { buildingId: 'bldg-a', feeder: 'F3', reason: '配电柜检修' };
  const at = (h: number) => ({ ...base, startsAt: T0 + h * HOUR, endsAt: T0 + (h + 4) * HOUR });

  it('needs ≥ 48 h notice; shorter is refused', () => {
    expect(validatePlannedOutage(at(48), frontdesk, T0)).toMatchObject({
      ok: true,
      value: { requiredNoticeMs: NOTICE_MS.standard, flags: [] },
    });
    const r = validatePlannedOutage(at(47), frontdesk, T0);
    expect(r).toMatchObject({ ok: false, code: 'HUB_ERR_BAD_REQUEST' });
    if (!r.ok) expect(r.message).toMatch(/48 h/);
  });

  it('needs ≥ 72 h when residents must prepare', () => {
    expect(validatePlannedOutage({ ...at(71), residentsMustPrepare: true }, operator, T0)).toMatchObject({
      ok: false,
      code: 'HUB_ERR_BAD_REQUEST',
    });
    expect(validatePlannedOutage({ ...at(72), residentsMustPrepare: true }, operator, T0)).toMatchObject({
      ok: true,
      value: { requiredNoticeMs: 72 * HOUR },
    });
  });

  it('counts from when the notice is posted, not from registration', () => {
    expect(validatePlannedOutage({ ...at(60), noticeAt: T0 + 20 * HOUR }, operator, T0)).toMatchObject({ ok: false });
    expect(validatePlannedOutage({ ...at(60), noticeAt: T0 - 10 * HOUR }, operator, T0)).toMatchObject({
      ok: true,
      value: { noticeMs: 70 * HOUR },
    });
  });

  it('short notice only by a supervisor, explicitly, with a reason — and flagged', () => {
    expect(validatePlannedOutage({ ...at(24), acceptShortNotice: true, shortNoticeReason: '供电局临时通知' }, operator, T0)).toMatchObject({
      ok: false,
      code: 'HUB_ERR_FORBIDDEN',
    });
    expect(validatePlannedOutage({ ...at(24), acceptShortNotice: true }, supervisor, T0)).toMatchObject({
      ok: false,
      code: 'HUB_ERR_BAD_REQUEST',
    });
    expect(
      validatePlannedOutage({ ...at(24), acceptShortNotice: true, shortNoticeReason: '供电局临时通知' }, supervisor, T0),
    ).toMatchObject({
      ok: true,
      value: { flags: ['short_notice'], createdBy: 'user:sup-1' },
    });
  });

  it('refuses bad windows', () => {
    expect(validatePlannedOutage({ ...base, startsAt: T0 + 50 * HOUR, endsAt: T0 + 50 * HOUR }, admin, T0)).toMatchObject({
      ok: false,
      code: 'HUB_ERR_BAD_REQUEST',
    });
    expect(validatePlannedOutage({ ...base, startsAt: T0 - HOUR, endsAt: T0 + HOUR }, admin, T0)).toMatchObject({
      ok: false,
      code: 'HUB_ERR_BAD_REQUEST',
    });
    expect(validatePlannedOutage({ ...at(50), noticeAt: T0 + 51 * HOUR }, admin, T0)).toMatchObject({
      ok: false,
      code: 'HUB_ERR_BAD_REQUEST',
    });
    expect(validatePlannedOutage({ ...at(50), reason: '' }, admin, T0)).toMatchObject({ ok: false, code: 'HUB_ERR_BAD_REQUEST' });
  });

  const window = { id: 'po-1', buildingId: 'bldg-a', feeder: 'F3', startsAt: T0 - HOUR, endsAt: T0 + 3 * HOUR };

  it('matches only live, uncancelled windows of the same building and feeder', () => {
    expect(plannedOutageCovering([window], 'bldg-a', 'F3', T0)?.id).toBe('po-1');
    expect(plannedOutageCovering([window], 'bldg-a', 'F4', T0)).toBeNull();
    expect(plannedOutageCovering([window], 'bldg-b', 'F3', T0)).toBeNull();
    expect(plannedOutageCovering([window], 'bldg-a', 'F3', T0 + 4 * HOUR)).toBeNull();
    expect(plannedOutageCovering([{ ...window, cancelled: true }], 'bldg-a', 'F3', T0)).toBeNull();
    expect(plannedOutageCovering([{ ...window, feeder: null }], 'bldg-a', 'F7', T0)?.id).toBe('po-1');
  });

  it('a mains loss inside a registered window is a low-severity record, not an emergency; it closes when power returns', () => {
    const sim = openOutage({ plannedOutages: [window] });
    expect(sim.s).toMatchObject({ state: 'planned_in_progress', severity: PLANNED_OUTAGE_SEVERITY });
    expect(sim.timer('standby_power')).toBeUndefined();
    expect(sim.effectsOf('query')).toHaveLength(0);
    expect(sim.advance(MIN).filter((e: Effect) => e.type === 'escalate')).toHaveLength(0);
    sim.event(METER, ev('power.mains_restored', { feeder: 'F3' }));
    expect(sim.s).toMatchObject({ open: false, state: 'closed' });
    expect(sim.effectsOf('special_report')).toHaveLength(0);
  });

  it('a planned outage that overruns its window becomes an emergency', () => {
    const sim = openOutage({ plannedOutages: [window] });
    const fired = sim.advance(3 * HOUR);
    expect(sim.effectsOf('escalate', fired)).toEqual([expect.objectContaining({ reason: 'planned_outage_overrun' })]);
    expect(sim.s).toMatchObject({ state: 'awaiting_ack', severity: 60 });
    expect(sim.timer('standby_power')?.status).toBe('running');
    expect(sim.step('contact_utility').required).toBe(true);
    expect(sim.effectsOf('query', fired)).toHaveLength(1);
  });

  it('a window for another feeder does not hide an emergency', () => {
    const sim = openOutage({ plannedOutages: [{ ...window, feeder: 'F9' }] });
    expect(sim.s.state).toBe('awaiting_ack');
  });
});
