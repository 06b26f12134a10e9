// Telemetry rules 遥测规则 — configuration (PROCEDURES.md "Device health": configured, not coded).
// Admin only (routes: rule-routes.ts); every create, change, enable/disable and delete writes an
// audit row in the same transaction (before/after). After a change the evaluator is reloaded
// from the database, and `onChanged` tells the other instances (cluster bus) to do the same.
import type { DeviceClass } from '../../contracts/domain.js';
import { bi } from '../../contracts/records.js';
import {
  RULE_METRICS,
  ruleProblem,
  type RuleComparison,
  type RuleSeverity,
  type TelemetryRuleBody,
  type TelemetryRulePatch,
  type TelemetryRuleView,
} from '../../contracts/rules.js';
import { audit, changes, type AdminActor } from '../admin/common.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { DeviceRegistry } from './registry.js';
import type { RuleEvaluator } from './rule-watcher.js';
import type { Rule } from './rules.js';

type RuleRow = Awaited<ReturnType<Db['telemetryRule']['findUniqueOrThrow']>>;

/** The fields an audit row and a change compare (what the rule says, not who/when). */
const FIELDS = [
  'name',
  'deviceClass',
  'deviceId',
  'metric',
  'comparison',
  'threshold',
  'low',
  'high',
  'durationSeconds',
  'hysteresis',
  'severity',
  'enabled',
] as const;
type Fields = { [K in (typeof FIELDS)[number]]: RuleRow[K] };
const fieldsOf = (r: RuleRow | Fields): Fields => Object.fromEntries(FIELDS.map((k) => [k, r[k]])) as Fields;

export function toRule(r: RuleRow): Rule {
  return {
    id: r.id,
    name: r.name,
    deviceClass: (r.deviceClass as DeviceClass | null) ?? null,
    deviceId: r.deviceId,
    metric: r.metric,
    comparison: r.comparison as RuleComparison,
    threshold: r.threshold,
    low: r.low,
    high: r.high,
    durationMs: r.durationSeconds * 1000,
    hysteresis: r.hysteresis,
    severity: r.severity as RuleSeverity,
  };
}

export class TelemetryRuleService {
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly db: Db,
    private readonly registry: DeviceRegistry,
    private readonly evaluator: RuleEvaluator,
  ) {}

  /** Load the enabled rules into the evaluator (hub start, after a change, on a cluster notice). */
  async reload(): Promise<void> {
    const rows = await this.db.telemetryRule.findMany({ where: { enabled: true }, orderBy: { createdAt: 'asc' } });
    this.evaluator.load(rows.map(toRule));
  }

  /** Another instance should reload (scale-out: services/hub/hub.ts shareState). */
  onChanged(fn: () => void): void {
    this.listeners.push(fn);
  }

  private view(r: RuleRow): TelemetryRuleView {
    return {
      id: r.id,
      name: r.name,
      deviceClass: (r.deviceClass as DeviceClass | null) ?? null,
      deviceId: r.deviceId,
      deviceName: r.deviceId ? (this.registry.get(r.deviceId)?.name ?? null) : null,
      metric: r.metric,
      comparison: r.comparison as RuleComparison,
      threshold: r.threshold,
      low: r.low,
      high: r.high,
      durationSeconds: r.durationSeconds,
      hysteresis: r.hysteresis,
      severity: r.severity as RuleSeverity,
      enabled: r.enabled,
      createdBy: r.createdBy,
      createdAt: r.createdAt.getTime(),
      updatedAt: r.updatedAt.getTime(),
      breaches: r.enabled
        ? this.evaluator.breachesOf(r.id).map((b) => ({ ...b, deviceName: this.registry.get(b.deviceId)?.name ?? null }))
        : [],
    };
  }

  async list(): Promise<TelemetryRuleView[]> {
    const rows = await this.db.telemetryRule.findMany({ orderBy: [{ createdAt: 'asc' }] });
    return rows.map((r) => this.view(r));
  }

  /** The device exists, and the metric is one the contract lists for its class. */
  private check(f: Fields): void {
    const p = ruleProblem({ ...f, deviceClass: f.deviceClass as DeviceClass | null, comparison: f.comparison as RuleComparison });
    if (p) throw errors.badRequest(bi(p.zh, p.en));
    let cls = f.deviceClass as DeviceClass | null;
    if (f.deviceId) {
      const d = this.registry.get(f.deviceId);
      if (!d) throw errors.badRequest(bi(`没有设备 ${f.deviceId}`, `no device ${f.deviceId}`));
      cls = d.class;
    }
    if (cls && !RULE_METRICS[cls].includes(f.metric))
      throw errors.badRequest(
        bi(
          `该类设备没有此遥测项:${f.metric}`,
          `${cls} devices report no metric ${f.metric} (CONTRACT.md: ${RULE_METRICS[cls].join(', ')})`,
        ),
      );
  }

  private async changed(): Promise<void> {
    await this.reload();
    for (const fn of this.listeners) fn();
  }

  async create(actor: AdminActor, body: TelemetryRuleBody): Promise<TelemetryRuleView> {
    const f: Fields = {
      name: body.name,
      deviceClass: body.deviceId ? null : (body.deviceClass ?? null),
      deviceId: body.deviceId ?? null,
      metric: body.metric,
      comparison: body.comparison,
      threshold: body.comparison === 'outside' ? null : (body.threshold ?? null),
      low: body.comparison === 'outside' ? (body.low ?? null) : null,
      high: body.comparison === 'outside' ? (body.high ?? null) : null,
      durationSeconds: body.durationSeconds,
      hysteresis: body.hysteresis,
      severity: body.severity,
      enabled: body.enabled,
    };
    this.check(f);
    const row = await this.db.$transaction(async (tx) => {
      const r = await tx.telemetryRule.create({ data: { ...f, createdBy: actor.ref } });
      await audit(tx, actor, 'telemetry_rule.create', `telemetry_rule:${r.id}`, { after: f });
      return r;
    });
    await this.changed();
    return this.view(row);
  }

  async patch(actor: AdminActor, id: string, patch: TelemetryRulePatch): Promise<TelemetryRuleView> {
    const row = await this.db.$transaction(async (tx) => {
      const cur = await tx.telemetryRule.findUnique({ where: { id } });
      if (!cur) throw errors.notFound(bi(`没有遥测规则 ${id}`, `no telemetry rule ${id}`));
      const before = fieldsOf(cur);
      const next: Fields = { ...before };
      for (const k of FIELDS) if (patch[k] !== undefined) (next as Record<string, unknown>)[k] = patch[k];
      // scope is one of the two: naming one clears the other
      if (patch.deviceId) next.deviceClass = null;
      else if (patch.deviceClass) next.deviceId = null;
      if (next.comparison === 'outside') next.threshold = null;
      else {
        next.low = null;
        next.high = null;
      }
      this.check(next);
      const diff = changes(before, next);
      if (!diff) return cur;
      const u = await tx.telemetryRule.update({ where: { id }, data: next });
      const action =
        Object.keys(diff.after).length === 1 && diff.after.enabled !== undefined
          ? diff.after.enabled
            ? 'telemetry_rule.enable'
            : 'telemetry_rule.disable'
          : 'telemetry_rule.update';
      await audit(tx, actor, action, `telemetry_rule:${id}`, diff);
      return u;
    });
    await this.changed();
    return this.view(row);
  }

  async remove(actor: AdminActor, id: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const cur = await tx.telemetryRule.findUnique({ where: { id } });
      if (!cur) throw errors.notFound(bi(`没有遥测规则 ${id}`, `no telemetry rule ${id}`));
      await tx.telemetryRule.delete({ where: { id } });
      await audit(tx, actor, 'telemetry_rule.delete', `telemetry_rule:${id}`, { before: fieldsOf(cur) });
    });
    await this.changed();
  }
}
