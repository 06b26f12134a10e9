// Intercom visitor approval 访客 — pure procedure (PROCEDURES.md §4; seed 000 §2.1.3;
// seed 001 §一; seed 002 §3.1.2 ID desensitisation). Modelled as a `visitor_approval`
// incident; `visitRecord()` maps a snapshot onto the prisma Visit row. Fail closed: the
// door is only reported open on the panel's own `intercom.door_opened` confirmation.
// Imports only types from the engine.
import { z } from 'zod';
import {
  actionsOf,
  defineProcedure,
  said,
  type Ctx as EngineCtx,
  type EventSource,
  type IncidentSnapshot,
  type ProcedureTypes,
  Notes,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';

export const VISITOR_STATES = [
  'requested',
  'unreachable',
  'approved',
  'opened',
  'failed',
  'denied',
  'message_left',
  'cancelled',
  'left',
] as const;
export type VisitorState = (typeof VISITOR_STATES)[number];
export const VISITOR_FINAL_STATES = ['denied', 'message_left', 'cancelled', 'left'] as const;

export const VISITOR_STEPS = ['register', 'contact_owner', 'owner_decision', 'unlock', 'direct_visitor', 'departure'] as const;
export type VisitorStep = (typeof VISITOR_STEPS)[number];

export const VISITOR_TIMERS = ['registration', 'owner_answer', 'unlock_confirm', 'overstay'] as const;
export type VisitorTimer = (typeof VISITOR_TIMERS)[number];

export const VISITOR_ACTIONS = [
  'register',
  'contact_owner',
  'record_owner_decision',
  'approve_preauthorized',
  'keep_trying',
  'try_alternative_contact',
  'leave_message',
  'retry_unlock',
  'admit_in_person',
  'extend_visit',
  'record_departure',
  'cancel',
] as const;
export type VisitorAction = (typeof VISITOR_ACTIONS)[number];

export const APPROVAL_CHANNELS = ['in_unit_station', 'phone', 'intercom', 'alt_contact', 'in_person', 'preauthorization'] as const;
export type ApprovalChannel = (typeof APPROVAL_CHANNELS)[number];

export const VisitorConfig = z.object({
  /** PROCEDURES.md §4.5: owner unreachable after this long (default 60 s, configurable) */
  ownerAnswerMs: z.number().int().positive().default(60_000),
  /** seed 001 §一: registration ≤ 60 s per visitor */
  registrationTargetMs: z.number().int().positive().default(60_000),
  /** cmd/unlock {seconds} (CONTRACT.md: 1..60) */
  unlockSeconds: z.number().int().min(1).max(60).default(5),
  /** the unlock command's exp: never executed later than this */
  unlockExpiryMs: z.number().int().positive().default(10_000),
  /** no `intercom.door_opened` within this time → failed (door stays locked) */
  unlockConfirmMs: z.number().int().positive().default(30_000),
  defaultPlannedMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  /** overstay reminder repeats until departure is recorded */
  overstayRepeatMs: z
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
});
export type VisitorConfig = z.infer<typeof VisitorConfig>;

export interface Approval {
  /** Visit.approvedBy: "owner:<unit>" | "user:<id>" | "preauth:<id>" */
  approvedBy: string;
  kind: 'owner' | 'frontdesk' | 'preauthorization';
  /** the person who entered it into the system (null when the owner's station answered) */
  recordedBy: string | null;
  channel: ApprovalChannel;
  at: number;
}

export interface VisitorData {
  cfg: VisitorConfig;
  channel: 'intercom' | 'walk_in' | 'preauthorized';
  unit: string;
  unitFloor: number | null;
  visitorName: string;
  idMasked: string;
  idType: string | null;
  plannedMinutes: number;
  callId: string | null;
  /** the door panel that admits this visitor (null: the visitor is shown in by front desk) */
  intercomId: string | null;
  preAuthId: string | null;
  registeredAt: number | null;
  contactAttempts: { at: number; method: string; by: string }[];
  unreachableOutcomes: { at: number; choice: 'keep_trying' | 'alt_contact' | 'leave_message'; by: string; notes: string }[];
  approval: Approval | null;
  denial: { by: string; recordedBy: string | null; channel: ApprovalChannel; at: number } | null;
  unlock: { corr: string; sentAt: number; expiresAt: number; attempts: number; oldCorrs: string[] } | null;
  enteredAt: number | null;
  leftAt: number | null;
  message?: string;
  failure?: string;
}

/** Facts a visit needs when it opens (services/visitors/context.ts). */
export interface VisitorContext {
  /** the door panel that admits a walk-in visitor (front-desk unlock), if any */
  doorPanelId?: string;
  /** floor of the visited unit (the visitor is told floor and unit, seed 000 §2.1.3.4) */
  unitFloor?: number;
}

export type VisitorTypes = ProcedureTypes<
  { states: typeof VISITOR_STATES; steps: typeof VISITOR_STEPS; timers: typeof VISITOR_TIMERS; actions: typeof VISITOR_ACTIONS },
  typeof labels,
  VisitorData,
  VisitorContext
>;
type Ctx = EngineCtx<VisitorTypes>;
const act = actionsOf<VisitorTypes>();

/** seed 000 §2.1.3: front desk (客服前台) receives visitors; supervisors/admin may stand in. */
const DESK = ['frontdesk', 'supervisor', 'admin'] as const;
const Unit = z.string().trim().min(1).max(32);
const Name = z.string().trim().min(1).max(64);
const IdNumber = z
  .string()
  .trim()
  .min(4)
  .max(32)
  .regex(/^[0-9A-Za-z -]+$/, 'letters, digits, spaces or dashes');
const PlannedMinutes = z
  .number()
  .int()
  .min(1)
  .max(24 * 60);

/**
 * Desensitise an identity-document number (seed 002 §3.1.2): keep only what identification
 * needs — the first 3 and last 4 characters of an 18-digit 身份证 (`110***********1234`).
 * Shorter numbers keep less so at least half is always hidden: 10+ chars → 3+4, 7–9 → 1+2,
 * fewer → only the last character. Spaces and dashes are dropped first.
 */
export function maskIdNumber(raw: string): string {
  const id = raw.replace(/[\s-]/g, '').toUpperCase();
  if (id.length === 0) return '';
  const [head, tail] = id.length >= 10 ? [3, 4] : id.length >= 7 ? [1, 2] : [0, 1];
  return id.slice(0, head) + '*'.repeat(id.length - head - tail) + id.slice(id.length - tail);
}

const PreAuth = z.object({
  preAuthId: z.string().min(1).max(64),
  unit: Unit,
  visitorName: Name,
  validFrom: z.number().int().nonnegative(),
  validTo: z.number().int().nonnegative(),
});

const Registration = z.object({
  visitorName: Name,
  /** raw number: masked immediately, never stored or logged */
  idNumber: IdNumber.optional(),
  idType: z.enum(['resident_id', 'passport', 'hk_macau_permit', 'taiwan_permit', 'other']).optional(),
  unit: Unit,
  plannedMinutes: PlannedMinutes,
  notes: Notes,
});

const WalkIn = Registration.extend({
  /** when the desk started filling the 访客登记表 (≤ 60 s target, seed 001 §一) */
  startedAt: z.number().int().nonnegative().optional(),
  /** the owner pre-registered this visitor (业主预先通知), identity verified at the desk */
  preAuth: PreAuth.extend({ idVerified: z.literal(true) }).optional(),
});

function setTitle(ctx: Ctx): void {
  // visitorName is personal data: shown masked to roles without visitor duties (personalKeys)
  ctx.title({ unit: ctx.data.unit, visitorName: ctx.data.visitorName });
}

function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase().replace(/\s+/g, ' ') === b.trim().toLowerCase().replace(/\s+/g, ' ');
}

function applyRegistration(ctx: Ctx, p: z.infer<typeof Registration>, startedAt: number | undefined): void {
  const data = ctx.data;
  data.visitorName = p.visitorName;
  if (p.idNumber) data.idMasked = maskIdNumber(p.idNumber);
  data.idType = p.idType ?? data.idType;
  data.unit = p.unit;
  data.plannedMinutes = p.plannedMinutes;
  data.registeredAt = ctx.now;
  const tookMs = ctx.now - (startedAt ?? ctx.s.openedAt);
  ctx.cancelTimer('registration');
  // the raw ID number never reaches the step, the timeline or the snapshot
  ctx.done('register', {
    redo: true,
    notes: p.notes,
    data: {
      visitorName: p.visitorName,
      idMasked: data.idMasked,
      idType: data.idType,
      unit: p.unit,
      plannedMinutes: p.plannedMinutes,
      tookMs,
    },
  });
  if (tookMs > data.cfg.registrationTargetMs) ctx.flag('registration_slow', null, { tookMs });
  setTitle(ctx);
}

function approve(ctx: Ctx, a: Omit<Approval, 'at'>, notes: string): void {
  const data = ctx.data;
  data.approval = { ...a, at: ctx.now };
  ctx.cancelTimer('owner_answer');
  if (ctx.step('contact_owner').status === 'pending' && a.kind !== 'preauthorization')
    ctx.done('contact_owner', { data: { attempts: data.contactAttempts.length } });
  if (ctx.step('contact_owner').status === 'pending') ctx.skip('contact_owner', 'preauthorised');
  // PROCEDURES.md §4.8: who approved, when, through which channel
  ctx.done('owner_decision', {
    notes,
    data: { decision: 'approved', approvedBy: a.approvedBy, recordedBy: a.recordedBy, channel: a.channel },
  });
  ctx.log('approval', { approvedBy: a.approvedBy, recordedBy: a.recordedBy, channel: a.channel }, notes ? said(notes) : null);
  sendUnlock(ctx);
}

function sendUnlock(ctx: Ctx): void {
  const data = ctx.data;
  if (!data.intercomId) {
    // no door panel: the front desk shows the visitor in (recorded as the admission)
    admitted(ctx, 'shown_in');
    return;
  }
  const corr = ctx.corr('ul');
  const expiresAt = ctx.now + data.cfg.unlockExpiryMs;
  const prev = data.unlock;
  data.unlock = {
    corr,
    sentAt: ctx.now,
    expiresAt,
    attempts: (prev?.attempts ?? 0) + 1,
    oldCorrs: prev ? [...prev.oldCorrs, prev.corr] : [],
  };
  ctx.effect({
    type: 'send_command',
    corr,
    target: { deviceId: data.intercomId },
    name: 'unlock',
    data: { seconds: data.cfg.unlockSeconds },
    expiresAt,
    expiryMs: data.cfg.unlockExpiryMs,
  });
  ctx.startTimer('unlock_confirm', data.cfg.unlockConfirmMs);
  ctx.to('approved', 'unlock_sent');
}

type How = 'shown_in' | 'panel_confirmed' | 'escorted_in';
function admitted(ctx: Ctx, how: How): void {
  const data = ctx.data;
  data.enteredAt = ctx.now;
  ctx.cancelTimer('unlock_confirm');
  ctx.done('unlock', { redo: true, data: { how, corr: data.unlock?.corr ?? null } });
  // seed 000 §2.1.3.4: 告知受访业主所在楼层和门房号
  ctx.done('direct_visitor', { redo: true, by: ctx.by, data: { unit: data.unit, floor: data.unitFloor } });
  ctx.to('opened', how);
  ctx.notify(['frontdesk'], 'visitor_admitted', { unit: data.unit, floor: data.unitFloor, visitorName: data.visitorName });
  // seed 000 §2.1.3.2/.5: no stay beyond the registered time → reminder to the desk
  ctx.startTimerAt('overstay', ctx.now + data.plannedMinutes * 60_000, data.cfg.overstayRepeatMs);
}

type FailWhy = 'unlock_expired' | 'unlock_refused' | 'no_door_confirmation';
function fail(ctx: Ctx, why: FailWhy): void {
  const data = ctx.data;
  data.failure = why;
  ctx.cancelTimer('unlock_confirm');
  // fail closed: the door stays locked and the request is visibly failed
  ctx.to('failed', why);
  ctx.notify(['frontdesk'], 'unlock_failed', { unit: data.unit, why: { key: `visitor_approval.reason.${why}` } });
}

function deny(ctx: Ctx, by: string, recordedBy: string | null, channel: ApprovalChannel, notes: string): void {
  const data = ctx.data;
  data.denial = { by, recordedBy, channel, at: ctx.now };
  ctx.cancelTimer('owner_answer');
  if (ctx.step('contact_owner').status === 'pending') ctx.done('contact_owner', { data: { attempts: data.contactAttempts.length } });
  ctx.done('owner_decision', { notes, data: { decision: 'denied', deniedBy: by, recordedBy, channel } });
  ctx.log('denial', { deniedBy: by, recordedBy, channel }, notes ? said(notes) : null);
  // PROCEDURES.md §4.4: the visitor is politely refused; recorded
  ctx.close('denied', 'owner_refused');
}

function startOwnerContact(ctx: Ctx, method: string): void {
  const data = ctx.data;
  data.contactAttempts.push({ at: ctx.now, method, by: ctx.by });
  ctx.startTimer('owner_answer', data.cfg.ownerAnswerMs);
  const label = method.startsWith('alt_contact:') || ['in_unit_station', 'phone', 'intercom'].includes(method);
  ctx.to('requested', { key: 'contacting', params: { method: label ? { key: `visitor_approval.value.${method}` } : method } });
}

const OPEN_REQUEST = ['requested', 'unreachable'] as const;
const undecided = (_s: IncidentSnapshot, data: VisitorData) => data.approval === null && data.denial === null;

const actions: Record<VisitorAction, ReturnType<typeof act>> = {
  register: act({
    roles: DESK,
    states: [...OPEN_REQUEST, 'approved', 'opened', 'failed'],
    step: 'register',
    payload: Registration,
    run(ctx: Ctx, p) {
      const data = ctx.data;
      if ((data.approval || data.denial) && p.unit !== data.unit)
        ctx.fail('HUB_ERR_CONFLICT', 'already_decided', { unit: data.unit, newUnit: p.unit });
      applyRegistration(ctx, p, undefined);
    },
  }),
  contact_owner: act({
    roles: DESK,
    states: OPEN_REQUEST,
    step: 'contact_owner',
    available: undecided,
    payload: z.object({ method: z.enum(['phone', 'intercom']), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.3.4: 通过电话或门对讲系统同业主联系
      startOwnerContact(ctx, p.method);
      if (p.notes) ctx.log('note', {}, said(p.notes));
    },
  }),
  record_owner_decision: act({
    roles: DESK,
    states: OPEN_REQUEST,
    step: 'owner_decision',
    available: undecided,
    payload: z.object({
      decision: z.enum(['approved', 'denied']),
      channel: z.enum(['phone', 'intercom', 'alt_contact', 'in_person']),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      const owner = `owner:${ctx.data.unit}`;
      if (p.decision === 'approved') approve(ctx, { approvedBy: owner, kind: 'owner', recordedBy: ctx.by, channel: p.channel }, p.notes);
      else deny(ctx, owner, ctx.by, p.channel, p.notes);
    },
  }),
  approve_preauthorized: act({
    roles: DESK,
    states: OPEN_REQUEST,
    step: 'owner_decision',
    available: undecided,
    payload: PreAuth.extend({ idVerified: z.literal(true), notes: Notes }),
    run(ctx: Ctx, p) {
      const data = ctx.data;
      checkPreAuth(ctx, p, data);
      data.preAuthId = p.preAuthId;
      data.channel = 'preauthorized';
      approve(
        ctx,
        { approvedBy: `preauth:${p.preAuthId}`, kind: 'preauthorization', recordedBy: ctx.by, channel: 'preauthorization' },
        p.notes,
      );
    },
  }),
  keep_trying: act({
    roles: DESK,
    states: ['unreachable'],
    payload: z.object({ method: z.enum(['phone', 'intercom']).default('phone'), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.3.6: ask the visitor whether to keep trying
      ctx.data.unreachableOutcomes.push({ at: ctx.now, choice: 'keep_trying', by: ctx.by, notes: p.notes });
      ctx.log('outcome', { unreachable: 'keep_trying' }, p.notes ? said(p.notes) : null);
      startOwnerContact(ctx, p.method);
    },
  }),
  try_alternative_contact: act({
    roles: DESK,
    states: ['unreachable'],
    payload: z.object({ source: z.enum(['owner_file', 'visitor_provided']), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.3.6: 从业主档案中查找相应的联系方式或由访客提供可行的联系方式
      ctx.data.unreachableOutcomes.push({ at: ctx.now, choice: 'alt_contact', by: ctx.by, notes: p.notes });
      ctx.log('outcome', { unreachable: 'alt_contact', source: p.source }, p.notes ? said(p.notes) : null);
      startOwnerContact(ctx, `alt_contact:${p.source}`);
    },
  }),
  leave_message: act({
    roles: DESK,
    states: OPEN_REQUEST,
    available: undecided,
    payload: z.object({ message: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.3.6: 询问访客是否给业主留言,并协助访客办理留言事宜
      const data = ctx.data;
      data.message = p.message;
      data.unreachableOutcomes.push({ at: ctx.now, choice: 'leave_message', by: ctx.by, notes: '' });
      ctx.log('outcome', { unreachable: 'leave_message' }, said(p.message));
      ctx.cancelTimer('owner_answer');
      ctx.close('message_left', 'message_left');
    },
  }),
  retry_unlock: act({
    roles: DESK,
    states: ['failed'],
    step: 'unlock',
    available: (_s, data) => data.approval !== null && data.intercomId !== null,
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      if (p.notes) ctx.log('note', {}, said(p.notes));
      sendUnlock(ctx);
    },
  }),
  admit_in_person: act({
    roles: DESK,
    states: ['failed'],
    step: 'unlock',
    available: (_s, data) => data.approval !== null,
    payload: z.object({ notes: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      // a person escorts the approved visitor after the panel failed (recorded, not automatic)
      ctx.log('note', { admittedInPerson: true }, said(p.notes));
      admitted(ctx, 'escorted_in');
    },
  }),
  extend_visit: act({
    roles: DESK,
    states: ['opened'],
    payload: z.object({
      minutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60),
      notes: z.string().trim().min(1).max(2000),
    }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.3.5: an overlong visit is registered via the owner
      const data = ctx.data;
      data.plannedMinutes += p.minutes;
      ctx.log('note', { extendedMinutes: p.minutes, plannedMinutes: data.plannedMinutes }, said(p.notes));
      ctx.startTimerAt('overstay', (data.enteredAt ?? ctx.now) + data.plannedMinutes * 60_000, data.cfg.overstayRepeatMs);
    },
  }),
  record_departure: act({
    roles: DESK,
    states: ['opened'],
    step: 'departure',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      const data = ctx.data;
      data.leftAt = ctx.now;
      const stayedMin = Math.round((ctx.now - (data.enteredAt ?? ctx.now)) / 60_000);
      ctx.done('departure', { notes: p.notes, data: { stayedMinutes: stayedMin, overstayed: stayedMin > data.plannedMinutes } });
      ctx.close('left', 'visitor_left');
    },
  }),
  cancel: act({
    roles: DESK,
    states: [...OPEN_REQUEST, 'approved', 'failed'],
    payload: z.object({ reason: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      ctx.log('outcome', { cancelled: true }, said(p.reason));
      ctx.close('cancelled', said(p.reason));
    },
  }),
};

function checkPreAuth(ctx: Ctx, p: z.infer<typeof PreAuth>, data: VisitorData): void {
  // PROCEDURES.md §4.6 / seed 000 §2.1.3.8: verify against what the owner registered
  if (p.validTo <= p.validFrom) ctx.fail('HUB_ERR_BAD_REQUEST', 'window_empty');
  if (ctx.now < p.validFrom || ctx.now > p.validTo) ctx.fail('HUB_ERR_CONFLICT', 'outside_window');
  if (p.unit !== data.unit) ctx.fail('HUB_ERR_CONFLICT', 'preauth_unit', { preauthUnit: p.unit, unit: data.unit });
  if (data.visitorName && !sameName(p.visitorName, data.visitorName)) ctx.fail('HUB_ERR_CONFLICT', 'preauth_name');
}

/** The prisma Visit row for this visitor incident. */
export function visitRecord(s: IncidentSnapshot): {
  buildingId: string;
  unitNumber: string;
  visitorName: string;
  idMasked: string;
  channel: VisitorData['channel'];
  state: string;
  callId: string | null;
  intercomId: string | null;
  plannedMinutes: number;
  requestedAt: number;
  decidedAt: number | null;
  approvedBy: string | null;
  approvalChannel: string | null;
  enteredAt: number | null;
  leftAt: number | null;
  preAuthId: string | null;
  incidentId: string;
} {
  const data = s.data as unknown as VisitorData;
  return {
    buildingId: s.buildingId,
    unitNumber: data.unit,
    visitorName: data.visitorName,
    idMasked: data.idMasked,
    channel: data.channel,
    state: s.state,
    callId: data.callId,
    intercomId: data.intercomId,
    plannedMinutes: data.plannedMinutes,
    requestedAt: s.openedAt,
    decidedAt: data.approval?.at ?? data.denial?.at ?? null,
    approvedBy: data.approval?.approvedBy ?? null,
    approvalChannel: data.approval?.channel ?? data.denial?.channel ?? null,
    enteredAt: data.enteredAt,
    leftAt: data.leftAt,
    preAuthId: data.preAuthId,
    incidentId: s.id,
  };
}

export const visitorProcedure = defineProcedure<VisitorTypes>({
  kind: 'visitor_approval',
  states: VISITOR_STATES,
  finalStates: VISITOR_FINAL_STATES,
  // the visit is state-driven (requested → approved → opened → left); steps are its record
  steps: VISITOR_STEPS.map((key) => ({ key, required: false })),
  timers: VISITOR_TIMERS,
  unskippable: ['owner_decision', 'unlock'],
  actions,
  config: VisitorConfig,
  manual: { roles: DESK, payload: WalkIn },

  triggerFor(src: EventSource) {
    return src.event.type === 'intercom.call' ? `${src.deviceId}/${src.event.data.unit}` : null;
  },
  // repeated calls for the same unit from the same panel while nobody has answered yet
  dedupKeyFor(t) {
    return t.source === 'device' && t.event.type === 'intercom.call' ? `${t.deviceId}/${t.event.data.unit}` : null;
  },
  dedupMatches(s) {
    return s.state === 'requested' || s.state === 'unreachable';
  },
  wants(s, src, data) {
    const e = src.event;
    if (e.type === 'intercom.owner_approved' || e.type === 'intercom.owner_denied') {
      // the owner's in-unit station answers the call it was rung for
      if (data.callId !== null) return e.data.callId === data.callId;
      return src.buildingId === s.buildingId && e.data.unit === data.unit && (s.state === 'requested' || s.state === 'unreachable');
    }
    if (e.type === 'intercom.door_opened') {
      if (e.data.corr && data.unlock) return e.data.corr === data.unlock.corr || data.unlock.oldCorrs.includes(e.data.corr);
      return src.deviceId === data.intercomId && (s.state === 'approved' || s.state === 'failed');
    }
    if (e.type === 'intercom.door_closed') return src.deviceId === data.intercomId && s.state === 'opened';
    return false;
  },

  open(ctx: Ctx, t) {
    const cfg = ctx.config;
    const c = t.context ?? {};
    const data: VisitorData = {
      cfg,
      channel: 'walk_in',
      unit: '',
      unitFloor: c.unitFloor ?? null,
      visitorName: '',
      idMasked: '',
      idType: null,
      plannedMinutes: cfg.defaultPlannedMinutes,
      callId: null,
      intercomId: c.doorPanelId ?? null,
      preAuthId: null,
      registeredAt: null,
      contactAttempts: [],
      unreachableOutcomes: [],
      approval: null,
      denial: null,
      unlock: null,
      enteredAt: null,
      leftAt: null,
    };
    ctx.init(data);
    if (t.source === 'device') {
      if (t.event.type !== 'intercom.call') ctx.fail('HUB_ERR_BAD_REQUEST', 'not_a_call', { event: t.event.type });
      data.channel = 'intercom';
      data.unit = t.event.data.unit;
      data.visitorName = t.event.data.visitorName ?? '';
      data.callId = t.event.id;
      data.intercomId = t.deviceId;
      setTitle(ctx);
      // the in-unit station rings at once: the owner-answer clock starts now
      data.contactAttempts.push({ at: ctx.now, method: 'in_unit_station', by: ctx.by });
      ctx.startTimer('owner_answer', cfg.ownerAnswerMs);
      // seed 000 §2.1.3.3: every visitor is registered (访客登记表) — target 60 s (seed 001 §一)
      ctx.startTimer('registration', cfg.registrationTargetMs);
      ctx.notify(['frontdesk'], 'visitor_waiting', { unit: data.unit, panel: t.deviceId });
    } else if (t.source === 'manual') {
      const p = t.payload as z.infer<typeof WalkIn>;
      applyRegistration(ctx, p, p.startedAt);
      if (p.preAuth) {
        const { idVerified: _v, ...pa } = p.preAuth;
        checkPreAuth(ctx, pa, data);
        data.preAuthId = pa.preAuthId;
        data.channel = 'preauthorized';
        approve(
          ctx,
          { approvedBy: `preauth:${pa.preAuthId}`, kind: 'preauthorization', recordedBy: ctx.by, channel: 'preauthorization' },
          '',
        );
      }
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    }
    setTitle(ctx);
  },

  onEvent(ctx: Ctx, input) {
    const e = input.event;
    const data = ctx.data;
    if (e.type === 'intercom.owner_approved' || e.type === 'intercom.owner_denied') {
      if (data.approval || data.denial || (ctx.s.state !== 'requested' && ctx.s.state !== 'unreachable')) {
        ctx.flag('late_owner_response', input.deviceId, { event: e.type });
        return;
      }
      const owner = `owner:${e.data.unit}`;
      if (e.type === 'intercom.owner_approved')
        approve(ctx, { approvedBy: owner, kind: 'owner', recordedBy: null, channel: 'in_unit_station' }, '');
      else deny(ctx, owner, null, 'in_unit_station', '');
    } else if (e.type === 'intercom.door_opened') {
      const current = data.unlock?.corr;
      if (ctx.s.state === 'approved' && e.data.corr && e.data.corr === current) {
        admitted(ctx, 'panel_confirmed');
      } else if (ctx.s.state === 'approved' && !e.data.corr) {
        // Fail closed (review of §4.6): a door that opened without our unlock's correlation id
        // may be a resident's key, an exit button or another command — not evidence that the
        // approved visitor went in. Flag it; the visit still waits for the confirmation (or the
        // desk's in-person admission) and fails when unlock_confirm runs out.
        ctx.flag('door_opened_uncorrelated', input.deviceId, { corr: null, state: ctx.s.state });
        ctx.log('hint', { hint: 'door_opened_uncorrelated', deviceId: input.deviceId }, 'door_opened_uncorrelated');
      } else {
        // a door opening for a request that already failed/expired is a security concern
        ctx.flag('door_opened_unexpected', input.deviceId, { corr: e.data.corr ?? null, state: ctx.s.state });
      }
    }
  },

  onCommandResult(ctx: Ctx, input) {
    const data = ctx.data;
    if (!data.unlock || input.corr !== data.unlock.corr || ctx.s.state !== 'approved') return;
    if (!input.ok) fail(ctx, input.expired ? 'unlock_expired' : 'unlock_refused');
    else ctx.log('confirmation', { what: 'unlock_accepted', corr: input.corr });
  },

  onTimer(ctx: Ctx, key) {
    const data = ctx.data;
    if (key === 'owner_answer') {
      // PROCEDURES.md §4.5: ask the visitor — keep trying / alternative contact / message
      ctx.to('unreachable', { key: 'owner_no_answer', params: { seconds: data.cfg.ownerAnswerMs / 1000 } });
      ctx.notify(['frontdesk'], 'owner_unreachable', { unit: data.unit });
    } else if (key === 'unlock_confirm') {
      fail(ctx, 'no_door_confirmation');
    } else if (key === 'overstay') {
      ctx.log('reminder', { reminder: 'overstay', plannedMinutes: data.plannedMinutes });
      ctx.notify(['frontdesk'], 'visitor_overstay', {
        unit: data.unit,
        visitorName: data.visitorName,
        plannedMinutes: data.plannedMinutes,
      });
    } else if (key === 'registration') {
      if (ctx.step('register').status === 'pending') ctx.notify(['frontdesk'], 'registration_overdue', { unit: data.unit });
    }
  },
});
