// HTTP/socket.io shapes of incidents, visits and records (CONTRACT.md "HTTP"; issue #3).
// The procedure logic lives in services/*/machine.ts; these are the views it is served as.
import { z } from 'zod';
import { EpochMs, EpochMsQuery, SafeText } from './common.js';
import { IncidentKind, Role } from './domain.js';
import { Fact, Msg, Text } from './messages.js';

export const StepView = z.object({
  key: z.string(),
  ord: z.number(),
  required: z.boolean(),
  status: z.enum(['pending', 'done', 'skipped']),
  doneBy: z.string().nullable(),
  doneAt: z.number().nullable(),
  notes: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export const TimerView = z.object({
  key: z.string(),
  dueAt: z.number(),
  status: z.enum(['running', 'fired', 'cancelled']),
  repeatMs: z.number().nullable(),
  firedAt: z.number().nullable(),
});
export const AllowedActionView = z.object({
  action: z.string(),
  step: z.string().nullable(),
  generic: z.boolean(),
  /** JSON schema of the action's payload, so a UI can build the form */
  payload: z.unknown().optional(),
  /** offered but not yet possible for this role (e.g. 119 before approval): why, to show instead of a form */
  blocked: Msg.optional(),
  /** what the form starts with (from what the incident already knows) */
  defaults: z.record(z.string(), z.unknown()).optional(),
});
export const CommandView = z.object({
  corr: z.string(),
  deviceId: z.string(),
  name: z.string(),
  state: z.enum(['sent', 'confirmed', 'failed', 'expired']),
  sentAt: z.number(),
  expiresAt: z.number(),
  resolvedAt: z.number().nullable(),
  result: z.unknown().nullable(),
});
export const TimelineView = z.object({
  seq: z.number(),
  at: z.number(),
  actorType: z.string(),
  actor: z.string(),
  type: z.string(),
  /** what a person typed (and, on entries written before keys were stored, the English reason) */
  message: z.string(),
  /** the procedure's reason as a message (labels: GET /api/procedures), or null */
  reason: Text.nullable(),
  /** the whole entry rendered in the reader's locale (Accept-Language, else the user's locale) */
  text: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const IncidentView = z.object({
  id: z.string(),
  number: z.number(),
  kind: IncidentKind,
  state: z.string(),
  open: z.boolean(),
  severity: z.number(),
  site: z.string(),
  building: z.string(),
  floor: z.number().nullable(),
  deviceId: z.string().nullable(),
  parentId: z.string().nullable(),
  /** rendered in the reader's locale (socket.io pushes: zh-CN); `titleMsg` is the message itself */
  title: z.string(),
  titleMsg: Text,
  /** the procedure's details panel (its views.ts) */
  facts: z.array(Fact),
  /** personal data (e.g. a visitor's name) is masked in this view (role without the duty, or no reason given) */
  masked: z.boolean(),
  openedAt: z.number(),
  closedAt: z.number().nullable(),
  steps: z.array(StepView),
  timers: z.array(TimerView),
  data: z.record(z.string(), z.unknown()),
  /** what the requesting user's role may do now (absent in socket.io pushes: roles differ) */
  allowedActions: z.array(AllowedActionView).optional(),
  commands: z.array(CommandView),
  children: z.array(z.string()),
});
export type IncidentView = z.infer<typeof IncidentView>;

export const IncidentDetail = IncidentView.extend({
  timeline: z.array(TimelineView),
  /** display names of the staff named in steps and timeline: "user:<id>" → displayName */
  people: z.record(z.string(), z.string()),
});
export type IncidentDetail = z.infer<typeof IncidentDetail>;

export const IncidentListQuery = z.object({
  state: z.enum(['open', 'closed', 'all']).default('open'),
  kind: IncidentKind.optional(),
  building: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

/** GET /api/procedures: every procedure the hub runs, with its labels (the dashboard renders keys with them). */
export const ProceduresView = z.object({
  /** flat message catalog: key → [zh-CN, en] */
  labels: z.record(z.string(), z.tuple([z.string(), z.string()])),
  kinds: z.array(
    z.object({
      kind: IncidentKind,
      severity: z.number(),
      specialReport: z.boolean(),
      /** life safety: banner and alarm sound until acknowledged */
      attention: z.boolean(),
      /** who may report it by hand and the JSON schema of the report's payload (null: never by hand) */
      manual: z.object({ roles: z.array(Role), payload: z.unknown() }).nullable(),
    }),
  ),
});
export type ProceduresView = z.infer<typeof ProceduresView>;

export const IncidentDetailQuery = z.object({
  /**
   * Why personal data (e.g. a visitor's name) is opened: required to see it unmasked, and
   * logged with who and when (seed 000 §2.1.6.2). Without it the view comes back masked.
   */
  reason: z.string().trim().min(2).max(200).optional(),
});

export const ManualReportBody = z.object({
  kind: IncidentKind,
  building: z.string().min(1),
  /** validated by the procedure (e.g. car, floor, caller for an entrapment phone report) */
  payload: z.record(z.string(), z.unknown()).default({}),
});

export const ActionBody = z.object({ payload: z.unknown().optional() });

export const VisitView = z.object({
  id: z.string(),
  incidentId: z.string().nullable(),
  building: z.string(),
  unit: z.string(),
  visitorName: z.string(),
  idMasked: z.string(),
  channel: z.string(),
  state: z.string(),
  plannedMinutes: z.number(),
  requestedAt: z.number(),
  decidedAt: z.number().nullable(),
  approvedBy: z.string().nullable(),
  approvalChannel: z.string().nullable(),
  enteredAt: z.number().nullable(),
  leftAt: z.number().nullable(),
  overstay: z.boolean(),
});
export type VisitView = z.infer<typeof VisitView>;

/** An owner's advance notice of a visitor (业主预先通知), recorded by the desk. */
export const PreAuthBody = z.object({
  building: z.string().min(1),
  unit: z.string().min(1).max(32),
  visitorName: z.string().min(1).max(64),
  idNumber: z.string().min(4).max(32).optional(),
  validFrom: EpochMs,
  validTo: EpochMs,
});
export const PreAuthView = z.object({
  id: z.string(),
  building: z.string(),
  unit: z.string(),
  visitorName: z.string(),
  idMasked: z.string(),
  validFrom: z.number(),
  validTo: z.number(),
  registeredBy: z.string(),
  usedAt: z.number().nullable(),
});

export type PreAuthView = z.infer<typeof PreAuthView>;

export const DutyLogView = z.object({
  day: z.string(),
  entries: z.array(
    z.object({
      seq: z.number(),
      at: z.number(),
      actor: z.string(),
      incidentId: z.string().nullable(),
      /** message key and params (labels: GET /api/procedures); `legacy` for rows from before keys were stored */
      key: z.string(),
      params: z.record(z.string(), z.unknown()),
      /** rendered in the reader's locale */
      text: z.string(),
    }),
  ),
  signature: z.object({ signedBy: z.string(), signedAt: z.number(), note: z.string() }).nullable(),
});

export const HandoverView = z.object({
  id: z.string(),
  outgoingId: z.string(),
  incomingId: z.string().nullable(),
  state: z.enum(['open', 'accepted', 'refused']),
  openItems: z.array(z.unknown()),
  notes: z.string(),
  createdAt: z.number(),
  outgoingSignedAt: z.number(),
  incomingSignedAt: z.number().nullable(),
  refusedReason: z.string().nullable(),
});

export const FollowUpView = z.object({
  id: z.string(),
  incidentId: z.string().nullable(),
  /** rendered in the reader's locale; `subjectMsg` is the message itself */
  subject: z.string(),
  subjectMsg: Text,
  dueAt: z.number(),
  doneAt: z.number().nullable(),
  doneBy: z.string().nullable(),
  notes: z.string(),
  overdue: z.boolean(),
});

export const PlannedOutageBody = z.object({
  building: z.string().min(1),
  feeder: z.string().optional(),
  startsAt: EpochMs,
  endsAt: EpochMs,
  noticeAt: EpochMs,
  residentsMustPrepare: z.boolean().default(false),
  reason: z.string().min(1).max(500),
});

export const UserView = z.object({ id: z.string(), username: z.string(), role: Role, displayName: z.string() });

// ------------------------------------------------------------------ history 事件历史 (issue 14)

/**
 * GET /api/incidents/search and /api/incidents/export: every incident, closed ones forever
 * (PROCEDURES.md "a closed incident can be read forever"). `state` and `kind` keep the names of
 * GET /api/incidents; an unknown value is a 400 (CONTRACT.md), not an empty list. `from`/`to`
 * bound the opening time (ms, `to` exclusive); `q` matches the title, step and timeline notes,
 * the device's name or id, the kind's name and the incident number.
 */
export const IncidentSearchQuery = z
  .object({
    state: z.enum(['open', 'closed', 'all']).default('all'),
    kind: IncidentKind.optional(),
    building: z.string().min(1).max(64).optional(),
    from: EpochMsQuery.optional(),
    to: EpochMsQuery.optional(),
    q: SafeText.pipe(z.string().trim().max(200)).optional(),
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(25),
    /** export only: the CSV's language (default: the reader's) */
    lang: z.enum(['zh-CN', 'en']).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: '开始时间须早于结束时间 / from must be before to',
    path: ['to'],
  });
export type IncidentSearchQuery = z.infer<typeof IncidentSearchQuery>;

/** One row of the history: names, not ids, rendered in the reader's language. */
export const HistoryRow = z.object({
  id: z.string(),
  number: z.number(),
  kind: IncidentKind,
  kindLabel: z.string(),
  state: z.string(),
  stateLabel: z.string(),
  open: z.boolean(),
  severity: z.number(),
  building: z.string(),
  buildingName: z.string(),
  floor: z.number().nullable(),
  deviceId: z.string().nullable(),
  deviceName: z.string().nullable(),
  title: z.string(),
  titleMsg: Text,
  /** personal data in the title is masked for this reader */
  masked: z.boolean(),
  openedAt: z.number(),
  closedAt: z.number().nullable(),
});
export type HistoryRow = z.infer<typeof HistoryRow>;

export const HistoryPage = z.object({
  items: z.array(HistoryRow),
  /** matches in all pages */
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
});
export type HistoryPage = z.infer<typeof HistoryPage>;

// ------------------------------------------------------------------ bulk 批量处理 (issue 14)

/**
 * POST /api/incidents/bulk: acknowledge or close many device faults with one reason. Each id
 * goes through the procedure's own action (role, state, timeline, audit), so `close` is refused
 * for a fault not yet acknowledged or with a required step pending (services/devices/machine.ts).
 * Every id gets a result; a repeated id is a 400.
 */
export const BULK_FAULT_ACTIONS = ['acknowledge', 'close'] as const;
export const BulkFaultBody = z.object({
  action: z.enum(BULK_FAULT_ACTIONS),
  ids: z
    .array(z.uuid())
    .min(1)
    .max(100)
    .refine((ids) => new Set(ids).size === ids.length, { message: '编号重复 / repeated id' }),
  reason: SafeText.pipe(z.string().trim().min(1).max(2000)),
});
export type BulkFaultBody = z.infer<typeof BulkFaultBody>;

export const BulkResult = z.object({
  id: z.string(),
  ok: z.boolean(),
  /** the incident's state afterwards (null: not found / not readable) */
  state: z.string().nullable(),
  /** on a refusal: the coded error and its message in the reader's language */
  code: z.string().optional(),
  message: z.string().optional(),
});
export const BulkView = z.object({ results: z.array(BulkResult), done: z.number(), failed: z.number() });
export type BulkView = z.infer<typeof BulkView>;
