// Severe weather (PROCEDURES.md §7) under a fake clock: declared by a supervisor, its level
// changing while active, the checklist target, the window end, the all-clear inspection round.
import { describe, expect, it } from 'vitest';
import { LEVEL_SEVERITY } from '../../../services/weather/machine.js';
import { Sim, MIN, HOUR, T0, expectErr, open, operator, supervisor, planTrigger, frontdesk } from './helpers.js';

const declare = (p: object = {}) =>
  Sim.manual('severe_weather', supervisor, { type: 'rainstorm', level: 'yellow', until: T0 + 6 * HOUR, ...p });

describe('severe weather', () => {
  it('only a supervisor declares it; it opens at its level’s severity with the checklist and the window', () => {
    const r = open(
      'severe_weather',
      { source: 'manual', siteId: 'site-1', buildingId: 'bldg-a', actor: operator, payload: { type: 'typhoon', level: 'red' } },
      T0,
      { id: 'x' },
    );
    expectErr(r, 'HUB_ERR_FORBIDDEN');
    const sim = declare();
    expect(sim.s).toMatchObject({ kind: 'severe_weather', state: 'active', severity: LEVEL_SEVERITY.yellow, dedupKey: 'site-1' });
    expect(sim.s.title).toMatchObject({
      params: { type: { key: 'severe_weather.value.rainstorm' }, level: { key: 'severe_weather.value.yellow' } },
    });
    expect(sim.timer('checklist')).toMatchObject({ dueAt: T0 + 2 * HOUR });
    expect(sim.timer('window_end')).toMatchObject({ dueAt: T0 + 6 * HOUR });
  });

  it('the level changes while active (supervisor only): severity, title, notice and duty log follow', () => {
    const sim = declare();
    expectErr(sim.tryAct(operator, 'change_level', { level: 'red' }), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'change_level', { level: 'orange' });
    expect(sim.s.severity).toBe(LEVEL_SEVERITY.orange);
    sim.act(supervisor, 'change_level', { level: 'red', until: T0 + 12 * HOUR });
    expect(sim.s.severity).toBe(LEVEL_SEVERITY.red);
    expect(sim.timer('window_end')).toMatchObject({ dueAt: T0 + 12 * HOUR });
    expect((sim.s.data.levels as Array<{ level: string }>).map((l) => l.level)).toEqual(['yellow', 'orange', 'red']);
    expect(sim.effectsOf('notify').filter((n) => n.key === 'level_changed')).toHaveLength(2);
    expectErr(sim.tryAct(supervisor, 'change_level', { level: 'red' }), 'HUB_ERR_CONFLICT');
  });

  it('declaring again on the same site changes the warning in force instead of opening a second', () => {
    const sim = declare();
    const again = {
      source: 'manual' as const,
      siteId: 'site-1',
      buildingId: 'bldg-a',
      actor: supervisor,
      payload: { type: 'rainstorm', level: 'orange' },
    };
    expect(planTrigger('severe_weather', again, [sim.s], T0)).toMatchObject({ op: 'decide', incidentId: sim.s.id });
  });

  it('the checklist not done in 2 h is escalated; done in time it is not', () => {
    const late = declare();
    late.act(operator, 'record_check', { item: 'sandbags' });
    const fired = late.advance(2 * HOUR);
    expect(late.effectsOf('escalate', fired)).toEqual([expect.objectContaining({ reason: 'checklist_overdue' })]);
    const ok = declare();
    for (const item of ['sandbags', 'drains_pumps', 'outdoor_secured', 'patrols_doubled', 'residents_notified'])
      ok.act(operator, 'record_check', { item });
    expectErr(ok.tryAct(operator, 'record_check', { item: 'sandbags' }), 'HUB_ERR_CONFLICT');
    expect(ok.effectsOf('escalate', ok.advance(3 * HOUR))).toHaveLength(0);
    expectErr(ok.tryAct(frontdesk, 'record_check', { item: 'sandbags' }), 'HUB_ERR_FORBIDDEN');
  });

  it('the window passing reminds the supervisor; all-clear → inspection round → closed', () => {
    const sim = declare();
    for (const item of ['sandbags', 'drains_pumps', 'outdoor_secured', 'patrols_doubled', 'residents_notified'])
      sim.act(operator, 'record_check', { item });
    const fired = sim.advance(6 * HOUR);
    expect(sim.effectsOf('notify', fired).map((n) => n.key)).toEqual(['window_ended']);
    expectErr(sim.tryAct(operator, 'declare_all_clear'), 'HUB_ERR_FORBIDDEN');
    sim.act(supervisor, 'declare_all_clear');
    expect(sim.s.state).toBe('inspection');
    expectErr(sim.tryAct(supervisor, 'close'), 'HUB_ERR_CONFLICT');
    sim.advance(30 * MIN);
    sim.act(operator, 'record_inspection', { findings: [{ location: '车库入口', issue: '排水沟堵塞', orderRef: 'WO-9' }] });
    sim.act(supervisor, 'close');
    expect(sim.s.open).toBe(false);
    expect(sim.s.data.findings).toEqual([
      { location: '车库入口', issue: '排水沟堵塞', building: 'bldg-a', category: 'other', orderRef: 'WO-9', ref: 'f1' },
    ]);
    // an order the desk had registered is linked by its number: none opened
    expect(sim.effectsOf('open_linked_incident')).toHaveLength(0);
  });

  it('all-clear inspection: each finding becomes a repair work order linked under the warning (§7 → §8)', () => {
    const sim = declare({ buildingIds: ['bldg-a', 'bldg-b'] });
    sim.act(supervisor, 'declare_all_clear');
    sim.advance(20 * MIN);
    sim.act(operator, 'record_inspection', {
      findings: [
        { location: '车库坡道', issue: '挡水板变形', category: 'civil' },
        { location: '2号楼屋面', issue: '雨水斗堵塞', category: 'plumbing', building: 'bldg-b' },
      ],
    });
    const links = sim.effectsOf('open_linked_incident', sim.last.effects);
    expect(links.map((l) => [l.kind, l.parentId, l.trigger.buildingId])).toEqual([
      ['repair', sim.s.id, 'bldg-a'],
      ['repair', sim.s.id, 'bldg-b'],
    ]);
    expect(sim.timelineOf('linked_incident')).toHaveLength(2);
    expect(sim.step('inspection_round')).toMatchObject({ status: 'done', data: { findings: 2, added: 2 } });

    // each order: a common-area staff finding under the warning, its own 24 h response target
    const orders = links.map((l) => new Sim('repair', l.trigger, sim.now));
    expect(orders.map((o) => [o.s.parentId, o.s.buildingId, o.s.dedupKey])).toEqual([
      [sim.s.id, 'bldg-a', `incident:${sim.s.id}:f1`],
      [sim.s.id, 'bldg-b', `incident:${sim.s.id}:f2`],
    ]);
    expect(orders[1]!.s.data).toMatchObject({
      source: 'staff',
      area: 'common',
      category: 'plumbing',
      location: '2号楼屋面',
      description: '雨水斗堵塞',
    });
    expect(orders[0]!.effectsOf('escalate', orders[0]!.advance(24 * HOUR))).toEqual([
      expect.objectContaining({ reason: 'response_overdue' }),
    ]);

    // the round recorded again with one more finding: only the new one opens an order
    sim.advance(10 * MIN);
    sim.act(operator, 'record_inspection', {
      findings: [
        { location: '车库坡道', issue: '挡水板变形', category: 'civil' },
        { location: '岗亭', issue: '玻璃破损', category: 'doors_windows' },
      ],
    });
    const again = sim.effectsOf('open_linked_incident', sim.last.effects);
    expect(again.map((l) => (l.trigger.source === 'linked' ? l.trigger.payload : null))).toEqual([
      { category: 'doors_windows', location: '岗亭', description: '玻璃破损', ref: 'f3', floor: null },
    ]);
    expect((sim.s.data.findings as Array<{ ref: string }>).map((f) => f.ref)).toEqual(['f1', 'f2', 'f3']);
  });

  it('a finding in a building the warning does not cover is refused; a site-wide warning covers the site', () => {
    const listed = declare({ buildingIds: ['bldg-a'] });
    listed.act(supervisor, 'declare_all_clear');
    expectErr(
      listed.tryAct(operator, 'record_inspection', { findings: [{ location: '3号楼', issue: '外墙渗水', building: 'bldg-c' }] }),
      'HUB_ERR_BAD_REQUEST',
      /not covered/,
    );
    const site = Sim.manual('severe_weather', supervisor, { type: 'typhoon', level: 'red' }, { siteBuildingIds: ['bldg-a', 'bldg-c'] });
    site.act(supervisor, 'declare_all_clear');
    site.act(operator, 'record_inspection', { findings: [{ location: '3号楼', issue: '外墙渗水', building: 'bldg-c' }] });
    expect(site.effectsOf('open_linked_incident').map((l) => l.trigger.buildingId)).toEqual(['bldg-c']);
  });

  it('a window ending before it starts is refused', () => {
    const r = open(
      'severe_weather',
      {
        source: 'manual',
        siteId: 'site-1',
        buildingId: 'bldg-a',
        actor: supervisor,
        payload: { type: 'typhoon', level: 'red', from: T0, until: T0 },
      },
      T0,
      { id: 'y' },
    );
    expectErr(r, 'HUB_ERR_BAD_REQUEST');
  });
});
