// HTTP shapes of shifts 班次, the per-shift duty log, the hub-opened handover with its equipment
// check, the supervisor's monthly review / spot checks and the summary reports
// (PROCEDURES.md "Shifts, duty log, handover"; docs/records.md "Shifts").
import { z } from 'zod';
import { Day } from './common.js';
import { DutyLogResponse, OpenItem, UserRef, bi } from './records.js';
import { Text } from './messages.js';

export const SHIFT_ID = /^\d{4}-\d{2}-\d{2}T\d{4}$/;

export const ShiftDef = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_-]{0,23}$/),
    name: z.tuple([z.string().min(1).max(40), z.string().min(1).max(40)]),
    /** local start "HH:MM"; the shift ends where the next one starts */
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  })
  .strict();
export type ShiftDef = z.infer<typeof ShiftDef>;

export const ShiftDefs = z
  .array(ShiftDef)
  .min(1)
  .max(6)
  .superRefine((defs, ctx) => {
    if (new Set(defs.map((d) => d.id)).size !== defs.length) ctx.addIssue({ code: 'custom', message: 'shift ids must be unique' });
    if (new Set(defs.map((d) => d.start)).size !== defs.length) ctx.addIssue({ code: 'custom', message: 'shift starts must be unique' });
  });

export const EquipmentItem = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/),
    label: z.tuple([z.string().min(1).max(80), z.string().min(1).max(80)]),
  })
  .strict();
export type EquipmentItem = z.infer<typeof EquipmentItem>;
export const EquipmentList = z
  .array(EquipmentItem)
  .max(60)
  .refine((l) => new Set(l.map((i) => i.id)).size === l.length, 'item ids must be unique');

export const ShiftId = z.string().regex(SHIFT_ID, bi('班次编号格式为 YYYY-MM-DDTHHMM', 'a shift id is YYYY-MM-DDTHHMM'));
export const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, bi('月份格式为 YYYY-MM', 'a month is YYYY-MM'));
/** building ids, comma separated (building-scope enforcement narrows it further) */
export const BuildingsFilter = z
  .string()
  .max(2000)
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .optional();

const Label = z.tuple([z.string(), z.string()]);

export const ShiftView = z.object({
  id: z.string(),
  defId: z.string(),
  /** in the reader's language */
  name: z.string(),
  nameLabel: Label,
  startsAt: z.number(),
  endsAt: z.number(),
  status: z.enum(['upcoming', 'current', 'ended']),
  signature: z
    .object({
      signedBy: z.string(),
      signedByName: z.string().nullable(),
      signedAt: z.number(),
      note: z.string(),
      /** carried over from the day signature of this day (before logs were per shift) */
      legacyDay: z.string().nullable(),
    })
    .nullable(),
  handoverOpenedAt: z.number().nullable(),
  /** the latest handover closing this shift */
  handover: z
    .object({
      id: z.string(),
      state: z.enum(['open', 'accepted', 'refused']),
      outgoingName: z.string().nullable(),
      incomingName: z.string().nullable(),
    })
    .nullable(),
  spotCheck: z.object({ by: z.string(), byName: z.string().nullable(), at: z.number(), note: z.string() }).nullable(),
});
export type ShiftView = z.infer<typeof ShiftView>;

export const ShiftListQuery = z.object({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  month: Month.optional(),
  unsigned: z.enum(['true', 'false']).optional(),
});

export const OnDutyView = z.object({
  /** the shift by the clock */
  shift: ShiftView,
  /**
   * who holds the desk: the incoming operator of the last accepted handover; while the ended
   * shift's handover is not accepted, the outgoing operator stays on duty (seed 004 篇3 §1.2, §1.7)
   */
  onDuty: UserRef.nullable(),
  /** the outgoing operator is past the shift's end waiting for the incoming one */
  overtime: z.boolean(),
  /** an ended shift whose handover is not accepted yet */
  pendingHandover: z
    .object({
      shiftId: z.string(),
      since: z.number(),
      handoverId: z.string().nullable(),
      state: z.enum(['waiting_outgoing', 'open', 'refused']),
    })
    .nullable(),
});
export type OnDutyView = z.infer<typeof OnDutyView>;

export const ShiftLogResponse = DutyLogResponse.extend({ shift: ShiftView });
export type ShiftLogResponse = z.infer<typeof ShiftLogResponse>;
export const ShiftLogQuery = z.object({ shift: ShiftId.optional() });

export const EquipmentView = z.object({ id: z.string(), label: z.string(), labelPair: Label });
export const Check = z.object({
  item: z.string().min(1).max(40),
  /** √ normal / × not normal (seed 004 篇3 §2.1) */
  ok: z.boolean(),
  note: z.string().trim().max(500).default(''),
});
export const CheckView = Check.extend({ label: z.string() });

/** A pending item from a provider (work orders, complaints, follow-ups…). */
export const PendingView = z.object({
  source: z.string(),
  sourceLabel: z.string(),
  id: z.string(),
  title: z.string(),
  titleMsg: Text,
  building: z.string().nullable(),
  dueAt: z.number().nullable(),
  overdue: z.boolean(),
});
export type PendingView = z.infer<typeof PendingView>;
export const DeviceItemView = z.object({
  id: z.string(),
  name: z.string(),
  building: z.string(),
  buildingName: z.string(),
  class: z.string(),
  condition: z.enum(['offline', 'out_of_service', 'maintenance']),
  conditionLabel: z.string(),
  since: z.number().nullable(),
  reason: z.string().nullable(),
});
export type DeviceItemView = z.infer<typeof DeviceItemView>;

export const HandoverDraft = z.object({
  shift: ShiftView,
  openItems: z.array(OpenItem),
  pending: z.array(PendingView),
  devices: z.array(DeviceItemView),
  equipment: z.array(EquipmentView),
});
export type HandoverDraft = z.infer<typeof HandoverDraft>;
export const DraftQuery = z.object({ shift: ShiftId.optional(), buildings: BuildingsFilter });

export const ShiftHandoverBody = z.object({
  notes: z.string().trim().min(1, bi('交接内容不能为空', 'handover notes are required')).max(5000),
  incomingUsername: z.string().trim().min(1).max(64).optional(),
  /** the shift this handover closes (default: the ended shift waiting for its handover, else the current one) */
  shiftId: ShiftId.optional(),
  checks: z.array(Check).max(60).optional(),
});

export const ShiftConfigView = z.object({
  shifts: ShiftDefs,
  equipment: EquipmentList,
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
});
export const ShiftConfigBody = z
  .object({ shifts: ShiftDefs.optional(), equipment: EquipmentList.optional() })
  .strict()
  .refine((b) => b.shifts !== undefined || b.equipment !== undefined, bi('没有要修改的内容', 'nothing to change'));

export const SignShiftBody = z.object({ note: z.string().trim().max(2000).default('') });
export const SpotCheckBody = z.object({ note: z.string().trim().max(2000).default('') });

export const MonthReviewView = z.object({
  month: z.string(),
  shifts: z.number(),
  signed: z.number(),
  unsigned: z.number(),
  spotCheck: z.object({ total: z.number(), checked: z.number(), required: z.number(), ratio: z.number(), met: z.boolean() }),
  review: z.object({ by: z.string(), byName: z.string().nullable(), at: z.number(), note: z.string() }).nullable(),
});
export type MonthReviewView = z.infer<typeof MonthReviewView>;

// ---------------------------------------------------------------- reports 汇总报表

export const ReportQuery = z.object({
  period: z.enum(['day', 'week', 'month']),
  /** any day inside the period (local); default today */
  date: Day.optional(),
  buildings: BuildingsFilter,
  format: z.enum(['json', 'html', 'csv']).default('json'),
  lang: z.enum(['zh-CN', 'en']).optional(),
});

export const TargetRate = z.object({
  /** the timer's name (its step or target) */
  target: z.string(),
  label: Label,
  total: z.number(),
  onTime: z.number(),
  /** null when nothing was measured */
  rate: z.number().nullable(),
});
export const KindSummary = z.object({
  kind: z.string(),
  label: Label,
  opened: z.number(),
  closed: z.number(),
  open: z.number(),
  targets: z.array(TargetRate),
});
export const ReportSection = z.object({
  source: z.string(),
  label: Label,
  rows: z.array(z.object({ label: Label, value: z.number(), rate: z.number().nullable().optional() })),
});
export type ReportSection = z.infer<typeof ReportSection>;
export const SummaryReport = z.object({
  period: z.enum(['day', 'week', 'month']),
  label: z.string(),
  from: z.number(),
  to: z.number(),
  buildings: z.array(z.string()).nullable(),
  generatedAt: z.number(),
  incidents: z.array(KindSummary),
  visitors: z.object({ requests: z.number(), admitted: z.number(), refused: z.number(), overstays: z.number() }),
  sections: z.array(ReportSection),
  /** null in a report for some buildings: shifts and handovers are the whole estate's */
  shifts: z.object({ total: z.number(), signed: z.number(), handovers: z.number(), refused: z.number() }).nullable(),
});
export type SummaryReport = z.infer<typeof SummaryReport>;
