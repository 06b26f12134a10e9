// The generic, pure incident-procedure engine. Nothing here does IO, reads the clock or
// starts a timer: `now` is passed in, timers are data (`dueAt`) that the caller fires, and
// every side effect is returned as an `Effect` for the service layer to carry out in the same
// transaction that stores `next` and appends `timeline`.
//
//   open(kind, trigger, now, opts)         → Result   (initial snapshot, timeline, effects)
//   decide(snapshot, input, now)           → Result   (next snapshot, timeline, effects) | error
//   allowedActions(snapshot, role)         → what the UI may offer this role now
//   dueTimers(snapshot, now) / nextDueAt   → which `{type:'timer'}` inputs to feed
//   routeDeviceEvent / planTrigger / routeDeviceStatus → where an event goes (dedup, links)
//
// The procedures come from the injected registry (services/hub/procedures.ts); each one is a
// `ProcedureDef` in services/<folder>/machine.ts and reaches every runtime helper through the
// `Ctx` handed to it.
import { z } from 'zod';
import { SEVERITY, type IncidentKind, type OnlineState, type Role } from '../../../contracts/domain.js';
import type { Msg } from '../../../contracts/messages.js';
import type { MessageCatalog } from '../messages.js';
import { Draft, Failed } from './draft.js';
import type { EngineError } from './labels.js';
import type { Procedure, ProcedureRegistry } from './registry.js';
import { SNOOZE_TIMER, snoozable, snoozeMaxMs } from './snooze.js';
import {
  type ActionDef,
  type ActorType,
  type ErrorCode,
  type EventSource,
  type Failure,
  type IncidentSnapshot,
  type Input,
  type Json,
  type ProcedureDef,
  type Result,
  type StepDef,
  type StepSnapshot,
  type TimerSnapshot,
  type Trigger,
  type Types,
} from './types.js';

export interface AllowedAction {
  action: string;
  step: string | null;
  /** generic actions (add_note, skip_step) are available everywhere */
  generic: boolean;
  /** offered but not yet possible for this role: why (a refusal message key of the procedure) */
  blocked?: Msg;
  /** payload values this role may not choose now, per field */
  withheld?: Record<string, readonly string[]>;
}

export interface OpenOptions {
  /** the incident id (uuid) the service will insert; used for corr ids and effects */
  id: string;
  /** overrides of the procedure's configurable targets (e.g. contractorArrivalMs) */
  config?: Json;
  parentId?: string | null;
}

export type RoutePlan =
  | { op: 'open'; kind: IncidentKind; dedupKey: string | null; trigger: Trigger; parentId: string | null }
  | { op: 'decide'; incidentId: string; input: Input };

/** A refusal before any plan exists (e.g. the reporter's role), same shape as a decide failure. */
export type PlanResult = RoutePlan | Failure;

// ---------------------------------------------------------------------------------------
// Generic actions (every kind)
// ---------------------------------------------------------------------------------------

const NoteText = z.string().trim().min(1).max(2000);

/** `ctx` here is the engine's own Draft: it may use engine message keys. */
interface GenericAction {
  roles: readonly Role[];
  states: '*';
  payload: z.ZodType;
  run(ctx: Draft, payload: never): void;
}

/** who may snooze an incident: the control room (PROCEDURES.md roles; front desk does not work faults) */
const SNOOZE_ROLES: readonly Role[] = ['operator', 'supervisor', 'admin'];

const GENERIC_ACTIONS: Record<'add_note' | 'skip_step' | 'snooze' | 'unsnooze', GenericAction> = {
  add_note: {
    roles: ['operator', 'frontdesk', 'supervisor', 'admin'],
    states: '*',
    payload: z.object({ text: NoteText }),
    run(ctx: Draft, p: { text: string }) {
      ctx.log('note', {}, { text: p.text });
    },
  },
  /**
   * Operators may skip optional steps; a supervisor may waive a required one (recorded with
   * the reason) unless the procedure marks it unskippable.
   */
  skip_step: {
    roles: ['operator', 'frontdesk', 'supervisor', 'admin'],
    states: '*',
    payload: z.object({ step: z.string().min(1).max(64), reason: NoteText }),
    run(ctx: Draft, p: { step: string; reason: string }) {
      const def = ctx.def;
      // only roles that work this procedure may skip its steps (no front desk on a fire)
      if (!ctx.role || !worksOn(def, ctx.role)) ctx.failEngine('HUB_ERR_FORBIDDEN', 'not_on_procedure', { role: ctx.role ?? 'none' });
      const st = ctx.s.steps.find((x) => x.key === p.step);
      if (!st) ctx.failEngine('HUB_ERR_BAD_REQUEST', 'unknown_step', { step: p.step });
      if (st.status !== 'pending') ctx.failEngine('HUB_ERR_CONFLICT', 'step_already', { step: p.step, status: st.status });
      if (def.unskippable?.includes(p.step)) ctx.failEngine('HUB_ERR_CONFLICT', 'unskippable', { step: p.step });
      if (st.required && ctx.role !== 'supervisor' && ctx.role !== 'admin') {
        ctx.failEngine('HUB_ERR_FORBIDDEN', 'waive_supervisor', { step: p.step });
      }
      ctx.skip(p.step, { text: p.reason });
    },
  },
  /**
   * Mute this incident until a time limit (services/core/procedure/snooze.ts: never a
   * life-safety kind; the longest snooze is the procedure's `snoozeMaxMs` setting). The end is
   * a stored timer (SNOOZE_TIMER), so it ends on time across restarts; snoozing again replaces it.
   */
  snooze: {
    roles: SNOOZE_ROLES,
    states: '*',
    payload: z.object({
      minutes: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 60),
      reason: NoteText,
    }),
    run(ctx: Draft, p: { minutes: number; reason: string }) {
      if (!snoozable(ctx.def)) ctx.failEngine('HUB_ERR_CONFLICT', 'not_snoozable', { kind: ctx.s.kind });
      const max = snoozeMaxMs(ctx.s.data);
      if (p.minutes * 60_000 > max) ctx.failEngine('HUB_ERR_BAD_REQUEST', 'snooze_too_long', { max: Math.floor(max / 60_000) });
      const until = ctx.now + p.minutes * 60_000;
      ctx.s.data.snooze = { until, by: ctx.by, at: ctx.now, reason: p.reason };
      setSnoozeTimer(ctx, until);
      ctx.log('snoozed', { until: { time: until }, minutes: p.minutes }, { text: p.reason });
    },
  },
  /** End a snooze before its limit. */
  unsnooze: {
    roles: SNOOZE_ROLES,
    states: '*',
    payload: z.object({ reason: NoteText.optional() }),
    run(ctx: Draft, p: { reason?: string }) {
      if (!ctx.s.data.snooze) ctx.failEngine('HUB_ERR_CONFLICT', 'not_snoozed', {});
      endSnooze(ctx, 'person', p.reason);
    },
  },
};

/** The snooze's end as a stored timer row (the engine's key; no procedure declares it). */
function setSnoozeTimer(ctx: Draft, dueAt: number): void {
  const t = { key: SNOOZE_TIMER, dueAt, status: 'running' as const, repeatMs: null, firedAt: null };
  const i = ctx.s.timers.findIndex((x) => x.key === SNOOZE_TIMER);
  if (i >= 0) ctx.s.timers[i] = t;
  else ctx.s.timers.push(t);
}

function endSnooze(ctx: Draft, why: 'limit' | 'person', reason?: string): void {
  const t = ctx.s.timers.find((x) => x.key === SNOOZE_TIMER);
  if (t && t.status === 'running') {
    if (why === 'limit') {
      t.status = 'fired';
      t.firedAt = ctx.now;
    } else t.status = 'cancelled';
  }
  ctx.s.data.snooze = null;
  ctx.log('unsnoozed', { why: { key: `engine.value.snooze_${why}` } }, reason ? { text: reason } : null);
}
export const GENERIC_ACTION_NAMES = Object.keys(GENERIC_ACTIONS);

function worksOn(def: ProcedureDef, role: Role): boolean {
  return Object.values<ActionDef>(def.actions).some((a) => a.roles.includes(role));
}

function stateAllowed(a: { states: readonly string[] | '*' }, s: IncidentSnapshot): boolean {
  return a.states === '*' ? true : a.states.includes(s.state);
}

// ---------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------

export class ProcedureEngine<M extends Procedure = Procedure> {
  readonly catalog: MessageCatalog;
  private readonly schemas = new Map<string, unknown>();

  constructor(readonly registry: ProcedureRegistry<M>) {
    this.catalog = registry.catalog;
  }

  private def(kind: IncidentKind): ProcedureDef {
    return this.registry.def(kind);
  }

  /**
   * A refusal: `msg` for the reader (labels in their locale), `message` in English with the
   * codes as given (`role frontdesk may not confirm_release`) for logs and API clients.
   */
  failure(code: ErrorCode, msg: Msg, raw: Json = msg.params ?? {}): Failure {
    return { ok: false, code, msg, message: this.catalog.render({ key: msg.key, params: raw }, 'en') };
  }

  private err(kind: IncidentKind | null, code: ErrorCode, key: EngineError, params: Json = {}): Failure {
    return this.failure(code, { key: `engine.error.${key}`, params: kind ? this.catalog.localizeParams(kind, params) : params }, params);
  }

  private run(
    s: IncidentSnapshot,
    actor: { type: ActorType; id: string; role: Role | null },
    now: number,
    body: (ctx: Draft) => void,
  ): Result {
    const draft = structuredClone(s);
    const ctx = new Draft(draft, now, actor.type, actor.id, actor.role, this.def(s.kind), this.catalog);
    try {
      body(ctx);
    } catch (e) {
      if (e instanceof Failed) return this.failure(e.code, e.msg, e.raw);
      throw e;
    }
    // closing cancels every timer, the snooze's end included: a closed incident is not snoozed
    if (!draft.open && draft.data.snooze) draft.data.snooze = null;
    return { ok: true, next: draft, timeline: ctx.timeline, effects: ctx.effects };
  }

  /**
   * A validation failure's detail in both languages: zod's own English, and the same input
   * parsed again with zod's zh-CN locale (z.locales.zhCN) — refusals are rare, the second
   * parse is cheap.
   */
  private zodDetail(schema: z.ZodType, input: unknown, e: z.ZodError): { l: [string, string] } {
    const zh = schema.safeParse(input, { error: zhLocale.localeError });
    return { l: [issueText(zh.success ? e : zh.error), issueText(e)] };
  }

  // ------------------------------------------------------------------ open

  /** Create the initial snapshot of a new incident from its trigger. */
  open(kind: IncidentKind, trigger: Trigger, now: number, opts: OpenOptions): Result {
    if (!this.registry.has(kind)) return this.err(null, 'HUB_ERR_BAD_REQUEST', 'unknown_kind', { kind });
    const def = this.def(kind);
    const cfg = def.config.safeParse(opts.config ?? {});
    if (!cfg.success)
      return this.err(kind, 'HUB_ERR_BAD_REQUEST', 'bad_config', { detail: this.zodDetail(def.config, opts.config ?? {}, cfg.error) });
    let actor: { type: ActorType; id: string; role: Role | null };
    if (trigger.source === 'manual') {
      const refused = this.checkManual(kind, trigger);
      if (refused) return refused;
      const p = def.manual!.payload.safeParse(trigger.payload ?? {});
      if (!p.success)
        return this.err(kind, 'HUB_ERR_BAD_REQUEST', 'bad_payload', {
          action: 'report',
          detail: this.zodDetail(def.manual!.payload, trigger.payload ?? {}, p.error),
        });
      trigger = { ...trigger, payload: p.data };
      actor = { type: 'user', id: trigger.actor.id, role: trigger.actor.role };
    } else if (trigger.source === 'device' || trigger.source === 'link' || trigger.source === 'rule') {
      actor = { type: 'device', id: trigger.deviceId, role: null };
    } else {
      actor = { type: 'system', id: 'hub', role: null };
    }
    const skeleton: IncidentSnapshot = {
      id: opts.id,
      kind,
      state: def.states[0]!,
      open: true,
      severity: SEVERITY[kind],
      siteId: trigger.siteId,
      buildingId: trigger.buildingId,
      floor: null,
      deviceId:
        trigger.source === 'device' || trigger.source === 'link' || trigger.source === 'rule'
          ? trigger.deviceId
          : trigger.source === 'linked'
            ? (trigger.deviceId ?? null)
            : null,
      dedupKey: def.dedupKeyFor(trigger),
      parentId: opts.parentId ?? (trigger.source === 'linked' ? trigger.parentId : null),
      title: { key: `${kind}.title`, params: {} },
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
      data: { cfg: cfg.data as Json },
    };
    return this.run(skeleton, actor, now, (ctx) => {
      ctx.log('opened', {
        kind,
        source: trigger.source,
        ...(trigger.source === 'device' ? { event: trigger.event.type, eventId: trigger.event.id, eventData: trigger.event.data } : {}),
        ...(trigger.source === 'link' ? { cause: trigger.cause, since: trigger.since } : {}),
        ...(trigger.source === 'rule' ? { ruleId: trigger.ruleId, since: trigger.since } : {}),
        ...(trigger.source === 'linked' ? { parentId: trigger.parentId, parentKind: trigger.parentKind } : {}),
      });
      def.open(ctx, trigger);
      if (ctx.s.open) ctx.dutyLog('opened');
    });
  }

  /** May this person report this kind by hand at all? (checked before routing: a report merged into an open incident too) */
  private checkManual(kind: IncidentKind, trigger: Extract<Trigger, { source: 'manual' }>): Failure | null {
    const def = this.def(kind);
    if (!def.manual) return this.err(kind, 'HUB_ERR_BAD_REQUEST', 'not_manual', { kind });
    if (!def.manual.roles.includes(trigger.actor.role))
      return this.err(kind, 'HUB_ERR_FORBIDDEN', 'report_forbidden', { role: trigger.actor.role, kind });
    return null;
  }

  // ------------------------------------------------------------------ decide

  /** The one transition function: (snapshot, input, now) → next snapshot + timeline + effects, or a coded error. */
  decide(s: IncidentSnapshot, input: Input, now: number): Result {
    const def = this.def(s.kind);
    const data = s.data as { cfg: object };
    switch (input.type) {
      case 'action':
      case 'system': {
        const a = this.actionDef(def, input.action);
        if (!a) return this.err(s.kind, 'HUB_ERR_BAD_REQUEST', 'unknown_action', { action: input.action, kind: s.kind });
        if (input.type === 'action') {
          if (!a.roles.includes(input.actor.role))
            return this.err(s.kind, 'HUB_ERR_FORBIDDEN', 'role_forbidden', { role: input.actor.role, action: input.action });
        } else if (!a.system) {
          return this.err(s.kind, 'HUB_ERR_FORBIDDEN', 'needs_person', { action: input.action });
        }
        // a closed incident can be read forever and annotated, nothing else
        if (!s.open && input.action !== 'add_note') return this.err(s.kind, 'HUB_ERR_CONFLICT', 'closed', { state: s.state });
        if (!stateAllowed(a, s)) return this.err(s.kind, 'HUB_ERR_CONFLICT', 'state_forbidden', { action: input.action, state: s.state });
        if (a.available && !a.available(s, data)) return this.err(s.kind, 'HUB_ERR_CONFLICT', 'unavailable', { action: input.action });
        const p = a.payload.safeParse(input.payload ?? {});
        if (!p.success)
          return this.err(s.kind, 'HUB_ERR_BAD_REQUEST', 'bad_payload', {
            action: input.action,
            detail: this.zodDetail(a.payload, input.payload ?? {}, p.error),
          });
        const actor =
          input.type === 'action'
            ? { type: 'user' as const, id: input.actor.id, role: input.actor.role }
            : { type: 'system' as const, id: 'hub', role: null };
        return this.run(s, actor, now, (ctx) => {
          a.run(ctx as never, p.data as never);
          // every transition leaves a trace, even when the machine logged nothing specific
          if (ctx.timeline.length === 0) ctx.log('action', { action: input.action });
        });
      }
      case 'device_event': {
        if (!s.open) return this.err(s.kind, 'HUB_ERR_CONFLICT', 'closed', { state: s.state });
        return this.run(s, { type: 'device', id: input.deviceId, role: null }, now, (ctx) => {
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
        if (!s.open) return this.err(s.kind, 'HUB_ERR_CONFLICT', 'closed', { state: s.state });
        return this.run(s, { type: 'device', id: input.deviceId, role: null }, now, (ctx) => {
          ctx.log('device_status', { deviceId: input.deviceId, state: input.state });
          def.onStatus?.(ctx, input);
        });
      }
      case 'timer': {
        if (!s.open) return this.err(s.kind, 'HUB_ERR_CONFLICT', 'closed', { state: s.state });
        const t = s.timers.find((x) => x.key === input.key);
        if (!t || t.status !== 'running') return this.err(s.kind, 'HUB_ERR_CONFLICT', 'timer_not_running', { timer: input.key });
        if (t.dueAt > now) return this.err(s.kind, 'HUB_ERR_CONFLICT', 'timer_not_due', { timer: input.key, dueAt: t.dueAt });
        // the snooze's limit: the mute ends by itself, on the timeline (the procedure is not involved)
        if (input.key === SNOOZE_TIMER)
          return this.run(s, { type: 'timer', id: input.key, role: null }, now, (ctx) => endSnooze(ctx, 'limit'));
        return this.run(s, { type: 'timer', id: input.key, role: null }, now, (ctx) => {
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
        if (!s.open) return this.err(s.kind, 'HUB_ERR_CONFLICT', 'closed', { state: s.state });
        const actor = input.deviceId
          ? { type: 'device' as const, id: input.deviceId, role: null }
          : { type: 'system' as const, id: 'hub', role: null };
        return this.run(s, actor, now, (ctx) => {
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
            : tr.source === 'device' || tr.source === 'link' || tr.source === 'rule'
              ? { type: 'device' as const, id: tr.deviceId, role: null }
              : { type: 'system' as const, id: 'hub', role: null };
        const summary: Json = {
          source: tr.source,
          ...(tr.source === 'device' ? { event: tr.event.type, eventId: tr.event.id, eventData: tr.event.data } : {}),
          ...(tr.source === 'link' ? { cause: tr.cause, since: tr.since } : {}),
          ...(tr.source === 'rule' ? { ruleId: tr.ruleId, since: tr.since, ...(tr.payload as object) } : {}),
          ...(tr.source === 'linked' ? { parentId: tr.parentId } : {}),
        };
        return this.run(s, actor, now, (ctx) => {
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

  // ------------------------------------------------------------------ UI helpers

  private actionDef(def: ProcedureDef, name: string): ActionDef | undefined {
    if (Object.hasOwn(def.actions, name)) return (def.actions as Record<string, ActionDef>)[name];
    if (Object.hasOwn(GENERIC_ACTIONS, name)) return GENERIC_ACTIONS[name as keyof typeof GENERIC_ACTIONS] as unknown as ActionDef;
    return undefined;
  }

  /** Actions this role may perform on this incident right now (the UI's buttons). */
  allowedActions(s: IncidentSnapshot, role: Role): AllowedAction[] {
    const def = this.def(s.kind);
    const data = s.data as { cfg: object };
    const out: AllowedAction[] = [];
    for (const [name, a] of Object.entries<ActionDef>(def.actions)) {
      if (!s.open || !a.roles.includes(role) || !stateAllowed(a, s)) continue;
      if (a.available && !a.available(s, data)) continue;
      const blocked = a.blocked?.(s, data, role) ?? null;
      const withheld = a.withheld?.(s, data, role);
      out.push({
        action: name,
        step: a.step ?? null,
        generic: false,
        ...(blocked ? { blocked: { key: `${s.kind}.error.${blocked}` } } : {}),
        ...(withheld && Object.keys(withheld).length ? { withheld } : {}),
      });
    }
    for (const [name, a] of Object.entries(GENERIC_ACTIONS)) {
      if (!a.roles.includes(role)) continue;
      if (!s.open && name !== 'add_note') continue;
      if (name === 'skip_step' && !worksOn(def, role)) continue;
      // snooze is offered only where the hub would accept it (never a life-safety kind, issue 14)
      if (name === 'snooze' && (!s.open || !snoozable(def) || snoozeMaxMs(s.data) === 0)) continue;
      // snoozed until the timer ends it (no clock here: `data.snooze` is cleared by that timer)
      if (name === 'unsnooze' && (!s.open || !(s.data as { snooze?: unknown }).snooze)) continue;
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

  /** What an action's form starts with (the procedure's `defaults`). */
  actionDefaults(s: IncidentSnapshot, action: string): Json | undefined {
    return this.actionDef(this.def(s.kind), action)?.defaults?.(s, s.data as { cfg: object });
  }

  /** The zod payload schema of an action (procedure-specific or generic). */
  actionPayload(kind: IncidentKind, name: string): z.ZodType | undefined {
    return this.actionDef(this.def(kind), name)?.payload as z.ZodType | undefined;
  }

  /** JSON schema of a payload (forms in the dashboard), cached; `null` when not representable. */
  jsonSchema(key: string, schema: z.ZodType | undefined): unknown {
    if (!this.schemas.has(key)) {
      let out: unknown = undefined;
      try {
        out = schema ? z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) : undefined;
      } catch {
        out = undefined;
      }
      this.schemas.set(key, out);
    }
    return this.schemas.get(key);
  }

  /** JSON schema of an action's payload. */
  actionSchema(kind: IncidentKind, action: string): unknown {
    return this.jsonSchema(`${kind}:${action}`, this.actionPayload(kind, action));
  }

  /** JSON schema of the manual report's payload (POST /api/incidents), or null. */
  manualSchema(kind: IncidentKind): unknown {
    return this.jsonSchema(`${kind}:@manual`, this.def(kind).manual?.payload as z.ZodType | undefined) ?? null;
  }

  /** Static description of a procedure (docs, UI legends, label completeness tests). */
  describe(kind: IncidentKind): {
    kind: IncidentKind;
    states: readonly string[];
    finalStates: readonly string[];
    steps: readonly StepDef[];
    timers: readonly string[];
    actions: { action: string; roles: readonly Role[]; states: readonly string[] | '*'; system: boolean; step: string | null }[];
    manualRoles: readonly Role[];
    specialReport: boolean;
    attention: boolean;
  } {
    const def = this.def(kind);
    return {
      kind,
      states: def.states,
      finalStates: def.finalStates,
      steps: def.steps,
      timers: def.timers,
      actions: [
        ...Object.entries<ActionDef>(def.actions).map(([action, a]) => ({
          action,
          roles: a.roles,
          states: a.states,
          system: Boolean(a.system),
          step: a.step ?? null,
        })),
        ...Object.entries(GENERIC_ACTIONS).map(([action, a]) => ({ action, roles: a.roles, states: a.states, system: false, step: null })),
      ],
      manualRoles: def.manual?.roles ?? [],
      specialReport: Boolean(def.specialReport),
      attention: Boolean(def.attention),
    };
  }

  // ------------------------------------------------------------------ routing and dedup

  /**
   * Dedup one trigger against existing incidents: same (kind, dedupKey) open → append a
   * `repeat_trigger`; closed within the kind's suppress window (flapping) → `repeat_trigger`
   * on the closed incident (recorded as suppressed); otherwise open.
   * `incidents`: open incidents of the building plus ones closed in the last few minutes.
   * A manual report is checked against the kind's reporting roles first, whether it would
   * open an incident or merge into one (issue 7 item 16).
   */
  planTrigger(
    kind: IncidentKind,
    trigger: Trigger,
    incidents: readonly IncidentSnapshot[],
    now: number,
    parentId: string | null = null,
  ): PlanResult {
    if (!this.registry.has(kind)) return this.err(null, 'HUB_ERR_BAD_REQUEST', 'unknown_kind', { kind });
    if (trigger.source === 'manual') {
      const refused = this.checkManual(kind, trigger);
      if (refused) return refused;
    }
    const def = this.def(kind);
    const key = def.dedupKeyFor(trigger);
    if (key !== null) {
      const same = incidents.filter((i) => i.kind === kind && i.dedupKey === key);
      const live = same.find((i) => i.open && (def.dedupMatches ? def.dedupMatches(i, i.data as { cfg: object }) : true));
      if (live) return { op: 'decide', incidentId: live.id, input: { type: 'repeat_trigger', trigger } };
      const recent = same
        .filter(
          (i) =>
            !i.open && i.closedAt !== null && def.reopenSuppressMs && now - i.closedAt < def.reopenSuppressMs(i, i.data as { cfg: object }),
        )
        .sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0))[0];
      if (recent) return { op: 'decide', incidentId: recent.id, input: { type: 'repeat_trigger', trigger } };
    }
    return { op: 'open', kind, dedupKey: key, trigger, parentId };
  }

  /** Which incident kind (if any) this device event opens. */
  triggerKindFor(src: EventSource): IncidentKind | null {
    for (const p of this.registry.all()) if (p.definition.triggerFor?.(src) != null) return p.definition.kind;
    return null;
  }

  /**
   * Everything one accepted device event must do: open/append its own incident (deduplicated,
   * linked under an adopting parent such as an outage), and reach every other open incident
   * that follows it (e.g. `elevator.recalled` → the building's fire incident).
   */
  routeDeviceEvent(src: EventSource, incidents: readonly IncidentSnapshot[], now: number): RoutePlan[] {
    const plans: RoutePlan[] = [];
    const open = incidents.filter((i) => i.open);
    const kind = this.triggerKindFor(src);
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
      const parent = open.find((i) => i.kind !== kind && this.def(i.kind).adopts?.(i, kind, src, i.data as { cfg: object }));
      const plan = this.planTrigger(kind, trigger, incidents, now, parent?.id ?? null);
      if ('op' in plan) {
        if (plan.op === 'decide') target = plan.incidentId;
        plans.push(plan);
      }
    }
    for (const i of open) {
      if (i.id === target) continue;
      if (this.def(i.kind).wants?.(i, src, i.data as { cfg: object })) {
        plans.push({
          op: 'decide',
          incidentId: i.id,
          input: {
            type: 'device_event',
            deviceId: src.deviceId,
            deviceClass: src.deviceClass,
            buildingId: src.buildingId,
            event: src.event,
          },
        });
      }
    }
    return plans;
  }

  /**
   * A device's link state changed: feed it to the open incidents that follow it (e.g. a device
   * fault's recovery). An incident follows the status of the device in its `deviceId` only
   * (ProcedureDef.wantsStatus), so the caller may hand just those (the service's store indexes
   * open incidents by deviceId: a status change costs the incidents of that device, not every
   * open one) — or any superset: the answer is the same.
   */
  routeDeviceStatus(deviceId: string, state: OnlineState, incidents: readonly IncidentSnapshot[]): RoutePlan[] {
    return incidents
      .filter((i) => i.open && i.deviceId === deviceId && this.def(i.kind).wantsStatus?.(i, deviceId, i.data as { cfg: object }))
      .map((i) => ({ op: 'decide' as const, incidentId: i.id, input: { type: 'device_status' as const, deviceId, state } }));
  }
}

// ---------------------------------------------------------------------------------------
// Pure helpers that need no procedure
// ---------------------------------------------------------------------------------------

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

/** Is this a refusal (rather than a plan)? */
export function isFailure(r: PlanResult | Result): r is Failure {
  return 'ok' in r && r.ok === false;
}

// zod ships a zh-CN locale: the same validation, in Chinese
const zhLocale = z.locales.zhCN();

/** "field: message; …" (zod's prettifyError adds English "→ at" lines). */
export function issueText(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? `${i.path.join('.')}:` : ''}${i.message}`).join(';');
}

/** Helpers for writing a procedure with its types (services/<folder>/machine.ts). */
export function defineProcedure<T extends Types>(def: ProcedureDef<T>): ProcedureDef<T> {
  return def;
}

/** `const action = actionsOf<T>()`: each action's payload type is checked, then erased for the table. */
export function actionsOf<T extends Types>(): <P>(a: ActionDef<T, P>) => ActionDef<T> {
  return (a) => a as unknown as ActionDef<T>;
}
