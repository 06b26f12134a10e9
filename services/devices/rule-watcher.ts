// Runs the telemetry rules (rules.ts) on the live telemetry stream (PROCEDURES.md "Device
// health"). Ingest must not slow down (issue 10: measured by `npm run bench:rules`), so the
// per-message path touches memory only:
//   - `onTelemetry` is called synchronously from the bus for every telemetry message: two map
//     lookups decide whether any rule watches the device, then one per metric; a value inside
//     its limits with no breach in progress allocates nothing;
//   - a breach that must last N s keeps a deadline; when it lasts (or clears) the decision is
//     put in an outbox and the incident scheduler is woken — the fault is opened or told it
//     cleared later, in the incident service's queue (a watcher's `tick`), never on the ingest
//     path and never awaited by it.
// Rules live in memory; the rule service reloads them after each change (and on the other
// instances through the cluster bus: services/hub/hub.ts shareState).
import type { DeviceClass } from '../../contracts/domain.js';
import type { RuleBreachView } from '../../contracts/rules.js';
import type { DeviceRef } from '../core/bus.js';
import type { Logger } from '../core/logger.js';
import type { Watcher, WatcherApi } from '../incidents/module.js';
import type { RuleBreach } from './machine.js';
import { breaches, numeric, RuleGroup, RuleIndex, ruleStep, ruleTick, type BreachState, type Rule, type RuleDecision } from './rules.js';

/** A rule as the evaluator holds it: its breaches in progress attached (no lookup by id per sample). */
interface LiveRule extends Rule {
  /** deviceId → breach in progress (empty: nobody in breach) */
  readonly states: Map<string, Tracked>;
}

interface Tracked {
  device: DeviceRef;
  state: BreachState;
  /** pending: when ruleTick must run */
  checkAt: number | null;
}

type Outgoing =
  | { op: 'raise'; rule: Rule; device: DeviceRef; since: number; value: number }
  | { op: 'clear'; ruleId: string; deviceId: string; value: number };

export interface RuleEvaluatorOptions {
  now: () => number;
  log: Logger;
  /** a device in maintenance mode raises no faults (PROCEDURES.md "Device health") */
  suppressed: (deviceId: string) => boolean;
}

/** The dedup key of a rule's fault on a device (machine.ts dedupKeyFor). */
export const ruleFaultKey = (deviceId: string, ruleId: string) => `${deviceId}/rule/${ruleId}`;

export class RuleEvaluator {
  private index = new RuleIndex<LiveRule>([]);
  /** ruleId → deviceId → breach in progress (the same maps as the live rules') */
  private readonly breaches = new Map<string, Map<string, Tracked>>();
  private outbox: Outgoing[] = [];
  private api: WatcherApi | null = null;
  /**
   * The earliest deadline the scheduler was asked to wake for: a later one needs no wake-up (the
   * scheduler re-reads `nextCheckAt` after every tick), so a rule breaching on many samples
   * does not re-plan the scheduler on each.
   */
  private askedFor = Infinity;
  /** telemetry samples compared with a rule (for the benchmark and metrics) */
  evaluated = 0;

  constructor(private readonly o: RuleEvaluatorOptions) {}

  get rules(): readonly Rule[] {
    return this.index.rules;
  }

  /**
   * Replace the rule set (after an admin change). Breaches of rules that still exist are kept
   * and judged against the new limits from the next sample; a removed or disabled rule's open
   * faults are told it cleared (nothing watches them any more).
   */
  load(rules: readonly Rule[]): void {
    const live = rules.map((r): LiveRule => {
      let states = this.breaches.get(r.id);
      if (!states) this.breaches.set(r.id, (states = new Map()));
      return { ...r, states };
    });
    this.index = new RuleIndex(live);
    // breaches carried over: each group counts its devices in breach again
    for (const r of live) {
      const g = this.groupOf(r);
      for (const deviceId of r.states.keys()) g?.inBreach.set(deviceId, (g.inBreach.get(deviceId) ?? 0) + 1);
    }
    const ids = new Set(rules.map((r) => r.id));
    for (const [ruleId, devices] of this.breaches) {
      if (ids.has(ruleId)) continue;
      for (const [deviceId, t] of devices)
        if (t.state.phase === 'raised') this.outbox.push({ op: 'clear', ruleId, deviceId, value: t.state.value });
      this.breaches.delete(ruleId);
    }
    if (this.outbox.length) this.wake();
  }

  /** The ingest path: one telemetry message (synchronous, memory only). */
  onTelemetry(device: DeviceRef, metrics: Record<string, number | boolean | string>): void {
    const index = this.index;
    if (index.size === 0) return;
    const own = index.ownRules(device.deviceId);
    const cls = index.classRules(device.class);
    if (own === undefined && cls === undefined) return;
    let now = 0;
    for (const metric in metrics) {
      const g = own?.get(metric) ?? cls?.get(metric);
      if (g === undefined) continue;
      const v = numeric(metrics[metric]);
      // inside every rule's limits and no breach in progress for this device: two comparisons
      if (v === null || g.quiet(device.deviceId, v)) continue;
      this.evaluated += g.rules.length;
      for (const r of g.rules) {
        // the common case — inside the limits, nobody in breach of this rule — ends here:
        // one comparison, no lookup, no allocation
        const out = breaches(r, v);
        if (!out && r.states.size === 0) continue;
        const t = r.states.get(device.deviceId);
        if (t === undefined && !out) continue;
        if (now === 0) now = this.o.now();
        this.sample(g, r, t ?? null, device, v, now);
      }
    }
  }

  private sample(g: RuleGroup<LiveRule>, r: LiveRule, t: Tracked | null, device: DeviceRef, v: number, now: number): void {
    const id = device.deviceId;
    const step = ruleStep(r, t?.state ?? null, v, now, this.o.suppressed(id));
    if (step.state === null) {
      if (t) {
        r.states.delete(id);
        const n = (g.inBreach.get(id) ?? 1) - 1;
        if (n > 0) g.inBreach.set(id, n);
        else g.inBreach.delete(id);
      }
    } else if (t) {
      t.state = step.state;
      if (step.state.phase !== 'pending') t.checkAt = null;
    } else {
      r.states.set(id, { device, state: step.state, checkAt: null });
      g.inBreach.set(id, (g.inBreach.get(id) ?? 0) + 1);
    }
    this.decided(r, device, step.decision);
  }

  private groupOf(r: LiveRule): RuleGroup<LiveRule> | undefined {
    return r.deviceId ? this.index.ownRules(r.deviceId)?.get(r.metric) : this.index.classRules(r.deviceClass!)?.get(r.metric);
  }

  private decided(r: Rule, device: DeviceRef, d: RuleDecision): void {
    if (d.op === 'none') return;
    if (d.op === 'check_at') {
      const t = this.breaches.get(r.id)?.get(device.deviceId);
      if (t) t.checkAt = d.at;
      if (d.at >= this.askedFor) return;
      this.askedFor = d.at;
    } else if (d.op === 'raise') this.outbox.push({ op: 'raise', rule: r, device, since: d.since, value: d.value });
    else this.outbox.push({ op: 'clear', ruleId: r.id, deviceId: device.deviceId, value: d.value });
    this.wake();
  }

  private wake(): void {
    this.api?.reschedule();
  }

  /** Devices in breach of a rule now (this instance's view), for the admin screen. */
  breachesOf(ruleId: string): Omit<RuleBreachView, 'deviceName'>[] {
    const out: Omit<RuleBreachView, 'deviceName'>[] = [];
    for (const [deviceId, t] of this.breaches.get(ruleId) ?? [])
      out.push({ deviceId, phase: t.state.phase, since: t.state.since, value: t.state.value });
    return out;
  }

  /** The watcher the device-fault procedure runs: hands decisions to the incident service. */
  watcher(api: WatcherApi): Watcher {
    this.api = api;
    return {
      nextCheckAt: () => (this.outbox.length ? this.o.now() : this.nextDeadline()),
      tick: async (now) => {
        this.due(now);
        const work = this.outbox;
        this.outbox = [];
        for (const w of work) await this.deliver(api, w);
        this.askedFor = this.nextDeadline() ?? Infinity;
      },
    };
  }

  private nextDeadline(): number | null {
    let next: number | null = null;
    for (const devices of this.breaches.values())
      for (const t of devices.values()) if (t.checkAt !== null && (next === null || t.checkAt < next)) next = t.checkAt;
    return next;
  }

  /** Durations that ran out: the breach lasted. */
  private due(now: number): void {
    const byId = new Map(this.index.rules.map((r) => [r.id, r]));
    for (const [ruleId, devices] of this.breaches) {
      const r = byId.get(ruleId);
      if (!r) continue;
      for (const [deviceId, t] of devices) {
        if (t.checkAt === null || t.checkAt > now) continue;
        const step = ruleTick(r, t.state, now, this.o.suppressed(deviceId));
        t.state = step.state;
        t.checkAt = step.decision.op === 'check_at' ? step.decision.at : null;
        if (step.decision.op === 'raise')
          this.outbox.push({ op: 'raise', rule: r, device: t.device, since: step.decision.since, value: step.decision.value });
      }
    }
  }

  private async deliver(api: WatcherApi, w: Outgoing): Promise<void> {
    const log = api.deps.log;
    if (w.op === 'raise') {
      const d = api.deps.registry.get(w.device.deviceId);
      const cls: DeviceClass = d?.class ?? w.device.class;
      const r = w.rule;
      const payload: RuleBreach = {
        ruleId: r.id,
        name: r.name,
        metric: r.metric,
        comparison: r.comparison,
        threshold: r.threshold,
        low: r.low,
        high: r.high,
        durationSeconds: Math.round(r.durationMs / 1000),
        hysteresis: r.hysteresis,
        severity: r.severity,
        value: w.value,
      };
      log.info({ deviceId: w.device.deviceId, rule: r.id, value: w.value }, 'telemetry rule breached: opening device fault');
      await api
        .trigger('device_fault', {
          source: 'rule',
          siteId: d?.site ?? w.device.site,
          buildingId: d?.building ?? w.device.building,
          deviceId: w.device.deviceId,
          deviceClass: cls,
          ruleId: r.id,
          since: w.since,
          payload,
        })
        .catch((err: unknown) => log.error({ err, deviceId: w.device.deviceId, rule: r.id }, 'could not open telemetry-rule fault'));
      return;
    }
    const key = ruleFaultKey(w.deviceId, w.ruleId);
    const open = api.deps.openIncidents().filter((s) => s.open && s.kind === 'device_fault' && s.dedupKey === key);
    for (const s of open) {
      if (s.state !== 'open' && s.state !== 'acknowledged') continue;
      await api
        .system(s.id, 'rule_cleared', { value: w.value })
        .catch((err: unknown) => log.error({ err, incident: s.id, rule: w.ruleId }, 'could not clear telemetry-rule fault'));
    }
  }
}
