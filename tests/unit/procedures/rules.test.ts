// Telemetry rules (PROCEDURES.md "Device health"): the breach / duration / hysteresis state
// machine, the rule index (per-device overrides per-class), the evaluator on a fake clock
// (maintenance suppression, reload) and the device fault a breach opens.
import { describe, expect, it } from 'vitest';
import type { DeviceClass } from '../../../contracts/domain.js';
import { ruleProblem, TelemetryRuleBody } from '../../../contracts/rules.js';
import type { IncidentSnapshot, Trigger } from '../../../services/core/procedure/index.js';
import type { DeviceRef } from '../../../services/core/bus.js';
import { createLogger } from '../../../services/core/logger.js';
import type { Watcher, WatcherApi } from '../../../services/incidents/module.js';
import { RuleEvaluator, ruleFaultKey } from '../../../services/devices/rule-watcher.js';
import { breaches, clears, RuleIndex, ruleStep, ruleTick, safeBand, type BreachState, type Rule } from '../../../services/devices/rules.js';
import { faultFacts } from '../../../services/devices/views.js';
import type { FaultData } from '../../../services/devices/machine.js';
import { registry, Sim, T0, SEC, expectErr, operator, planTrigger } from './helpers.js';

const rule = (over: Partial<Rule> = {}): Rule => ({
  id: 'r-volt',
  name: '电压越限',
  deviceClass: 'power',
  deviceId: null,
  metric: 'voltage_v',
  comparison: 'outside',
  threshold: null,
  low: 198,
  high: 242,
  durationMs: 10 * SEC,
  hysteresis: 3,
  severity: 'high',
  ...over,
});
const pit = (over: Partial<Rule> = {}): Rule =>
  rule({
    id: 'r-pit',
    name: '集水坑水位高',
    deviceClass: 'water',
    metric: 'water_level_cm',
    comparison: 'gt',
    threshold: 50,
    low: null,
    high: null,
    hysteresis: 5,
    severity: 'medium',
    ...over,
  });

/** Feed samples (at, value) to one (rule, device), collecting every decision. */
function run(r: Rule, samples: Array<[number, number]>, suppressed = false) {
  let st: BreachState | null = null;
  const out: string[] = [];
  for (const [at, v] of samples) {
    const x = ruleStep(r, st, v, T0 + at * SEC, suppressed);
    st = x.state;
    out.push(x.decision.op);
  }
  return { state: st, ops: out };
}

describe('telemetry rule comparisons and hysteresis', () => {
  it('gt / gte / lt / lte / outside breach and clear by the margin', () => {
    const gt = pit();
    expect([breaches(gt, 50), breaches(gt, 50.1)]).toEqual([false, true]);
    expect([clears(gt, 46), clears(gt, 45)]).toEqual([false, true]);
    const gte = pit({ comparison: 'gte' });
    expect([breaches(gte, 49.9), breaches(gte, 50)]).toEqual([false, true]);
    expect([clears(gte, 45), clears(gte, 44.9)]).toEqual([false, true]);
    const lt = rule({ comparison: 'lt', threshold: 49.5, low: null, high: null, hysteresis: 0.2, metric: 'frequency_hz' });
    expect([breaches(lt, 49.5), breaches(lt, 49.4)]).toEqual([false, true]);
    expect([clears(lt, 49.6), clears(lt, 49.7)]).toEqual([false, true]);
    const lte = rule({ comparison: 'lte', threshold: 0, low: null, high: null, hysteresis: 0 });
    expect([breaches(lte, 0), clears(lte, 0), clears(lte, 1)]).toEqual([true, false, true]);
    const out = rule();
    expect([breaches(out, 197), breaches(out, 198), breaches(out, 242), breaches(out, 243)]).toEqual([true, false, false, true]);
    expect([clears(out, 200), clears(out, 201), clears(out, 239), clears(out, 240)]).toEqual([false, true, true, false]);
  });
});

describe('telemetry rule state machine (fake clock)', () => {
  it('a breach must last its duration: a shorter one raises nothing', () => {
    const r = run(rule(), [
      [0, 250],
      [5, 251],
      [8, 230],
      [9, 250],
    ]);
    expect(r.ops).toEqual(['check_at', 'none', 'none', 'check_at']);
    expect(r.state).toMatchObject({ phase: 'pending', since: T0 + 9 * SEC });
  });

  it('raises once when the breach has lasted (by a sample or by the deadline), then only clears by the margin', () => {
    const r = rule();
    const bySample = run(r, [
      [0, 250],
      [10, 252],
      [12, 260],
      [13, 240], // inside, but not by the 3 V margin: still raised
      [14, 239],
    ]);
    expect(bySample.ops).toEqual(['check_at', 'raise', 'none', 'none', 'clear']);
    expect(bySample.state).toBeNull();

    const first = ruleStep(r, null, 190, T0, false);
    expect(first.decision).toEqual({ op: 'check_at', at: T0 + 10 * SEC });
    expect(ruleTick(r, first.state!, T0 + 9 * SEC, false).decision).toEqual({ op: 'check_at', at: T0 + 10 * SEC });
    const tick = ruleTick(r, first.state!, T0 + 10 * SEC, false);
    expect(tick.decision).toEqual({ op: 'raise', since: T0, value: 190 });
    expect(ruleTick(r, tick.state, T0 + 20 * SEC, false).decision.op).toBe('none');
  });

  it('duration 0 raises at the first breaching sample', () => {
    expect(run(pit({ durationMs: 0 }), [[0, 51]]).ops).toEqual(['raise']);
  });

  it('maintenance mode: a lasting breach raises nothing, then raises at the first breaching sample after it ends', () => {
    const r = pit();
    let st = ruleStep(r, null, 60, T0, true).state!;
    const t = ruleTick(r, st, T0 + 10 * SEC, true);
    expect(t.decision.op).toBe('none');
    expect(t.state.phase).toBe('suppressed');
    st = ruleStep(r, t.state, 61, T0 + 20 * SEC, true).state!;
    expect(st.phase).toBe('suppressed');
    const after = ruleStep(r, st, 62, T0 + 30 * SEC, false);
    expect(after.decision).toEqual({ op: 'raise', since: T0, value: 62 });
    // a suppressed breach that clears leaves nothing to clear
    expect(ruleStep(r, t.state, 40, T0 + 40 * SEC, true)).toEqual({ state: null, decision: { op: 'none' } });
  });
});

describe('safe band', () => {
  it('a value strictly inside every rule’s limits breaches none; on a bound it is compared rule by rule', () => {
    const rules = [
      pit(),
      pit({ id: 'b', comparison: 'gte', threshold: 70 }),
      rule({ metric: 'water_level_cm', low: 5, high: 60 }),
      rule({ comparison: 'lte', threshold: 2, low: null, high: null }),
    ];
    expect(safeBand(rules)).toEqual({ lo: 5, hi: 50 });
    for (const v of [5.01, 20, 49.99]) expect(rules.some((r) => breaches(r, v))).toBe(false);
    expect(safeBand([])).toEqual({ lo: -Infinity, hi: Infinity });
    const g = new RuleIndex([pit()]).classRules('water')!.get('water_level_cm')!;
    expect([g.quiet('p', 49), g.quiet('p', 50), g.quiet('p', 51)]).toEqual([true, false, false]);
    g.inBreach.set('p', 1);
    expect([g.quiet('p', 10), g.quiet('q', 10)]).toEqual([false, true]);
  });
});

describe('rule index', () => {
  it('a device’s own rule on a metric replaces its class’s rule on that metric, not on others', () => {
    const cls = rule();
    const freq = rule({ id: 'r-freq', metric: 'frequency_hz', comparison: 'lt', threshold: 49.5, low: null, high: null });
    const own = rule({ id: 'r-own', deviceClass: null, deviceId: 'meter-a', low: 190, high: 250 });
    const idx = new RuleIndex([cls, freq, own]);
    expect(idx.forMetric('meter-a', 'power', 'voltage_v').map((r) => r.id)).toEqual(['r-own']);
    expect(idx.forMetric('meter-a', 'power', 'frequency_hz').map((r) => r.id)).toEqual(['r-freq']);
    expect(idx.forMetric('meter-b', 'power', 'voltage_v').map((r) => r.id)).toEqual(['r-volt']);
    expect(idx.forMetric('lift-1', 'elevator', 'voltage_v')).toEqual([]);
    expect(idx.watches('lift-1', 'elevator')).toBe(false);
    expect(idx.watches('meter-b', 'power')).toBe(true);
  });
});

// ------------------------------------------------------------------ the evaluator

const dev = (deviceId: string, cls: DeviceClass = 'power'): DeviceRef => ({ deviceId, site: 'site-1', building: 'bldg-a', class: cls });

/** The evaluator with a fake clock and a recording watcher api (no incident service). */
function harness(rules: Rule[]) {
  let now = T0;
  const maintenance = new Set<string>();
  const triggers: Trigger[] = [];
  const system: Array<{ id: string; action: string; payload: unknown }> = [];
  let open: IncidentSnapshot[] = [];
  let wakes = 0;
  const ev = new RuleEvaluator({ now: () => now, log: createLogger('silent'), suppressed: (id) => maintenance.has(id) });
  ev.load(rules);
  const api = {
    deps: {
      log: createLogger('silent'),
      now: () => now,
      registry: { get: () => undefined },
      openIncidents: () => open,
    },
    trigger: async (_k: string, t: Trigger) => void triggers.push(t),
    status: async () => undefined,
    system: async (id: string, action: string, payload: unknown) => void system.push({ id, action, payload }),
    reschedule: () => void wakes++,
  } as unknown as WatcherApi;
  const w: Watcher = ev.watcher(api);
  return {
    ev,
    w,
    maintenance,
    triggers,
    system,
    setOpen: (s: IncidentSnapshot[]) => (open = s),
    at: (s: number) => (now = T0 + s * SEC),
    wakes: () => wakes,
    /** run the watcher when it is due (as the incident scheduler does) */
    async due() {
      const at = w.nextCheckAt();
      if (at !== null && at <= now) await w.tick(now);
    },
  };
}

describe('rule evaluator (fake clock, recording api)', () => {
  it('hands a lasting breach to the fault procedure from its tick, never from the ingest call', async () => {
    const h = harness([rule()]);
    h.ev.onTelemetry(dev('meter-a'), { voltage_v: 250, current_a: 10 });
    expect(h.w.nextCheckAt()).toBe(T0 + 10 * SEC);
    h.at(9);
    await h.due();
    expect(h.triggers).toHaveLength(0);
    h.at(10);
    await h.due();
    expect(h.triggers).toHaveLength(1);
    expect(h.triggers[0]).toMatchObject({ source: 'rule', deviceId: 'meter-a', ruleId: 'r-volt', since: T0 });
    expect((h.triggers[0] as { payload: { value: number; severity: string } }).payload).toMatchObject({ value: 250, severity: 'high' });
    expect(h.ev.breachesOf('r-volt')).toEqual([{ deviceId: 'meter-a', phase: 'raised', since: T0, value: 250 }]);

    // back inside, not by the margin → nothing; by the margin → the open fault is told it cleared
    h.at(20);
    h.ev.onTelemetry(dev('meter-a'), { voltage_v: 241 });
    expect(h.w.nextCheckAt()).toBeNull();
    h.setOpen([
      { id: 'inc-1', kind: 'device_fault', open: true, state: 'open', dedupKey: ruleFaultKey('meter-a', 'r-volt') } as IncidentSnapshot,
    ]);
    h.ev.onTelemetry(dev('meter-a'), { voltage_v: 230 });
    await h.due();
    expect(h.system).toEqual([{ id: 'inc-1', action: 'rule_cleared', payload: { value: 230 } }]);
    expect(h.ev.breachesOf('r-volt')).toEqual([]);
  });

  it('does not wake the scheduler for values inside the limits, nor for metrics no rule watches', async () => {
    const h = harness([rule()]);
    h.ev.onTelemetry(dev('meter-a'), { voltage_v: 220, frequency_hz: 40 });
    h.ev.onTelemetry(dev('lift-1', 'elevator'), { voltage_v: 300 });
    expect(h.wakes()).toBe(0);
    expect(h.w.nextCheckAt()).toBeNull();
    // inside the voltage rule's band: decided without comparing rule by rule
    expect(h.ev.evaluated).toBe(0);
    // breaches whose deadlines come after the one already asked for do not re-plan the scheduler
    h.ev.onTelemetry(dev('meter-a'), { voltage_v: 250 });
    h.at(1);
    h.ev.onTelemetry(dev('meter-b'), { voltage_v: 250 });
    h.ev.onTelemetry(dev('meter-a'), { voltage_v: 251 });
    expect(h.wakes()).toBe(1);
    expect(h.w.nextCheckAt()).toBe(T0 + 10 * SEC);
  });

  it('a device in maintenance raises no fault; after the maintenance the next breaching sample does', async () => {
    const h = harness([pit({ durationMs: 0 })]);
    h.maintenance.add('pit-1');
    h.ev.onTelemetry(dev('pit-1', 'water'), { water_level_cm: 70 });
    await h.due();
    expect(h.triggers).toHaveLength(0);
    expect(h.ev.breachesOf('r-pit')[0]?.phase).toBe('suppressed');
    h.maintenance.delete('pit-1');
    h.at(30);
    h.ev.onTelemetry(dev('pit-1', 'water'), { water_level_cm: 71 });
    await h.due();
    expect(h.triggers.map((t) => (t as { deviceId: string }).deviceId)).toEqual(['pit-1']);
  });

  it('a per-device rule overrides its class rule for that device', async () => {
    const own = rule({ id: 'r-own', deviceClass: null, deviceId: 'meter-a', low: 180, high: 260, durationMs: 0 });
    const h = harness([rule({ durationMs: 0 }), own]);
    h.ev.onTelemetry(dev('meter-a'), { voltage_v: 250 }); // inside its own wider range
    h.ev.onTelemetry(dev('meter-b'), { voltage_v: 250 }); // outside the class range
    await h.due();
    expect(h.triggers.map((t) => [(t as { deviceId: string }).deviceId, (t as { ruleId: string }).ruleId])).toEqual([
      ['meter-b', 'r-volt'],
    ]);
  });

  it('deleting (or disabling) a rule clears its raised faults', async () => {
    const h = harness([pit({ durationMs: 0 })]);
    h.ev.onTelemetry(dev('pit-1', 'water'), { water_level_cm: 70 });
    await h.due();
    h.setOpen([
      {
        id: 'inc-9',
        kind: 'device_fault',
        open: true,
        state: 'acknowledged',
        dedupKey: ruleFaultKey('pit-1', 'r-pit'),
      } as IncidentSnapshot,
    ]);
    h.ev.load([]);
    await h.due();
    expect(h.system).toEqual([{ id: 'inc-9', action: 'rule_cleared', payload: { value: 70 } }]);
  });
});

// ------------------------------------------------------------------ the fault it opens

const ruleTrigger = (value = 250, severity: 'low' | 'medium' | 'high' = 'high'): Trigger => ({
  source: 'rule',
  siteId: 'site-1',
  buildingId: 'bldg-a',
  deviceId: 'meter-a',
  deviceClass: 'power',
  ruleId: 'r-volt',
  since: T0,
  payload: {
    ruleId: 'r-volt',
    name: '电压越限',
    metric: 'voltage_v',
    comparison: 'outside',
    threshold: null,
    low: 198,
    high: 242,
    durationSeconds: 10,
    hysteresis: 3,
    severity,
    value,
  },
});

describe('device fault from a telemetry rule', () => {
  it('opens per device + rule with the rule’s severity and a linked repair work order; clears as recovered, close suggested', () => {
    const sim = new Sim('device_fault', ruleTrigger());
    expect(sim.s).toMatchObject({ state: 'open', severity: 48, deviceId: 'meter-a', dedupKey: 'meter-a/rule/r-volt' });
    expect(sim.s.data).toMatchObject({ cause: 'rule', rule: { name: '电压越限', value: 250 } });
    expect(sim.effectsOf('open_linked_incident')).toEqual([expect.objectContaining({ kind: 'repair', dedupKey: 'device:meter-a' })]);
    expect(registry.catalog.render(sim.s.title, 'zh-CN')).toBe('设备故障 · meter-a · 遥测越限 · 电压越限');
    // only the hub clears it
    expectErr(sim.tryAct(operator, 'rule_cleared', { value: 230 }), 'HUB_ERR_FORBIDDEN');
    sim.apply({ type: 'system', action: 'rule_cleared', payload: { value: 230 } });
    expect(sim.s.state).toBe('recovered');
    expect(sim.timelineOf('hint').at(-1)?.data).toEqual({ hint: 'close_suggested' });
    expect(sim.timer('settle')?.status).toBe('running');
    // the same breach again while recovered puts it back (dedup: one fault per device + rule)
    const plan = planTrigger('device_fault', ruleTrigger(260), [sim.s], T0 + 60 * SEC);
    expect(plan).toMatchObject({ op: 'decide', incidentId: sim.s.id, input: { type: 'repeat_trigger' } });
    if (plan.op === 'decide') sim.apply(plan.input);
    expect(sim.s.state).toBe('open');
    expect((sim.s.data as unknown as FaultData).rule?.value).toBe(260);
  });

  it('shows the rule, its limit and the values in the details, in words (no metric ids in Chinese)', () => {
    const sim = new Sim('device_fault', ruleTrigger(190, 'medium'));
    sim.apply({ type: 'system', action: 'rule_cleared', payload: { value: 220 } });
    const facts = faultFacts(sim.s, sim.s.data as unknown as FaultData);
    const text = Object.fromEntries(facts.map((f) => [f.key, registry.catalog.render(f.value as never, 'zh-CN')]));
    expect(text).toMatchObject({
      rule: '电压越限',
      limit: '电压(V) 超出 198–242,持续 10 秒(回差 3)',
      rule_severity: '中',
      breach_value: '190',
      cleared_value: '220',
    });
    expect(sim.s.severity).toBe(40);
  });
});

describe('rule validation (contracts/rules.ts)', () => {
  it('needs exactly one scope, the limits its comparison uses, and a margin that fits the range', () => {
    const base = { comparison: 'outside' as const, low: 198, high: 242, hysteresis: 0 };
    expect(ruleProblem({ ...base, deviceClass: 'power' })).toBeNull();
    expect(ruleProblem(base)?.path).toBe('deviceClass');
    expect(ruleProblem({ ...base, deviceClass: 'power', deviceId: 'meter-a' })?.path).toBe('deviceClass');
    expect(ruleProblem({ ...base, deviceClass: 'power', high: 190 })).toMatchObject({ path: 'high', zh: '上限必须大于下限' });
    expect(ruleProblem({ ...base, deviceClass: 'power', hysteresis: 22 })?.path).toBe('hysteresis');
    expect(ruleProblem({ comparison: 'gt', deviceClass: 'water', hysteresis: 0 })?.path).toBe('threshold');
    expect(ruleProblem({ comparison: 'gt', deviceClass: 'water', threshold: 50, hysteresis: 0 })).toBeNull();
    expect(TelemetryRuleBody.safeParse({ name: 'x', metric: 'voltage_v', comparison: 'outside', durationSeconds: -1 }).success).toBe(false);
    expect(TelemetryRuleBody.safeParse({ name: 'x', metric: 'voltage_v', comparison: 'between' }).success).toBe(false);
  });
});
