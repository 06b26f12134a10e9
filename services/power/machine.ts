// Power outage 停电 — pure procedure (PROCEDURES.md §3; seed 000 §2.3.5, §2.1.5;
// ASME A17.1 §2.27.2 emergency power operation) plus planned-outage (计划停电) rules.
// Imports only types from the engine.
import { z } from 'zod';
import type { Role } from '../../contracts/domain.js';
import type { Msg } from '../../contracts/messages.js';
import { fill } from '../core/messages.js';
import {
  actionsOf,
  defineProcedure,
  issueText,
  said,
  type Actor,
  type Ctx as EngineCtx,
  type ErrorCode,
  type EventSource,
  type IncidentSnapshot,
  type Json,
  type ProcedureTypes,
  type Reason,
  Notes,
  CONTROL_ROLES,
} from '../core/procedure/index.js';
import { labels } from './labels.js';

export const POWER_STATES = ['awaiting_ack', 'active', 'restored', 'planned_in_progress', 'closed'] as const;
export type PowerState = (typeof POWER_STATES)[number];

export const POWER_STEPS = [
  'acknowledge',
  'scope',
  'standby_power',
  'elevator_sweep',
  'lobby_return',
  'contact_utility',
  'notify_residents',
  'emergency_lighting',
  'verify_restoration',
] as const;
export type PowerStep = (typeof POWER_STEPS)[number];

export const POWER_TIMERS = ['standby_power', 'lobby_return', 'planned_overrun'] as const;
export type PowerTimer = (typeof POWER_TIMERS)[number];

export const POWER_ACTIONS = [
  'acknowledge',
  'confirm_scope',
  'record_standby_power',
  'record_elevator_sweep',
  'confirm_car_at_lobby',
  'record_utility_contact',
  'record_resident_notice',
  'confirm_emergency_lighting',
  'verify_restoration',
  'close',
] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** Below the emergency (60) and device faults (40): a registered outage is routine. */
export const PLANNED_OUTAGE_SEVERITY = 30;

export const PowerConfig = z.object({
  /** PROCEDURES.md §3.2: ATS/generator within 10 s, else generator failure */
  standbyMs: z.number().int().positive().default(10_000),
  /** one car at a time to the lobby; a car not confirming in this time is flagged and skipped */
  lobbyReturnMs: z.number().int().positive().default(60_000),
  recallExpiryMs: z.number().int().positive().default(60_000),
  defaultLobbyFloor: z.number().int().default(1),
  /**
   * The sweep trusts a car's last report only if the car is online and reported within this
   * time (review of §3.3: a stale "at level, doors closed" from a car that went dark when the
   * power failed is not evidence that nobody is trapped). Older or offline → checked in person.
   */
  sweepStaleMs: z.number().int().positive().default(120_000),
});
export type PowerConfig = z.infer<typeof PowerConfig>;

export interface SweepCar {
  deviceId: string;
  buildingId?: string;
  car?: string;
  floor?: number;
  atLevel: boolean;
  doorsOpen?: boolean;
  entrapment?: boolean;
  passengers?: number;
  /**
   * The hub has no trustworthy report from this car: it is offline, or its last telemetry is
   * older than cfg.sweepStaleMs. Its floor/level/doors are then unknown and ignored.
   */
  unknown?: 'offline' | 'stale';
  /** when the car last reported (ms), for the operator checking it in person */
  lastSeenAt?: number;
}

export interface PowerData {
  cfg: PowerConfig;
  source: 'device' | 'manual';
  feeder: string | null;
  scope: { buildingIds: string[]; floors: number[] };
  lobbyFloor: number;
  planned: { id: string; startsAt: number; endsAt: number } | null;
  standby: { source: 'ats' | 'generator'; at: number } | null;
  generatorFailed: boolean;
  /** elevators whose entrapment is linked to this outage (no double opening) */
  linkedCars: string[];
  sweep: { at: number; cars: SweepCar[] } | null;
  lobby: {
    queue: string[];
    current: { deviceId: string; corr: string; sentAt: number } | null;
    done: { deviceId: string; result: 'confirmed' | 'unconfirmed' | 'failed'; at: number }[];
    started: boolean;
  };
  utility?: { party: string; reference: string };
  restoredAt?: number;
}

export interface PlannedOutageRef {
  id: string;
  buildingId: string;
  feeder: string | null;
  startsAt: number;
  endsAt: number;
  cancelled?: boolean;
}

/** Facts an outage needs when it opens (services/power/context.ts). */
export interface PowerContext {
  /** elevator lobby-return floor */
  lobbyFloor?: number;
  /** buildings fed by the lost feeder (outage scope) */
  feederBuildings?: string[];
  /** registered planned outages of those buildings (window matching) */
  plannedOutages?: PlannedOutageRef[];
}

export type PowerTypes = ProcedureTypes<
  { states: typeof POWER_STATES; steps: typeof POWER_STEPS; timers: typeof POWER_TIMERS; actions: typeof POWER_ACTIONS },
  typeof labels,
  PowerData,
  PowerContext
>;
type Ctx = EngineCtx<PowerTypes>;
const act = actionsOf<PowerTypes>();
const pending = (s: IncidentSnapshot, key: PowerStep) => s.steps.find((x) => x.key === key)?.status === 'pending';

const Floor = z.number().int().min(-10).max(300);
const LIVE = ['awaiting_ack', 'active'] as const;
/** steps that only matter in an emergency (optional while a planned outage runs to plan) */
const EMERGENCY_STEPS: PowerStep[] = [
  'acknowledge',
  'scope',
  'standby_power',
  'elevator_sweep',
  'contact_utility',
  'notify_residents',
  'emergency_lighting',
];

const ManualReport = z.object({ feeder: z.string().min(1).max(64).optional(), floors: z.array(Floor).max(300).optional(), notes: Notes });

const SweepPayload = z.object({
  cars: z
    .array(
      z.object({
        deviceId: z.string().min(1).max(64),
        buildingId: z.string().min(1).max(64).optional(),
        car: z.string().min(1).max(32).optional(),
        floor: Floor.optional(),
        atLevel: z.boolean(),
        doorsOpen: z.boolean().optional(),
        entrapment: z.boolean().optional(),
        passengers: z.number().int().min(0).max(100).optional(),
        unknown: z.enum(['offline', 'stale']).optional(),
        lastSeenAt: z.number().int().nonnegative().optional(),
      }),
    )
    .max(500),
  notes: Notes,
});

// ---------------------------------------------------------------------------------------
// Planned outages (计划停电): notice ≥ 48 h, ≥ 72 h when residents must prepare
// ---------------------------------------------------------------------------------------

const HOUR = 3_600_000;
/** seed 000 §2.1.5.3 d: notices go up 48 h ahead; 72 h when owners must prepare */
export const NOTICE_MS = { standard: 48 * HOUR, prepare: 72 * HOUR } as const;

export const PlannedOutageInput = z
  .object({
    buildingId: z.string().min(1).max(64),
    feeder: z.string().min(1).max(64).nullable().default(null),
    startsAt: z.number().int().nonnegative(),
    endsAt: z.number().int().nonnegative(),
    /** when the notice is/was posted; default: now */
    noticeAt: z.number().int().nonnegative().optional(),
    residentsMustPrepare: z.boolean().default(false),
    reason: z.string().trim().min(1).max(2000),
    /** supervisor override of the notice rule — accepted but flagged */
    acceptShortNotice: z.boolean().default(false),
    shortNoticeReason: z.string().trim().max(2000).optional(),
  })
  .refine((p) => p.endsAt > p.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] });
export type PlannedOutageInput = z.input<typeof PlannedOutageInput>;

export interface PlannedOutageAccepted {
  buildingId: string;
  feeder: string | null;
  startsAt: number;
  endsAt: number;
  noticeAt: number;
  residentsMustPrepare: boolean;
  reason: string;
  createdBy: string;
  requiredNoticeMs: number;
  noticeMs: number;
  flags: 'short_notice'[];
}

const REGISTER_ROLES: readonly Role[] = ['operator', 'frontdesk', 'supervisor', 'admin'];

type OutageError = keyof typeof labels.errors;
/** A refusal of the planned-outage rule: its message key and params, and the English rendering. */
export type OutageRefusal = { ok: false; code: ErrorCode; msg: Msg; message: string };

function refuse(code: ErrorCode, key: OutageError, params: Json = {}): OutageRefusal {
  const en = (v: unknown): string =>
    typeof v === 'object' && v !== null && 'l' in v
      ? String((v as { l: string[] }).l[1])
      : typeof v === 'object' && v !== null && 'key' in v
        ? String((v as Msg).key)
            .split('.')
            .pop()!
        : String(v);
  return { ok: false, code, msg: { key: `power_outage.error.${key}`, params }, message: fill(labels.errors[key][1], params, en) };
}

/**
 * Validate a planned-outage registration. Short notice is refused; a supervisor (or admin)
 * may accept it explicitly with a reason, and the record is then flagged `short_notice`.
 */
export function validatePlannedOutage(
  input: unknown,
  actor: Actor,
  now: number,
): { ok: true; value: PlannedOutageAccepted } | OutageRefusal {
  if (!REGISTER_ROLES.includes(actor.role))
    return refuse('HUB_ERR_FORBIDDEN', 'register_forbidden', { role: { key: `role.${actor.role}` } });
  const r = PlannedOutageInput.safeParse(input);
  if (!r.success) {
    if (r.error.issues.some((i) => i.path[0] === 'endsAt' && i.code === 'custom')) return refuse('HUB_ERR_BAD_REQUEST', 'ends_after_start');
    const zh = PlannedOutageInput.safeParse(input, { error: z.locales.zhCN().localeError });
    return refuse('HUB_ERR_BAD_REQUEST', 'invalid', {
      detail: { l: [issueText(zh.success ? r.error : zh.error), issueText(r.error)] },
    });
  }
  const p = r.data;
  if (p.startsAt <= now) return refuse('HUB_ERR_BAD_REQUEST', 'start_future');
  const noticeAt = p.noticeAt ?? now;
  if (noticeAt > p.startsAt) return refuse('HUB_ERR_BAD_REQUEST', 'notice_before_start');
  const requiredNoticeMs = p.residentsMustPrepare ? NOTICE_MS.prepare : NOTICE_MS.standard;
  const noticeMs = p.startsAt - noticeAt;
  const flags: PlannedOutageAccepted['flags'] = [];
  if (noticeMs < requiredNoticeMs) {
    const need = { required: requiredNoticeMs / HOUR, given: Math.floor(noticeMs / HOUR) };
    if (!p.acceptShortNotice) return refuse('HUB_ERR_BAD_REQUEST', 'notice_short', need);
    if (actor.role !== 'supervisor' && actor.role !== 'admin') return refuse('HUB_ERR_FORBIDDEN', 'short_notice_supervisor', need);
    if (!p.shortNoticeReason) return refuse('HUB_ERR_BAD_REQUEST', 'short_notice_reason');
    flags.push('short_notice');
  }
  return {
    ok: true,
    value: {
      buildingId: p.buildingId,
      feeder: p.feeder,
      startsAt: p.startsAt,
      endsAt: p.endsAt,
      noticeAt,
      residentsMustPrepare: p.residentsMustPrepare,
      reason: p.reason,
      createdBy: `user:${actor.id}`,
      requiredNoticeMs,
      noticeMs,
      flags,
    },
  };
}

/** The registered window (if any) covering a mains loss on this building/feeder now. */
export function plannedOutageCovering(
  list: readonly PlannedOutageRef[],
  buildingId: string,
  feeder: string | null,
  now: number,
): PlannedOutageRef | null {
  return (
    list.find(
      (o) =>
        !o.cancelled &&
        o.buildingId === buildingId &&
        (o.feeder === null || feeder === null || o.feeder === feeder) &&
        o.startsAt <= now &&
        now <= o.endsAt,
    ) ?? null
  );
}

// ---------------------------------------------------------------------------------------
// Emergency procedure helpers
// ---------------------------------------------------------------------------------------

function setTitle(ctx: Ctx): void {
  ctx.title({ planned: ctx.data.planned ? { key: 'power_outage.value.planned' } : null, feeder: ctx.data.feeder });
}

/** What the sweep keeps of a car without a trustworthy report: its identity, not its telemetry. */
function unknownCar(c: SweepCar): SweepCar {
  return {
    deviceId: c.deviceId,
    ...(c.buildingId ? { buildingId: c.buildingId } : {}),
    ...(c.car ? { car: c.car } : {}),
    atLevel: false,
    ...(c.entrapment ? { entrapment: true } : {}),
    unknown: c.unknown!,
    ...(c.lastSeenAt !== undefined ? { lastSeenAt: c.lastSeenAt } : {}),
  };
}

function startEmergency(ctx: Ctx): void {
  const data = ctx.data;
  ctx.s.severity = 60;
  // PROCEDURES.md §3.2: standby power within 10 s
  if (!data.standby) ctx.startTimer('standby_power', data.cfg.standbyMs);
  ctx.effect({
    type: 'query',
    incidentId: ctx.s.id,
    name: 'elevator_sweep',
    params: { buildingIds: data.scope.buildingIds, staleMs: data.cfg.sweepStaleMs },
    answer: 'record_elevator_sweep',
  });
  ctx.notify(['operator', 'supervisor'], 'incident_opened', { kind: 'power_outage', feeder: data.feeder });
}

/** A17.1 §2.27.2: on standby power, cars return to the lobby one at a time. */
function maybeStartLobbyReturn(ctx: Ctx): void {
  const data = ctx.data;
  if (data.lobby.started || !data.sweep || !data.standby || data.generatorFailed) return;
  if (ctx.s.state !== 'awaiting_ack' && ctx.s.state !== 'active' && ctx.s.state !== 'planned_in_progress') return;
  data.lobby.started = true;
  // Every free car is sent, also one the sweep saw at the lobby: the sweep's floor is the car's
  // last report, which may be stale while it moves; a car already there confirms at once.
  data.lobby.queue = data.sweep.cars
    .filter((c) => !c.unknown && c.atLevel && !c.entrapment && !data.linkedCars.includes(c.deviceId))
    .map((c) => c.deviceId);
  sendNextCar(ctx);
}

function sendNextCar(ctx: Ctx): void {
  const data = ctx.data;
  const next = data.lobby.queue.shift();
  if (next === undefined) {
    data.lobby.current = null;
    ctx.cancelTimer('lobby_return');
    if (pending(ctx.s, 'lobby_return')) ctx.done('lobby_return', { by: 'system', data: { cars: data.lobby.done } });
    return;
  }
  const corr = ctx.corr('lr');
  data.lobby.current = { deviceId: next, corr, sentAt: ctx.now };
  ctx.effect({
    type: 'send_command',
    corr,
    target: { deviceId: next },
    name: 'recall',
    data: { floor: data.lobbyFloor },
    expiresAt: ctx.now + data.cfg.recallExpiryMs,
    expiryMs: data.cfg.recallExpiryMs,
  });
  ctx.startTimer('lobby_return', data.cfg.lobbyReturnMs);
}

function finishCar(ctx: Ctx, result: 'confirmed' | 'unconfirmed' | 'failed'): void {
  const data = ctx.data;
  const cur = data.lobby.current;
  if (!cur) return;
  data.lobby.done.push({ deviceId: cur.deviceId, result, at: ctx.now });
  if (result === 'confirmed') ctx.log('confirmation', { what: 'car_at_lobby', deviceId: cur.deviceId });
  else ctx.flag(result === 'failed' ? 'recall_failed' : 'lobby_return_unconfirmed', cur.deviceId, {});
  ctx.cancelTimer('lobby_return');
  sendNextCar(ctx);
}

function linkEntrapment(ctx: Ctx, car: SweepCar, reason: string): void {
  const data = ctx.data;
  if (data.linkedCars.includes(car.deviceId)) return;
  data.linkedCars.push(car.deviceId);
  // PROCEDURES.md §3.3: a stuck car automatically opens an entrapment linked to this outage
  ctx.effect({
    type: 'open_linked_incident',
    kind: 'elevator_entrapment',
    dedupKey: car.deviceId,
    parentId: ctx.s.id,
    trigger: {
      source: 'linked',
      siteId: ctx.s.siteId,
      buildingId: car.buildingId ?? ctx.s.buildingId,
      parentId: ctx.s.id,
      parentKind: 'power_outage',
      deviceId: car.deviceId,
      payload: { car: car.car ?? null, floor: car.floor ?? null, passengers: car.passengers ?? null, reason },
    },
  });
}

function standbyOn(ctx: Ctx, source: 'ats' | 'generator'): void {
  const data = ctx.data;
  if (data.standby) return;
  data.standby = { source, at: ctx.now };
  ctx.cancelTimer('standby_power');
  if (pending(ctx.s, 'standby_power')) ctx.done('standby_power', { data: { source, afterMs: ctx.now - ctx.s.openedAt } });
  maybeStartLobbyReturn(ctx);
}

function generatorFailure(ctx: Ctx, why: Msg | { text: string }): void {
  const data = ctx.data;
  if (data.generatorFailed) return;
  data.generatorFailed = true;
  ctx.flag('generator_failure', null, { why });
  // PROCEDURES.md §3.2: no standby power → escalate as generator failure
  ctx.escalate('generator_failure', { why });
}

function closeOutage(ctx: Ctx, reason: Reason<PowerTypes>): void {
  const missing = ctx.pendingRequired();
  if (missing.length) ctx.fail('HUB_ERR_CONFLICT', 'steps_pending', { steps: missing });
  ctx.close('closed', reason);
  ctx.dutyLog('closed', { planned: Boolean(ctx.data.planned) });
  // special incident report for every (unplanned) outage
  if (ctx.s.severity > PLANNED_OUTAGE_SEVERITY) ctx.effect({ type: 'special_report', incidentId: ctx.s.id });
}

const actions: Record<PowerAction, ReturnType<typeof act>> = {
  acknowledge: act({
    roles: CONTROL_ROLES,
    states: ['awaiting_ack'],
    step: 'acknowledge',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('acknowledge', { notes: p.notes });
      ctx.to('active', 'acknowledged');
    },
  }),
  confirm_scope: act({
    roles: CONTROL_ROLES,
    states: [...LIVE, 'planned_in_progress'],
    step: 'scope',
    payload: z.object({
      buildingIds: z.array(z.string().min(1).max(64)).min(1).max(100),
      floors: z.array(Floor).max(300).default([]),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      const data = ctx.data;
      const added = p.buildingIds.filter((b) => !data.scope.buildingIds.includes(b));
      data.scope = { buildingIds: [...new Set(p.buildingIds)], floors: [...new Set(p.floors)].sort((a, b) => a - b) };
      ctx.done('scope', { notes: p.notes, redo: true, data: { buildingIds: data.scope.buildingIds, floors: data.scope.floors } });
      if (added.length && ctx.s.state !== 'planned_in_progress')
        ctx.effect({
          type: 'query',
          incidentId: ctx.s.id,
          name: 'elevator_sweep',
          params: { buildingIds: added },
          answer: 'record_elevator_sweep',
        });
    },
  }),
  record_standby_power: act({
    roles: CONTROL_ROLES,
    states: [...LIVE, 'planned_in_progress'],
    step: 'standby_power',
    available: (s) => pending(s, 'standby_power'),
    payload: z.object({ source: z.enum(['ats', 'generator', 'none']), notes: Notes }),
    run(ctx: Ctx, p) {
      if (p.source === 'none') {
        generatorFailure(ctx, p.notes ? { text: p.notes } : { key: 'power_outage.value.reported_by_operator' });
        ctx.log('note', { standby: 'none' }, p.notes ? said(p.notes) : null);
      } else standbyOn(ctx, p.source);
    },
  }),
  record_elevator_sweep: act({
    roles: CONTROL_ROLES,
    states: [...LIVE, 'planned_in_progress'],
    system: true,
    step: 'elevator_sweep',
    available: (s) => pending(s, 'elevator_sweep'),
    payload: SweepPayload,
    run(ctx: Ctx, p) {
      const data = ctx.data;
      // A car without a trustworthy report (offline or stale) keeps only who it is and, from an
      // open entrapment incident, that people are trapped: its telemetry is ignored, it is not
      // sent to the lobby, and the operator is told to check it in person (review of §3.3).
      const cars = p.cars.map((c) => (c.unknown ? unknownCar(c) : { ...c }));
      data.sweep = { at: ctx.now, cars };
      const stuck = cars.filter((c) => (c.unknown ? c.entrapment : !c.atLevel || c.entrapment));
      for (const c of stuck) linkEntrapment(ctx, c, c.entrapment ? 'sweep_entrapment' : 'sweep_out_of_level');
      const unknown = cars.filter((c) => c.unknown && !c.entrapment);
      for (const c of unknown) {
        ctx.flag('sweep_car_unknown', c.deviceId, { deviceId: c.deviceId, why: { key: `power_outage.value.car_${c.unknown}` } });
        ctx.log(
          'hint',
          { hint: 'check_car_in_person', deviceId: c.deviceId, unknown: c.unknown },
          {
            key: 'car_unknown',
            params: { deviceId: c.deviceId, why: { key: `power_outage.value.car_${c.unknown}` } },
          },
        );
      }
      ctx.done('elevator_sweep', {
        notes: p.notes,
        data: {
          checked: cars.length,
          stuck: stuck.map((c) => c.deviceId),
          unknown: cars.filter((c) => c.unknown).map((c) => ({ deviceId: c.deviceId, why: c.unknown })),
        },
      });
      if (cars.length === 0) ctx.skip('lobby_return', 'no_elevators');
      else maybeStartLobbyReturn(ctx);
    },
  }),
  confirm_car_at_lobby: act({
    roles: CONTROL_ROLES,
    states: [...LIVE, 'planned_in_progress'],
    step: 'lobby_return',
    available: (_s, data) => data.lobby.current !== null,
    payload: z.object({ deviceId: z.string().min(1).max(64), notes: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      if (ctx.data.lobby.current?.deviceId !== p.deviceId) ctx.fail('HUB_ERR_CONFLICT', 'not_current_car', { deviceId: p.deviceId });
      ctx.log('note', { deviceId: p.deviceId }, said(p.notes));
      finishCar(ctx, 'confirmed');
    },
  }),
  record_utility_contact: act({
    roles: CONTROL_ROLES,
    states: [...LIVE, 'restored'],
    step: 'contact_utility',
    available: (s) => pending(s, 'contact_utility'),
    payload: z.object({
      party: z.enum(['utility', 'engineering']),
      reference: z.string().trim().min(1).max(120),
      contact: z.string().trim().max(120).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      ctx.data.utility = { party: p.party, reference: p.reference };
      ctx.done('contact_utility', { notes: p.notes, data: { party: p.party, reference: p.reference, contact: p.contact ?? null } });
    },
  }),
  record_resident_notice: act({
    roles: ['operator', 'frontdesk', 'supervisor', 'admin'],
    states: [...LIVE, 'restored'],
    step: 'notify_residents',
    available: (s) => pending(s, 'notify_residents'),
    payload: z.object({ channel: z.enum(['notice_board', 'sms', 'broadcast', 'app', 'door_to_door']), notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('notify_residents', { notes: p.notes, data: { channel: p.channel } });
    },
  }),
  confirm_emergency_lighting: act({
    roles: CONTROL_ROLES,
    states: [...LIVE],
    step: 'emergency_lighting',
    available: (s) => pending(s, 'emergency_lighting'),
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('emergency_lighting', { notes: p.notes, data: { on: true } });
    },
  }),
  verify_restoration: act({
    roles: CONTROL_ROLES,
    states: ['restored'],
    step: 'verify_restoration',
    available: (s) => pending(s, 'verify_restoration'),
    payload: z.object({ systemsOk: z.literal(true), elevatorsInService: z.literal(true), notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('verify_restoration', { notes: p.notes, data: { systemsOk: true, elevatorsInService: true } });
      // PROCEDURES.md §3.6: mains_restored → verify → close (when nothing else is pending)
      if (ctx.pendingRequired().length === 0) closeOutage(ctx, 'restored_verified');
      else ctx.log('hint', { hint: 'steps_pending', steps: ctx.pendingRequired() });
    },
  }),
  close: act({
    roles: CONTROL_ROLES,
    states: ['restored', 'planned_in_progress'],
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      if (ctx.s.state === 'planned_in_progress' && !ctx.data.restoredAt) ctx.fail('HUB_ERR_CONFLICT', 'not_restored');
      closeOutage(ctx, p.notes ? said(p.notes) : 'closed');
    },
  }),
};

function restored(ctx: Ctx): void {
  const data = ctx.data;
  data.restoredAt = ctx.now;
  ctx.cancelTimer('standby_power');
  ctx.cancelTimer('lobby_return');
  ctx.cancelTimer('planned_overrun');
  // mains back: cars run normally again, nothing left to bring down on standby power
  if (pending(ctx.s, 'lobby_return')) {
    data.lobby.queue = [];
    data.lobby.current = null;
    ctx.skip('lobby_return', 'mains_restored');
  }
  ctx.dutyLog('mains_restored', {});
  if (ctx.s.state === 'planned_in_progress') {
    ctx.done('verify_restoration', { by: 'system', data: { planned: true } });
    closeOutage(ctx, 'planned_ended');
    return;
  }
  if (pending(ctx.s, 'standby_power') && !data.standby) ctx.setRequired('standby_power', false, 'restored_before_standby');
  ctx.to('restored', 'verify_systems');
  ctx.notify(['operator'], 'verify_restoration', {});
}

function scopeBuildings(s: IncidentSnapshot, data: PowerData): string[] {
  return data.scope?.buildingIds ?? [s.buildingId];
}

export const powerProcedure = defineProcedure<PowerTypes>({
  kind: 'power_outage',
  states: POWER_STATES,
  finalStates: ['closed'],
  steps: POWER_STEPS.map((key) => ({ key, required: true })),
  timers: POWER_TIMERS,
  unskippable: ['verify_restoration'],
  actions,
  specialReport: true,
  config: PowerConfig,
  manual: { roles: CONTROL_ROLES, payload: ManualReport },

  triggerFor(src: EventSource) {
    return src.event.type === 'power.mains_lost' ? `${src.buildingId}/${src.event.data.feeder}` : null;
  },
  // one outage per building + feeder
  dedupKeyFor(t) {
    if (t.source === 'device' && t.event.type === 'power.mains_lost') return `${t.buildingId}/${t.event.data.feeder}`;
    if (t.source === 'manual') {
      const f = (t.payload as { feeder?: unknown } | undefined)?.feeder;
      return typeof f === 'string' ? `${t.buildingId}/${f}` : null;
    }
    return null;
  },
  wants(s, src, data) {
    const t = src.event.type;
    const inScope = scopeBuildings(s, data).includes(src.buildingId);
    if (src.deviceClass === 'power') {
      if (src.buildingId !== s.buildingId) return false;
      if (t === 'power.mains_restored') {
        const f = data.feeder;
        return f === null || src.event.data.feeder === f;
      }
      return t === 'power.ats_transferred' || t === 'power.generator_started' || t === 'power.generator_failed';
    }
    if (src.deviceClass === 'elevator' && inScope)
      return t === 'elevator.entrapment' || t === 'elevator.alarm_button' || t === 'elevator.recalled';
    return false;
  },
  // PROCEDURES.md §3.3: entrapments in the outage's scope are linked to it
  adopts(s, kind, src, data) {
    return kind === 'elevator_entrapment' && scopeBuildings(s, data).includes(src.buildingId);
  },

  open(ctx: Ctx, t) {
    const cfg = ctx.config;
    const c = t.context ?? {};
    let feeder: string | null = null;
    let floors: number[] = [];
    if (t.source === 'device') {
      if (t.event.type !== 'power.mains_lost') ctx.fail('HUB_ERR_BAD_REQUEST', 'not_outage_event', { event: t.event.type });
      feeder = t.event.data.feeder;
      floors = t.event.data.floors ?? [];
    } else if (t.source === 'manual') {
      const p = t.payload as z.infer<typeof ManualReport>;
      feeder = p.feeder ?? null;
      floors = p.floors ?? [];
      if (p.notes) ctx.log('note', {}, said(p.notes));
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    }
    const buildingIds = [...new Set([t.buildingId, ...(c.feederBuildings ?? [])])];
    const data: PowerData = {
      cfg,
      source: t.source === 'manual' ? 'manual' : 'device',
      feeder,
      scope: { buildingIds, floors: [...new Set(floors)].sort((a, b) => a - b) },
      lobbyFloor: c.lobbyFloor ?? cfg.defaultLobbyFloor,
      planned: null,
      standby: null,
      generatorFailed: false,
      linkedCars: [],
      sweep: null,
      lobby: { queue: [], current: null, done: [], started: false },
    };
    ctx.init(data);
    setTitle(ctx);
    const planned = plannedOutageCovering(c.plannedOutages ?? [], t.buildingId, feeder, ctx.now);
    if (planned) {
      // PROCEDURES.md §3: inside a registered window → low-severity record, not an emergency
      data.planned = { id: planned.id, startsAt: planned.startsAt, endsAt: planned.endsAt };
      setTitle(ctx);
      ctx.s.severity = PLANNED_OUTAGE_SEVERITY;
      for (const k of EMERGENCY_STEPS) ctx.setRequired(k, false, 'planned_in_progress');
      ctx.setRequired('lobby_return', false, 'planned_in_progress');
      ctx.to('planned_in_progress', { key: 'inside_planned', params: { id: planned.id } });
      ctx.startTimerAt('planned_overrun', planned.endsAt);
      ctx.notify(['operator'], 'planned_outage_started', { plannedOutageId: planned.id });
      ctx.dutyLog('planned_outage', { plannedOutageId: planned.id });
    } else {
      startEmergency(ctx);
    }
  },

  onRepeat(ctx: Ctx, t) {
    if (t.source === 'device' && t.event.type === 'power.mains_lost' && t.event.data.floors) {
      const data = ctx.data;
      data.scope.floors = [...new Set([...data.scope.floors, ...t.event.data.floors])].sort((a, b) => a - b);
    }
  },

  onEvent(ctx: Ctx, input) {
    const e = input.event;
    const data = ctx.data;
    switch (e.type) {
      case 'power.ats_transferred':
        standbyOn(ctx, 'ats');
        break;
      case 'power.generator_started':
        standbyOn(ctx, 'generator');
        break;
      case 'power.generator_failed':
        if (ctx.s.state !== 'planned_in_progress') generatorFailure(ctx, { key: 'power_outage.value.generator_failed_signal' });
        break;
      case 'power.mains_restored':
        if (ctx.s.state !== 'restored') restored(ctx);
        break;
      case 'elevator.entrapment':
      case 'elevator.alarm_button':
        // the router opens the entrapment with this outage as parent; remember the car
        if (!data.linkedCars.includes(input.deviceId)) data.linkedCars.push(input.deviceId);
        ctx.log('linked_incident', { kind: 'elevator_entrapment', deviceId: input.deviceId });
        if (data.lobby.queue.includes(input.deviceId)) data.lobby.queue = data.lobby.queue.filter((x) => x !== input.deviceId);
        break;
      case 'elevator.recalled':
        if (data.lobby.current?.deviceId === input.deviceId) finishCar(ctx, 'confirmed');
        break;
      default:
        break;
    }
  },

  onCommandResult(ctx: Ctx, input) {
    const cur = ctx.data.lobby.current;
    if (!cur || cur.corr !== input.corr) return;
    finishCar(ctx, input.ok ? 'confirmed' : 'failed');
  },

  onTimer(ctx: Ctx, key) {
    const data = ctx.data;
    if (key === 'standby_power') {
      generatorFailure(ctx, { key: 'power_outage.value.no_standby_in_time', params: { seconds: data.cfg.standbyMs / 1000 } });
    } else if (key === 'lobby_return') {
      finishCar(ctx, 'unconfirmed');
    } else if (key === 'planned_overrun') {
      // the registered window is over and the power is still off: it is an emergency now
      ctx.escalate('planned_outage_overrun', { plannedOutageId: data.planned?.id ?? null });
      for (const k of EMERGENCY_STEPS) ctx.setRequired(k, true, 'overran');
      ctx.setRequired('lobby_return', true, 'overran');
      ctx.to('awaiting_ack', 'overran');
      startEmergency(ctx);
    }
  },
});
