// HTTP shapes of the cross-cutting records (PROCEDURES.md "Cross-cutting records"; issue #3
// "Records"): duty log, shift handover, special incident report, attachments, follow-ups,
// planned outages, owner records with the personal-data access log, audit log.
// The base views come from contracts/incidents.ts; what the records API adds is here.
import { z } from 'zod';
import { Day, EpochMs } from './common.js';
import { IncidentKind, Role } from './domain.js';
import { CommandView, DutyLogView, FollowUpView, HandoverView, PlannedOutageBody } from './incidents.js';
import { Text } from './messages.js';

/** zh-CN / en message, as everywhere in the procedures */
export const bi = (zh: string, en: string) => `${zh} / ${en}`;

/** a calendar day that exists (shared: contracts/common.ts) */
export { Day };
export const Limit = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
const Bool = z.enum(['true', 'false']);

export const UserRef = z.object({ id: z.string(), username: z.string(), displayName: z.string(), role: Role });
export type UserRef = z.infer<typeof UserRef>;

// ---------------------------------------------------------------- duty log 值班记录

export const DutyEntryView = DutyLogView.shape.entries.element.extend({
  /** display name when the actor is a user */
  actorName: z.string().nullable(),
  /** written after the supervisor signed the day (auto entries still land; shown apart) */
  afterSignature: z.boolean(),
});
export const DutyLogResponse = DutyLogView.extend({
  entries: z.array(DutyEntryView),
  signature: z.object({ signedBy: z.string(), signedByName: z.string().nullable(), signedAt: z.number(), note: z.string() }).nullable(),
});
export type DutyLogResponse = z.infer<typeof DutyLogResponse>;
export const DutyLogQuery = z.object({ day: Day.optional() });
export const DutyEntryBody = z.object({ text: z.string().trim().min(1).max(2000) });
export const SignBody = z.object({ note: z.string().trim().max(2000).default('') });

// ---------------------------------------------------------------- handover 交接班

export const OpenItem = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('incident'),
    id: z.string(),
    number: z.number(),
    kind: IncidentKind,
    state: z.string(),
    /** rendered in the reader's locale */
    stateLabel: z.string(),
    title: z.string(),
    titleMsg: Text,
    severity: z.number(),
    openedAt: z.number(),
  }),
  z.object({
    type: z.literal('followup'),
    id: z.string(),
    incidentId: z.string().nullable(),
    subject: z.string(),
    subjectMsg: Text,
    dueAt: z.number(),
    overdue: z.boolean(),
  }),
  z.object({
    type: z.literal('visit'),
    id: z.string(),
    building: z.string(),
    unit: z.string(),
    visitorName: z.string(),
    enteredAt: z.number().nullable(),
    plannedMinutes: z.number(),
    overstay: z.boolean(),
  }),
  /** a pending item from a provider: work orders, complaints… (services/records/shift-service.ts) */
  z.object({
    type: z.literal('pending'),
    source: z.string(),
    sourceLabel: z.string(),
    id: z.string(),
    title: z.string(),
    titleMsg: Text,
    building: z.string().nullable(),
    dueAt: z.number().nullable(),
    overdue: z.boolean(),
  }),
  /** a device offline, out of service or in maintenance at the handover */
  z.object({
    type: z.literal('device'),
    id: z.string(),
    name: z.string(),
    building: z.string(),
    condition: z.enum(['offline', 'out_of_service', 'maintenance']),
    conditionLabel: z.string(),
    since: z.number().nullable(),
    reason: z.string().nullable(),
  }),
]);
export type OpenItem = z.infer<typeof OpenItem>;

export const HandoverResponse = HandoverView.extend({
  openItems: z.array(OpenItem),
  /** the shift this handover closes (null: from before shifts) */
  shiftId: z.string().nullable(),
  /** the equipment check 交接班检查 (seed 004 篇3 §2.1): √ ok / × not, in the reader's language */
  checks: z.array(z.object({ item: z.string(), label: z.string(), ok: z.boolean(), note: z.string() })),
  outgoing: UserRef.nullable(),
  incoming: UserRef.nullable(),
});
export type HandoverResponse = z.infer<typeof HandoverResponse>;
export const HandoverBody = z.object({
  notes: z.string().trim().min(1, bi('交接内容不能为空', 'handover notes are required')).max(5000),
  /** the designated incoming operator; absent → any other staff member may accept */
  incomingUsername: z.string().trim().min(1).max(64).optional(),
});
export const HandoverQuery = z.object({
  state: HandoverView.shape.state.optional(),
  shiftId: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{4}$/)
    .optional(),
  limit: Limit(50, 500),
});
export const AcceptBody = z.object({ note: z.string().trim().max(2000).optional() });
export const RefuseBody = z.object({
  reason: z
    .string({ error: bi('拒绝接班须填写原因', 'a reason is required to refuse a handover') })
    .trim()
    .min(1, bi('拒绝接班须填写原因', 'a reason is required to refuse a handover'))
    .max(2000),
});

// ---------------------------------------------------------------- follow-ups 回访

export const FollowUpQuery = z.object({ open: Bool.optional(), incidentId: z.uuid().optional(), limit: Limit(200, 1000) });
export const FollowUpDoneBody = z.object({
  notes: z
    .string({ error: bi('回访结果不能为空', 'follow-up notes are required') })
    .trim()
    .min(1, bi('回访结果不能为空', 'follow-up notes are required'))
    .max(5000),
});
export { FollowUpView };

// ---------------------------------------------------------------- planned outages 计划停电

export const PlannedOutageCreateBody = PlannedOutageBody.extend({
  /** when the notice is/was posted; default now */
  noticeAt: EpochMs.optional(),
  /** supervisor/admin override of the 48 h / 72 h rule: stored, flagged short_notice */
  acceptShortNotice: z.boolean().default(false),
  shortNoticeReason: z.string().trim().max(2000).optional(),
}).refine((b) => b.endsAt > b.startsAt, { message: bi('结束时间必须晚于开始时间', 'endsAt must be after startsAt'), path: ['endsAt'] });
export const PlannedOutageView = z.object({
  id: z.string(),
  building: z.string(),
  feeder: z.string().nullable(),
  startsAt: z.number(),
  endsAt: z.number(),
  noticeAt: z.number(),
  residentsMustPrepare: z.boolean(),
  reason: z.string(),
  createdBy: z.string(),
  createdAt: z.number(),
  cancelled: z.boolean(),
  status: z.enum(['upcoming', 'in_progress', 'ended', 'cancelled']),
  requiredNoticeHours: z.number(),
  noticeHours: z.number(),
  flags: z.array(z.enum(['short_notice'])),
  shortNoticeReason: z.string().nullable(),
});
export type PlannedOutageView = z.infer<typeof PlannedOutageView>;
export const PlannedOutageQuery = z.object({
  building: z.string().min(1).max(64).optional(),
  /** true → only those not cancelled and not yet ended */
  current: Bool.optional(),
  limit: Limit(200, 1000),
});
export const CancelBody = z.object({ reason: z.string().trim().max(2000).optional() });

// ---------------------------------------------------------------- owners 业主资料 (personal data)

export const UnitListItem = z.object({
  id: z.string(),
  building: z.string(),
  number: z.string(),
  floor: z.number(),
  /** masked: first character + * */
  ownerName: z.string(),
  /** masked: first 3 + last 4 */
  ownerPhone: z.string(),
  hasAltContact: z.boolean(),
});
export const UnitListQuery = z.object({ building: z.string().min(1).max(64).optional(), limit: Limit(500, 5000) });
const REASON_MSG = bi('查阅业主个人资料须填写原因(reason)', 'a reason is required to read personal data');
export const UnitReadQuery = z.object({ reason: z.string({ error: REASON_MSG }).trim().min(2, REASON_MSG).max(500) });
export const UnitDetail = z.object({
  id: z.string(),
  building: z.string(),
  number: z.string(),
  floor: z.number(),
  ownerName: z.string(),
  ownerPhone: z.string(),
  altContact: z.string(),
  createdAt: z.number(),
  /** the PersonalDataAccess row this read wrote */
  access: z.object({ seq: z.number(), at: z.number(), reason: z.string() }),
});
export const AccessLogQuery = z.object({
  subject: z.string().min(1).max(200).optional(),
  userId: z.string().min(1).max(64).optional(),
  limit: Limit(200, 2000),
});
export const AccessLogView = z.object({
  seq: z.number(),
  at: z.number(),
  userId: z.string(),
  user: UserRef.nullable(),
  subject: z.string(),
  reason: z.string(),
});

// ---------------------------------------------------------------- audit

export const AuditQuery = z.object({
  target: z.string().min(1).max(200).optional(),
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  /** page backwards: entries with seq < before */
  before: z.coerce.number().int().positive().optional(),
  /** time range, ms since epoch: from inclusive, to exclusive (issue 8 audit view) */
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  limit: Limit(100, 1000),
});
export const AuditView = z.object({
  seq: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  data: z.unknown(),
});

// ---------------------------------------------------------------- attachments

export const ATTACHMENT_MIME = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf'] as const;
export type AttachmentMime = (typeof ATTACHMENT_MIME)[number];
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
export const AttachmentBody = z.object({
  filename: z.string().trim().min(1).max(200),
  mime: z.enum(ATTACHMENT_MIME),
  /** the file, base64 (≤ 5 MB decoded) */
  dataBase64: z.string().min(1),
});
export const AttachmentView = z.object({
  id: z.string(),
  incidentId: z.string(),
  filename: z.string(),
  mime: z.string(),
  size: z.number(),
  uploadedBy: z.string(),
  uploadedByName: z.string().nullable(),
  uploadedAt: z.number(),
  /** GET this to download */
  url: z.string(),
});
export type AttachmentView = z.infer<typeof AttachmentView>;

// ---------------------------------------------------------------- special incident report 特别事件报告

const Bilingual = z.object({ zh: z.string(), en: z.string() });

export const ReportQuery = z.object({ format: z.enum(['html', 'json']).default('html') });
export const SpecialReport = z.object({
  title: Bilingual,
  generatedAt: z.number(),
  generatedBy: UserRef,
  /** false while the incident is open: the report is a draft */
  final: z.boolean(),
  incident: z.object({
    id: z.string(),
    number: z.number(),
    kind: IncidentKind,
    kindLabel: Bilingual,
    state: z.string(),
    stateLabel: Bilingual,
    open: z.boolean(),
    severity: z.number(),
    site: z.string(),
    building: z.object({ id: z.string(), name: z.string(), address: z.string() }),
    floor: z.number().nullable(),
    deviceId: z.string().nullable(),
    parentId: z.string().nullable(),
    children: z.array(z.string()),
    title: z.string(),
    openedAt: z.number(),
    closedAt: z.number().nullable(),
    durationMs: z.number().nullable(),
    data: z.record(z.string(), z.unknown()),
  }),
  steps: z.array(
    z.object({
      key: z.string(),
      label: Bilingual,
      ord: z.number(),
      required: z.boolean(),
      status: z.string(),
      doneBy: z.string().nullable(),
      doneByName: z.string().nullable(),
      doneAt: z.number().nullable(),
      notes: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  timeline: z.array(
    z.object({
      seq: z.number(),
      at: z.number(),
      actorType: z.string(),
      actor: z.string(),
      actorName: z.string().nullable(),
      type: z.string(),
      text: Bilingual,
      message: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  people: z.object({
    staff: z.array(UserRef.extend({ roleLabel: Bilingual, actions: z.number() })),
    /** dispatched parties named on steps (contractor, security, verifier, utility…) */
    parties: z.array(z.object({ step: z.string(), stepLabel: Bilingual, field: z.string(), value: z.string() })),
    devices: z.array(z.string()),
  }),
  commands: z.array(CommandView),
  attachments: z.array(AttachmentView),
});
export type SpecialReport = z.infer<typeof SpecialReport>;
