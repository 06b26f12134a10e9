// HTTP shapes of telemetry rules 遥测规则 (PROCEDURES.md "Device health"; docs/contract.md
// "Telemetry rules"): a metric of a device class, or of one device, compared with a threshold
// (or a range) for a duration opens a device fault; it clears with hysteresis. Admin only,
// every change audited (services/devices/rule-service.ts).
import { z } from 'zod';
import { DeviceClass, Id } from './domain.js';
import { bi } from './records.js';
import { RULE_COMPARISONS, RULE_METRICS, RULE_SEVERITIES } from './rule-metrics.js';

export { RULE_COMPARISONS, RULE_METRICS, RULE_SEVERITIES };

export const RuleComparison = z.enum(RULE_COMPARISONS);
export type RuleComparison = z.infer<typeof RuleComparison>;

export const RuleSeverity = z.enum(RULE_SEVERITIES);
export type RuleSeverity = z.infer<typeof RuleSeverity>;

/** Longest a breach may be required to last (a day): longer is a report, not an alarm. */
export const MAX_RULE_DURATION_S = 86_400;

const Num = z.number().finite();
const Fields = {
  name: z.string().trim().min(1).max(120),
  deviceClass: DeviceClass.nullable().optional(),
  deviceId: Id.nullable().optional(),
  metric: z.string().trim().min(1).max(64),
  comparison: RuleComparison,
  threshold: Num.nullable().optional(),
  low: Num.nullable().optional(),
  high: Num.nullable().optional(),
  durationSeconds: z.number().int().min(0).max(MAX_RULE_DURATION_S).default(0),
  hysteresis: Num.min(0).default(0),
  severity: RuleSeverity.default('medium'),
  enabled: z.boolean().default(true),
};

type Limits = {
  deviceClass?: DeviceClass | null | undefined;
  deviceId?: string | null | undefined;
  comparison: RuleComparison;
  threshold?: number | null | undefined;
  low?: number | null | undefined;
  high?: number | null | undefined;
  hysteresis: number;
};

/** The checks that span fields (shared by create and the merged result of an update). */
export function ruleProblem(r: Limits): { zh: string; en: string; path: string } | null {
  if (!r.deviceClass === !r.deviceId)
    return { path: 'deviceClass', zh: '请选择设备类别或单个设备(二选一)', en: 'give either a device class or one device' };
  if (r.comparison === 'outside') {
    if (r.low == null || r.high == null) return { path: 'low', zh: '“超出范围”需要下限和上限', en: '`outside` needs low and high' };
    if (!(r.low < r.high)) return { path: 'high', zh: '上限必须大于下限', en: 'high must be above low' };
    // clearing needs a value inside the range by the margin on both sides
    if (r.hysteresis * 2 >= r.high - r.low)
      return { path: 'hysteresis', zh: '回差必须小于范围宽度的一半', en: 'hysteresis must be less than half the range' };
  } else if (r.threshold == null) return { path: 'threshold', zh: '请填写阈值', en: 'threshold is required' };
  return null;
}

/**
 * The checks across fields (`ruleProblem`) are made by the service, after the shape: its
 * refusal reads as one sentence in the reader's language, not as a schema path.
 */
export const TelemetryRuleBody = z.object(Fields);
export type TelemetryRuleBody = z.infer<typeof TelemetryRuleBody>;

export const TelemetryRulePatch = z
  .object({
    name: Fields.name.optional(),
    deviceClass: Fields.deviceClass,
    deviceId: Fields.deviceId,
    metric: Fields.metric.optional(),
    comparison: RuleComparison.optional(),
    threshold: Fields.threshold,
    low: Fields.low,
    high: Fields.high,
    durationSeconds: z.number().int().min(0).max(MAX_RULE_DURATION_S).optional(),
    hysteresis: Num.min(0).optional(),
    severity: RuleSeverity.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, bi('没有要修改的内容', 'nothing to change'));
export type TelemetryRulePatch = z.infer<typeof TelemetryRulePatch>;

/** A device currently in breach of a rule (in memory, this instance's view). */
export const RuleBreachView = z.object({
  deviceId: z.string(),
  deviceName: z.string().nullable(),
  /** pending: breaching, duration not yet reached · raised: the fault was opened · suppressed: in maintenance */
  phase: z.enum(['pending', 'raised', 'suppressed']),
  since: z.number(),
  value: z.number(),
});
export type RuleBreachView = z.infer<typeof RuleBreachView>;

export const TelemetryRuleView = z.object({
  id: z.string(),
  name: z.string(),
  deviceClass: DeviceClass.nullable(),
  deviceId: z.string().nullable(),
  deviceName: z.string().nullable(),
  metric: z.string(),
  comparison: RuleComparison,
  threshold: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  durationSeconds: z.number(),
  hysteresis: z.number(),
  severity: RuleSeverity,
  enabled: z.boolean(),
  createdBy: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  breaches: z.array(RuleBreachView),
});
export type TelemetryRuleView = z.infer<typeof TelemetryRuleView>;
