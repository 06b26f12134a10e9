// Severe-weather drill (PROCEDURES.md §7; seed 000 §2.3.7; seed 004 §5.2–5.4). Nothing on the
// device side declares a warning — a supervisor does — so this drill needs `--hub`: the
// supervisor declares a rainstorm warning for one building over the API (an operator must be
// refused), a leak cable in that building gets wet and the drill checks the hub opened the water
// incident one severity higher and tied to the warning; the leak is worked to close (its cause
// opens a repair work order), the checklist is recorded, the all-clear is declared (supervisor
// only) and the inspection round's finding must come back as a repair work order linked under
// the warning. Exit 4 when the hub does not answer as the manual says.
import { SEVERITY } from '../../contracts/domain.js';
import type { IncidentDetail } from '../hub-client.js';
import { localTime, stepStatus } from './procedures.js';
import { registerScenario, ScenarioError } from './registry.js';

const CHECKLIST = ['sandbags', 'drains_pumps', 'outdoor_secured', 'patrols_doubled', 'residents_notified'] as const;
const TYPES = ['typhoon', 'rainstorm', 'cold_wave'];
const LEVELS = ['blue', 'yellow', 'orange', 'red'];

registerScenario({
  name: 'severe-weather',
  title: '特殊天气 severe weather warning',
  description:
    'Needs --hub with an operator and a supervisor. The supervisor declares a warning for the building over the API (checks an operator is refused); a leak cable there gets wet (water.leak) and the drill checks the hub opens the water incident one severity higher, tied to the warning; the leak is worked to close (its cause opens a repair order), the checklist is recorded, the supervisor declares the all-clear (checks an operator cannot), and the inspection finding must become a repair work order linked under the warning; the supervisor closes.',
  needs: ['water'],
  options: {
    detector: { type: 'string', description: 'leak detector device id (default: a leak node in --building, preferably one near nothing)' },
    type: { type: 'string', description: `warning type: ${TYPES.join(' | ')}`, default: 'rainstorm' },
    level: { type: 'string', description: `warning colour: ${LEVELS.join(' | ')}`, default: 'orange' },
    window: { type: 'string', description: 'how long the declared warning lasts', default: '2h' },
  },
  async run(ctx) {
    const hub = ctx.hub;
    if (!hub || !hub.has('operator') || !hub.has('supervisor'))
      throw new ScenarioError(
        'severe-weather needs --hub with --user (operator) and --supervisor-user: a supervisor declares the warning (PROCEDURES.md §7)',
      );
    const type = ctx.str('type', 'rainstorm');
    const level = ctx.str('level', 'orange');
    if (!TYPES.includes(type)) throw new ScenarioError(`--type must be one of ${TYPES.join(', ')}`);
    if (!LEVELS.includes(level)) throw new ScenarioError(`--level must be one of ${LEVELS.join(', ')}`);
    const leaks = ctx.find('water', ctx.str('building')).filter((d) => d.sim.role === 'leak');
    const wanted = ctx.str('detector');
    const detector = wanted ? leaks.find((d) => d.identity.id === wanted) : (leaks.find((d) => !d.identity.meta?.near) ?? leaks[0]);
    if (!detector) throw new ScenarioError(`no leak detector ${wanted ?? ''} in the fleet`);
    const { building, site } = detector.identity;

    // the drill must not change a warning or a leak someone is working for real
    const op = hub.session('operator');
    const inForce = (await op.incidents({ kind: 'severe_weather', state: 'open', limit: 100 })).find((i) => i.site === site);
    if (inForce) throw new ScenarioError(`a severe-weather warning is in force on ${site} (#${inForce.number}): the drill would change it`);
    const wet = (await op.incidents({ kind: 'water_leak', state: 'open', building, limit: 10 }))[0];
    if (wet) throw new ScenarioError(`water incident #${wet.number} is open in ${building}: a new leak would add to it, not open one`);

    // 1. the warning: declared by a supervisor only (PROCEDURES.md §7 "A supervisor declares")
    const until = ctx.clock.now() + ctx.duration('window', 2 * 3_600_000);
    const declare = { type, level, buildingIds: [building], until, notes: '演练:暴雨预警 (drill)' };
    const byOperator = await op.tryReport('severe_weather', building, declare);
    ctx.check(
      !byOperator.ok && byOperator.status === 403,
      'an operator cannot declare severe weather (supervisor only)',
      byOperator.ok ? `declared as #${byOperator.value.number}` : `refused ${byOperator.status}`,
    );
    const sup = hub.session('supervisor');
    const declared = await sup.tryReport('severe_weather', building, declare);
    if (!declared.ok)
      return {
        ok: ctx.check(false, 'the supervisor declared the warning', `refused ${declared.status}: ${declared.message}`),
        summary: 'no warning',
      };
    let w: IncidentDetail = declared.value;
    hub.done('宣布预警 Declare the warning', sup, w, `#${w.number} ${type} ${level} for ${building} until ${localTime(until)}`);
    ctx.check(
      w.state === 'active' && w.timers.some((t) => t.key === 'checklist' && t.status === 'running'),
      'the warning is in force with its preparation checklist running',
      hub.stateText(w),
    );

    // 2. a leak in the covered building opens one severity higher (PROCEDURES.md §7)
    const e = await detector.sim.leak();
    ctx.log(
      '2 漏水 leak',
      `${detector.identity.id}: water on the cable in ${detector.sim.zone} (event ${e.id}) — the warning covers ${building}`,
    );
    let leak = await hub.awaitIncident('water_leak', (i) => i.open, { building });
    if (!ctx.check(leak !== null, 'the leak opened a water incident')) return { ok: false, summary: 'no water incident' };
    const tied = (leak!.data.weather as { incidentId?: string } | null | undefined)?.incidentId;
    ctx.check(
      leak!.severity > SEVERITY.water_leak && tied === w.id,
      'the water incident opened one severity higher, tied to the warning',
      `severity ${leak!.severity} (normally ${SEVERITY.water_leak}); warning ${tied ?? 'none'}`,
    );

    // the leak worked to close; its cause becomes a repair order (PROCEDURES.md §5.5)
    leak = await hub.act(leak!, 'acknowledge', { notes: '预警期间漏水 (drill)' });
    leak = await hub.act(leak, 'dispatch_engineering', { person: '工程部 老周 Zhou' });
    leak = await hub.act(leak, 'record_engineering_on_site', {});
    leak = await hub.act(leak, 'record_water_stopped', { measure: 'valve_closed' });
    if (leak.steps.find((s) => s.key === 'protect')?.required && stepStatus(leak, 'protect') === 'pending')
      leak = await hub.act(leak, 'record_protection', { measures: ['sandbags'] });
    leak = await hub.act(leak, 'record_owners_notified', { floors: [], channel: 'phone', notes: '演练,无住户受影响 (drill)' });
    await detector.sim.clear();
    leak = await hub.act(leak, 'confirm_cleared', { propertyDamaged: false });
    leak = await hub.act(leak, 'record_repair_order', { cause: '雨水倒灌,排水沟堵塞 (drill)' });
    leak = await hub.act(leak, 'close', { notes: '结案 drill' }, { as: 'supervisor' });
    ctx.check(
      !leak.open && leak.children.length === 1,
      `water incident #${leak.number} closed, its cause a repair order`,
      hub.stateText(leak),
    );

    // 3. the checklist (seed 004 §5.2–5.4), then the all-clear: a supervisor's
    for (const item of CHECKLIST) w = await hub.act(w, 'record_check', { item, notes: '演练 drill' });
    ctx.check(
      CHECKLIST.every((k) => stepStatus(w, k) === 'done') && w.timers.some((t) => t.key === 'checklist' && t.status === 'cancelled'),
      'the checklist is done and its target stopped',
      CHECKLIST.map((k) => `${k} ${stepStatus(w, k)}`).join(', '),
    );
    await hub.expectRefused(w, 'declare_all_clear', {}, [403], 'an operator cannot declare the all-clear (supervisor only)');
    w = await hub.act(w, 'declare_all_clear', { notes: '预警解除 (drill)' }, { as: 'supervisor' });
    ctx.check(w.state === 'inspection', 'the all-clear starts the inspection round', hub.stateText(w));

    // 4. the inspection's finding becomes a repair work order linked under the warning (§7 → §8)
    w = await hub.act(w, 'record_inspection', {
      findings: [{ location: '车库坡道 (drill)', issue: '挡水板变形', category: 'civil' }],
      notes: '演练巡查 drill',
    });
    const orderId = w.children[0];
    const order = orderId ? await op.incident(orderId) : null;
    ctx.check(
      w.children.length === 1 && order?.kind === 'repair' && order.parentId === w.id && order.open,
      'the inspection finding became a repair work order linked under the warning',
      order ? `work order #${order.number} ${hub.stateText(order)}` : `${w.children.length} linked incident(s)`,
    );
    w = await hub.act(w, 'close', { notes: '特殊天气演练结束 drill complete' }, { as: 'supervisor' });
    const closed = ctx.check(!w.open, `warning #${w.number} closed`, hub.stateText(w));
    return {
      ok: closed && ctx.failures.length === 0,
      summary: `warning #${w.number} ${w.state}; water incident #${leak.number} ${leak.state}; work order ${order ? `#${order.number}` : 'none'}`,
    };
  },
});
