// Fire alarm 火警 — pure procedure (PROCEDURES.md §2; seed 000 §2.1.2.5; GB 25506;
// GB 25201 §5.3; NFPA 72 positive alarm sequence). Only `fire.alarm` opens a fire
// incident; `fire.supervisory` / `fire.trouble` open device_fault incidents
// (services/devices/machine.ts). Imports only types from the engine.
import { z } from 'zod';
import {
  actionsOf,
  defineProcedure,
  said,
  type Ctx as EngineCtx,
  type EventSource,
  type IncidentSnapshot,
  type ProcedureTypes,
  type Reason,
  Notes,
  SpecialReportPayload,
  CONTROL_ROLES,
  MANAGER_ROLES,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';
import { codeNumber } from '../core/messages.js';

/**
 * `false_alarm_reset`: a false alarm whose panel is reset while recalled cars are still out of
 * service (PROCEDURES.md §2.2 false alarm → panel reset → closes; §2.7 cars back one by one).
 * Its own state, so the board says the reset happened instead of "awaiting reset" (issue 14).
 */
export const FIRE_STATES = [
  'awaiting_ack',
  'verifying',
  'false_alarm',
  'false_alarm_reset',
  'small_fire',
  'general_alarm',
  'recovery',
  'closed',
] as const;
export type FireState = (typeof FIRE_STATES)[number];

export const FIRE_STEPS = [
  'acknowledge',
  'dispatch_verifier',
  'verify',
  'extinguish',
  'notify_security',
  'general_alarm',
  'interlocks_auto',
  'approve_119',
  'call_119',
  'elevator_recall',
  'evacuation',
  'seal_scene',
  'special_report',
  'panel_reset',
  'elevators_returned',
] as const;
export type FireStep = (typeof FIRE_STEPS)[number];

export const FIRE_TIMERS = ['ack', 'verify', 'recall_confirm', 'approval_119'] as const;
export type FireTimer = (typeof FIRE_TIMERS)[number];

export const FIRE_OUTCOMES = ['false_alarm', 'small_fire', 'serious_fire'] as const;
export type FireOutcome = (typeof FIRE_OUTCOMES)[number];

export const FIRE_ACTIONS = [
  'acknowledge',
  'dispatch_verifier',
  'verify',
  'record_extinguished',
  'notify_security',
  'escalate_to_serious',
  'confirm_interlocks_auto',
  'approve_119',
  'record_119_call',
  'confirm_car_recalled',
  'record_evacuation',
  'record_scene_sealed',
  'declare_fire_out',
  'file_report',
  'record_panel_reset',
  'return_elevator',
  'close',
] as const;
export type FireAction = (typeof FIRE_ACTIONS)[number];

/** Steps that a serious fire (general alarm) makes required. */
const SERIOUS_STEPS = [
  'general_alarm',
  'interlocks_auto',
  'approve_119',
  'call_119',
  'elevator_recall',
  'evacuation',
  'seal_scene',
  'special_report',
] as const;
const SMALL_STEPS = ['extinguish', 'notify_security', 'special_report'] as const;

export const FireConfig = z.object({
  /** NFPA 72 positive alarm sequence: acknowledge within 15 s */
  ackMs: z.number().int().positive().default(15_000),
  /** NFPA 72 positive alarm sequence: investigate within 180 s of acknowledgement */
  verifyMs: z.number().int().positive().default(180_000),
  /** PROCEDURES.md §2.5: a car not confirming recall in 60 s is flagged */
  recallConfirmMs: z.number().int().positive().default(60_000),
  /** CONTRACT.md: a command past exp is neither executed nor retried */
  recallExpiryMs: z.number().int().positive().default(60_000),
  /** the recall floor when the building record has none */
  defaultLobbyFloor: z.number().int().default(1),
  /**
   * seed 000 §2.1.2.5 d asks for the manager's approval before 119 is called; the review found
   * it could block forever. No supervisor approving within this time → escalated, and the call
   * is no longer held: 消防法 (Fire Protection Law of the PRC) §44 — whoever finds a fire must
   * report it at once; nobody may obstruct the report.
   */
  approval119Ms: z.number().int().positive().default(60_000),
});
export type FireConfig = z.infer<typeof FireConfig>;

export type CarRecall = {
  deviceId: string;
  car: string | null;
  corr: string;
  status: 'sent' | 'confirmed' | 'flagged' | 'failed' | 'returned';
  confirmedAt: number | null;
  confirmedBy: string | null;
  flaggedAt: number | null;
  returnedAt: number | null;
};

export interface FireData {
  cfg: FireConfig;
  source: 'device' | 'manual';
  zones: { zone: string; floor: number; detector: string; at: number }[];
  location: string | null;
  address: string;
  lobbyFloor: number;
  /** null = building's elevators unknown (recall by building selector, cars tracked as they answer) */
  elevators: { deviceId: string; car: string | null }[] | null;
  outcome: FireOutcome | null;
  /** why the general alarm sounded */
  generalAlarmReason?: 'serious_fire' | 'unverified' | 'ack_timeout' | 'escalated';
  cause?: string;
  verifiedBy?: string;
  approval119?: { by: string; at: number };
  call119?: { address: string; fireLocation: string; burning: string; calledAt: number; by: string; reference: string | null };
  recall?: { corr: string; sentAt: number; floor: number; cars: CarRecall[]; broadcast: boolean };
}

/** Facts the fire procedure needs when it opens (services/fire/context.ts). */
export interface FireContext {
  /** told to 119 (seed 000 §2.1.2.5) */
  address?: string;
  /** elevator recall floor */
  lobbyFloor?: number;
  /** the building's elevators: recall targets */
  elevators?: { deviceId: string; buildingId?: string; car?: string; name?: string }[];
}

export type FireTypes = ProcedureTypes<
  { states: typeof FIRE_STATES; steps: typeof FIRE_STEPS; timers: typeof FIRE_TIMERS; actions: typeof FIRE_ACTIONS },
  typeof labels,
  FireData,
  FireContext
>;
type Ctx = EngineCtx<FireTypes>;
const act = actionsOf<FireTypes>();
const pending = (s: IncidentSnapshot, key: FireStep) => s.steps.find((x) => x.key === key)?.status === 'pending';

const Required = z.string().trim().min(1).max(500);

const ManualReport = z.object({
  floor: z.number().int().min(-10).max(300),
  location: Required,
  reportedBy: z.string().trim().max(120).optional(),
  notes: Notes,
});

function setTitle(ctx: Ctx): void {
  const z0 = ctx.data.zones[0];
  ctx.title(z0 ? { zone: z0.zone, floor: z0.floor } : { location: ctx.data.location });
}

/** Serious path: general alarm, interlocks, 119 with approval, elevator recall, evacuation, sealing. */
function enterGeneralAlarm(ctx: Ctx, reason: NonNullable<FireData['generalAlarmReason']>, why: Reason<FireTypes>): void {
  const data = ctx.data;
  data.generalAlarmReason = reason;
  ctx.cancelTimer('ack');
  ctx.cancelTimer('verify');
  for (const k of SERIOUS_STEPS) ctx.setRequired(k, true, why);
  ctx.to('general_alarm', why);
  // seed 000 §2.1.2.5 c: serious fire → sound the alarm (general alarm)
  ctx.done('general_alarm', { data: { reason } });
  ctx.escalate('general_alarm', { trigger: reason });
  ctx.notify(['operator', 'frontdesk', 'supervisor', 'admin'], 'general_alarm', { reason });
  ctx.notify(['supervisor'], 'approval_119_needed', {});
  if (pending(ctx.s, 'approve_119')) ctx.startTimer('approval_119', data.cfg.approval119Ms);
  ctx.dutyLog('general_alarm', { reason });
  sendRecall(ctx);
}

/**
 * PROCEDURES.md §2.5 / seed 000 §2.1.2.5 e: recall every elevator of the building (消防联动,
 * GB 50116 §4.7), track each car. Sent once per incident: at open for a panel alarm (ASME A17.1
 * §2.27.3.2, Phase I recall is initiated by the fire alarm itself), at general alarm for a
 * phoned-in report. Idempotent via `data.recall`: the general alarm never sends a second recall.
 */
function sendRecall(ctx: Ctx): void {
  const data = ctx.data;
  if (data.recall) return;
  const floor = data.lobbyFloor;
  const expiryMs = data.cfg.recallExpiryMs;
  const base = ctx.corr('rc');
  const cars: CarRecall[] = [];
  if (data.elevators === null) {
    ctx.effect({
      type: 'send_command',
      corr: base,
      target: { buildingId: ctx.s.buildingId, deviceClass: 'elevator' },
      name: 'recall',
      data: { floor },
      expiresAt: ctx.now + expiryMs,
      expiryMs,
    });
  } else if (data.elevators.length === 0) {
    ctx.skip('elevator_recall', 'no_elevators');
    ctx.skip('elevators_returned', 'no_elevators');
  } else {
    for (const e of data.elevators) {
      const corr = ctx.corr('rc');
      cars.push({
        deviceId: e.deviceId,
        car: e.car,
        corr,
        status: 'sent',
        confirmedAt: null,
        confirmedBy: null,
        flaggedAt: null,
        returnedAt: null,
      });
      ctx.effect({
        type: 'send_command',
        corr,
        target: { deviceId: e.deviceId },
        name: 'recall',
        data: { floor },
        expiresAt: ctx.now + expiryMs,
        expiryMs,
      });
    }
  }
  data.recall = { corr: base, sentAt: ctx.now, floor, cars, broadcast: data.elevators === null };
  if (data.elevators === null || data.elevators.length > 0) {
    ctx.setRequired('elevators_returned', true, 'elevators_recalled');
    ctx.startTimer('recall_confirm', data.cfg.recallConfirmMs);
  }
}

/**
 * A further panel alarm while cars are already back in service (after a false-alarm verdict or
 * in recovery) recalls those cars again: every fire alarm initiates Phase I recall (ASME A17.1
 * §2.27.3.2). Cars still recalled are not sent anything new.
 */
function recallReturnedCars(ctx: Ctx): void {
  const data = ctx.data;
  const r = data.recall;
  if (!r) return;
  const back = r.cars.filter((c) => c.status === 'returned');
  if (back.length === 0) return;
  const expiryMs = data.cfg.recallExpiryMs;
  for (const c of back) {
    c.corr = ctx.corr('rc');
    c.status = 'sent';
    c.confirmedAt = null;
    c.confirmedBy = null;
    c.flaggedAt = null;
    c.returnedAt = null;
    ctx.effect({
      type: 'send_command',
      corr: c.corr,
      target: { deviceId: c.deviceId },
      name: 'recall',
      data: { floor: r.floor },
      expiresAt: ctx.now + expiryMs,
      expiryMs,
    });
  }
  // the cars must be returned (one by one) again before the incident can close
  reopenStep(ctx, 'elevators_returned', 'recalled_again');
  ctx.startTimer('recall_confirm', data.cfg.recallConfirmMs);
}

/** A step that a new alarm makes necessary again goes back to pending (required), on the record. */
function reopenStep(ctx: Ctx, key: FireStep, why: Reason<FireTypes>): void {
  const st = ctx.step(key);
  if (st.status !== 'pending') {
    const was = st.status;
    st.status = 'pending';
    st.doneBy = null;
    st.doneAt = null;
    ctx.log('step_required', { step: key, required: true, reopened: was }, why);
  }
  ctx.setRequired(key, true, why);
}

function findCar(ctx: Ctx, deviceId: string | undefined, corr?: string): CarRecall | undefined {
  const r = ctx.data.recall;
  if (!r) return undefined;
  let car = r.cars.find((c) => (corr !== undefined && c.corr === corr) || (deviceId !== undefined && c.deviceId === deviceId));
  if (!car && r.broadcast && deviceId && (corr === undefined || corr.startsWith(r.corr))) {
    // building-selector recall: cars become known as they answer
    car = {
      deviceId,
      car: null,
      corr: `${r.corr}.${deviceId}`,
      status: 'sent',
      confirmedAt: null,
      confirmedBy: null,
      flaggedAt: null,
      returnedAt: null,
    };
    r.cars.push(car);
  }
  return car;
}

function confirmCar(ctx: Ctx, car: CarRecall, how: string): void {
  if (car.status === 'confirmed' || car.status === 'returned') return;
  const late = car.status === 'flagged' || car.status === 'failed';
  car.status = 'confirmed';
  car.confirmedAt = ctx.now;
  car.confirmedBy = ctx.by;
  ctx.log('confirmation', { what: 'recall', deviceId: car.deviceId, how, late });
  const r = ctx.data.recall!;
  const allIn = r.cars.length > 0 && r.cars.every((c) => c.status === 'confirmed' || c.status === 'returned');
  // every car answered: nothing is left for the 60 s check to flag, so the board stops counting
  if (allIn) ctx.cancelTimer('recall_confirm');
  if (pending(ctx.s, 'elevator_recall') && allIn) {
    ctx.done('elevator_recall', { by: ctx.by, data: { cars: r.cars.map((c) => c.deviceId) } });
  }
}

function allReturned(ctx: Ctx): boolean {
  const r = ctx.data.recall;
  return !r || (r.cars.length > 0 && r.cars.every((c) => c.status === 'returned'));
}

/**
 * False alarm: closes once cause is recorded, the panel is reset and recalled cars are back.
 * Reset with cars still recalled → `false_alarm_reset` (the state says what is left, issue 14).
 */
function maybeCloseFalseAlarm(ctx: Ctx): void {
  if (ctx.s.state !== 'false_alarm' && ctx.s.state !== 'false_alarm_reset') return;
  if (!ctx.isDone('panel_reset')) return;
  // recalled cars keep `elevators_returned` required until each is back (or a supervisor waives it)
  if (ctx.pendingRequired().length) {
    if (ctx.s.state === 'false_alarm') ctx.to('false_alarm_reset', 'reset_cars_pending');
    return;
  }
  ctx.close('closed', 'false_alarm_closed');
  ctx.dutyLog('closed', { outcome: 'false_alarm', cause: ctx.data.cause ?? '' });
}

/** Small fire: recovery once extinguished and security notified. */
function maybeSmallFireDone(ctx: Ctx): void {
  if (ctx.s.state === 'small_fire' && ctx.isDone('extinguish') && ctx.isDone('notify_security')) {
    ctx.to('recovery', 'small_fire_done');
  }
}

function recordPanelReset(ctx: Ctx, how: string, notes: string): void {
  if (!pending(ctx.s, 'panel_reset')) return;
  if (ctx.s.state === 'awaiting_ack' || ctx.s.state === 'verifying' || ctx.s.state === 'general_alarm' || ctx.s.state === 'small_fire') {
    // GB 25201: a reset before the cause is known loses the evidence — keep the incident open
    ctx.flag('reset_before_verification', ctx.s.deviceId, { state: ctx.s.state });
  }
  ctx.done('panel_reset', { notes, data: { how } });
  maybeCloseFalseAlarm(ctx);
}

const Verify = z.object({
  outcome: z.enum(FIRE_OUTCOMES),
  /** GB 25201 §5.3: a false alarm's cause must be recorded */
  cause: z.string().trim().max(2000).optional(),
  verifiedBy: z.string().trim().min(1).max(120).optional(),
  location: z.string().trim().max(500).optional(),
  notes: Notes,
});

const actions: Record<FireAction, ReturnType<typeof act>> = {
  acknowledge: act({
    roles: CONTROL_ROLES,
    // a late acknowledgement (after the PAS timeout) is still recorded in any open state
    states: '*',
    step: 'acknowledge',
    available: (s) => pending(s, 'acknowledge'),
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.cancelTimer('ack');
      ctx.done('acknowledge', { notes: p.notes });
      if (ctx.s.state === 'awaiting_ack') {
        // NFPA 72 PAS: the 180 s investigation phase starts at acknowledgement
        ctx.startTimer('verify', ctx.data.cfg.verifyMs);
        ctx.to('verifying', 'acknowledged_verify');
      }
    },
  }),
  dispatch_verifier: act({
    roles: CONTROL_ROLES,
    states: ['awaiting_ack', 'verifying', 'general_alarm'],
    step: 'dispatch_verifier',
    available: (s) => pending(s, 'dispatch_verifier'),
    payload: z.object({
      person: z.string().trim().min(1).max(120),
      method: z.enum(['security', 'staff', 'cctv']).default('security'),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      ctx.done('dispatch_verifier', { notes: p.notes, data: { person: p.person, method: p.method } });
    },
  }),
  verify: act({
    roles: CONTROL_ROLES,
    states: ['verifying', 'general_alarm'],
    step: 'verify',
    available: (_s, data) => data.outcome === null,
    // standing a general alarm down is the manager's call (seed 000 §2.1.2.5 d): not offered to others
    withheld: (s, _data, role): Record<string, readonly string[]> =>
      s.state === 'general_alarm' && role !== 'supervisor' && role !== 'admin' ? { outcome: ['false_alarm'] } : {},
    payload: Verify,
    run(ctx: Ctx, p) {
      const data = ctx.data;
      const wasGeneral = ctx.s.state === 'general_alarm';
      if (wasGeneral && p.outcome === 'false_alarm' && ctx.role !== 'supervisor' && ctx.role !== 'admin') {
        // standing down a general alarm is the manager's call (seed 000 §2.1.2.5 d)
        ctx.fail('HUB_ERR_FORBIDDEN', 'standdown_supervisor');
      }
      // GB 25201 §5.3: a false alarm's cause must be recorded
      if (p.outcome === 'false_alarm' && !p.cause) ctx.fail('HUB_ERR_BAD_REQUEST', 'false_alarm_cause');
      data.outcome = p.outcome;
      if (p.verifiedBy) data.verifiedBy = p.verifiedBy;
      if (p.location) data.location = p.location;
      ctx.cancelTimer('verify');
      const stepData = {
        outcome: p.outcome,
        verifiedBy: p.verifiedBy ?? ctx.by,
        location: p.location ?? null,
        ...(p.cause ? { cause: p.cause } : {}),
      };
      if (pending(ctx.s, 'verify')) ctx.done('verify', { notes: p.notes, data: stepData });
      else ctx.log('outcome', stepData, p.notes ? said(p.notes) : null);
      ctx.log('outcome', { outcome: p.outcome }, p.notes ? said(p.notes) : null);
      ctx.dutyLog('outcome', { outcome: p.outcome });
      if (p.outcome === 'false_alarm') {
        data.cause = p.cause!;
        // the serious-path steps are not needed any more (a supervisor stood the alarm down)
        for (const k of SERIOUS_STEPS) if (pending(ctx.s, k)) ctx.setRequired(k, false, 'false_alarm');
        ctx.to('false_alarm', 'false_alarm_reset');
        maybeCloseFalseAlarm(ctx);
      } else if (p.outcome === 'small_fire') {
        // seed 000 §2.1.2.5 b: small fire → extinguisher, notify 秩序维护部 (security).
        // Once a general alarm sounds, the serious-fire path stays in charge.
        if (!wasGeneral) {
          for (const k of SMALL_STEPS) ctx.setRequired(k, true, 'small_fire');
          ctx.to('small_fire', 'small_fire_steps');
        }
      } else if (!wasGeneral) {
        enterGeneralAlarm(ctx, 'serious_fire', 'serious_confirmed');
      }
    },
  }),
  record_extinguished: act({
    roles: CONTROL_ROLES,
    states: ['small_fire'],
    step: 'extinguish',
    available: (s) => pending(s, 'extinguish'),
    payload: z.object({ by: z.string().trim().min(1).max(120), extinguisherUsed: z.boolean().default(true), notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('extinguish', { notes: p.notes, data: { by: p.by, extinguisherUsed: p.extinguisherUsed } });
      maybeSmallFireDone(ctx);
    },
  }),
  notify_security: act({
    roles: CONTROL_ROLES,
    states: ['small_fire', 'general_alarm'],
    step: 'notify_security',
    available: (s) => pending(s, 'notify_security'),
    payload: z.object({ person: z.string().trim().max(120).optional(), notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('notify_security', { notes: p.notes, data: { person: p.person ?? null } });
      maybeSmallFireDone(ctx);
    },
  }),
  escalate_to_serious: act({
    roles: CONTROL_ROLES,
    states: ['small_fire', 'recovery'],
    available: (_s, data) => data.outcome === 'small_fire',
    payload: z.object({ reason: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      ctx.data.outcome = 'serious_fire';
      ctx.log('outcome', { outcome: 'serious_fire', escalatedFrom: 'small_fire' }, said(p.reason));
      enterGeneralAlarm(ctx, 'escalated', said(p.reason));
    },
  }),
  confirm_interlocks_auto: act({
    roles: CONTROL_ROLES,
    states: ['general_alarm', 'recovery'],
    step: 'interlocks_auto',
    available: (s) => pending(s, 'interlocks_auto'),
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      // PROCEDURES.md §2.3: fire-system interlocks (联动) confirmed in AUTO
      ctx.done('interlocks_auto', { notes: p.notes, data: { mode: 'auto' } });
    },
  }),
  approve_119: act({
    roles: MANAGER_ROLES,
    states: ['general_alarm'],
    step: 'approve_119',
    available: (s) => pending(s, 'approve_119'),
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.2.5 d: 经管理处经理批准后拨打119 — 119 only with the manager's approval
      ctx.data.approval119 = { by: ctx.by, at: ctx.now };
      ctx.cancelTimer('approval_119');
      ctx.done('approve_119', { notes: p.notes });
      ctx.log('approval', { what: 'call_119' }, p.notes ? said(p.notes) : null);
      ctx.notify(['operator'], 'approved_119', {});
    },
  }),
  record_119_call: act({
    roles: CONTROL_ROLES,
    states: ['general_alarm', 'recovery'],
    step: 'call_119',
    available: (s) => pending(s, 'call_119'),
    // seed 000 §2.1.2.5 d: 119 only after the manager's approval — shown, disabled, with the reason
    blocked: (s) => (s.steps.some((st) => st.key === 'approve_119' && st.status === 'done') ? null : 'needs_approval'),
    // what the incident already knows: the building's address and the first alarm zone, said
    // the way the caller says it to 119 (in Chinese: the call is)
    defaults: (_s, data) => ({
      address: data.address,
      fireLocation: data.zones[0] ? `${data.zones[0].floor}层 ${codeNumber('zone', data.zones[0].zone)}区` : (data.location ?? ''),
    }),
    payload: z.object({
      // seed 000 §2.1.2.5 d: 准确报告物业位置及起火部位、燃烧品
      address: Required,
      fireLocation: Required,
      burning: Required,
      calledAt: z.number().int().nonnegative().optional(),
      reference: z.string().trim().max(120).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      // approved, or the approval ran out (approval_119 timer: skipped, never blocked for good)
      if (ctx.step('approve_119').status === 'pending') ctx.fail('HUB_ERR_CONFLICT', 'needs_approval');
      const call = {
        address: p.address,
        fireLocation: p.fireLocation,
        burning: p.burning,
        calledAt: p.calledAt ?? ctx.now,
        by: ctx.by,
        reference: p.reference ?? null,
      };
      ctx.data.call119 = call;
      ctx.done('call_119', { notes: p.notes, data: { ...call, approved: !!ctx.data.approval119 } });
      ctx.dutyLog(ctx.data.approval119 ? 'call_119' : 'call_119_unapproved', {
        address: p.address,
        fireLocation: p.fireLocation,
        burning: p.burning,
      });
    },
  }),
  confirm_car_recalled: act({
    roles: CONTROL_ROLES,
    // a panel alarm recalls the cars at open, so they are confirmed while still verifying
    states: ['awaiting_ack', 'verifying', 'small_fire', 'general_alarm', 'recovery', 'false_alarm', 'false_alarm_reset'],
    step: 'elevator_recall',
    available: (_s, data) =>
      Boolean(data.recall?.cars.some((c) => c.status !== 'confirmed' && c.status !== 'returned') || data.recall?.broadcast),
    payload: z.object({ deviceId: z.string().min(1).max(64), notes: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      // a person checked the car at the recall floor (e.g. the car never answered on MQTT)
      const car = findCar(ctx, p.deviceId);
      if (!car) ctx.fail('HUB_ERR_BAD_REQUEST', 'not_recalled', { deviceId: p.deviceId });
      if (car.status === 'confirmed' || car.status === 'returned')
        ctx.fail('HUB_ERR_CONFLICT', 'car_already', { deviceId: p.deviceId, status: { key: `fire_alarm.value.${car.status}` } });
      confirmCar(ctx, car, 'manual');
      ctx.log('note', { deviceId: p.deviceId }, said(p.notes));
    },
  }),
  record_evacuation: act({
    roles: CONTROL_ROLES,
    states: ['general_alarm'],
    step: 'evacuation',
    available: (s) => pending(s, 'evacuation'),
    payload: z.object({ announcement: z.boolean(), viaFireStairs: z.boolean().default(true), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.2.5 e: 接到疏散通知,引导业主从消防楼梯逃生
      ctx.done('evacuation', { notes: p.notes, data: { announcement: p.announcement, viaFireStairs: p.viaFireStairs } });
    },
  }),
  record_scene_sealed: act({
    roles: CONTROL_ROLES,
    states: ['general_alarm', 'recovery'],
    step: 'seal_scene',
    available: (s) => pending(s, 'seal_scene'),
    payload: z.object({ posts: z.string().trim().min(1).max(500), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 000 §2.1.2.5 e: 留守岗位封锁现场; 无关人员不准进入
      ctx.done('seal_scene', { notes: p.notes, data: { posts: p.posts } });
    },
  }),
  declare_fire_out: act({
    roles: MANAGER_ROLES,
    states: ['general_alarm'],
    payload: z.object({ notes: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      ctx.to('recovery', said(p.notes));
    },
  }),
  file_report: act({
    roles: CONTROL_ROLES,
    states: ['recovery'],
    step: 'special_report',
    payload: SpecialReportPayload,
    run(ctx: Ctx, p) {
      // PROCEDURES.md §2.7: special incident report with photos/attachments for a serious fire
      if (ctx.data.outcome !== 'small_fire' && p.attachmentIds.length === 0) ctx.fail('HUB_ERR_BAD_REQUEST', 'report_needs_photos');
      ctx.done('special_report', { redo: true, notes: p.summary, data: { attachmentIds: p.attachmentIds } });
    },
  }),
  record_panel_reset: act({
    roles: CONTROL_ROLES,
    states: ['false_alarm', 'small_fire', 'recovery'],
    step: 'panel_reset',
    available: (s) => pending(s, 'panel_reset'),
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      recordPanelReset(ctx, 'manual', p.notes);
    },
  }),
  return_elevator: act({
    roles: CONTROL_ROLES,
    states: ['recovery', 'false_alarm', 'false_alarm_reset'],
    step: 'elevators_returned',
    available: (_s, data) => Boolean(data.recall?.cars.some((c) => c.status !== 'returned')),
    // PROCEDURES.md §2.7: the panel is reset first — shown, disabled, with the reason until then
    blocked: (s) => (s.steps.some((st) => st.key === 'panel_reset' && st.status === 'done') ? null : 'reset_first_cars'),
    payload: z.object({ deviceId: z.string().min(1).max(64), notes: Notes }),
    run(ctx: Ctx, p) {
      // PROCEDURES.md §2.7: returned to service one by one — one car per action
      const car = ctx.data.recall?.cars.find((c) => c.deviceId === p.deviceId);
      if (!car) ctx.fail('HUB_ERR_BAD_REQUEST', 'not_recalled', { deviceId: p.deviceId });
      if (car.status === 'returned') ctx.fail('HUB_ERR_CONFLICT', 'already_returned', { deviceId: p.deviceId });
      // PROCEDURES.md §2.7: panel reset, then the cars back one by one — a car returned while the
      // panel is still in alarm would be in service during a possibly real fire
      if (!ctx.isDone('panel_reset')) ctx.fail('HUB_ERR_CONFLICT', 'reset_first_cars');
      car.status = 'returned';
      car.returnedAt = ctx.now;
      ctx.effect({ type: 'device_service', deviceId: car.deviceId, inService: true, reason: 'returned to service after fire recall' });
      ctx.log('confirmation', { what: 'returned_to_service', deviceId: car.deviceId }, p.notes ? said(p.notes) : null);
      if (allReturned(ctx)) {
        if (pending(ctx.s, 'elevator_recall')) ctx.setRequired('elevator_recall', false, 'all_returned');
        ctx.done('elevators_returned', { data: { cars: ctx.data.recall!.cars.map((c) => c.deviceId) } });
      }
      maybeCloseFalseAlarm(ctx);
    },
  }),
  close: act({
    roles: MANAGER_ROLES,
    // false_alarm(_reset): normally closes by itself on reset; this covers a waived step afterwards
    states: ['recovery', 'false_alarm', 'false_alarm_reset'],
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      const missing = ctx.pendingRequired();
      if (missing.length) ctx.fail('HUB_ERR_CONFLICT', 'steps_pending', { steps: missing });
      if (ctx.s.state === 'false_alarm' && !ctx.isDone('panel_reset')) ctx.fail('HUB_ERR_CONFLICT', 'reset_first');
      ctx.close('closed', p.notes ? said(p.notes) : 'complete');
      ctx.dutyLog('closed', { outcome: ctx.data.outcome ?? 'serious_fire' });
      if (ctx.data.outcome !== 'false_alarm') ctx.effect({ type: 'special_report', incidentId: ctx.s.id });
    },
  }),
};

export const fireProcedure = defineProcedure<FireTypes>({
  kind: 'fire_alarm',
  states: FIRE_STATES,
  finalStates: ['closed'],
  steps: FIRE_STEPS.map((key) => ({ key, required: key === 'acknowledge' || key === 'verify' || key === 'panel_reset' })),
  timers: FIRE_TIMERS,
  unskippable: ['acknowledge', 'approve_119', 'panel_reset'],
  actions,
  specialReport: true,
  // NFPA 72 positive alarm sequence: banner and sound until acknowledged (15 s)
  attention: true,
  config: FireConfig,
  manual: { roles: CONTROL_ROLES, payload: ManualReport },

  triggerFor(src: EventSource) {
    return src.event.type === 'fire.alarm' ? src.deviceId : null;
  },
  // one open fire incident per panel; further zones append
  dedupKeyFor(t) {
    return t.source === 'device' ? t.deviceId : null;
  },
  wants(s, src, data) {
    const t = src.event.type;
    if (src.deviceId === s.deviceId) return t === 'fire.reset' || t === 'fire.silenced';
    return t === 'elevator.recalled' && src.buildingId === s.buildingId && Boolean(data.recall);
  },

  open(ctx: Ctx, t) {
    const ctxData = t.context ?? {};
    const cfg = ctx.config;
    const data: FireData = {
      cfg,
      source: t.source === 'manual' ? 'manual' : 'device',
      zones: [],
      location: null,
      address: ctxData.address ?? '',
      lobbyFloor: ctxData.lobbyFloor ?? cfg.defaultLobbyFloor,
      // only this building's cars are recalled (消防联动 is per building, PROCEDURES.md §2.5)
      elevators: ctxData.elevators
        ? ctxData.elevators
            .filter((e) => e.buildingId === undefined || e.buildingId === ctx.s.buildingId)
            .map((e) => ({ deviceId: e.deviceId, car: e.car ?? null }))
        : null,
      outcome: null,
    };
    if (t.source === 'device') {
      if (t.event.type !== 'fire.alarm') ctx.fail('HUB_ERR_BAD_REQUEST', 'not_fire_event', { event: t.event.type });
      data.zones.push({ zone: t.event.data.zone, floor: t.event.data.floor, detector: t.event.data.detector, at: ctx.now });
      ctx.s.floor = t.event.data.floor;
    } else if (t.source === 'manual') {
      const p = t.payload as z.infer<typeof ManualReport>;
      data.location = p.location;
      ctx.s.floor = p.floor;
      if (p.notes || p.reportedBy) ctx.log('note', { reportedBy: p.reportedBy ?? null }, said(p.notes));
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    }
    ctx.init(data);
    setTitle(ctx);
    ctx.notify(['operator', 'supervisor'], 'incident_opened', { kind: 'fire_alarm', floor: ctx.s.floor });
    // NFPA 72 PAS: acknowledge within 15 s
    ctx.startTimer('ack', cfg.ackMs);
    // A panel alarm recalls every car at once (Phase I emergency recall is initiated by the fire
    // alarm itself, ASME A17.1 §2.27.3.2; 消防联动, GB 50116 §4.7): the cars must not wait for
    // verification. A phoned-in report recalls them only when it becomes a general alarm.
    if (t.source === 'device') sendRecall(ctx);
  },

  onRepeat(ctx: Ctx, t) {
    if (t.source !== 'device' || t.event.type !== 'fire.alarm') return;
    const data = ctx.data;
    data.zones.push({ zone: t.event.data.zone, floor: t.event.data.floor, detector: t.event.data.detector, at: ctx.now });
    // every panel alarm initiates the recall (ASME A17.1 §2.27.3.2): a no-op while the cars are
    // still recalled; cars already returned to service are recalled again
    sendRecall(ctx);
    recallReturnedCars(ctx);
    // the panel is in alarm again: an earlier reset no longer counts (GB 25201: reset after the cause is known)
    if (ctx.isDone('panel_reset')) reopenStep(ctx, 'panel_reset', 'reset_again');
    if (ctx.s.state === 'false_alarm' || ctx.s.state === 'false_alarm_reset') {
      // a new alarm after a false-alarm verdict is investigated again, not swallowed
      ctx.flag('alarm_after_false_alarm', ctx.s.deviceId, { zone: t.event.data.zone });
      data.outcome = null;
      ctx.setRequired('special_report', false, 'reinvestigation');
      ctx.startTimer('verify', data.cfg.verifyMs);
      ctx.to('verifying', 'verify_again');
    }
  },

  onEvent(ctx: Ctx, input) {
    const e = input.event;
    if (e.type === 'fire.reset') recordPanelReset(ctx, 'panel', '');
    else if (e.type === 'elevator.recalled') {
      const car = findCar(ctx, input.deviceId);
      if (car) confirmCar(ctx, car, 'arrived');
    }
  },

  onCommandResult(ctx: Ctx, input) {
    const car = findCar(ctx, input.deviceId, input.corr);
    if (!car) return;
    if (input.ok) confirmCar(ctx, car, 'command_ok');
    else if (car.status === 'sent') {
      car.status = 'failed';
      car.flaggedAt = ctx.now;
      ctx.flag('recall_failed', car.deviceId, { expired: input.expired ?? false });
    }
  },

  onTimer(ctx: Ctx, key) {
    const data = ctx.data;
    if (key === 'ack') {
      ctx.escalate('ack_overdue', { targetMs: data.cfg.ackMs });
      // NFPA 72 PAS: not acknowledged in 15 s → general alarm immediately
      enterGeneralAlarm(ctx, 'ack_timeout', 'ack_timeout');
    } else if (key === 'verify') {
      // PROCEDURES.md §2.2: not verified within 180 s → treated as confirmed (general alarm)
      ctx.skip('verify', 'unverified_treated');
      enterGeneralAlarm(ctx, 'unverified', 'unverified');
    } else if (key === 'approval_119') {
      if (!pending(ctx.s, 'approve_119')) return;
      // nobody approved in time: tell the managers, and stop holding the call (消防法 §44)
      const seconds = Math.round(data.cfg.approval119Ms / 1000);
      ctx.escalate('approval_119_overdue', { seconds });
      ctx.skip('approve_119', { key: 'approval_119_timeout', params: { seconds } });
      ctx.notify(['operator', 'supervisor', 'admin'], 'call_119_without_approval', { seconds });
    } else if (key === 'recall_confirm') {
      const r = data.recall;
      if (!r) return;
      const late = r.cars.filter((c) => c.status === 'sent');
      for (const c of late) {
        c.status = 'flagged';
        c.flaggedAt = ctx.now;
        ctx.flag('recall_unconfirmed', c.deviceId, { car: c.car });
      }
      if (r.broadcast && r.cars.length === 0) ctx.flag('recall_unconfirmed', null, { buildingId: ctx.s.buildingId });
      if (late.length || (r.broadcast && r.cars.length === 0))
        ctx.notify(['operator', 'supervisor'], 'recall_unconfirmed', { cars: late.map((c) => c.deviceId) });
    }
  },
});
