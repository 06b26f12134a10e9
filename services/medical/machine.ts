// Accident / medical emergency 意外事件 — pure procedure (PROCEDURES.md §6; seed 000 §2.8.2;
// seed 003 §5). Reported by a person (front desk or control room), or opened by an entrapment
// whose passengers are injured or ill (services/elevator/machine.ts, linked to it).
// Imports only types from the engine.
import { z } from 'zod';
import {
  actionsOf,
  defineProcedure,
  said,
  type Ctx as EngineCtx,
  type IncidentSnapshot,
  type ProcedureTypes,
  Notes,
  SpecialReportPayload,
  CONTROL_ROLES,
  MANAGER_ROLES,
  followupCalendar,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';

export const MEDICAL_STATES = ['awaiting_ack', 'responding', 'handed_over', 'closed'] as const;
export type MedicalState = (typeof MEDICAL_STATES)[number];

export const MEDICAL_STEPS = [
  'acknowledge',
  'call_120',
  'first_aid',
  'secure_zone',
  'contact_family',
  'meet_ambulance',
  'hold_elevator',
  'public_statement',
  'special_report',
  'schedule_followup',
] as const;
export type MedicalStep = (typeof MEDICAL_STEPS)[number];

export const MEDICAL_TIMERS = ['ack', 'call_120', 'hold_confirm'] as const;
export type MedicalTimer = (typeof MEDICAL_TIMERS)[number];

export const MEDICAL_ACTIONS = [
  'acknowledge',
  'record_120_call',
  'dispatch_first_aid',
  'record_zone_secured',
  'record_family_contacted',
  'record_ambulance_met',
  'hold_elevator',
  'confirm_elevator_held',
  'release_elevator',
  'approve_statement',
  'record_handover',
  'file_report',
  'close',
] as const;
export type MedicalAction = (typeof MEDICAL_ACTIONS)[number];

export const MEDICAL_CATEGORIES = ['fall', 'illness', 'injury', 'entrapment_injury', 'other'] as const;

export const MedicalConfig = z.object({
  /** acknowledge target; unanswered → supervisor (the notification policy's 30 s level) */
  ackMs: z.number().int().positive().default(30_000),
  /** PROCEDURES.md §6.1 "acknowledge; call 120": 120 not recorded this long after opening → escalate */
  call120Ms: z
    .number()
    .int()
    .positive()
    .default(3 * 60_000),
  /** §6.4 the held car confirms its recall to the lobby (as in fire §5: 60 s) */
  holdConfirmMs: z.number().int().positive().default(60_000),
  /** CONTRACT.md: a command past exp is neither executed nor retried */
  holdExpiryMs: z.number().int().positive().default(60_000),
  /** seed 001 §五: follow-up (回访) within 2 working days */
  ...followupCalendar,
});
export type MedicalConfig = z.infer<typeof MedicalConfig>;

export interface MedicalData {
  cfg: MedicalConfig;
  source: 'manual' | 'linked';
  category: (typeof MEDICAL_CATEGORIES)[number];
  location: string;
  people: number | null;
  /** the entrapment that opened it (its passengers were injured or ill) */
  linkedFrom: { incidentId: string; kind: string; car: string | null } | null;
  lobbyFloor: number;
  elevators: { deviceId: string; car: string | null }[];
  call120?: { calledAt: number; told: string; reference: string | null; by: string };
  family?: { unitId: string | null; accessSeq: number | null; reached: boolean };
  hold?: { deviceId: string; corr: string; floor: number; status: 'sent' | 'held' | 'failed' | 'flagged' | 'released'; at: number };
  statement?: { text: string; approvedBy: string; at: number };
  handover?: { outcome: 'ambulance' | 'treated_on_site' | 'refused_treatment'; hospital: string | null; at: number };
  followupDueAt?: number;
}

export interface MedicalContext {
  lobbyFloor?: number;
  elevators?: { deviceId: string; car?: string }[];
}

export type MedicalTypes = ProcedureTypes<
  { states: typeof MEDICAL_STATES; steps: typeof MEDICAL_STEPS; timers: typeof MEDICAL_TIMERS; actions: typeof MEDICAL_ACTIONS },
  typeof labels,
  MedicalData,
  MedicalContext
>;
type Ctx = EngineCtx<MedicalTypes>;
const act = actionsOf<MedicalTypes>();
const pending = (s: IncidentSnapshot, key: MedicalStep) => s.steps.find((x) => x.key === key)?.status === 'pending';

/** the front desk takes the call and meets the ambulance at the gate (seed 000 §2.8.2) */
const STAFF = ['operator', 'frontdesk', 'supervisor', 'admin'] as const;
const Name = z.string().trim().min(1).max(120);
const Floor = z.number().int().min(-10).max(300);
const OPEN = ['awaiting_ack', 'responding', 'handed_over'] as const;

const ManualReport = z.object({
  floor: Floor.optional(),
  location: z.string().trim().min(1).max(500),
  category: z.enum(MEDICAL_CATEGORIES).default('injury'),
  people: z.number().int().min(1).max(100).optional(),
  callerPhone: z.string().max(32).optional(),
  notes: Notes,
});

function acknowledge(ctx: Ctx, notes: string): void {
  ctx.cancelTimer('ack');
  ctx.done('acknowledge', { notes });
  ctx.to('responding', 'acknowledged');
}

function sendHold(ctx: Ctx, deviceId: string): void {
  const data = ctx.data;
  const corr = ctx.corr('hold');
  const floor = data.lobbyFloor;
  data.hold = { deviceId, corr, floor, status: 'sent', at: ctx.now };
  ctx.effect({
    type: 'send_command',
    corr,
    target: { deviceId },
    name: 'recall',
    data: { floor },
    expiresAt: ctx.now + data.cfg.holdExpiryMs,
    expiryMs: data.cfg.holdExpiryMs,
  });
  ctx.startTimer('hold_confirm', data.cfg.holdConfirmMs);
}

function held(ctx: Ctx, how: string): void {
  const h = ctx.data.hold;
  if (!h || h.status === 'held' || h.status === 'released') return;
  h.status = 'held';
  ctx.cancelTimer('hold_confirm');
  ctx.log('confirmation', { what: 'elevator_held', deviceId: h.deviceId, how });
  ctx.done('hold_elevator', { by: how === 'manual' ? ctx.by : 'system', data: { deviceId: h.deviceId, floor: h.floor } });
}

const actions: Record<MedicalAction, ReturnType<typeof act>> = {
  acknowledge: act({
    roles: STAFF,
    states: ['awaiting_ack'],
    step: 'acknowledge',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      acknowledge(ctx, p.notes);
    },
  }),
  record_120_call: act({
    roles: STAFF,
    states: OPEN,
    step: 'call_120',
    available: (s) => pending(s, 'call_120'),
    payload: z.object({
      /** PROCEDURES.md §6.1: the time and what was said are recorded */
      told: z.string().trim().min(1).max(2000),
      calledAt: z.number().int().nonnegative().optional(),
      reference: z.string().trim().max(120).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      const calledAt = p.calledAt ?? ctx.now;
      if (calledAt > ctx.now) ctx.fail('HUB_ERR_BAD_REQUEST', 'called_in_future');
      ctx.data.call120 = { calledAt, told: p.told, reference: p.reference ?? null, by: ctx.by };
      ctx.cancelTimer('call_120');
      ctx.done('call_120', { notes: p.notes, data: { calledAt, told: p.told, reference: p.reference ?? null } });
      ctx.dutyLog('call_120', { told: p.told });
    },
  }),
  dispatch_first_aid: act({
    roles: CONTROL_ROLES,
    states: OPEN,
    step: 'first_aid',
    available: (s) => pending(s, 'first_aid'),
    payload: z.object({ person: Name, firstAider: z.boolean().default(false), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 000 §2.8.2: 派秩序维护员到场,必要时进行急救
      ctx.done('first_aid', { notes: p.notes, data: { person: p.person, firstAider: p.firstAider } });
    },
  }),
  record_zone_secured: act({
    roles: CONTROL_ROLES,
    states: OPEN,
    step: 'secure_zone',
    available: (s) => pending(s, 'secure_zone'),
    payload: z.object({ zone: z.string().trim().min(1).max(500), notes: Notes }),
    run(ctx: Ctx, p) {
      // PROCEDURES.md §6.2: mark and guard the danger zone
      ctx.done('secure_zone', { notes: p.notes, data: { zone: p.zone } });
    },
  }),
  record_family_contacted: act({
    roles: STAFF,
    states: OPEN,
    step: 'contact_family',
    available: (s) => pending(s, 'contact_family'),
    payload: z.object({
      /** the owner record read (GET /api/units/:id?reason=…, which logs who, why and when) */
      unitId: z.uuid().optional(),
      /** the access-log entry of that read (its `access.seq`) */
      accessSeq: z.number().int().positive().optional(),
      reached: z.boolean(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.6.2: an owner's contact details are read only with a logged reason
      if (p.unitId && p.accessSeq === undefined) ctx.fail('HUB_ERR_BAD_REQUEST', 'access_not_logged');
      ctx.data.family = { unitId: p.unitId ?? null, accessSeq: p.accessSeq ?? null, reached: p.reached };
      ctx.done('contact_family', {
        notes: p.notes,
        data: { unitId: p.unitId ?? null, accessSeq: p.accessSeq ?? null, reached: p.reached },
      });
    },
  }),
  record_ambulance_met: act({
    roles: STAFF,
    states: OPEN,
    step: 'meet_ambulance',
    available: (s) => pending(s, 'meet_ambulance'),
    payload: z.object({ gate: z.string().trim().min(1).max(120), person: Name, notes: Notes }),
    run(ctx: Ctx, p) {
      // PROCEDURES.md §6.4: meet the ambulance at the gate
      ctx.done('meet_ambulance', { notes: p.notes, data: { gate: p.gate, person: p.person } });
    },
  }),
  hold_elevator: act({
    roles: CONTROL_ROLES,
    states: ['responding'],
    step: 'hold_elevator',
    available: (_s, data) => !data.hold || data.hold.status === 'failed' || data.hold.status === 'flagged',
    defaults: (_s, data) => (data.elevators[0] ? { deviceId: data.elevators[0].deviceId } : {}),
    payload: z.object({ deviceId: z.string().min(1).max(64).meta({ deviceClass: 'elevator' }), notes: Notes }),
    run(ctx: Ctx, p) {
      // PROCEDURES.md §6.4: hold a car at the lobby for the stretcher (recall, confirmed by the car)
      if (ctx.data.elevators.length && !ctx.data.elevators.some((e) => e.deviceId === p.deviceId))
        ctx.fail('HUB_ERR_BAD_REQUEST', 'not_this_building', { deviceId: p.deviceId });
      sendHold(ctx, p.deviceId);
      ctx.log('action', { action: 'hold_elevator', deviceId: p.deviceId }, p.notes ? said(p.notes) : null);
    },
  }),
  confirm_elevator_held: act({
    roles: CONTROL_ROLES,
    states: ['responding'],
    available: (_s, data) => Boolean(data.hold && data.hold.status !== 'held' && data.hold.status !== 'released'),
    payload: z.object({ notes: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      held(ctx, 'manual');
      ctx.log('note', {}, said(p.notes));
    },
  }),
  release_elevator: act({
    roles: CONTROL_ROLES,
    states: ['responding', 'handed_over'],
    available: (_s, data) => data.hold?.status === 'held',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      const h = ctx.data.hold!;
      h.status = 'released';
      // the recall parked the car out of normal service; the stretcher is gone
      ctx.effect({ type: 'device_service', deviceId: h.deviceId, inService: true, reason: 'released after the ambulance left' });
      ctx.log('confirmation', { what: 'returned_to_service', deviceId: h.deviceId }, p.notes ? said(p.notes) : null);
    },
  }),
  approve_statement: act({
    roles: MANAGER_ROLES,
    states: OPEN,
    step: 'public_statement',
    payload: z.object({ text: z.string().trim().min(1).max(4000) }),
    run(ctx: Ctx, p) {
      // PROCEDURES.md §6.5: one agreed statement, approved by a supervisor; no other comment
      if (ctx.data.statement) ctx.fail('HUB_ERR_CONFLICT', 'one_statement');
      ctx.data.statement = { text: p.text, approvedBy: ctx.by, at: ctx.now };
      ctx.done('public_statement', { notes: p.text });
      ctx.log('approval', { what: 'public_statement' }, said(p.text));
      ctx.notify(['operator', 'frontdesk'], 'statement_approved', {});
    },
  }),
  record_handover: act({
    roles: STAFF,
    states: ['responding'],
    payload: z.object({
      outcome: z.enum(['ambulance', 'treated_on_site', 'refused_treatment']),
      hospital: z.string().trim().max(200).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      ctx.data.handover = { outcome: p.outcome, hospital: p.hospital ?? null, at: ctx.now };
      // no ambulance came: nobody to meet, no car to hold
      if (p.outcome !== 'ambulance') {
        if (pending(ctx.s, 'meet_ambulance')) ctx.skip('meet_ambulance', 'no_ambulance');
        if (pending(ctx.s, 'hold_elevator')) ctx.skip('hold_elevator', 'no_ambulance');
      }
      ctx.log('outcome', { outcome: p.outcome, hospital: p.hospital ?? null }, p.notes ? said(p.notes) : null);
      ctx.to('handed_over', { key: 'handed_over', params: { outcome: { key: `medical_emergency.value.${p.outcome}` } } });
      ctx.dutyLog('handed_over', { outcome: { key: `medical_emergency.value.${p.outcome}` } });
    },
  }),
  file_report: act({
    roles: CONTROL_ROLES,
    states: ['handed_over'],
    step: 'special_report',
    payload: SpecialReportPayload,
    run(ctx: Ctx, p) {
      ctx.done('special_report', { redo: true, notes: p.summary, data: { attachmentIds: p.attachmentIds } });
    },
  }),
  close: act({
    roles: MANAGER_ROLES,
    states: ['handed_over'],
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      const data = ctx.data;
      // seed 001 §五: 回访 within 2 working days of the handover
      const cfg = data.cfg;
      const dueAt = ctx.addWorkingDays(data.handover?.at ?? ctx.now, cfg.followupWorkingDays, cfg);
      const missing = ctx.pendingRequired().filter((k) => k !== 'schedule_followup');
      if (missing.length) ctx.fail('HUB_ERR_CONFLICT', 'steps_pending', { steps: missing });
      if (data.hold?.status === 'held') ctx.fail('HUB_ERR_CONFLICT', 'release_car_first');
      data.followupDueAt = dueAt;
      ctx.followUp(dueAt);
      ctx.done('schedule_followup', { by: 'system', data: { dueAt, workingDays: cfg.followupWorkingDays } });
      ctx.close('closed', p.notes ? said(p.notes) : 'complete');
      ctx.dutyLog('closed', { outcome: data.handover ? { key: `medical_emergency.value.${data.handover.outcome}` } : null });
      // PROCEDURES.md §6.6: special report
      ctx.effect({ type: 'special_report', incidentId: ctx.s.id });
    },
  }),
};

export const medicalProcedure = defineProcedure<MedicalTypes>({
  kind: 'medical_emergency',
  states: MEDICAL_STATES,
  finalStates: ['closed'],
  steps: MEDICAL_STEPS.map((key) => ({ key, required: key !== 'hold_elevator' && key !== 'contact_family' })),
  timers: MEDICAL_TIMERS,
  unskippable: ['acknowledge', 'public_statement', 'special_report'],
  actions,
  specialReport: true,
  // a person is hurt: banner and sound until acknowledged
  attention: true,
  config: MedicalConfig,
  manual: { roles: STAFF, payload: ManualReport },

  // one medical incident per entrapment that reported injured passengers; phoned-in reports are each their own
  dedupKeyFor(t) {
    return t.source === 'linked' ? `incident:${t.parentId}` : null;
  },
  wants(s, src, data) {
    return src.event.type === 'elevator.recalled' && data.hold?.deviceId === src.deviceId;
  },

  open(ctx: Ctx, t) {
    const c = t.context ?? {};
    const data: MedicalData = {
      cfg: ctx.config,
      source: t.source === 'linked' ? 'linked' : 'manual',
      category: 'injury',
      location: '',
      people: null,
      linkedFrom: null,
      lobbyFloor: c.lobbyFloor ?? 1,
      elevators: (c.elevators ?? []).map((e) => ({ deviceId: e.deviceId, car: e.car ?? null })),
    };
    let notes = '';
    if (t.source === 'manual') {
      const p = t.payload as z.infer<typeof ManualReport>;
      data.category = p.category;
      data.location = p.location;
      data.people = p.people ?? null;
      ctx.s.floor = p.floor ?? null;
      notes = p.notes;
    } else if (t.source === 'linked') {
      const p = t.payload as { car?: string | null; floor?: number | null; hurt?: number; location?: string };
      data.category = 'entrapment_injury';
      data.location = p.location ?? '';
      data.people = typeof p.hurt === 'number' ? p.hurt : null;
      data.linkedFrom = { incidentId: t.parentId, kind: t.parentKind, car: p.car ?? null };
      ctx.s.floor = typeof p.floor === 'number' ? p.floor : null;
      // the entrapment already made "call 120" required and escalated: both incidents show it
      ctx.log('linked_incident', { parentId: t.parentId, parentKind: t.parentKind });
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    }
    ctx.init(data);
    ctx.title({ category: { key: `medical_emergency.value.${data.category}` }, location: data.location || null, floor: ctx.s.floor });
    if (notes) ctx.log('note', {}, said(notes));
    ctx.notify(['operator', 'frontdesk', 'supervisor'], 'incident_opened', { kind: 'medical_emergency', floor: ctx.s.floor });
    ctx.startTimer('ack', data.cfg.ackMs);
    ctx.startTimer('call_120', data.cfg.call120Ms);
  },

  onEvent(ctx: Ctx, input) {
    if (input.event.type === 'elevator.recalled' && ctx.data.hold?.deviceId === input.deviceId) held(ctx, 'arrived');
  },

  onCommandResult(ctx: Ctx, input) {
    const h = ctx.data.hold;
    if (!h || h.corr !== input.corr) return;
    if (input.ok) held(ctx, 'command_ok');
    else if (h.status === 'sent') {
      h.status = 'failed';
      ctx.flag('hold_failed', h.deviceId, { expired: input.expired ?? false });
    }
  },

  onTimer(ctx: Ctx, key) {
    const data = ctx.data;
    if (key === 'ack') ctx.escalate('ack_overdue', { targetMs: data.cfg.ackMs });
    else if (key === 'call_120') {
      if (pending(ctx.s, 'call_120')) ctx.escalate('call_120_overdue', { targetMs: data.cfg.call120Ms });
    } else if (key === 'hold_confirm' && data.hold?.status === 'sent') {
      data.hold.status = 'flagged';
      ctx.flag('hold_unconfirmed', data.hold.deviceId, {});
      ctx.notify(['operator'], 'hold_unconfirmed', { deviceId: data.hold.deviceId });
    }
  },
});
