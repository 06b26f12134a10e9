// Generic, pure incident-procedure engine (ARCHITECTURE.md example 10: procedures as pure
// state machines with an injected clock; xstate's `transition()` is the model, hand-written
// here). Nothing in this file (or the machines it drives) does IO, reads the clock or starts
// a timer: `now` is passed in, timers are data (`dueAt`) that the caller fires, and every
// side effect is returned as an `Effect` record for the service layer to carry out in the
// same transaction that stores `next` and appends `timeline`.
//
//   open(kind, trigger, now, opts)         → Result   (initial snapshot, timeline, effects)
//   decide(snapshot, input, now)           → Result   (next snapshot, timeline, effects) | error
//   allowedActions(snapshot, role)         → what the UI may offer this role now
//   dueTimers(snapshot, now) / nextDueAt   → which `{type:'timer'}` inputs to feed
//   routeDeviceEvent / planTrigger / routeDeviceStatus → where an event goes (dedup, links)
//
// The per-procedure logic lives in services/<domain>/machine.ts; those modules import only
// *types* from here (so there is no runtime import cycle) and reach every runtime helper
// through the `Ctx` object handed to them.
import { z } from 'zod';
import { ROLES, SEVERITY, type DeviceClass, type IncidentKind, type OnlineState, type Role } from '../../contracts/domain.js';
import type { CommandName, DeviceEvent } from '../../contracts/mqtt.js';
import { elevatorProcedure } from '../elevator/machine.js';
import { fireProcedure } from '../fire/machine.js';
import { powerProcedure } from '../power/machine.js';
import { visitorProcedure } from '../visitors/machine.js';
import { deviceFaultProcedure } from '../devices/machine.js';
import { renderDuty, kindLabel } from './i18n-procedures.js';

// ---------------------------------------------------------------------------------------
// Snapshot (maps 1:1 onto prisma Incident + IncidentStep[] + IncidentTimer[]; times are ms)
// ---------------------------------------------------------------------------------------

export type Json = Record<string, unknown>;
export type StepStatus = 'pending' | 'done' | 'skipped';
export type TimerStatus = 'running' | 'fired' | 'cancelled';
export type ActorType = 'user' | 'device' | 'system' | 'timer';

export interface StepSnapshot {
  key: string;
  ord: number;
  required: boolean;
  status: StepStatus;
  /** "user:<id>", "device:<id>", "system", "timer:<key>" */
  doneBy: string | null;
  doneAt: number | null;
  notes: string;
  data: Json;
}

export interface TimerSnapshot {
  /** unique within an incident: the service upserts IncidentTimer rows by (incidentId, key) */
  key: string;
  dueAt: number;
  status: TimerStatus;
  /** set for reminders: after firing, the timer stays `running` with a new dueAt */
  repeatMs: number | null;
  firedAt: number | null;
}

export interface IncidentSnapshot {
  id: string;
  kind: IncidentKind;
  /** procedure-specific state, see docs/procedures.md */
  state: string;
  open: boolean;
  severity: number;
  siteId: string;
  buildingId: string;
  floor: number | null;
  deviceId: string | null;
  /** one open incident per (kind, dedupKey): repeats append to the timeline */
  dedupKey: string | null;
  parentId: string | null;
  title: string;
  openedAt: number;
  closedAt: number | null;
  steps: StepSnapshot[];
  timers: TimerSnapshot[];
  /** procedure context (config, outcome, passengers, approvals…); JSON only */
  data: Json;
}

export interface TimelineItem {
  at: number;
  actorType: ActorType;
  actor: string;
  type: TimelineType;
  message: string;
  data: Json;
}

/** Every timeline entry type the engine and machines emit (labels: i18n-procedures.ts). */
export const TIMELINE_TYPES = [
  'opened',
  'state_changed',
  'step_done',
  'step_skipped',
  'step_required',
  'note',
  'action',
  'device_event',
  'device_status',
  'repeat_trigger',
  'retrigger_suppressed',
  'timer_fired',
  'reminder',
  'escalated',
  'command_sent',
  'command_result',
  'confirmation',
  'flagged',
  'hint',
  'linked_incident',
  'followup_scheduled',
  'outcome',
  'approval',
  'denial',
  'closed',
] as const;
export type TimelineType = (typeof TIMELINE_TYPES)[number];

// ---------------------------------------------------------------------------------------
// Effects (data; the service layer performs them)
// ---------------------------------------------------------------------------------------

export const ESCALATION_REASONS = [
  'ack_overdue',
  'contractor_overdue',
  'injury_reported',
  'general_alarm',
  'generator_failure',
  'planned_outage_overrun',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

export const NOTIFY_KEYS = [
  'incident_opened',
  'recontact_due',
  'release_suggested',
  'approval_119_needed',
  'approved_119',
  'general_alarm',
  'recall_unconfirmed',
  'verify_restoration',
  'visitor_waiting',
  'owner_unreachable',
  'visitor_admitted',
  'unlock_failed',
  'visitor_overstay',
  'registration_overdue',
  'fault_recovered',
  'planned_outage_started',
] as const;
export type NotifyKey = (typeof NOTIFY_KEYS)[number];

export const FLAG_CODES = [
  'recall_unconfirmed',
  'recall_failed',
  'lobby_return_unconfirmed',
  'generator_failure',
  'registration_slow',
  'door_opened_unexpected',
  'reset_before_verification',
  'alarm_after_false_alarm',
  'short_notice',
  'headcount_mismatch',
  'late_owner_response',
  'contractor_late',
] as const;
export type FlagCode = (typeof FLAG_CODES)[number];

export const DUTY_KEYS = [
  'opened',
  'closed',
  'escalated',
  'outcome',
  'released',
  'fit_signed',
  'call_119',
  'general_alarm',
  'planned_outage',
  'mains_restored',
] as const;
export type DutyKey = (typeof DUTY_KEYS)[number];

/** Which device(s) a command goes to: one device, or every device of a class in a building. */
export type DeviceSelector = { deviceId: string } | { buildingId: string; deviceClass: DeviceClass };

export type Effect =
  /**
   * Publish `cmd/{name}` {v:1, corr, exp: expiresAt, data}. Store a DeviceCommand row
   * (corr, incidentId) and feed the device's `cmd/{name}/res` back as a `command_result`
   * input (also `{ok:false, expired:true}` when exp passes unanswered). With a building
   * selector, send one command per device with corr `${corr}.${deviceId}` and report results
   * with that corr.
   */
  | { type: 'send_command'; corr: string; target: DeviceSelector; name: CommandName; data: Json; expiresAt: number; expiryMs: number }
  /**
   * Open (kind, trigger) with parentId. Dedup first: if an open incident with this
   * (kind, dedupKey) exists, set its parentId when null and feed it a `repeat_trigger`.
   */
  | { type: 'open_linked_incident'; kind: IncidentKind; dedupKey: string; parentId: string; trigger: Trigger }
  | { type: 'escalate'; to: 'supervisor'; reason: EscalationReason; params: Json }
  | { type: 'notify'; to: Role[]; key: NotifyKey; params: Json }
  /** FollowUp row (回访); dueAt already counts working days only (seed 001 §五). */
  | { type: 'create_followup'; incidentId: string; subject: string; dueAt: number }
  /** DutyLogEntry for today's shift log (seed 000 §2.1.7); text is zh-CN / en. */
  | { type: 'duty_log'; incidentId: string; key: DutyKey; text: string; params: Json }
  | { type: 'flag'; code: FlagCode; deviceId: string | null; params: Json }
  /** render the printable special incident report (特别事件报告, seed 000 §2.1.7.1) */
  | { type: 'special_report'; incidentId: string }
  /** mark an elevator in/out of service on the board (no MQTT command exists for it) */
  | { type: 'device_service'; deviceId: string; inService: boolean; reason: string }
  /**
   * Look at every elevator in these buildings (telemetry floor/door/moving, open entrapment
   * events) and answer with `{type:'system', action:'record_elevator_sweep', payload}`.
   */
  | { type: 'request_elevator_sweep'; incidentId: string; buildingIds: string[] };

// ---------------------------------------------------------------------------------------
// Triggers and inputs
// ---------------------------------------------------------------------------------------

export interface Actor {
  id: string;
  role: Role;
}

export interface ElevatorRef {
  deviceId: string;
  buildingId?: string;
  car?: string;
  name?: string;
}

export interface PlannedOutageRef {
  id: string;
  buildingId: string;
  feeder: string | null;
  startsAt: number;
  endsAt: number;
  cancelled?: boolean;
}

/** Facts the service looks up once when opening (the engine never queries anything). */
export interface OpenContext {
  /** told to 119 (seed 000 §2.1.2.5) */
  address?: string;
  /** elevator recall / lobby-return floor */
  lobbyFloor?: number;
  /** elevators of the building: fire recall targets, outage sweep/lobby-return cars */
  elevators?: ElevatorRef[];
  /** buildings fed by the lost feeder (outage scope) */
  feederBuildings?: string[];
  /** registered planned outages of the building (window matching) */
  plannedOutages?: PlannedOutageRef[];
  /** the door panel that admits a walk-in visitor (front-desk unlock), if any */
  doorPanelId?: string;
  /** floor of the visited unit (the visitor is told floor and unit, seed 000 §2.1.3.4) */
  unitFloor?: number;
}

interface TriggerPlace {
  siteId: string;
  buildingId: string;
  context?: OpenContext;
}

export type Trigger = TriggerPlace &
  (
    | { source: 'device'; deviceId: string; deviceClass: DeviceClass; event: DeviceEvent }
    /** a life-safety device offline (after debounce) or flapping: services/devices/machine.ts */
    | { source: 'link'; deviceId: string; deviceClass: DeviceClass; cause: 'offline' | 'flapping'; since: number }
    /** reported by a person (phone call, walk-in registration); payload validated per kind */
    | { source: 'manual'; actor: Actor; payload: unknown }
    /** opened by another incident's effect (e.g. the outage elevator sweep) */
    | { source: 'linked'; parentId: string; parentKind: IncidentKind; deviceId?: string; payload: Json }
  );

export interface EventSource {
  siteId: string;
  buildingId: string;
  deviceId: string;
  deviceClass: DeviceClass;
  event: DeviceEvent;
}

export type DeviceEventInput = {
  type: 'device_event';
  deviceId: string;
  deviceClass?: DeviceClass;
  buildingId?: string;
  event: DeviceEvent;
};
export type CommandResultInput = {
  type: 'command_result';
  corr: string;
  ok: boolean;
  deviceId?: string;
  /** the command passed its exp without an answer (the hub never retries it) */
  expired?: boolean;
  data?: Json;
};
export type DeviceStatusInput = { type: 'device_status'; deviceId: string; state: OnlineState };

export type Input =
  | { type: 'action'; action: string; actor: Actor; payload?: unknown }
  /** hub-originated action (no user), only for actions marked `system: true` */
  | { type: 'system'; action: string; payload?: unknown }
  | DeviceEventInput
  | DeviceStatusInput
  | { type: 'timer'; key: string }
  | CommandResultInput
  /** the same trigger again while the incident is open (or shortly after close: suppressed) */
  | { type: 'repeat_trigger'; trigger: Trigger };

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

export type ErrorCode = 'HUB_ERR_FORBIDDEN' | 'HUB_ERR_BAD_REQUEST' | 'HUB_ERR_CONFLICT';
export const ERROR_STATUS: Record<ErrorCode, number> = { HUB_ERR_FORBIDDEN: 403, HUB_ERR_BAD_REQUEST: 400, HUB_ERR_CONFLICT: 409 };

export type Failure = { ok: false; code: ErrorCode; message: string };
export type Success = { ok: true; next: IncidentSnapshot; timeline: TimelineItem[]; effects: Effect[] };
export type Result = Success | Failure;

// ---------------------------------------------------------------------------------------
// Procedure definitions (implemented in services/<domain>/machine.ts)
// ---------------------------------------------------------------------------------------

export interface ActionDef<P = unknown> {
  roles: readonly Role[];
  /** states the action is allowed in; '*' = any open state */
  states: readonly string[] | '*';
  payload: z.ZodType<P>;
  /** also callable as `{type:'system'}` by the hub itself */
  system?: boolean;
  /** extra availability (e.g. the step is still pending); false → HUB_ERR_CONFLICT */
  available?(s: IncidentSnapshot): boolean;
  /** the step this action completes (UI grouping) */
  step?: string;
  run(ctx: Ctx, payload: P): void;
}

export interface StepDef {
  key: string;
  required: boolean;
}

export interface ProcedureDef {
  kind: IncidentKind;
  states: readonly string[];
  /** states in which the incident is closed (open = false) */
  finalStates: readonly string[];
  steps: readonly StepDef[];
  timers: readonly string[];
  /** steps a supervisor may not waive with skip_step */
  unskippable?: readonly string[];
  actions: Record<string, ActionDef<unknown>>;
  /** zod object with defaults: parse(partial) → full config, stored at data.cfg */
  config: z.ZodType<Json>;
  /** manual report (phone call, walk-in registration) */
  manual?: { roles: readonly Role[]; payload: z.ZodType<unknown> };
  /** does this device event open an incident of this kind? → its dedup key */
  triggerFor?(src: EventSource): string | null;
  /** dedup key for any trigger (device, link, manual, linked); null = never deduplicated */
  dedupKeyFor(trigger: Trigger): string | null;
  /** an open incident with the same dedup key still absorbs repeats (default: while open) */
  dedupMatches?(s: IncidentSnapshot): boolean;
  /** re-triggers within this many ms of close are suppressed (flapping guard) */
  reopenSuppressMs?(s: IncidentSnapshot): number;
  /** does this open incident want a (non-trigger or foreign) device event? */
  wants?(s: IncidentSnapshot, src: EventSource): boolean;
  /** should a newly opened incident of `kind` be linked under this open one? */
  adopts?(s: IncidentSnapshot, kind: IncidentKind, src: EventSource): boolean;
  open(ctx: Ctx, trigger: Trigger): void;
  onEvent?(ctx: Ctx, input: DeviceEventInput): void;
  onStatus?(ctx: Ctx, input: DeviceStatusInput): void;
  onTimer?(ctx: Ctx, key: string): void;
  onCommandResult?(ctx: Ctx, input: CommandResultInput): void;
  onRepeat?(ctx: Ctx, trigger: Trigger): void;
}

/** Working-day calendar (seed 001 §五 "2 个工作日"). Default China Standard Time, no DST. */
export interface Calendar {
  tzOffsetMinutes?: number;
  /** public holidays, local YYYY-MM-DD */
  holidays?: readonly string[];
  /** weekend days that are working days (调休 make-up days), local YYYY-MM-DD */
  extraWorkdays?: readonly string[];
}

/** The mutable draft + helpers a machine works with during one decision. */
export interface Ctx {
  readonly now: number;
  readonly s: IncidentSnapshot;
  /** current actor as stored in doneBy / approvals: "user:<id>" | "device:<id>" | "system" | "timer:<key>" */
  readonly by: string;
  readonly actorType: ActorType;
  /** the acting user's role, when a user acts */
  readonly role: Role | null;
  readonly userId: string | null;
  readonly timeline: readonly TimelineItem[];
  readonly effects: readonly Effect[];
  step(key: string): StepSnapshot;
  isDone(key: string): boolean;
  /** done or skipped */
  isSettled(key: string): boolean;
  done(key: string, opts?: { notes?: string; data?: Json; by?: string; redo?: boolean }): void;
  skip(key: string, reason: string): void;
  setRequired(key: string, required: boolean, reason: string): void;
  pendingRequired(): string[];
  startTimer(key: string, ms: number, repeatMs?: number): void;
  startTimerAt(key: string, dueAt: number, repeatMs?: number): void;
  cancelTimer(key: string): void;
  timerRunning(key: string): boolean;
  to(state: string, reason?: string): void;
  log(type: TimelineType, data?: Json, message?: string): void;
  effect(e: Effect): void;
  notify(to: Role[], key: NotifyKey, params?: Json): void;
  escalate(reason: EscalationReason, params?: Json): void;
  flag(code: FlagCode, deviceId: string | null, params?: Json): void;
  dutyLog(key: DutyKey, params?: Json): void;
  /** a correlation id unique to this incident (corr ≤ 64 chars, CONTRACT.md) */
  corr(tag: string): string;
  /** close: open=false, closedAt, timers cancelled, optional pending steps skipped */
  close(state: string, reason: string): void;
  fail(code: ErrorCode, message: string): never;
  addWorkingDays(t: number, days: number, cal?: Calendar): number;
}

// ---------------------------------------------------------------------------------------
// Registry (lazy, so module evaluation order never matters)
// ---------------------------------------------------------------------------------------

let registry: Map<IncidentKind, ProcedureDef> | null = null;
function procedures(): Map<IncidentKind, ProcedureDef> {
  registry ??= new Map([elevatorProcedure, fireProcedure, powerProcedure, visitorProcedure, deviceFaultProcedure].map((d) => [d.kind, d]));
  return registry;
}

export function procedureFor(kind: IncidentKind): ProcedureDef {
  const def = procedures().get(kind);
  if (!def) throw new Error(`no procedure for kind ${kind}`);
  return def;
}

export function allProcedures(): ProcedureDef[] {
  return [...procedures().values()];
}

// ---------------------------------------------------------------------------------------
// Generic actions (every kind)
// ---------------------------------------------------------------------------------------

const Text = z.string().trim().min(1).max(2000);

const GENERIC_ACTIONS: Record<string, ActionDef<unknown>> = {
  add_note: {
    roles: ROLES,
    states: '*',
    payload: z.object({ text: Text }),
    run(ctx: Ctx, p: { text: string }) {
      ctx.log('note', {}, p.text);
    },
  } satisfies ActionDef<{ text: string }>,
  /**
   * Operators may skip optional steps; a supervisor may waive a required one (recorded with
   * the reason) unless the procedure marks it unskippable.
   */
  skip_step: {
    roles: ['operator', 'frontdesk', 'supervisor', 'admin'],
    states: '*',
    payload: z.object({ step: z.string().min(1).max(64), reason: Text }),
    run(ctx: Ctx, p: { step: string; reason: string }) {
      const def = procedureFor(ctx.s.kind);
      // only roles that work this procedure may skip its steps (no front desk on a fire)
      if (!ctx.role || !worksOn(def, ctx.role))
        ctx.fail('HUB_ERR_FORBIDDEN', `role ${ctx.role ?? 'none'} does not work ${ctx.s.kind} incidents`);
      const st = ctx.s.steps.find((x) => x.key === p.step);
      if (!st) ctx.fail('HUB_ERR_BAD_REQUEST', `unknown step ${p.step}`);
      if (st.status !== 'pending') ctx.fail('HUB_ERR_CONFLICT', `step ${p.step} is already ${st.status}`);
      if (def.unskippable?.includes(p.step)) ctx.fail('HUB_ERR_CONFLICT', `step ${p.step} cannot be skipped`);
      if (st.required && ctx.role !== 'supervisor' && ctx.role !== 'admin') {
        ctx.fail('HUB_ERR_FORBIDDEN', `only a supervisor may waive the required step ${p.step}`);
      }
      ctx.skip(p.step, p.reason);
    },
  } satisfies ActionDef<{ step: string; reason: string }>,
};

function worksOn(def: ProcedureDef, role: Role): boolean {
  return Object.values(def.actions).some((a) => a.roles.includes(role));
}

/** The zod payload schema of an action (procedure-specific or generic), for UI forms. */
export function actionPayload(kind: IncidentKind, name: string): z.ZodType | undefined {
  return actionDef(procedureFor(kind), name)?.payload as z.ZodType | undefined;
}

function actionDef(def: ProcedureDef, name: string): ActionDef<unknown> | undefined {
  return Object.hasOwn(def.actions, name) ? def.actions[name] : Object.hasOwn(GENERIC_ACTIONS, name) ? GENERIC_ACTIONS[name] : undefined;
}

// ---------------------------------------------------------------------------------------
// The draft context
// ---------------------------------------------------------------------------------------

class Failed extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

class Draft implements Ctx {
  readonly timeline: TimelineItem[] = [];
  readonly effects: Effect[] = [];
  readonly by: string;
  constructor(
    readonly s: IncidentSnapshot,
    readonly now: number,
    readonly actorType: ActorType,
    private readonly actorId: string,
    readonly role: Role | null,
  ) {
    this.by = actorType === 'user' ? `user:${actorId}` : actorType === 'system' ? 'system' : `${actorType}:${actorId}`;
  }
  get userId(): string | null {
    return this.actorType === 'user' ? this.actorId : null;
  }
  step(key: string): StepSnapshot {
    const st = this.s.steps.find((x) => x.key === key);
    if (!st) throw new Error(`procedure ${this.s.kind} has no step ${key}`);
    return st;
  }
  isDone(key: string): boolean {
    return this.step(key).status === 'done';
  }
  isSettled(key: string): boolean {
    return this.step(key).status !== 'pending';
  }
  done(key: string, opts: { notes?: string; data?: Json; by?: string; redo?: boolean } = {}): void {
    const st = this.step(key);
    if (st.status !== 'pending' && !opts.redo) this.fail('HUB_ERR_CONFLICT', `step ${key} is already ${st.status}`);
    const again = st.status === 'done';
    st.status = 'done';
    st.doneBy = opts.by ?? this.by;
    st.doneAt = this.now;
    if (opts.notes !== undefined) st.notes = opts.notes;
    if (opts.data) st.data = { ...st.data, ...opts.data };
    this.log('step_done', { step: key, ...(again ? { updated: true } : {}), ...(opts.data ?? {}) }, opts.notes ?? '');
  }
  skip(key: string, reason: string): void {
    const st = this.step(key);
    if (st.status !== 'pending') this.fail('HUB_ERR_CONFLICT', `step ${key} is already ${st.status}`);
    st.status = 'skipped';
    st.doneBy = this.by;
    st.doneAt = this.now;
    st.notes = reason;
    this.log('step_skipped', { step: key, required: st.required }, reason);
  }
  setRequired(key: string, required: boolean, reason: string): void {
    const st = this.step(key);
    if (st.required === required) return;
    st.required = required;
    this.log('step_required', { step: key, required }, reason);
  }
  pendingRequired(): string[] {
    return this.s.steps.filter((x) => x.required && x.status === 'pending').map((x) => x.key);
  }
  startTimer(key: string, ms: number, repeatMs?: number): void {
    this.startTimerAt(key, this.now + ms, repeatMs);
  }
  startTimerAt(key: string, dueAt: number, repeatMs?: number): void {
    const t: TimerSnapshot = { key, dueAt, status: 'running', repeatMs: repeatMs ?? null, firedAt: null };
    const i = this.s.timers.findIndex((x) => x.key === key);
    if (i >= 0) this.s.timers[i] = t;
    else this.s.timers.push(t);
  }
  cancelTimer(key: string): void {
    const t = this.s.timers.find((x) => x.key === key);
    if (t && t.status === 'running') t.status = 'cancelled';
  }
  timerRunning(key: string): boolean {
    return this.s.timers.some((x) => x.key === key && x.status === 'running');
  }
  to(state: string, reason = ''): void {
    if (this.s.state === state) return;
    const from = this.s.state;
    this.s.state = state;
    this.log('state_changed', { from, to: state }, reason);
  }
  log(type: TimelineType, data: Json = {}, message = ''): void {
    this.timeline.push({ at: this.now, actorType: this.actorType, actor: this.actorId, type, message, data });
  }
  effect(e: Effect): void {
    this.effects.push(e);
    // Commands, escalations, links and follow-ups are part of the incident's story.
    if (e.type === 'send_command')
      this.log('command_sent', { corr: e.corr, name: e.name, target: e.target, data: e.data, expiresAt: e.expiresAt });
    else if (e.type === 'escalate') this.log('escalated', { ...e.params, to: e.to, reason: e.reason });
    else if (e.type === 'flag') this.log('flagged', { code: e.code, deviceId: e.deviceId, ...e.params });
    else if (e.type === 'open_linked_incident')
      this.log('linked_incident', {
        kind: e.kind,
        dedupKey: e.dedupKey,
        deviceId: e.trigger.source === 'linked' ? (e.trigger.deviceId ?? null) : null,
      });
    else if (e.type === 'create_followup') this.log('followup_scheduled', { dueAt: e.dueAt, subject: e.subject });
  }
  notify(to: Role[], key: NotifyKey, params: Json = {}): void {
    this.effect({ type: 'notify', to, key, params: { incidentId: this.s.id, ...params } });
  }
  escalate(reason: EscalationReason, params: Json = {}): void {
    this.effect({ type: 'escalate', to: 'supervisor', reason, params });
    this.dutyLog('escalated', { reason });
  }
  flag(code: FlagCode, deviceId: string | null, params: Json = {}): void {
    this.effect({ type: 'flag', code, deviceId, params });
  }
  dutyLog(key: DutyKey, params: Json = {}): void {
    const p = { title: this.s.title, ...params };
    this.effects.push({ type: 'duty_log', incidentId: this.s.id, key, text: renderDuty(this.s.kind, key, p), params: p });
  }
  corr(tag: string): string {
    const n = (typeof this.s.data._seq === 'number' ? this.s.data._seq : 0) + 1;
    this.s.data._seq = n;
    // ids are bounded (uuid = 36); keep within the contract's 64 characters
    return `${this.s.id.slice(0, 40)}-${tag.slice(0, 12)}${n}`;
  }
  close(state: string, reason: string): void {
    for (const t of this.s.timers) if (t.status === 'running') t.status = 'cancelled';
    for (const st of this.s.steps) {
      if (st.status === 'pending' && !st.required) {
        st.status = 'skipped';
        st.doneBy = this.by;
        st.doneAt = this.now;
        st.notes = 'not needed';
      }
    }
    this.to(state, reason);
    this.s.open = false;
    this.s.closedAt = this.now;
    this.log('closed', { state }, reason);
  }
  fail(code: ErrorCode, message: string): never {
    throw new Failed(code, message);
  }
  addWorkingDays(t: number, days: number, cal?: Calendar): number {
    return addWorkingDays(t, days, cal);
  }
}

function err(code: ErrorCode, message: string): Failure {
  return { ok: false, code, message };
}

function run(
  s: IncidentSnapshot,
  actor: { type: ActorType; id: string; role: Role | null },
  now: number,
  body: (ctx: Draft) => void,
): Result {
  const draft = structuredClone(s);
  const ctx = new Draft(draft, now, actor.type, actor.id, actor.role);
  try {
    body(ctx);
  } catch (e) {
    if (e instanceof Failed) return err(e.code, e.message);
    throw e;
  }
  return { ok: true, next: draft, timeline: ctx.timeline, effects: ctx.effects };
}

function zodMessage(e: z.ZodError): string {
  return z.prettifyError(e);
}

function stateAllowed(a: ActionDef<unknown>, s: IncidentSnapshot): boolean {
  return a.states === '*' ? true : a.states.includes(s.state);
}

// ---------------------------------------------------------------------------------------
// open
// ---------------------------------------------------------------------------------------

export interface OpenOptions {
  /** the incident id (uuid) the service will insert; used for corr ids and effects */
  id: string;
  /** overrides of the procedure's configurable targets (e.g. contractorArrivalMs) */
  config?: Json;
  parentId?: string | null;
}

/** Create the initial snapshot of a new incident from its trigger. */
export function open(kind: IncidentKind, trigger: Trigger, now: number, opts: OpenOptions): Result {
  const def = procedureFor(kind);
  const cfg = def.config.safeParse(opts.config ?? {});
  if (!cfg.success) return err('HUB_ERR_BAD_REQUEST', `bad ${kind} config: ${zodMessage(cfg.error)}`);
  let actor: { type: ActorType; id: string; role: Role | null };
  if (trigger.source === 'manual') {
    if (!def.manual) return err('HUB_ERR_BAD_REQUEST', `${kind} cannot be reported manually`);
    if (!def.manual.roles.includes(trigger.actor.role)) {
      return err('HUB_ERR_FORBIDDEN', `role ${trigger.actor.role} may not report ${kind}`);
    }
    const p = def.manual.payload.safeParse(trigger.payload ?? {});
    if (!p.success) return err('HUB_ERR_BAD_REQUEST', zodMessage(p.error));
    trigger = { ...trigger, payload: p.data };
    actor = { type: 'user', id: trigger.actor.id, role: trigger.actor.role };
  } else if (trigger.source === 'device' || trigger.source === 'link') {
    actor = { type: 'device', id: trigger.deviceId, role: null };
  } else {
    actor = { type: 'system', id: 'hub', role: null };
  }
  const skeleton: IncidentSnapshot = {
    id: opts.id,
    kind,
    state: def.states[0] ?? 'open',
    open: true,
    severity: SEVERITY[kind],
    siteId: trigger.siteId,
    buildingId: trigger.buildingId,
    floor: null,
    deviceId:
      trigger.source === 'device' || trigger.source === 'link'
        ? trigger.deviceId
        : trigger.source === 'linked'
          ? (trigger.deviceId ?? null)
          : null,
    dedupKey: def.dedupKeyFor(trigger),
    parentId: opts.parentId ?? (trigger.source === 'linked' ? trigger.parentId : null),
    title: kindLabel(kind, 'zh-CN'),
    openedAt: now,
    closedAt: null,
    steps: def.steps.map((st, i) => ({
      key: st.key,
      ord: i + 1,
      required: st.required,
      status: 'pending',
      doneBy: null,
      doneAt: null,
      notes: '',
      data: {},
    })),
    timers: [],
    data: { cfg: cfg.data },
  };
  return run(skeleton, actor, now, (ctx) => {
    ctx.log('opened', {
      kind,
      source: trigger.source,
      ...(trigger.source === 'device' ? { event: trigger.event.type, eventId: trigger.event.id, eventData: trigger.event.data } : {}),
      ...(trigger.source === 'link' ? { cause: trigger.cause, since: trigger.since } : {}),
      ...(trigger.source === 'linked' ? { parentId: trigger.parentId, parentKind: trigger.parentKind } : {}),
    });
    def.open(ctx, trigger);
    if (ctx.s.open) ctx.dutyLog('opened');
  });
}

// ---------------------------------------------------------------------------------------
// decide
// ---------------------------------------------------------------------------------------

/** The one transition function: (snapshot, input, now) → next snapshot + timeline + effects, or a coded error. */
export function decide(s: IncidentSnapshot, input: Input, now: number): Result {
  const def = procedureFor(s.kind);
  switch (input.type) {
    case 'action':
    case 'system': {
      const a = actionDef(def, input.action);
      if (!a) return err('HUB_ERR_BAD_REQUEST', `unknown action ${input.action} for ${s.kind}`);
      if (input.type === 'action') {
        if (!a.roles.includes(input.actor.role)) return err('HUB_ERR_FORBIDDEN', `role ${input.actor.role} may not ${input.action}`);
      } else if (!a.system) {
        return err('HUB_ERR_FORBIDDEN', `${input.action} needs a person`);
      }
      // a closed incident can be read forever and annotated, nothing else
      if (!s.open && input.action !== 'add_note') return err('HUB_ERR_CONFLICT', `incident is closed (${s.state})`);
      if (!stateAllowed(a, s)) return err('HUB_ERR_CONFLICT', `${input.action} is not allowed in state ${s.state}`);
      if (a.available && !a.available(s)) return err('HUB_ERR_CONFLICT', `${input.action} is not available now`);
      const p = a.payload.safeParse(input.payload ?? {});
      if (!p.success) return err('HUB_ERR_BAD_REQUEST', `${input.action}: ${zodMessage(p.error)}`);
      const actor =
        input.type === 'action'
          ? { type: 'user' as const, id: input.actor.id, role: input.actor.role }
          : { type: 'system' as const, id: 'hub', role: null };
      return run(s, actor, now, (ctx) => {
        a.run(ctx, p.data);
        // every transition leaves a trace, even when the machine logged nothing specific
        if (ctx.timeline.length === 0) ctx.log('action', { action: input.action });
      });
    }
    case 'device_event': {
      if (!s.open) return err('HUB_ERR_CONFLICT', `incident is closed (${s.state})`);
      return run(s, { type: 'device', id: input.deviceId, role: null }, now, (ctx) => {
        ctx.log('device_event', {
          deviceId: input.deviceId,
          event: input.event.type,
          eventId: input.event.id,
          eventData: input.event.data,
        });
        def.onEvent?.(ctx, input);
      });
    }
    case 'device_status': {
      if (!s.open) return err('HUB_ERR_CONFLICT', `incident is closed (${s.state})`);
      return run(s, { type: 'device', id: input.deviceId, role: null }, now, (ctx) => {
        ctx.log('device_status', { deviceId: input.deviceId, state: input.state });
        def.onStatus?.(ctx, input);
      });
    }
    case 'timer': {
      if (!s.open) return err('HUB_ERR_CONFLICT', `incident is closed (${s.state})`);
      const t = s.timers.find((x) => x.key === input.key);
      if (!t || t.status !== 'running') return err('HUB_ERR_CONFLICT', `timer ${input.key} is not running`);
      if (t.dueAt > now) return err('HUB_ERR_CONFLICT', `timer ${input.key} is not due until ${t.dueAt}`);
      return run(s, { type: 'timer', id: input.key, role: null }, now, (ctx) => {
        const tt = ctx.s.timers.find((x) => x.key === input.key)!;
        const overdueMs = now - tt.dueAt;
        tt.firedAt = now;
        if (tt.repeatMs) {
          // a reminder stays running; a late firing (hub restart) does not burst-fire
          const next = tt.dueAt + tt.repeatMs;
          tt.dueAt = next > now ? next : now + tt.repeatMs;
        } else {
          tt.status = 'fired';
        }
        ctx.log('timer_fired', { timer: input.key, overdueMs, repeats: Boolean(tt.repeatMs) });
        def.onTimer?.(ctx, input.key);
      });
    }
    case 'command_result': {
      if (!s.open) return err('HUB_ERR_CONFLICT', `incident is closed (${s.state})`);
      const actor = input.deviceId
        ? { type: 'device' as const, id: input.deviceId, role: null }
        : { type: 'system' as const, id: 'hub', role: null };
      return run(s, actor, now, (ctx) => {
        ctx.log('command_result', {
          corr: input.corr,
          ok: input.ok,
          expired: input.expired ?? false,
          deviceId: input.deviceId ?? null,
          data: input.data ?? {},
        });
        def.onCommandResult?.(ctx, input);
      });
    }
    case 'repeat_trigger': {
      const tr = input.trigger;
      const actor =
        tr.source === 'manual'
          ? { type: 'user' as const, id: tr.actor.id, role: tr.actor.role }
          : tr.source === 'device' || tr.source === 'link'
            ? { type: 'device' as const, id: tr.deviceId, role: null }
            : { type: 'system' as const, id: 'hub', role: null };
      const summary: Json = {
        source: tr.source,
        ...(tr.source === 'device' ? { event: tr.event.type, eventId: tr.event.id, eventData: tr.event.data } : {}),
        ...(tr.source === 'link' ? { cause: tr.cause, since: tr.since } : {}),
        ...(tr.source === 'linked' ? { parentId: tr.parentId } : {}),
      };
      return run(s, actor, now, (ctx) => {
        if (!s.open) {
          // flapping guard: a re-trigger right after close is recorded on the closed incident only
          ctx.log('retrigger_suppressed', summary);
          return;
        }
        ctx.log('repeat_trigger', summary);
        if (tr.source === 'linked' && !ctx.s.parentId) ctx.s.parentId = tr.parentId;
        def.onRepeat?.(ctx, tr);
      });
    }
  }
}

// ---------------------------------------------------------------------------------------
// UI helpers
// ---------------------------------------------------------------------------------------

export interface AllowedAction {
  action: string;
  step: string | null;
  /** generic actions (add_note, skip_step) are available everywhere */
  generic: boolean;
}

/** Actions this role may perform on this incident right now (the UI's buttons). */
export function allowedActions(s: IncidentSnapshot, role: Role): AllowedAction[] {
  const def = procedureFor(s.kind);
  const out: AllowedAction[] = [];
  for (const [name, a] of Object.entries(def.actions)) {
    if (!s.open || !a.roles.includes(role) || !stateAllowed(a, s)) continue;
    if (a.available && !a.available(s)) continue;
    out.push({ action: name, step: a.step ?? null, generic: false });
  }
  for (const [name, a] of Object.entries(GENERIC_ACTIONS)) {
    if (!a.roles.includes(role)) continue;
    if (!s.open && name !== 'add_note') continue;
    if (name === 'skip_step' && !worksOn(def, role)) continue;
    if (
      name === 'skip_step' &&
      !s.steps.some(
        (st) =>
          st.status === 'pending' && !def.unskippable?.includes(st.key) && (!st.required || role === 'supervisor' || role === 'admin'),
      )
    )
      continue;
    out.push({ action: name, step: null, generic: true });
  }
  return out;
}

/** Keys of running timers due at `now` (feed each as `{type:'timer', key}`), earliest first. */
export function dueTimers(s: IncidentSnapshot, now: number): string[] {
  if (!s.open) return [];
  return s.timers
    .filter((t) => t.status === 'running' && t.dueAt <= now)
    .sort((a, b) => a.dueAt - b.dueAt)
    .map((t) => t.key);
}

/** Earliest dueAt among running timers (null when none): when the caller should wake up. */
export function nextDueAt(s: IncidentSnapshot): number | null {
  if (!s.open) return null;
  let min: number | null = null;
  for (const t of s.timers) if (t.status === 'running' && (min === null || t.dueAt < min)) min = t.dueAt;
  return min;
}

/** Steps and timers that differ between two snapshots (rows the service must upsert). */
export function changedRows(prev: IncidentSnapshot, next: IncidentSnapshot): { steps: StepSnapshot[]; timers: TimerSnapshot[] } {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return {
    steps: next.steps.filter(
      (st) =>
        !same(
          st,
          prev.steps.find((p) => p.key === st.key),
        ),
    ),
    timers: next.timers.filter(
      (t) =>
        !same(
          t,
          prev.timers.find((p) => p.key === t.key),
        ),
    ),
  };
}

/** Static description of a procedure (docs, UI legends, i18n completeness tests). */
export function describeProcedure(kind: IncidentKind): {
  kind: IncidentKind;
  states: readonly string[];
  finalStates: readonly string[];
  steps: readonly StepDef[];
  timers: readonly string[];
  actions: { action: string; roles: readonly Role[]; states: readonly string[] | '*'; system: boolean; step: string | null }[];
  manualRoles: readonly Role[];
} {
  const def = procedureFor(kind);
  return {
    kind,
    states: def.states,
    finalStates: def.finalStates,
    steps: def.steps,
    timers: def.timers,
    actions: [
      ...Object.entries(def.actions).map(([action, a]) => ({
        action,
        roles: a.roles,
        states: a.states,
        system: Boolean(a.system),
        step: a.step ?? null,
      })),
      ...Object.entries(GENERIC_ACTIONS).map(([action, a]) => ({ action, roles: a.roles, states: a.states, system: false, step: null })),
    ],
    manualRoles: def.manual?.roles ?? [],
  };
}

export const GENERIC_ACTION_NAMES = Object.keys(GENERIC_ACTIONS);

// ---------------------------------------------------------------------------------------
// Routing and dedup (pure; the service passes the candidate incidents it loaded)
// ---------------------------------------------------------------------------------------

export type RoutePlan =
  | { op: 'open'; kind: IncidentKind; dedupKey: string | null; trigger: Trigger; parentId: string | null }
  | { op: 'decide'; incidentId: string; input: Input };

/**
 * Dedup one trigger against existing incidents: same (kind, dedupKey) open → append a
 * `repeat_trigger`; closed within the kind's suppress window (flapping) → `repeat_trigger`
 * on the closed incident (recorded as suppressed); otherwise open.
 * `incidents`: open incidents of the building plus ones closed in the last few minutes.
 */
export function planTrigger(
  kind: IncidentKind,
  trigger: Trigger,
  incidents: readonly IncidentSnapshot[],
  now: number,
  parentId: string | null = null,
): RoutePlan {
  const def = procedureFor(kind);
  const key = def.dedupKeyFor(trigger);
  if (key !== null) {
    const same = incidents.filter((i) => i.kind === kind && i.dedupKey === key);
    const live = same.find((i) => i.open && (def.dedupMatches ? def.dedupMatches(i) : true));
    if (live) return { op: 'decide', incidentId: live.id, input: { type: 'repeat_trigger', trigger } };
    const recent = same
      .filter((i) => !i.open && i.closedAt !== null && def.reopenSuppressMs && now - i.closedAt < def.reopenSuppressMs(i))
      .sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0))[0];
    if (recent) return { op: 'decide', incidentId: recent.id, input: { type: 'repeat_trigger', trigger } };
  }
  return { op: 'open', kind, dedupKey: key, trigger, parentId };
}

/** Which incident kind (if any) this device event opens. */
export function triggerKindFor(src: EventSource): IncidentKind | null {
  for (const def of procedures().values()) if (def.triggerFor?.(src) != null) return def.kind;
  return null;
}

/**
 * Everything one accepted device event must do: open/append its own incident (deduplicated,
 * linked under an adopting parent such as an outage), and reach every other open incident
 * that follows it (e.g. `elevator.recalled` → the building's fire incident).
 */
export function routeDeviceEvent(src: EventSource, incidents: readonly IncidentSnapshot[], now: number): RoutePlan[] {
  const plans: RoutePlan[] = [];
  const open = incidents.filter((i) => i.open);
  const kind = triggerKindFor(src);
  let target: string | null = null;
  if (kind) {
    const trigger: Trigger = {
      source: 'device',
      siteId: src.siteId,
      buildingId: src.buildingId,
      deviceId: src.deviceId,
      deviceClass: src.deviceClass,
      event: src.event,
    };
    const parent = open.find((i) => i.kind !== kind && procedureFor(i.kind).adopts?.(i, kind, src));
    const plan = planTrigger(kind, trigger, incidents, now, parent?.id ?? null);
    if (plan.op === 'decide') target = plan.incidentId;
    plans.push(plan);
  }
  for (const i of open) {
    if (i.id === target) continue;
    if (procedureFor(i.kind).wants?.(i, src)) {
      plans.push({
        op: 'decide',
        incidentId: i.id,
        input: { type: 'device_event', deviceId: src.deviceId, deviceClass: src.deviceClass, buildingId: src.buildingId, event: src.event },
      });
    }
  }
  return plans;
}

/** A device's link state changed: feed it to its open device-fault incidents (recovery). */
export function routeDeviceStatus(deviceId: string, state: OnlineState, incidents: readonly IncidentSnapshot[]): RoutePlan[] {
  return incidents
    .filter(
      (i) => i.open && i.kind === 'device_fault' && i.deviceId === deviceId && (i.data.cause === 'offline' || i.data.cause === 'flapping'),
    )
    .map((i) => ({ op: 'decide' as const, incidentId: i.id, input: { type: 'device_status' as const, deviceId, state } }));
}

// ---------------------------------------------------------------------------------------
// Working days (seed 001 §五: 回访 ≤ 2 working days after the service)
// ---------------------------------------------------------------------------------------

const DAY = 86_400_000;

function localDate(t: number, off: number): { key: string; dow: number; dayStart: number } {
  const local = t + off * 60_000;
  const d = new Date(local);
  const key = d.toISOString().slice(0, 10);
  const dayStartLocal = Math.floor(local / DAY) * DAY;
  return { key, dow: d.getUTCDay(), dayStart: dayStartLocal - off * 60_000 };
}

export function isWorkingDay(t: number, cal: Calendar = {}): boolean {
  const { key, dow } = localDate(t, cal.tzOffsetMinutes ?? 480);
  if (cal.extraWorkdays?.includes(key)) return true;
  if (cal.holidays?.includes(key)) return false;
  return dow !== 0 && dow !== 6;
}

/**
 * The end (23:59:59.999 local) of the `days`-th working day after the day containing `t`.
 * Weekends and listed holidays do not count; 调休 make-up days do.
 * E.g. Friday 15:00 + 2 → Tuesday 23:59:59.999; Saturday + 2 → Tuesday end of day.
 */
export function addWorkingDays(t: number, days: number, cal: Calendar = {}): number {
  const off = cal.tzOffsetMinutes ?? 480;
  let dayStart = localDate(t, off).dayStart;
  let counted = 0;
  while (counted < days) {
    dayStart += DAY;
    if (isWorkingDay(dayStart + DAY / 2, cal)) counted++;
  }
  return dayStart + DAY - 1;
}
