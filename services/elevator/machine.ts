// Elevator entrapment 电梯困人 — pure procedure (PROCEDURES.md §1; seed 000 §2.8.8;
// ASME A17.1 §2.27.1.1). The engine (services/core/procedure) drives it; every runtime helper
// arrives through `ctx`, typed by this procedure's own states, steps, timers and messages.
import { z } from 'zod';
import {
  actionsOf,
  defineProcedure,
  said,
  type Ctx as EngineCtx,
  type EventSource,
  type Json,
  type ProcedureTypes,
  type Trigger,
  Notes,
  SpecialReportPayload,
  CONTROL_ROLES,
  MANAGER_ROLES,
  followupCalendar,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';

export const ELEVATOR_STATES = ['awaiting_ack', 'in_progress', 'released', 'in_service', 'closed'] as const;
export type ElevatorState = (typeof ELEVATOR_STATES)[number];

export const ELEVATOR_STEPS = [
  'acknowledge',
  'record_passengers',
  'call_120',
  'dispatch_contractor',
  'contractor_arrived',
  'dispatch_security',
  'release',
  'sign_fit',
  'schedule_followup',
  'special_report',
] as const;
export type ElevatorStep = (typeof ELEVATOR_STEPS)[number];

export const ELEVATOR_TIMERS = ['ack', 'contractor_arrival', 'recontact'] as const;
export type ElevatorTimer = (typeof ELEVATOR_TIMERS)[number];

export const ELEVATOR_ACTIONS = [
  'acknowledge',
  'record_passengers',
  'record_120_call',
  'dispatch_contractor',
  'record_contractor_arrival',
  'dispatch_security',
  'recontact',
  'confirm_release',
  'sign_fit',
  'file_report',
  'close',
  'close_no_entrapment',
] as const;
export type ElevatorAction = (typeof ELEVATOR_ACTIONS)[number];

export const VULNERABLE = ['elderly', 'child', 'pregnant', 'ill', 'injured', 'disabled'] as const;

export const ElevatorConfig = z.object({
  /** A17.1 §2.27.1.1: an unanswered car call rolls over after 30 s */
  ackMs: z.number().int().positive().default(30_000),
  /** 96333 centres track a 30-minute arrival rate; configurable per contract */
  contractorArrivalMs: z
    .number()
    .int()
    .positive()
    .default(30 * 60_000),
  /** PROCEDURES.md §1.4: re-contact passengers at least every 5 minutes */
  recontactMs: z
    .number()
    .int()
    .positive()
    .default(5 * 60_000),
  /** seed 001 §五: service follow-up ≤ 2 working days */
  ...followupCalendar,
});
export type ElevatorConfig = z.infer<typeof ElevatorConfig>;

export interface ElevatorData {
  cfg: ElevatorConfig;
  source: 'device' | 'manual' | 'linked';
  car: string | null;
  floor: number | null;
  reportedPassengers: number | null;
  callerPhone?: string;
  linkReason?: string;
  passengers?: { count: number; vulnerable: { category: (typeof VULNERABLE)[number]; note?: string }[] };
  contractor?: { company: string; person: string; phone?: string; calledAt: number; dueAt: number; arrivedAt?: number; late?: boolean };
  security?: { person: string };
  contacts: { at: number; by: string; party: string }[];
  release?: { at: number; headcount: number; releasedBy: string; discrepancy?: string };
  fit?: { at: number; company: string; person: string; recordedBy: string };
  followupDueAt?: number;
  outcome?: 'released' | 'no_entrapment';
}

export type ElevatorTypes = ProcedureTypes<
  { states: typeof ELEVATOR_STATES; steps: typeof ELEVATOR_STEPS; timers: typeof ELEVATOR_TIMERS; actions: typeof ELEVATOR_ACTIONS },
  typeof labels,
  ElevatorData
>;
type Ctx = EngineCtx<ElevatorTypes>;
const act = actionsOf<ElevatorTypes>();

const Name = z.string().trim().min(1).max(120);
const Floor = z.number().int().min(-10).max(300);
const PastTime = z.number().int().nonnegative();

const ManualReport = z.object({
  // the report form offers the building's elevators (JSON schema `deviceClass`)
  deviceId: z.string().min(1).max(64).meta({ deviceClass: 'elevator' }).optional(),
  car: z.string().min(1).max(32).optional(),
  floor: Floor,
  passengers: z.number().int().min(0).max(100).optional(),
  callerPhone: z.string().max(32).optional(),
  /** the reporter is on the phone with the passengers themselves → talk already open */
  talkingToPassengers: z.boolean().default(false),
  notes: Notes,
});

function setTitle(ctx: Ctx): void {
  // the device's name says which car; the car number only when reported by hand without a device
  ctx.title({ device: ctx.s.deviceId, car: ctx.s.deviceId ? null : ctx.data.car, floor: ctx.data.floor });
}

function acknowledge(ctx: Ctx, notes: string, data: Json): void {
  ctx.cancelTimer('ack');
  ctx.done('acknowledge', { notes, data: { talkOpened: true, ...data } });
  // PROCEDURES.md §1.4: keep voice contact, at least every 5 minutes until release
  ctx.startTimer('recontact', ctx.data.cfg.recontactMs, ctx.data.cfg.recontactMs);
  ctx.data.contacts.push({ at: ctx.now, by: ctx.by, party: 'operator' });
  ctx.to('in_progress', 'acknowledged_talk');
}

function closeIfComplete(ctx: Ctx, notes: string): void {
  const pending = ctx.pendingRequired();
  if (pending.length) ctx.fail('HUB_ERR_CONFLICT', 'steps_pending', { steps: pending });
  ctx.data.outcome ??= 'released';
  ctx.close('closed', notes ? said(notes) : 'procedure_complete');
  ctx.dutyLog('closed', { outcome: ctx.data.outcome });
  // seed 000 §2.1.7.1: special incident report for every entrapment
  ctx.effect({ type: 'special_report', incidentId: ctx.s.id });
}

const actions: Record<ElevatorAction, ReturnType<typeof act>> = {
  acknowledge: act({
    roles: CONTROL_ROLES,
    states: ['awaiting_ack'],
    step: 'acknowledge',
    payload: z.object({ reassured: z.boolean().default(true), notes: Notes }),
    run(ctx: Ctx, p) {
      acknowledge(ctx, p.notes, { reassured: p.reassured });
    },
  }),
  record_passengers: act({
    roles: CONTROL_ROLES,
    states: ['in_progress', 'released', 'in_service'],
    step: 'record_passengers',
    defaults: (_s, data) => ({ car: data.car ?? undefined, floor: data.floor ?? undefined, count: data.reportedPassengers ?? undefined }),
    payload: z.object({
      count: z.number().int().min(0).max(100),
      vulnerable: z
        .array(z.object({ category: z.enum(VULNERABLE), note: z.string().max(500).optional() }))
        .max(100)
        .default([]),
      car: z.string().min(1).max(32).optional(),
      floor: Floor.optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      const data = ctx.data;
      if (p.vulnerable.length > p.count) ctx.fail('HUB_ERR_BAD_REQUEST', 'vulnerable_exceeds');
      data.passengers = { count: p.count, vulnerable: p.vulnerable };
      if (p.car) data.car = p.car;
      if (p.floor !== undefined) {
        data.floor = p.floor;
        ctx.s.floor = p.floor;
      }
      // the title says the corrected car and floor (issue 14: it kept "10F" after 2F was recorded)
      if (p.car || p.floor !== undefined) setTitle(ctx);
      ctx.done('record_passengers', {
        notes: p.notes,
        redo: true,
        data: { count: p.count, vulnerable: p.vulnerable, car: data.car, floor: data.floor },
      });
      // PROCEDURES.md §1.2: injury or illness makes "call 120" required (seed 000 §2.1.2.5 意外伤害: 拨打急救电话)
      const hurt = p.vulnerable.filter((v) => v.category === 'ill' || v.category === 'injured');
      if (hurt.length && !ctx.step('call_120').required) {
        ctx.setRequired('call_120', true, 'injury_reported');
        ctx.escalate('injury_reported', { count: hurt.length });
      }
      // PROCEDURES.md §6: an entrapment with injured or ill passengers opens a medical emergency
      // linked to it (first aid, family, ambulance at the gate, one statement) — once per entrapment
      if (hurt.length)
        ctx.effect({
          type: 'open_linked_incident',
          kind: 'medical_emergency',
          dedupKey: `incident:${ctx.s.id}`,
          parentId: ctx.s.id,
          trigger: {
            source: 'linked',
            siteId: ctx.s.siteId,
            buildingId: ctx.s.buildingId,
            parentId: ctx.s.id,
            parentKind: 'elevator_entrapment',
            ...(ctx.s.deviceId ? { deviceId: ctx.s.deviceId } : {}),
            payload: { car: data.car, floor: data.floor, hurt: hurt.length },
          },
        });
    },
  }),
  record_120_call: act({
    roles: CONTROL_ROLES,
    states: ['in_progress', 'released', 'in_service'],
    step: 'call_120',
    available: (s) => s.steps.find((x) => x.key === 'call_120')?.status === 'pending',
    payload: z.object({ calledAt: PastTime.optional(), reference: z.string().max(120).optional(), notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('call_120', { notes: p.notes, data: { calledAt: p.calledAt ?? ctx.now, reference: p.reference ?? null } });
    },
  }),
  dispatch_contractor: act({
    roles: CONTROL_ROLES,
    states: ['in_progress', 'released'],
    step: 'dispatch_contractor',
    available: (s) => s.steps.find((x) => x.key === 'dispatch_contractor')?.status === 'pending',
    payload: z.object({ company: Name, person: Name, phone: z.string().max(32).optional(), calledAt: PastTime.optional(), notes: Notes }),
    run(ctx: Ctx, p) {
      const calledAt = p.calledAt ?? ctx.now;
      if (calledAt > ctx.now) ctx.fail('HUB_ERR_BAD_REQUEST', 'called_in_future');
      const dueAt = calledAt + ctx.data.cfg.contractorArrivalMs;
      ctx.data.contractor = { company: p.company, person: p.person, ...(p.phone ? { phone: p.phone } : {}), calledAt, dueAt };
      ctx.done('dispatch_contractor', { notes: p.notes, data: { company: p.company, person: p.person, calledAt, dueAt } });
      // PROCEDURES.md §1.3: arrival target 30 min (configurable); overdue → escalate
      ctx.startTimerAt('contractor_arrival', dueAt);
    },
  }),
  record_contractor_arrival: act({
    roles: CONTROL_ROLES,
    states: ['in_progress', 'released'],
    step: 'contractor_arrived',
    available: (s) => s.steps.find((x) => x.key === 'contractor_arrived')?.status === 'pending',
    payload: z.object({ arrivedAt: PastTime.optional(), notes: Notes }),
    run(ctx: Ctx, p) {
      const c = ctx.data.contractor;
      if (!c) ctx.fail('HUB_ERR_CONFLICT', 'not_dispatched');
      const arrivedAt = p.arrivedAt ?? ctx.now;
      c.arrivedAt = arrivedAt;
      c.late = arrivedAt > c.dueAt;
      ctx.cancelTimer('contractor_arrival');
      ctx.done('contractor_arrived', {
        notes: p.notes,
        data: { arrivedAt, minutes: Math.round((arrivedAt - c.calledAt) / 60_000), late: c.late },
      });
      if (c.late) ctx.flag('contractor_late', ctx.s.deviceId, { minutes: Math.round((arrivedAt - c.calledAt) / 60_000) });
    },
  }),
  dispatch_security: act({
    roles: CONTROL_ROLES,
    states: ['in_progress', 'released', 'in_service'],
    step: 'dispatch_security',
    available: (s) => s.steps.find((x) => x.key === 'dispatch_security')?.status === 'pending',
    payload: z.object({ person: Name, notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.data.security = { person: p.person };
      ctx.done('dispatch_security', { notes: p.notes, data: { person: p.person } });
    },
  }),
  recontact: act({
    roles: CONTROL_ROLES,
    states: ['in_progress'],
    payload: z.object({ party: z.enum(['operator', 'security']).default('operator'), notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.data.contacts.push({ at: ctx.now, by: ctx.by, party: p.party });
      ctx.log('confirmation', { what: 'recontact', party: p.party }, p.notes ? said(p.notes) : null);
      // the next reminder is 5 minutes after the latest contact
      ctx.startTimer('recontact', ctx.data.cfg.recontactMs, ctx.data.cfg.recontactMs);
    },
  }),
  confirm_release: act({
    roles: CONTROL_ROLES,
    states: ['in_progress'],
    step: 'release',
    payload: z.object({
      headcount: z.number().int().min(0).max(100),
      releasedAt: PastTime.optional(),
      releasedBy: z.string().trim().min(1).max(120).default('contractor'),
      /** required when the headcount differs from the recorded number of passengers */
      discrepancy: z.string().trim().min(1).max(2000).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      const data = ctx.data;
      const expected = data.passengers?.count ?? data.reportedPassengers;
      if (expected !== null && expected !== undefined && expected !== p.headcount) {
        if (!p.discrepancy) ctx.fail('HUB_ERR_BAD_REQUEST', 'headcount_mismatch', { headcount: p.headcount, expected });
        ctx.flag('headcount_mismatch', ctx.s.deviceId, { expected, headcount: p.headcount });
      }
      const at = p.releasedAt ?? ctx.now;
      data.release = { at, headcount: p.headcount, releasedBy: p.releasedBy, ...(p.discrepancy ? { discrepancy: p.discrepancy } : {}) };
      data.outcome = 'released';
      ctx.done('release', {
        notes: p.notes,
        data: { releasedAt: at, headcount: p.headcount, releasedBy: p.releasedBy, confirmedBy: ctx.by },
      });
      ctx.cancelTimer('recontact');
      ctx.to('released', 'released');
      // PROCEDURES.md §1.6: out of service until the contractor signs it fit
      if (ctx.s.deviceId)
        ctx.effect({
          type: 'device_service',
          deviceId: ctx.s.deviceId,
          inService: false,
          reason: 'entrapment: awaiting contractor fitness sign-off',
        });
      // seed 001 §五: 回访 within 2 working days
      const cfg = data.cfg;
      const dueAt = ctx.addWorkingDays(at, cfg.followupWorkingDays, cfg);
      data.followupDueAt = dueAt;
      ctx.followUp(dueAt);
      ctx.done('schedule_followup', { by: 'system', data: { dueAt, workingDays: cfg.followupWorkingDays } });
      ctx.dutyLog('released', { headcount: p.headcount });
    },
  }),
  sign_fit: act({
    roles: MANAGER_ROLES,
    states: ['released'],
    step: 'sign_fit',
    payload: z.object({ contractorCompany: Name, contractorPerson: Name, notes: Notes }),
    run(ctx: Ctx, p) {
      if (!ctx.isDone('contractor_arrived')) ctx.fail('HUB_ERR_CONFLICT', 'arrival_first');
      ctx.data.fit = { at: ctx.now, company: p.contractorCompany, person: p.contractorPerson, recordedBy: ctx.by };
      ctx.done('sign_fit', { notes: p.notes, data: { company: p.contractorCompany, person: p.contractorPerson } });
      ctx.cancelTimer('contractor_arrival');
      if (ctx.s.deviceId)
        ctx.effect({ type: 'device_service', deviceId: ctx.s.deviceId, inService: true, reason: 'contractor signed fit for service' });
      ctx.to('in_service', 'signed_fit');
      ctx.dutyLog('fit_signed', { person: p.contractorPerson });
    },
  }),
  file_report: act({
    roles: CONTROL_ROLES,
    states: ['released', 'in_service'],
    step: 'special_report',
    payload: SpecialReportPayload,
    run(ctx: Ctx, p) {
      ctx.done('special_report', { redo: true, notes: p.summary, data: { attachmentIds: p.attachmentIds } });
    },
  }),
  close: act({
    roles: MANAGER_ROLES,
    states: ['in_service'],
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      closeIfComplete(ctx, p.notes || 'procedure complete');
    },
  }),
  close_no_entrapment: act({
    roles: MANAGER_ROLES,
    states: ['in_progress'],
    payload: z.object({ reason: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      ctx.data.outcome = 'no_entrapment';
      ctx.log('outcome', { outcome: 'no_entrapment' }, said(p.reason));
      for (const st of ctx.s.steps) if (st.status === 'pending') ctx.skip(st.key as ElevatorStep, 'no_entrapment');
      ctx.close('closed', said(p.reason));
      ctx.dutyLog('closed', { outcome: 'no_entrapment' });
    },
  }),
};

function readPayload(t: Trigger): { deviceId: string | null; car: string | null } {
  if (t.source === 'device') {
    const data = t.event.data as { car?: string };
    return { deviceId: t.deviceId, car: data.car ?? null };
  }
  if (t.source === 'link') return { deviceId: t.deviceId, car: null };
  const p = (t.payload ?? {}) as { deviceId?: unknown };
  const deviceId =
    t.source === 'linked'
      ? (t.deviceId ?? (typeof p.deviceId === 'string' ? p.deviceId : null))
      : typeof p.deviceId === 'string'
        ? p.deviceId
        : null;
  return { deviceId, car: null };
}

export const elevatorProcedure = defineProcedure<ElevatorTypes>({
  kind: 'elevator_entrapment',
  states: ELEVATOR_STATES,
  finalStates: ['closed'],
  steps: ELEVATOR_STEPS.map((key) => ({ key, required: key !== 'call_120' })),
  timers: ELEVATOR_TIMERS,
  unskippable: ['acknowledge', 'release', 'sign_fit'],
  actions,
  specialReport: true,
  // a trapped passenger: banner and sound until acknowledged (A17.1 §2.27.1.1: 30 s)
  attention: true,
  config: ElevatorConfig,
  manual: { roles: CONTROL_ROLES, payload: ManualReport },

  triggerFor(src: EventSource) {
    const t = src.event.type;
    return t === 'elevator.entrapment' || t === 'elevator.alarm_button' ? src.deviceId : null;
  },
  // one open entrapment per elevator device
  dedupKeyFor(t) {
    return readPayload(t).deviceId;
  },
  wants(s, src) {
    return (
      src.deviceId === s.deviceId &&
      src.deviceClass === 'elevator' &&
      src.event.type !== 'elevator.entrapment' &&
      src.event.type !== 'elevator.alarm_button'
    );
  },

  open(ctx: Ctx, t) {
    const data: ElevatorData = {
      cfg: ctx.config,
      source: t.source === 'manual' ? 'manual' : t.source === 'linked' ? 'linked' : 'device',
      car: null,
      floor: null,
      reportedPassengers: null,
      contacts: [],
    };
    let talking = false;
    let notes = '';
    if (t.source === 'device') {
      const e = t.event;
      if (e.type !== 'elevator.entrapment' && e.type !== 'elevator.alarm_button')
        ctx.fail('HUB_ERR_BAD_REQUEST', 'not_an_entrapment_event', { event: e.type });
      data.car = e.data.car;
      data.floor = e.data.floor;
      if (e.type === 'elevator.entrapment' && e.data.passengers !== undefined) data.reportedPassengers = e.data.passengers;
    } else if (t.source === 'manual') {
      const p = t.payload as z.infer<typeof ManualReport>;
      ctx.s.deviceId = p.deviceId ?? null;
      data.car = p.car ?? null;
      data.floor = p.floor;
      data.reportedPassengers = p.passengers ?? null;
      if (p.callerPhone) data.callerPhone = p.callerPhone;
      talking = p.talkingToPassengers;
      notes = p.notes;
    } else if (t.source === 'linked') {
      const p = t.payload as { car?: string; floor?: number; passengers?: number; reason?: string };
      data.car = p.car ?? null;
      data.floor = typeof p.floor === 'number' ? p.floor : null;
      data.reportedPassengers = typeof p.passengers === 'number' ? p.passengers : null;
      if (p.reason) data.linkReason = p.reason;
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'link_cannot_open');
    }
    ctx.init(data);
    ctx.s.floor = data.floor;
    setTitle(ctx);
    ctx.notify(['operator', 'supervisor'], 'incident_opened', { kind: 'elevator_entrapment', floor: data.floor, car: data.car });
    if (talking) {
      // the operator reporting it is already talking to the passengers by phone
      acknowledge(ctx, notes, { viaPhone: true });
    } else {
      // A17.1 §2.27.1.1: unanswered in 30 s → roll over (here: escalate to the supervisor)
      ctx.startTimer('ack', data.cfg.ackMs);
      if (notes) ctx.log('note', {}, said(notes));
    }
  },

  onEvent(ctx: Ctx, input) {
    const e = input.event;
    if (e.type === 'elevator.normal' && e.data.doors === 'open' && ctx.s.state === 'in_progress') {
      // PROCEDURES.md §1.5: the device only *suggests* release; a person confirms it
      ctx.log('hint', { hint: 'release_suggested', floor: e.data.floor });
      ctx.notify(['operator'], 'release_suggested', { floor: e.data.floor });
    }
  },

  onRepeat(ctx: Ctx, t) {
    if (t.source === 'device' && t.event.type === 'elevator.entrapment' && t.event.data.passengers !== undefined) {
      ctx.data.reportedPassengers ??= t.event.data.passengers;
    }
  },

  onTimer(ctx: Ctx, key) {
    if (key === 'ack') {
      ctx.escalate('ack_overdue', { targetMs: ctx.data.cfg.ackMs });
      ctx.notify(['supervisor'], 'incident_opened', { kind: 'elevator_entrapment', overdue: 'ack' });
    } else if (key === 'contractor_arrival') {
      ctx.escalate('contractor_overdue', { company: ctx.data.contractor?.company ?? null, targetMs: ctx.data.cfg.contractorArrivalMs });
    } else if (key === 'recontact') {
      const last = ctx.data.contacts.at(-1)?.at ?? ctx.s.openedAt;
      ctx.log('reminder', { reminder: 'recontact', sinceLastContactMs: ctx.now - last });
      ctx.notify(['operator'], 'recontact_due', { sinceLastContactMs: ctx.now - last });
    }
  },
});
