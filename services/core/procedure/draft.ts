// The mutable draft a machine works with during one decision (the `Ctx` handed to it): a
// clone of the snapshot plus the timeline and effects it collects. Message keys a machine
// names are qualified here (`<kind>.reason.x`, else `engine.reason.x`); a refusal is thrown
// as `Failed` and turned into a coded Result by the engine.
import type { IncidentKind, Role } from '../../../contracts/domain.js';
import type { Msg } from '../../../contracts/messages.js';
import type { MessageCatalog } from '../messages.js';
import type { EngineError } from './labels.js';
import type {
  ActorType,
  Calendar,
  Ctx,
  Effect,
  ErrorCode,
  IncidentSnapshot,
  Json,
  ProcedureDef,
  Reason,
  StepSnapshot,
  Text,
  TimelineItem,
  TimelineType,
  TimerSnapshot,
  Types,
} from './types.js';
import { addWorkingDays } from './workdays.js';

export class Failed extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly msg: Msg,
    /** the params as the machine gave them: the English text for logs names codes, not labels */
    readonly raw: Json,
  ) {
    super(msg.key);
  }
}

export class Draft implements Ctx<Types> {
  readonly timeline: TimelineItem[] = [];
  readonly effects: Effect[] = [];
  readonly by: string;
  private readonly kind: IncidentKind;
  constructor(
    readonly s: IncidentSnapshot,
    readonly now: number,
    readonly actorType: ActorType,
    private readonly actorId: string,
    readonly role: Role | null,
    readonly def: ProcedureDef,
    private readonly catalog: MessageCatalog,
  ) {
    this.by = actorType === 'user' ? `user:${actorId}` : actorType === 'system' ? 'system' : `${actorType}:${actorId}`;
    this.kind = s.kind;
  }
  get userId(): string | null {
    return this.actorType === 'user' ? this.actorId : null;
  }
  get data(): { cfg: object } {
    return this.s.data as unknown as { cfg: object };
  }
  get config(): object {
    return (this.s.data.cfg ?? {}) as object;
  }
  init(data: { cfg: object }): void {
    // the machine keeps mutating `data` after init: keep the very object (the draft is a clone)
    const seq = this.s.data._seq;
    this.s.data = data as unknown as Json;
    if (typeof seq === 'number') this.s.data._seq = seq;
  }
  title(params: Json): void {
    this.s.title = { key: `${this.kind}.title`, params };
  }
  /** `<kind>.<table>.<key>` when the procedure defines it, else `engine.<table>.<key>` */
  key(table: string, k: string): string {
    const own = `${this.kind}.${table}.${k}`;
    return this.catalog.has(own) ? own : `engine.${table}.${k}`;
  }
  reason(r: Reason<Types> | null | undefined): Text | null {
    if (r === null || r === undefined) return null;
    if (typeof r === 'string') return { key: this.key('reason', r) };
    if ('text' in r) return r;
    return { key: this.key('reason', r.key), params: r.params };
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
    if (st.status !== 'pending' && !opts.redo) this.failEngine('HUB_ERR_CONFLICT', 'step_already', { step: key, status: st.status });
    const again = st.status === 'done';
    st.status = 'done';
    st.doneBy = opts.by ?? this.by;
    st.doneAt = this.now;
    if (opts.notes !== undefined) st.notes = opts.notes;
    if (opts.data) st.data = { ...st.data, ...opts.data };
    this.push(
      'step_done',
      { step: key, ...(again ? { updated: true } : {}), ...(opts.data ?? {}) },
      opts.notes ? { text: opts.notes } : null,
    );
  }
  skip(key: string, reason: Reason<Types>): void {
    const st = this.step(key);
    if (st.status !== 'pending') this.failEngine('HUB_ERR_CONFLICT', 'step_already', { step: key, status: st.status });
    const why = this.reason(reason);
    st.status = 'skipped';
    st.doneBy = this.by;
    st.doneAt = this.now;
    // the step's notes are what a person reads on the checklist: their words, or the reason's key
    st.notes = why && 'text' in why ? why.text : '';
    if (why && 'key' in why) st.data = { ...st.data, skipReason: why };
    this.push('step_skipped', { step: key, required: st.required }, why);
  }
  setRequired(key: string, required: boolean, reason: Reason<Types>): void {
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
    if (!this.def.timers.includes(key)) throw new Error(`procedure ${this.kind} has no timer ${key}`);
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
  to(state: string, reason?: Reason<Types>): void {
    // the types stop an undeclared state at compile time; this stops one built at run time
    if (!this.def.states.includes(state)) throw new Error(`procedure ${this.kind} has no state ${state}`);
    if (this.s.state === state) return;
    const from = this.s.state;
    this.s.state = state;
    this.log('state_changed', { from, to: state }, reason ?? null);
  }
  log(type: TimelineType, data: Json = {}, reason: Reason<Types> | null = null): void {
    this.push(type, data, this.reason(reason));
  }
  /** a timeline entry whose reason is already a qualified message (the engine's own) */
  push(type: TimelineType, data: Json, reason: Text | null): void {
    this.timeline.push({ at: this.now, actorType: this.actorType, actor: this.actorId, type, reason, data });
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
    else if (e.type === 'create_followup') this.log('followup_scheduled', { dueAt: e.dueAt });
  }
  notify(to: Role[], key: string, params: Json = {}): void {
    const p = { incidentId: this.s.id, ...params };
    this.effect({ type: 'notify', to, key, msg: { key: this.key('notify', key), params: p }, params: p });
  }
  escalate(reason: string, params: Json = {}): void {
    this.effect({ type: 'escalate', to: 'supervisor', reason, msg: { key: this.key('escalation', reason), params }, params });
    this.dutyLog('escalated', { reason });
  }
  flag(code: string, deviceId: string | null, params: Json = {}): void {
    this.effect({ type: 'flag', code, msg: { key: this.key('flag', code), params }, deviceId, params });
  }
  dutyLog(key: string, params: Json = {}): void {
    // kind and title travel as data: the entry is rendered when someone reads the log
    const p = { kind: this.kind, title: this.s.title, ...params };
    this.effects.push({ type: 'duty_log', incidentId: this.s.id, key: this.key('duty', key), params: p });
  }
  followUp(dueAt: number): void {
    this.effect({
      type: 'create_followup',
      incidentId: this.s.id,
      subject: { key: 'engine.followup.subject', params: { title: this.s.title } },
      dueAt,
    });
  }
  corr(tag: string): string {
    const n = (typeof this.s.data._seq === 'number' ? this.s.data._seq : 0) + 1;
    this.s.data._seq = n;
    // ids are bounded (uuid = 36); keep within the contract's 64 characters
    return `${this.s.id.slice(0, 40)}-${tag.slice(0, 12)}${n}`;
  }
  close(state: string, reason: Reason<Types>): void {
    for (const t of this.s.timers) if (t.status === 'running') t.status = 'cancelled';
    for (const st of this.s.steps) {
      if (st.status === 'pending' && !st.required) {
        st.status = 'skipped';
        st.doneBy = this.by;
        st.doneAt = this.now;
        st.notes = '';
        st.data = { ...st.data, skipReason: { key: 'engine.reason.not_needed' } };
      }
    }
    this.to(state, reason);
    this.s.open = false;
    this.s.closedAt = this.now;
    this.log('closed', { state }, reason);
  }
  fail(code: ErrorCode, key: string, params: Json = {}): never {
    throw new Failed(code, { key: this.key('error', key), params: this.catalog.localizeParams(this.kind, params) }, params);
  }
  failEngine(code: ErrorCode, key: EngineError, params: Json = {}): never {
    throw new Failed(code, { key: `engine.error.${key}`, params: this.catalog.localizeParams(this.kind, params) }, params);
  }
  addWorkingDays(t: number, days: number, cal?: Calendar): number {
    return addWorkingDays(t, days, cal);
  }
}
