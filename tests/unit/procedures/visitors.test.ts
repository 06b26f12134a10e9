import { describe, expect, it } from 'vitest';
import { maskIdNumber, visitRecord } from '../../../services/visitors/machine.js';
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
  supervisor,
  planTrigger,
  routeDeviceEvent,
} from './helpers.js';

const PANEL = 'door-a';
const RAW_ID = '110105199001011234';
const call = () => {
  const event = ev('intercom.call', { unit: '1203', visitorName: '张三' });
  return { event, sim: new Sim('visitor_approval', deviceTrigger(PANEL, 'intercom', event, { unitFloor: 12 })) };
};
const walkIn = (extra: object = {}, context: object = { doorPanelId: PANEL, unitFloor: 12 }) =>
  Sim.manual(
    'visitor_approval',
    frontdesk,
    { visitorName: '李四', idNumber: RAW_ID, idType: 'resident_id', unit: '1203', plannedMinutes: 90, ...extra },
    context,
  );

describe('ID masking (seed 002 §3.1.2)', () => {
  it('keeps first 3 + last 4 of an 18-digit ID', () => {
    expect(maskIdNumber(RAW_ID)).toBe('110***********1234');
    expect(maskIdNumber('11010519900101123x')).toBe('110***********123X');
    expect(maskIdNumber('110105 19900101 1234')).toBe('110***********1234');
  });
  it('hides at least half of shorter numbers', () => {
    expect(maskIdNumber('E12345678')).toBe('E******78');
    expect(maskIdNumber('H1234567890')).toBe('H12****7890');
    expect(maskIdNumber('12345')).toBe('****5');
    expect(maskIdNumber('')).toBe('');
  });
});

describe('visitor — intercom call', () => {
  it('opens waiting for the owner with a 60 s answer clock and registration target', () => {
    const { sim, event } = call();
    expect(sim.s).toMatchObject({ kind: 'visitor_approval', state: 'requested', severity: 20, deviceId: PANEL, dedupKey: `${PANEL}/1203` });
    expect(sim.s.data).toMatchObject({ channel: 'intercom', unit: '1203', callId: event.id, intercomId: PANEL, visitorName: '张三' });
    expect(sim.timer('owner_answer')?.dueAt).toBe(T0 + 60 * SEC);
    expect(sim.timer('registration')?.dueAt).toBe(T0 + 60 * SEC);
    expect(sim.effectsOf('notify')).toEqual([expect.objectContaining({ to: ['frontdesk'], key: 'visitor_waiting' })]);
  });

  it('owner approves from the in-unit station → unlock with corr and expiry → door confirms → opened', () => {
    const { sim, event } = call();
    sim.advance(8 * SEC);
    sim.event('station-1203', ev('intercom.owner_approved', { unit: '1203', callId: event.id }), 'intercom');
    expect(sim.s.state).toBe('approved');
    const [cmd] = sim.effectsOf('send_command');
    expect(cmd).toMatchObject({
      name: 'unlock',
      target: { deviceId: PANEL },
      data: { seconds: 5 },
      expiresAt: T0 + 18 * SEC,
      expiryMs: 10 * SEC,
    });
    expect(cmd!.corr.length).toBeLessThanOrEqual(64);
    expect(sim.s.data.approval).toEqual({
      approvedBy: 'owner:1203',
      kind: 'owner',
      recordedBy: null,
      channel: 'in_unit_station',
      at: T0 + 8 * SEC,
    });
    expect(sim.timer('owner_answer')?.status).toBe('cancelled');
    sim.apply({ type: 'command_result', corr: cmd!.corr, ok: true, deviceId: PANEL });
    expect(sim.s.state).toBe('approved');
    sim.advance(3 * SEC);
    const r = sim.event(PANEL, ev('intercom.door_opened', { corr: cmd!.corr }));
    expect(sim.s.state).toBe('opened');
    expect(sim.step('direct_visitor').data).toEqual({ unit: '1203', floor: 12 });
    expect(r.effects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'visitor_admitted', params: expect.objectContaining({ floor: 12, unit: '1203' }) }),
      ]),
    );
    expect(sim.timer('overstay')?.dueAt).toBe(T0 + 11 * SEC + 60 * MIN);
    expect(visitRecord(sim.s)).toMatchObject({
      state: 'opened',
      approvedBy: 'owner:1203',
      approvalChannel: 'in_unit_station',
      decidedAt: T0 + 8 * SEC,
      enteredAt: T0 + 11 * SEC,
      channel: 'intercom',
    });
  });

  it('owner denies → recorded and closed', () => {
    const { sim, event } = call();
    sim.event('station-1203', ev('intercom.owner_denied', { unit: '1203', callId: event.id }));
    expect(sim.s).toMatchObject({ state: 'denied', open: false });
    expect(sim.step('owner_decision').data).toMatchObject({ decision: 'denied', deniedBy: 'owner:1203', channel: 'in_unit_station' });
    expect(sim.timelineOf('denial')).toHaveLength(1);
    expect(sim.effectsOf('send_command')).toHaveLength(0);
  });

  describe('fail closed', () => {
    function approved() {
      const { sim, event } = call();
      sim.event('station-1203', ev('intercom.owner_approved', { unit: '1203', callId: event.id }));
      return { sim, corr: sim.effectsOf('send_command')[0]!.corr };
    }
    it('no door confirmation in time → failed, door stays locked, desk told', () => {
      const { sim } = approved();
      sim.advance(30 * SEC - 1);
      expect(sim.s.state).toBe('approved');
      const fired = sim.advance(1);
      expect(sim.s).toMatchObject({ state: 'failed', open: true });
      expect(sim.effectsOf('notify', fired)).toEqual([expect.objectContaining({ key: 'unlock_failed' })]);
      expect(sim.s.data.enteredAt).toBeNull();
    });
    it('a refused or expired unlock → failed at once', () => {
      const a = approved();
      a.sim.apply({ type: 'command_result', corr: a.corr, ok: false, deviceId: PANEL });
      expect(a.sim.s.state).toBe('failed');
      const b = approved();
      b.sim.apply({ type: 'command_result', corr: b.corr, ok: false, expired: true });
      expect(b.sim.s.state).toBe('failed');
      expect(b.sim.s.data.failure).toMatch(/expired/);
    });
    it('a door opening for a failed request is flagged, not treated as success; retry uses a new corr', () => {
      const { sim, corr } = approved();
      sim.advance(30 * SEC);
      sim.event(PANEL, ev('intercom.door_opened', { corr }));
      expect(sim.s.state).toBe('failed');
      expect(sim.effectsOf('flag')).toEqual([expect.objectContaining({ code: 'door_opened_unexpected' })]);
      sim.act(frontdesk, 'retry_unlock', {});
      const cmds = sim.effectsOf('send_command');
      expect(cmds).toHaveLength(2);
      expect(cmds[1]!.corr).not.toBe(corr);
      // the old corr still does not count
      sim.event(PANEL, ev('intercom.door_opened', { corr }));
      expect(sim.s.state).toBe('approved');
      sim.event(PANEL, ev('intercom.door_opened', { corr: cmds[1]!.corr }));
      expect(sim.s.state).toBe('opened');
    });
    it('a door_opened without the unlock’s correlation id is not the visitor’s entry: flagged, still waiting, fails on time', () => {
      const { sim } = approved();
      sim.advance(2 * SEC);
      const r = sim.event(PANEL, ev('intercom.door_opened', {}));
      expect(sim.s.state).toBe('approved');
      expect(sim.s.data.enteredAt).toBeNull();
      expect(sim.step('unlock').status).toBe('pending');
      expect(sim.effectsOf('flag', r.effects)).toEqual([expect.objectContaining({ code: 'door_opened_uncorrelated', deviceId: PANEL })]);
      expect(sim.timelineOf('hint').at(-1)).toMatchObject({
        data: { hint: 'door_opened_uncorrelated' },
        reason: { key: 'visitor_approval.reason.door_opened_uncorrelated' },
      });
      expect(sim.timer('unlock_confirm')?.status).toBe('running');
      // no confirmation with the id in time → failed (door stays locked), as without any event
      sim.advance(28 * SEC);
      expect(sim.s.state).toBe('failed');
      // the correlated confirmation still counts when it does come in time
      const b = approved();
      b.sim.event(PANEL, ev('intercom.door_opened', {}));
      b.sim.event(PANEL, ev('intercom.door_opened', { corr: b.corr }));
      expect(b.sim.s.state).toBe('opened');
      expect(b.sim.step('unlock').data).toMatchObject({ how: 'panel_confirmed', corr: b.corr });
    });
    it('after a failure the desk may escort the visitor in, recorded with a note', () => {
      const { sim } = approved();
      sim.advance(31 * SEC);
      expectErr(sim.tryAct(frontdesk, 'admit_in_person', {}), 'HUB_ERR_BAD_REQUEST');
      sim.act(frontdesk, 'admit_in_person', { notes: '门禁故障,前台陪同上楼' });
      expect(sim.s.state).toBe('opened');
    });
  });

  describe('owner unreachable', () => {
    it('after 60 s: keep trying / alternative contact / leave a message, each recorded', () => {
      const { sim } = call();
      expect(sim.advance(60 * SEC - 1)).toHaveLength(0);
      const fired = sim.advance(1);
      expect(sim.s.state).toBe('unreachable');
      expect(sim.effectsOf('notify', fired).map((n) => n.key)).toContain('owner_unreachable');
      sim.act(frontdesk, 'keep_trying', { method: 'phone' });
      expect(sim.s.state).toBe('requested');
      expect(sim.timer('owner_answer')?.dueAt).toBe(sim.now + 60 * SEC);
      sim.advance(60 * SEC);
      sim.act(frontdesk, 'try_alternative_contact', { source: 'owner_file', notes: '业主档案紧急联系人' });
      sim.advance(60 * SEC);
      expect(sim.s.state).toBe('unreachable');
      sim.act(frontdesk, 'leave_message', { message: '张三来访,请回电' });
      expect(sim.s).toMatchObject({ state: 'message_left', open: false });
      expect((sim.s.data.unreachableOutcomes as { choice: string }[]).map((o) => o.choice)).toEqual([
        'keep_trying',
        'alt_contact',
        'leave_message',
      ]);
      expect((sim.s.data.contactAttempts as unknown[]).length).toBe(3);
    });
    it('the answer time is configurable', () => {
      const sim = new Sim('visitor_approval', deviceTrigger(PANEL, 'intercom', ev('intercom.call', { unit: '1203' })), T0, {
        ownerAnswerMs: 90_000,
      });
      sim.advance(60 * SEC);
      expect(sim.s.state).toBe('requested');
      sim.advance(30 * SEC);
      expect(sim.s.state).toBe('unreachable');
    });
    it('a second answer from the owner’s station after the decision is flagged, not applied', () => {
      const { sim, event } = call();
      sim.event('station-1203', ev('intercom.owner_approved', { unit: '1203', callId: event.id }));
      sim.event('station-1203', ev('intercom.owner_denied', { unit: '1203', callId: event.id }));
      expect(sim.s.state).toBe('approved');
      expect(sim.effectsOf('flag').map((f) => f.code)).toEqual(['late_owner_response']);
    });
    it('once the visit is closed (visitor gave up), events are refused', () => {
      const { sim, event } = call();
      sim.advance(60 * SEC);
      sim.act(frontdesk, 'cancel', { reason: '访客离开' });
      expect(sim.s).toMatchObject({ open: false, state: 'cancelled' });
      expectErr(
        sim.try({
          type: 'device_event',
          deviceId: 'station-1203',
          event: ev('intercom.owner_approved', { unit: '1203', callId: event.id }),
        }),
        'HUB_ERR_CONFLICT',
        /closed/,
      );
    });
  });

  it('repeated calls for the same unit merge while waiting; once admitted a new call is a new visit', () => {
    const { sim, event } = call();
    const again = deviceTrigger(PANEL, 'intercom', ev('intercom.call', { unit: '1203' }));
    expect(planTrigger('visitor_approval', again, [sim.s], T0).op).toBe('decide');
    sim.event('station-1203', ev('intercom.owner_approved', { unit: '1203', callId: event.id }));
    expect(planTrigger('visitor_approval', again, [sim.s], T0).op).toBe('open');
  });

  it('routes the owner’s answer by call id and the door confirmation by corr', () => {
    const { sim, event } = call();
    const src = (deviceId: string, e: ReturnType<typeof ev>) => ({
      siteId: 'site-1',
      buildingId: 'bldg-a',
      deviceId,
      deviceClass: 'intercom' as const,
      event: e,
    });
    expect(
      routeDeviceEvent(src('station-1203', ev('intercom.owner_approved', { unit: '1203', callId: event.id })), [sim.s], T0),
    ).toHaveLength(1);
    expect(
      routeDeviceEvent(src('station-1203', ev('intercom.owner_approved', { unit: '1203', callId: 'other-call' })), [sim.s], T0),
    ).toHaveLength(0);
    sim.event('station-1203', ev('intercom.owner_approved', { unit: '1203', callId: event.id }));
    const corr = sim.effectsOf('send_command')[0]!.corr;
    expect(routeDeviceEvent(src(PANEL, ev('intercom.door_opened', { corr })), [sim.s], T0)).toHaveLength(1);
    expect(routeDeviceEvent(src(PANEL, ev('intercom.door_opened', { corr: 'nope' })), [sim.s], T0)).toHaveLength(0);
  });
});

describe('visitor — walk-in registration', () => {
  it('stores the ID masked only; the raw number appears nowhere', () => {
    const sim = walkIn();
    expect(sim.s.data).toMatchObject({ channel: 'walk_in', idMasked: '110***********1234', plannedMinutes: 90, visitorName: '李四' });
    expect(sim.step('register')).toMatchObject({ status: 'done', doneBy: 'user:fd-1' });
    const everything = JSON.stringify([sim.s, sim.timeline, sim.effects]);
    expect(everything).not.toContain(RAW_ID);
    expect(everything).not.toContain('19900101');
  });

  it('registration slower than 60 s is flagged (seed 001 §一)', () => {
    const fast = walkIn({ startedAt: T0 - 45 * SEC });
    expect(fast.effectsOf('flag')).toHaveLength(0);
    const slow = walkIn({ startedAt: T0 - 75 * SEC });
    expect(slow.effectsOf('flag')).toEqual([expect.objectContaining({ code: 'registration_slow', params: { tookMs: 75_000 } })]);
  });

  it('only the front desk (or supervisor/admin) registers; planned duration is required', () => {
    expect(() => Sim.manual('visitor_approval', operator, { visitorName: 'x', unit: '1', plannedMinutes: 30 })).toThrow(/FORBIDDEN/);
    expect(() => Sim.manual('visitor_approval', frontdesk, { visitorName: 'x', unit: '1' })).toThrow(/BAD_REQUEST/);
    expect(() =>
      Sim.manual('visitor_approval', frontdesk, { visitorName: 'x', unit: '1', plannedMinutes: 30, idNumber: '110<script>' }),
    ).toThrow(/BAD_REQUEST/);
  });

  it('front desk phones the owner and records the approval: who, when, channel', () => {
    const sim = walkIn();
    expect(sim.timer('owner_answer')).toBeUndefined();
    expectErr(sim.tryAct(operator, 'contact_owner', { method: 'phone' }), 'HUB_ERR_FORBIDDEN');
    sim.act(frontdesk, 'contact_owner', { method: 'phone' });
    expect(sim.timer('owner_answer')?.dueAt).toBe(T0 + 60 * SEC);
    sim.advance(20 * SEC);
    expectErr(sim.tryAct(frontdesk, 'record_owner_decision', { decision: 'maybe', channel: 'phone' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(frontdesk, 'record_owner_decision', { decision: 'approved', channel: 'phone' });
    expect(sim.s.data.approval).toEqual({
      approvedBy: 'owner:1203',
      kind: 'owner',
      recordedBy: 'user:fd-1',
      channel: 'phone',
      at: T0 + 20 * SEC,
    });
    expect(sim.effectsOf('send_command')).toHaveLength(1);
    expectErr(sim.tryAct(frontdesk, 'record_owner_decision', { decision: 'denied', channel: 'phone' }), 'HUB_ERR_CONFLICT');
  });

  it('without a door panel the approved visitor is shown in directly', () => {
    const sim = walkIn({}, { unitFloor: 12 });
    sim.act(frontdesk, 'contact_owner', { method: 'intercom' });
    sim.act(frontdesk, 'record_owner_decision', { decision: 'approved', channel: 'intercom' });
    expect(sim.s.state).toBe('opened');
    expect(sim.effectsOf('send_command')).toHaveLength(0);
  });

  it('after the owner decided, registration cannot move the visit to another unit', () => {
    const sim = walkIn();
    sim.act(frontdesk, 'contact_owner', { method: 'phone' });
    sim.act(frontdesk, 'record_owner_decision', { decision: 'approved', channel: 'phone' });
    expectErr(
      sim.tryAct(frontdesk, 'register', { visitorName: '李四', unit: '0801', plannedMinutes: 30 }),
      'HUB_ERR_CONFLICT',
      /new visit/,
    );
    sim.act(frontdesk, 'register', { visitorName: '李四', unit: '1203', plannedMinutes: 45 });
    expect(sim.s.data.plannedMinutes).toBe(45);
  });

  it('the owner refusing by phone closes it as denied', () => {
    const sim = walkIn();
    sim.act(frontdesk, 'contact_owner', { method: 'phone' });
    sim.act(frontdesk, 'record_owner_decision', { decision: 'denied', channel: 'phone', notes: '业主不认识此人' });
    expect(sim.s).toMatchObject({ state: 'denied', open: false });
    expect(visitRecord(sim.s)).toMatchObject({ state: 'denied', approvedBy: null, approvalChannel: 'phone' });
  });
});

describe('visitor — pre-authorised', () => {
  const preAuth = { preAuthId: 'pa-7', unit: '1203', visitorName: '李四', validFrom: T0 - 60 * MIN, validTo: T0 + 120 * MIN };

  it('approved without calling, attributed to the owner’s pre-authorisation', () => {
    const sim = walkIn();
    sim.act(frontdesk, 'approve_preauthorized', { ...preAuth, idVerified: true });
    expect(sim.s.data.approval).toMatchObject({
      approvedBy: 'preauth:pa-7',
      kind: 'preauthorization',
      recordedBy: 'user:fd-1',
      channel: 'preauthorization',
    });
    expect(sim.step('contact_owner').status).toBe('skipped');
    expect(visitRecord(sim.s)).toMatchObject({ channel: 'preauthorized', preAuthId: 'pa-7', approvedBy: 'preauth:pa-7' });
  });

  it('refused outside the window, for another name or unit, or without identity verification', () => {
    const sim = walkIn();
    expectErr(
      sim.tryAct(frontdesk, 'approve_preauthorized', { ...preAuth, validTo: T0 - MIN, idVerified: true }),
      'HUB_ERR_CONFLICT',
      /window/,
    );
    expectErr(
      sim.tryAct(frontdesk, 'approve_preauthorized', { ...preAuth, visitorName: '王五', idVerified: true }),
      'HUB_ERR_CONFLICT',
      /name/,
    );
    expectErr(sim.tryAct(frontdesk, 'approve_preauthorized', { ...preAuth, unit: '0801', idVerified: true }), 'HUB_ERR_CONFLICT', /unit/);
    expectErr(sim.tryAct(frontdesk, 'approve_preauthorized', { ...preAuth, idVerified: false }), 'HUB_ERR_BAD_REQUEST');
  });

  it('can be approved directly at registration', () => {
    const sim = walkIn({ preAuth: { ...preAuth, idVerified: true } });
    expect(sim.s.state).toBe('approved');
    expect(sim.s.data.approval).toMatchObject({ approvedBy: 'preauth:pa-7' });
  });
});

describe('visitor — overstay and departure', () => {
  function inside() {
    const sim = walkIn({ plannedMinutes: 30 });
    sim.act(frontdesk, 'contact_owner', { method: 'phone' });
    sim.act(frontdesk, 'record_owner_decision', { decision: 'approved', channel: 'phone' });
    sim.event(PANEL, ev('intercom.door_opened', { corr: sim.effectsOf('send_command')[0]!.corr }));
    return sim;
  }

  it('a visitor past the registered duration raises a repeating reminder to the front desk', () => {
    const sim = inside();
    expect(sim.advance(30 * MIN - 1).filter((e) => e.type === 'notify')).toHaveLength(0);
    const fired = sim.advance(1 + 60 * MIN);
    expect(
      sim
        .effectsOf('notify', fired)
        .filter((n) => n.key === 'visitor_overstay')
        .map((n) => n.to),
    ).toEqual([['frontdesk'], ['frontdesk'], ['frontdesk']]);
  });

  it('an extension (registered via the owner) moves the reminder; departure closes the visit', () => {
    const sim = inside();
    expectErr(sim.tryAct(frontdesk, 'extend_visit', { minutes: 30 }), 'HUB_ERR_BAD_REQUEST');
    sim.act(frontdesk, 'extend_visit', { minutes: 30, notes: '业主来电延长' });
    expect(sim.advance(59 * MIN).filter((e) => e.type === 'notify')).toHaveLength(0);
    sim.act(frontdesk, 'record_departure', {});
    expect(sim.s).toMatchObject({ state: 'left', open: false });
    expect(sim.step('departure').data).toMatchObject({ stayedMinutes: 59, overstayed: false });
    expect(visitRecord(sim.s).leftAt).toBe(sim.now);
  });

  it('a supervisor may stand in for the front desk; the operator may not', () => {
    const sim = inside();
    expectErr(sim.tryAct(operator, 'record_departure', {}), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'record_departure', {});
    expect(sim.s.open).toBe(false);
  });
});
