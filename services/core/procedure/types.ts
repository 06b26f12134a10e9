// Types of the generic procedure engine (ARCHITECTURE.md example 10: procedures as pure state
// machines with an injected clock; xstate's `transition()` is the model, hand-written here).
// Nothing here names a procedure: each procedure declares its own states, steps, timers,
// actions and message keys (services/<folder>/machine.ts + labels.ts), and the engine is
// typed over them, so a transition to a state the machine does not declare, a timer or a
// step it does not have, or a message without a label is a type error.
import type { z } from 'zod';
import type { DeviceClass, IncidentKind, OnlineState, Role } from '../../../contracts/domain.js';
import type { CommandName, DeviceEvent } from '../../../contracts/mqtt.js';
import type { Label, Msg, Said, Text } from '../../../contracts/messages.js';

export type { Label, Msg, Said, Text };
export type Json = Record<string, unknown>;
export type StepStatus = 'pending' | 'done' | 'skipped';
export type TimerStatus = 'running' | 'fired' | 'cancelled';
export type ActorType = 'user' | 'device' | 'system' | 'timer';

// ---------------------------------------------------------------------------------------
// Snapshot (maps 1:1 onto prisma Incident + IncidentStep[] + IncidentTimer[]; times are ms)
// ---------------------------------------------------------------------------------------

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

export interface IncidentSnapshot<S extends string = string> {
  id: string;
  kind: IncidentKind;
  /** procedure-specific state, see docs/procedures.md */
  state: S;
  open: boolean;
  severity: number;
  siteId: string;
  buildingId: string;
  floor: number | null;
  deviceId: string | null;
  /** one open incident per (kind, dedupKey): repeats append to the timeline */
  dedupKey: string | null;
  parentId: string | null;
  /** `<kind>.title` with the procedure's parameters (rendered per reader) */
  title: Text;
  openedAt: number;
  closedAt: number | null;
  steps: StepSnapshot[];
  timers: TimerSnapshot[];
  /** procedure context (config at data.cfg, outcome, passengers, approvals…); JSON only */
  data: Json;
}

export interface TimelineItem {
  at: number;
  actorType: ActorType;
  actor: string;
  type: TimelineType;
  /** why (a message key + params), or what a person typed; null when the type says it all */
  reason: Text | null;
  data: Json;
}

/** Every timeline entry type the engine and machines emit (labels: engine.timeline.*). */
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
  // snooze 静音 (issue 14): muted until, and the mute ending (by its time limit or by a person)
  'snoozed',
  'unsnoozed',
] as const;
export type TimelineType = (typeof TIMELINE_TYPES)[number];

// ---------------------------------------------------------------------------------------
// Effects (data; the service layer performs them)
// ---------------------------------------------------------------------------------------

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
  /** `msg` is `<kind>.escalation.<reason>`; `reason` the bare code (bus consumers, notifications) */
  | { type: 'escalate'; to: 'supervisor'; reason: string; msg: Msg; params: Json }
  | { type: 'notify'; to: Role[]; key: string; msg: Msg; params: Json }
  /** FollowUp row (回访); dueAt already counts working days only (seed 001 §五). */
  | { type: 'create_followup'; incidentId: string; subject: Msg; dueAt: number }
  /** DutyLogEntry for today's shift log (seed 000 §2.1.7): a message key and its parameters. */
  | { type: 'duty_log'; incidentId: string; key: string; params: Json }
  | { type: 'flag'; code: string; msg: Msg; deviceId: string | null; params: Json }
  /** render the printable special incident report (特别事件报告, seed 000 §2.1.7.1) */
  | { type: 'special_report'; incidentId: string }
  /** mark a device in/out of service on the board (no MQTT command exists for it) */
  | { type: 'device_service'; deviceId: string; inService: boolean; reason: string }
  /**
   * Ask the procedure's own query (its module's `queries[name]`, which may read live state)
   * and feed the answer back as `{type:'system', action: answer, payload}`.
   */
  | { type: 'query'; incidentId: string; name: string; params: Json; answer: string };

// ---------------------------------------------------------------------------------------
// Triggers and inputs
// ---------------------------------------------------------------------------------------

export interface Actor {
  id: string;
  role: Role;
}

interface TriggerPlace<C> {
  siteId: string;
  buildingId: string;
  /** facts the procedure's context loader looked up once when opening (the engine queries nothing) */
  context?: C;
}

export type Trigger<C = unknown> = TriggerPlace<C> &
  (
    | { source: 'device'; deviceId: string; deviceClass: DeviceClass; event: DeviceEvent }
    /** a life-safety device offline (after debounce) or flapping, or any device silent past its heartbeat: services/devices/link-watcher.ts */
    | { source: 'link'; deviceId: string; deviceClass: DeviceClass; cause: 'offline' | 'flapping' | 'silent'; since: number }
    /**
     * a telemetry rule's breach that lasted its duration (services/devices/rule-watcher.ts);
     * `payload` describes the rule and the value (PROCEDURES.md "Device health")
     */
    | { source: 'rule'; deviceId: string; deviceClass: DeviceClass; ruleId: string; since: number; payload: Json }
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

/** `msg` is what the reader sees (rendered in their locale); `message` its English rendering (logs). */
export type Failure = { ok: false; code: ErrorCode; msg: Msg; message: string };
export type Success = { ok: true; next: IncidentSnapshot; timeline: TimelineItem[]; effects: Effect[] };
export type Result = Success | Failure;

// ---------------------------------------------------------------------------------------
// A procedure's declarations
// ---------------------------------------------------------------------------------------

/**
 * Everything a procedure names, as string unions, in one bag: `Ctx<T>` and `ProcedureDef<T>`
 * are typed over it. Built by `ProcedureTypes<…>` from the machine's `as const` tuples and
 * the keys of its labels (services/<folder>/labels.ts).
 */
export interface Types {
  state: string;
  step: string;
  timer: string;
  action: string;
  /** timeline reasons (`<kind>.reason.*`) */
  reason: string;
  /** refusal messages (`<kind>.error.*`) */
  error: string;
  notify: string;
  flag: string;
  escalation: string;
  duty: string;
  /** `data` of the snapshot (includes `cfg`) */
  data: { cfg: object };
  config: object;
  /** what the context loader finds when the incident opens */
  context: unknown;
}

/** Labels of one procedure (zh-CN, en), keyed exactly by what it declares. */
export interface ProcedureLabels<T extends Types = Types> {
  kind: Label;
  /** `<kind>.title`: the incident's headline; params from `ctx.title(params)` */
  title: Label;
  states: Record<T['state'], Label>;
  steps: Record<T['step'], Label>;
  actions: Record<T['action'], Label>;
  timers: Record<T['timer'], Label>;
  reasons: Record<T['reason'], Label>;
  errors: Record<T['error'], Label>;
  notify: Record<Exclude<T['notify'], EngineNotify>, Label>;
  flags: Record<T['flag'], Label>;
  escalations: Record<T['escalation'], Label>;
  duty: Record<Exclude<T['duty'], EngineDuty>, Label>;
  /** action-payload field names (form labels) */
  fields: Record<string, Label>;
  /** values that appear in payloads, data and timeline entries (enum members, outcomes, hints) */
  values: Record<string, Label>;
  /** labels of the facts in the details panel (views.ts) */
  facts: Record<string, Label>;
}

/** Union of an object type's keys as strings. */
type Keys<O> = Extract<keyof O, string>;

/** The type bag of a procedure from its tuples, labels, data, config and context types. */
export type ProcedureTypes<
  Tuples extends { states: readonly string[]; steps: readonly string[]; timers: readonly string[]; actions: readonly string[] },
  L extends {
    reasons: object;
    errors: object;
    notify: object;
    flags: object;
    escalations: object;
    duty: object;
  },
  D extends { cfg: object },
  C = unknown,
> = {
  state: Tuples['states'][number];
  step: Tuples['steps'][number];
  timer: Tuples['timers'][number];
  action: Tuples['actions'][number];
  reason: Keys<L['reasons']>;
  error: Keys<L['errors']>;
  notify: Keys<L['notify']> | EngineNotify;
  flag: Keys<L['flags']>;
  escalation: Keys<L['escalations']>;
  duty: Keys<L['duty']> | EngineDuty;
  data: D;
  config: D['cfg'];
  context: C;
};

/** Duty-log entries and notices the engine itself writes for every procedure (engine.*). */
export type EngineDuty = 'opened' | 'closed' | 'escalated';
export type EngineNotify = 'incident_opened';
/** Refusals every procedure may use (labels in engine.error.*). */
export type EngineMachineError = 'steps_pending';

/** A reason in the timeline: one of the procedure's reasons, with params, or what a person typed. */
export type Reason<T extends Types> = T['reason'] | { key: T['reason']; params: Json } | Said;

export interface ActionDef<T extends Types = Types, P = unknown> {
  roles: readonly Role[];
  /** states the action is allowed in; '*' = any open state */
  states: readonly T['state'][] | '*';
  payload: z.ZodType<P>;
  /** also callable as `{type:'system'}` by the hub itself */
  system?: boolean;
  /** extra availability (e.g. the step is still pending); false → HUB_ERR_CONFLICT */
  available?(s: IncidentSnapshot<T['state']>, data: T['data']): boolean;
  /**
   * Why this role cannot do the action yet although state and availability allow it (e.g. 119
   * before the supervisor's approval): the UI shows it disabled with this refusal, so nobody
   * fills a form the hub then refuses (issue 14). `run` must still refuse the same case.
   */
  blocked?(s: IncidentSnapshot<T['state']>, data: T['data'], role: Role): T['error'] | null;
  /**
   * Payload values this role may not choose now, per field (e.g. an operator may not stand a
   * general alarm down as a false alarm): removed from the form's schema. `run` still refuses.
   */
  withheld?(s: IncidentSnapshot<T['state']>, data: T['data'], role: Role): Record<string, readonly string[]>;
  /** the step this action completes (UI grouping) */
  step?: T['step'];
  /** what the form starts with, from what the incident already knows */
  defaults?(s: IncidentSnapshot<T['state']>, data: T['data']): Json;
  run(ctx: Ctx<T>, payload: P): void;
}

export interface StepDef<St extends string = string> {
  key: St;
  required: boolean;
}

export interface ProcedureDef<T extends Types = Types> {
  kind: IncidentKind;
  /** the first state is the initial one */
  states: readonly T['state'][];
  /** states in which the incident is closed (open = false) */
  finalStates: readonly T['state'][];
  steps: readonly StepDef<T['step']>[];
  timers: readonly T['timer'][];
  /** steps a supervisor may not waive with skip_step */
  unskippable?: readonly T['step'][];
  actions: Record<T['action'], ActionDef<T>>;
  /** zod object with defaults: parse(partial) → full config, stored at data.cfg */
  config: z.ZodType<T['config']>;
  /** manual report (phone call, walk-in registration) */
  manual?: { roles: readonly Role[]; payload: z.ZodType<unknown> };
  /** the special incident report (特别事件报告, seed 000 §2.1.7.1) exists for this kind */
  specialReport?: boolean;
  /** life safety: the control room's banner and alarm sound until the `acknowledge` step is done */
  attention?: boolean;
  /**
   * May a person snooze (mute) this incident for a while — its sound/banner and the repeats of
   * its notification chain — with the generic `snooze` action (issue 14)? Opt-in, and never
   * for an `attention` (life-safety) kind: the engine refuses those even if set
   * (services/core/procedure/snooze.ts). The config then holds `snoozeMaxMs` (an admin setting).
   */
  snoozable?: boolean;
  /** does this device event open an incident of this kind? → its dedup key */
  triggerFor?(src: EventSource): string | null;
  /** dedup key for any trigger (device, link, manual, linked); null = never deduplicated */
  dedupKeyFor(trigger: Trigger<T['context']>): string | null;
  /** an open incident with the same dedup key still absorbs repeats (default: while open) */
  dedupMatches?(s: IncidentSnapshot<T['state']>, data: T['data']): boolean;
  /** re-triggers within this many ms of close are suppressed (flapping guard) */
  reopenSuppressMs?(s: IncidentSnapshot<T['state']>, data: T['data']): number;
  /** does this open incident want a (non-trigger or foreign) device event? */
  wants?(s: IncidentSnapshot<T['state']>, src: EventSource, data: T['data']): boolean;
  /**
   * does this open incident follow a device's link state (online/offline)? Asked only about the
   * device in the incident's own `deviceId` (the engine routes a status change to no other: the
   * service indexes open incidents by it, issue 12 "incident storm")
   */
  wantsStatus?(s: IncidentSnapshot<T['state']>, deviceId: string, data: T['data']): boolean;
  /** should a newly opened incident of `kind` be linked under this open one? */
  adopts?(s: IncidentSnapshot<T['state']>, kind: IncidentKind, src: EventSource, data: T['data']): boolean;
  open(ctx: Ctx<T>, trigger: Trigger<T['context']>): void;
  onEvent?(ctx: Ctx<T>, input: DeviceEventInput): void;
  onStatus?(ctx: Ctx<T>, input: DeviceStatusInput): void;
  onTimer?(ctx: Ctx<T>, key: T['timer']): void;
  onCommandResult?(ctx: Ctx<T>, input: CommandResultInput): void;
  onRepeat?(ctx: Ctx<T>, trigger: Trigger<T['context']>): void;
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
export interface Ctx<T extends Types = Types> {
  readonly now: number;
  readonly s: IncidentSnapshot<T['state']>;
  /** the procedure's data (typed; `init` sets it when the incident opens) */
  readonly data: T['data'];
  /** the configuration in force (data.cfg; available before `init`) */
  readonly config: T['config'];
  /** current actor as stored in doneBy / approvals: "user:<id>" | "device:<id>" | "system" | "timer:<key>" */
  readonly by: string;
  readonly actorType: ActorType;
  /** the acting user's role, when a user acts */
  readonly role: Role | null;
  readonly userId: string | null;
  readonly timeline: readonly TimelineItem[];
  readonly effects: readonly Effect[];
  init(data: T['data']): void;
  /** set the incident's title: `<kind>.title` with these params */
  title(params: Json): void;
  step(key: T['step']): StepSnapshot;
  isDone(key: T['step']): boolean;
  /** done or skipped */
  isSettled(key: T['step']): boolean;
  done(key: T['step'], opts?: { notes?: string; data?: Json; by?: string; redo?: boolean }): void;
  skip(key: T['step'], reason: Reason<T>): void;
  setRequired(key: T['step'], required: boolean, reason: Reason<T>): void;
  pendingRequired(): T['step'][];
  startTimer(key: T['timer'], ms: number, repeatMs?: number): void;
  startTimerAt(key: T['timer'], dueAt: number, repeatMs?: number): void;
  cancelTimer(key: T['timer']): void;
  timerRunning(key: T['timer']): boolean;
  to(state: T['state'], reason?: Reason<T>): void;
  log(type: TimelineType, data?: Json, reason?: Reason<T> | null): void;
  effect(e: Effect): void;
  notify(to: Role[], key: T['notify'], params?: Json): void;
  escalate(reason: T['escalation'], params?: Json): void;
  flag(code: T['flag'], deviceId: string | null, params?: Json): void;
  dutyLog(key: T['duty'], params?: Json): void;
  /** a follow-up (回访) task for this incident, subject `engine.followup.subject` */
  followUp(dueAt: number): void;
  /** a correlation id unique to this incident (corr ≤ 64 chars, CONTRACT.md) */
  corr(tag: string): string;
  /** close: open=false, closedAt, timers cancelled, optional pending steps skipped */
  close(state: T['state'], reason: Reason<T>): void;
  fail(code: ErrorCode, key: T['error'] | EngineMachineError, params?: Json): never;
  addWorkingDays(t: number, days: number, cal?: Calendar): number;
}

/** A person's words as a reason (`ctx.to(state, said(p.notes))`): never translated. */
export const said = (text: string): Said => ({ text });
