// Issue 14's pure logic with a fake clock: snooze (never for life-safety kinds; ends by its own
// stored timer at the limit; the longest snooze is the procedure's setting) and the history's
// text matching and CSV.
import { describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from '../../contracts/domain.js';
import type { HistoryRow } from '../../contracts/incidents.js';
import { snoozable, snoozedUntil } from '../../services/core/procedure/index.js';
import { historyCsv, kindsNamed, likePattern, numberIn } from '../../services/incidents/history.js';
import { allowedActions, engine, expectErr, HOUR, MIN, operator, registry, Sim, supervisor, frontdesk } from './procedures/helpers.js';

const faultSim = (config?: Record<string, unknown>) =>
  Sim.manual('device_fault', operator, { deviceId: 'panel-1', description: '主机掉线' }, undefined, config);

describe('snooze', () => {
  it('never applies to a life-safety kind (PROCEDURES.md §1, §2, §5, §6): only device faults opt in', () => {
    const allowed = INCIDENT_KINDS.filter((k) => registry.has(k) && snoozable(registry.def(k)));
    expect(allowed).toEqual(['device_fault']);
    for (const k of ['fire_alarm', 'elevator_entrapment', 'medical_emergency', 'water_leak', 'power_outage'] as const)
      expect(snoozable(registry.def(k)), k).toBe(false);
    // a procedure that opts in while it is a life-safety (attention) kind is still refused
    expect(snoozable({ snoozable: true, attention: true })).toBe(false);
  });

  it('a fire alarm is neither offered the snooze nor accepts it', () => {
    const sim = Sim.manual('fire_alarm', operator, { floor: 3, location: '三层' }, { address: 'x', lobbyFloor: 1, elevators: [] });
    expect(allowedActions(sim.s, operator.role).map((a) => a.action)).not.toContain('snooze');
    expectErr(sim.tryAct(operator, 'snooze', { minutes: 5, reason: '测试' }), 'HUB_ERR_CONFLICT');
  });

  it('mutes a fault until the limit, then ends by itself on the timeline', () => {
    const sim = faultSim();
    expect(allowedActions(sim.s, operator.role).map((a) => a.action)).toContain('snooze');
    expect(allowedActions(sim.s, frontdesk.role).map((a) => a.action)).not.toContain('snooze');
    expectErr(sim.tryAct(frontdesk, 'snooze', { minutes: 5, reason: 'x' }), 'HUB_ERR_FORBIDDEN');
    expectErr(sim.tryAct(operator, 'unsnooze', {}), 'HUB_ERR_CONFLICT');
    const t0 = sim.now;
    sim.act(operator, 'snooze', { minutes: 30, reason: '维保已在路上' });
    expect(snoozedUntil(sim.s.data, sim.now)).toBe(t0 + 30 * MIN);
    expect(sim.timer('snooze')).toMatchObject({ status: 'running', dueAt: t0 + 30 * MIN });
    expect(sim.timelineOf('snoozed')[0]).toMatchObject({ reason: { text: '维保已在路上' }, data: { minutes: 30 } });
    expect(allowedActions(sim.s, operator.role).map((a) => a.action)).toContain('unsnooze');
    sim.advance(29 * MIN);
    expect(sim.timelineOf('unsnoozed')).toHaveLength(0);
    sim.advance(1 * MIN);
    expect(sim.timelineOf('unsnoozed')).toHaveLength(1);
    expect(sim.timelineOf('unsnoozed')[0]!.data).toEqual({ why: { key: 'engine.value.snooze_limit' } });
    expect(sim.s.data.snooze).toBeNull();
    expect(snoozedUntil(sim.s.data, sim.now)).toBeNull();
    expect(sim.timer('snooze')?.status).toBe('fired');
    // the procedure itself did not move: the mute is the engine's, not a state
    expect(sim.s.state).toBe('open');
    expect(allowedActions(sim.s, operator.role).map((a) => a.action)).not.toContain('unsnooze');
  });

  it('longer than the setting allows is refused; a person may end it early; snoozing again replaces it', () => {
    const sim = faultSim({ snoozeMaxMs: 1 * HOUR });
    expectErr(sim.tryAct(operator, 'snooze', { minutes: 61, reason: 'x' }), 'HUB_ERR_BAD_REQUEST');
    expectErr(sim.tryAct(operator, 'snooze', { minutes: 10, reason: '' }), 'HUB_ERR_BAD_REQUEST');
    sim.act(operator, 'snooze', { minutes: 10, reason: '等待' });
    sim.advance(5 * MIN);
    sim.act(supervisor, 'snooze', { minutes: 60, reason: '延长' });
    expect(sim.timer('snooze')?.dueAt).toBe(sim.now + 60 * MIN);
    sim.act(operator, 'unsnooze', { reason: '维保到场' });
    expect(sim.timer('snooze')?.status).toBe('cancelled');
    expect(sim.timelineOf('unsnoozed')[0]).toMatchObject({
      reason: { text: '维保到场' },
      data: { why: { key: 'engine.value.snooze_person' } },
    });
    expect(snoozedUntil(sim.s.data, sim.now)).toBeNull();
  });

  it('a closed fault is not snoozed any more', () => {
    const sim = faultSim();
    sim.act(operator, 'snooze', { minutes: 30, reason: '等待' });
    sim.act(operator, 'acknowledge', {});
    sim.act(operator, 'dispatch_maintenance', { party: 'engineering' });
    sim.act(operator, 'close', { resolution: '修复' });
    expect(sim.s.data.snooze).toBeNull();
    expect(sim.timer('snooze')?.status).toBe('cancelled');
    expect(allowedActions(sim.s, operator.role).map((a) => a.action)).not.toContain('snooze');
    expectErr(sim.tryAct(operator, 'snooze', { minutes: 5, reason: 'x' }), 'HUB_ERR_CONFLICT');
  });

  it('its words exist in both languages', () => {
    for (const key of [
      'engine.action.snooze',
      'engine.action.unsnooze',
      'engine.timeline.snoozed',
      'engine.timer.snooze',
      'engine.value.snooze_limit',
    ])
      expect(engine.catalog.has(key), key).toBe(true);
  });
});

describe('history: text matching and CSV', () => {
  it('LIKE wildcards typed by a person are literal', () => {
    expect(likePattern('50%_a\\b')).toBe('%50\\%\\_a\\\\b%');
  });

  it('finds kinds by their Chinese or English name, numbers by "#12" or "12"', () => {
    const label = (key: string, l: 'zh-CN' | 'en') => engine.catalog.label(key, l);
    expect(kindsNamed('火警', registry.kinds(), label)).toEqual(['fire_alarm']);
    expect(kindsNamed('FAULT', registry.kinds(), label)).toEqual(['device_fault']);
    expect(kindsNamed('  ', registry.kinds(), label)).toEqual([]);
    expect(numberIn('#12')).toBe(12);
    expect(numberIn(' 7 ')).toBe(7);
    expect(numberIn('7F')).toBeNull();
  });

  it('writes CSV for Excel: BOM, CRLF, quoted, the reader’s language, empty for nothing', () => {
    const row: HistoryRow = {
      id: 'x',
      number: 3,
      kind: 'device_fault',
      kindLabel: '设备故障',
      state: 'closed',
      stateLabel: '已结案',
      open: false,
      severity: 40,
      building: 'b-1',
      buildingName: '一号楼, 东',
      floor: null,
      deviceId: 'd-1',
      deviceName: '消防主机 "A"',
      title: '设备故障 · 消防主机',
      titleMsg: { text: 'x' },
      masked: false,
      openedAt: Date.UTC(2026, 0, 1, 0, 0, 0),
      closedAt: null,
    };
    const csv = historyCsv([row], 'zh-CN', 480);
    expect(csv.startsWith('\uFEFF编号,类型,标题,状态,处理中,楼栋,楼层,设备,发生时间,结案时间\r\n')).toBe(true);
    expect(csv).toContain('3,设备故障,设备故障 · 消防主机,已结案,否,"一号楼, 东",,"消防主机 ""A""",2026-01-01 08:00:00,\r\n');
    expect(historyCsv([], 'en', 480)).toBe('\uFEFFNo.,Kind,Title,State,Open,Building,Floor,Device,Opened,Closed\r\n');
  });
});
