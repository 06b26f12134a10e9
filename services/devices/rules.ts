// Telemetry rules 遥测规则 — the pure part (PROCEDURES.md "Device health": a metric per class or
// per device, a comparison, threshold(s), a duration the breach must last, a severity, and
// hysteresis — the fault clears only when the value is back inside by the margin; the
// rule-engine alarms a ThingsBoard user expects, configured, not coded).
//
// Two pieces, both free of IO and clocks (the caller passes `now`):
// - `RuleIndex`: the enabled rules indexed by device and by class, then by metric, so one
//   telemetry message costs two map lookups, then one per metric. A device's own rules on a metric replace
//   its class's rules on that metric (per-device overrides per-class).
// - `ruleStep` / `ruleTick`: the breach → duration → raised → cleared state machine of one
//   (rule, device). A device with no breach has no state at all (nothing allocated per sample).
import type { RuleComparison, RuleSeverity } from '../../contracts/rules.js';
import type { DeviceClass } from '../../contracts/domain.js';

export interface Rule {
  id: string;
  name: string;
  deviceClass: DeviceClass | null;
  deviceId: string | null;
  metric: string;
  comparison: RuleComparison;
  threshold: number | null;
  low: number | null;
  high: number | null;
  durationMs: number;
  hysteresis: number;
  severity: RuleSeverity;
}

/** A telemetry value as a number: booleans are 1/0 (`leak > 0`), anything else is not compared. */
export function numeric(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

/** Is the value outside the rule's limits? */
export function breaches(r: Rule, v: number): boolean {
  switch (r.comparison) {
    case 'gt':
      return v > r.threshold!;
    case 'gte':
      return v >= r.threshold!;
    case 'lt':
      return v < r.threshold!;
    case 'lte':
      return v <= r.threshold!;
    case 'outside':
      return v < r.low! || v > r.high!;
  }
}

/**
 * Is the value back inside by the hysteresis margin? (`pit level > 50 cm`, hysteresis 5: clears
 * at 45 cm or less; `voltage outside 198–242 V`, hysteresis 3: clears within 201–239 V.)
 */
export function clears(r: Rule, v: number): boolean {
  const h = r.hysteresis;
  switch (r.comparison) {
    case 'gt':
      return v <= r.threshold! - h;
    case 'gte':
      return v < r.threshold! - h;
    case 'lt':
      return v >= r.threshold! + h;
    case 'lte':
      return v > r.threshold! + h;
    case 'outside':
      return v >= r.low! + h && v <= r.high! - h;
  }
}

/**
 * One (rule, device) in breach. `pending`: breaching, the duration not yet reached.
 * `raised`: the fault was handed to the device-fault procedure. `suppressed`: the breach
 * lasted, but the device was in maintenance mode (PROCEDURES.md "Device health": it raises no
 * faults); raised at the next breaching sample after the maintenance ends.
 */
export interface BreachState {
  phase: 'pending' | 'raised' | 'suppressed';
  /** when the current breach began */
  since: number;
  /** the last value seen */
  value: number;
}

export type RuleDecision =
  | { op: 'none' }
  /** the duration runs until `at`: call ruleTick then (no setTimeout here) */
  | { op: 'check_at'; at: number }
  /** open (or repeat into) the device fault of this rule */
  | { op: 'raise'; since: number; value: number }
  /** back inside by the margin: tell the open fault it cleared */
  | { op: 'clear'; value: number };

const NONE: RuleDecision = { op: 'none' };

function confirm(state: BreachState, now: number, suppressed: boolean): { state: BreachState; decision: RuleDecision } {
  if (suppressed) return { state: { ...state, phase: 'suppressed' }, decision: NONE };
  return { state: { ...state, phase: 'raised' }, decision: { op: 'raise', since: state.since, value: state.value } };
}

/**
 * A sample of the rule's metric from the device. `state` null: not in breach. `suppressed`:
 * the device is in maintenance now. Returns the next state (null: not in breach) and what to do.
 */
export function ruleStep(
  r: Rule,
  state: BreachState | null,
  value: number,
  now: number,
  suppressed: boolean,
): { state: BreachState | null; decision: RuleDecision } {
  if (state === null) {
    if (!breaches(r, value)) return { state: null, decision: NONE };
    const next: BreachState = { phase: 'pending', since: now, value };
    if (r.durationMs <= 0) return confirm(next, now, suppressed);
    return { state: next, decision: { op: 'check_at', at: now + r.durationMs } };
  }
  if (state.phase === 'pending') {
    // a single sample back inside ends a breach that has not lasted yet (no margin needed:
    // nothing was raised, so nothing flaps)
    if (!breaches(r, value)) return { state: null, decision: NONE };
    const next = { ...state, value };
    if (now - state.since >= r.durationMs) return confirm(next, now, suppressed);
    return { state: next, decision: NONE };
  }
  if (state.phase === 'suppressed') {
    if (clears(r, value)) return { state: null, decision: NONE };
    const next = { ...state, value };
    return suppressed ? { state: next, decision: NONE } : confirm(next, now, false);
  }
  // raised: only a value inside by the hysteresis margin clears it
  if (clears(r, value)) return { state: null, decision: { op: 'clear', value } };
  return { state: state.value === value ? state : { ...state, value }, decision: NONE };
}

/** The duration deadline passed without a sample back inside: the breach lasted. */
export function ruleTick(r: Rule, state: BreachState, now: number, suppressed: boolean): { state: BreachState; decision: RuleDecision } {
  if (state.phase !== 'pending') return { state, decision: NONE };
  if (now - state.since < r.durationMs) return { state, decision: { op: 'check_at', at: state.since + r.durationMs } };
  return confirm(state, now, suppressed);
}

/**
 * A band inside which a value breaches none of the rules: strict bounds, conservative (a value
 * on a bound is simply evaluated rule by rule). `lo < v < hi` ⇒ no rule breaches.
 */
export function safeBand(rules: readonly Rule[]): { lo: number; hi: number } {
  let lo = -Infinity;
  let hi = Infinity;
  for (const r of rules) {
    if (r.comparison === 'gt' || r.comparison === 'gte') hi = Math.min(hi, r.threshold!);
    else if (r.comparison === 'lt' || r.comparison === 'lte') lo = Math.max(lo, r.threshold!);
    else {
      lo = Math.max(lo, r.low!);
      hi = Math.min(hi, r.high!);
    }
  }
  return { lo, hi };
}

/**
 * The rules of one metric for one scope (a class, or a device), with their safe band: a sample
 * inside the band, from a device none of these rules has a breach in progress for, is decided
 * with two comparisons however many rules there are.
 */
export class RuleGroup<R extends Rule = Rule> {
  readonly rules: R[] = [];
  lo = -Infinity;
  hi = Infinity;
  /** deviceId → how many of these rules it is in breach of (kept by the evaluator) */
  readonly inBreach = new Map<string, number>();

  /** Certainly nothing to do for this sample (inside the band, no breach in progress). */
  quiet(deviceId: string, v: number): boolean {
    return v > this.lo && v < this.hi && (this.inBreach.size === 0 || !this.inBreach.has(deviceId));
  }
}

/**
 * The enabled rules, indexed for the ingest path: `ownRules(deviceId)` and `classRules(cls)`
 * once per message, then one lookup per metric. Generic so the evaluator can index its own
 * rule objects (with their breach states attached: no further lookup per rule).
 */
export class RuleIndex<R extends Rule = Rule> {
  private readonly byDevice = new Map<string, Map<string, RuleGroup<R>>>();
  private readonly byClass = new Map<DeviceClass, Map<string, RuleGroup<R>>>();
  readonly size: number;

  constructor(readonly rules: readonly R[]) {
    const add = <K>(m: Map<K, Map<string, RuleGroup<R>>>, k: K, r: R) => {
      let bm = m.get(k);
      if (!bm) m.set(k, (bm = new Map()));
      let g = bm.get(r.metric);
      if (!g) bm.set(r.metric, (g = new RuleGroup<R>()));
      g.rules.push(r);
    };
    for (const r of rules) {
      if (r.deviceId) add(this.byDevice, r.deviceId, r);
      else if (r.deviceClass) add(this.byClass, r.deviceClass, r);
    }
    for (const m of [this.byDevice, this.byClass] as Array<Map<unknown, Map<string, RuleGroup<R>>>>)
      for (const bm of m.values())
        for (const g of bm.values()) {
          const band = safeBand(g.rules);
          g.lo = band.lo;
          g.hi = band.hi;
        }
    this.size = rules.length;
  }

  /** A device's own rules, per metric (undefined: none). */
  ownRules(deviceId: string): ReadonlyMap<string, RuleGroup<R>> | undefined {
    return this.byDevice.get(deviceId);
  }

  /** A class's rules, per metric (undefined: none). */
  classRules(cls: DeviceClass): ReadonlyMap<string, RuleGroup<R>> | undefined {
    return this.byClass.get(cls);
  }

  /**
   * The rules of one metric for a device: the device's own when it has any on that metric,
   * else its class's. Empty array when none.
   */
  forMetric(deviceId: string, cls: DeviceClass, metric: string): readonly R[] {
    return (this.byDevice.get(deviceId)?.get(metric) ?? this.byClass.get(cls)?.get(metric))?.rules ?? (EMPTY as readonly R[]);
  }

  /** Does any rule watch this device at all? */
  watches(deviceId: string, cls: DeviceClass): boolean {
    return this.byClass.has(cls) || this.byDevice.has(deviceId);
  }
}
const EMPTY: readonly Rule[] = [];
