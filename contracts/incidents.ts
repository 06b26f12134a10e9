// HTTP/socket.io shapes of incidents, visits and records (CONTRACT.md "HTTP"; issue #3).
// The procedure logic lives in services/*/machine.ts; these are the views it is served as.
import { z } from 'zod';
import { EpochMs } from './common.js';
import { IncidentKind, Role } from './domain.js';

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
  message: z.string(),
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
  title: z.string(),
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
  entries: z.array(z.object({ seq: z.number(), at: z.number(), actor: z.string(), incidentId: z.string().nullable(), text: z.string() })),
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
  subject: z.string(),
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
