// The control-room side of a scenario (`--hub URL`): logged-in people (operator, supervisor,
// front desk) who find the incident the devices raised, perform the procedure's steps over
// HTTP and check that the hub did its part. Every step is printed with the incident's state
// and timers; what the hub did on its own (escalations, flags, hints, commands, timers
// firing) is printed from the incident timeline as it appears.
import type { IncidentKind } from '../../contracts/domain.js';
import { MessageCatalog } from '../../services/core/messages.js';
import { HubError, type HubSession, type IncidentDetail, type IncidentView } from '../hub-client.js';
import { localTime } from './procedures.js';
import type { ScenarioContext } from './registry.js';

export interface HubSessions {
  url: string;
  operator: HubSession | null;
  supervisor: HubSession | null;
  /** front desk (visitor steps); a supervisor may stand in */
  desk: HubSession | null;
}

export type Who = 'operator' | 'supervisor' | 'desk';

const WHO_LABEL: Record<Who, string> = { operator: '--user (operator)', supervisor: '--supervisor-user', desk: '--desk-user (front desk)' };

/** Timeline entries written by the hub itself that are worth a line in the step log. */
const HUB_SIDE = new Set([
  'state_changed',
  'escalated',
  'flagged',
  'hint',
  'timer_fired',
  'reminder',
  'linked_incident',
  'followup_scheduled',
  'command_sent',
  'confirmation',
  'approval',
  'denial',
  'closed',
]);

/** …and those that follow from a person's step, but are the hub's own doing. */
const HUB_REACTIONS = new Set(['escalated', 'flagged', 'command_sent', 'linked_incident', 'followup_scheduled']);

type TimelineEntry = IncidentDetail['timeline'][number];

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

export class ControlRoom {
  /** Scenario start. */
  readonly startedAt: number;
  private readonly printed = new Map<string, number>();
  /** Incidents that existed before the drill (closed ones among them are not this drill's). */
  private readonly before = new Set<string>();
  /** the hub's labels (GET /api/procedures), loaded by start(): words, not codes, in the log */
  private catalog = new MessageCatalog({});

  constructor(
    private readonly ctx: ScenarioContext,
    readonly sessions: HubSessions,
  ) {
    this.startedAt = ctx.clock.now();
  }

  get url(): string {
    return this.sessions.url;
  }

  /** Note the incidents that exist before the devices do anything. */
  async start(): Promise<void> {
    const s = this.sessions.operator ?? this.sessions.desk ?? this.sessions.supervisor;
    if (!s) return;
    this.catalog = new MessageCatalog((await s.procedures()).labels);
    for (const i of await s.incidents({ state: 'all', limit: 500 })) this.before.add(i.id);
  }

  describeSessions(): string {
    const s = this.sessions;
    const one = (label: string, x: HubSession | null) => `${label} ${x ? x.who : '—'}`;
    return `hub ${s.url}; ${one('operator', s.operator)}; ${one('supervisor', s.supervisor)}; ${one('front desk', s.desk)}`;
  }

  has(who: Who): boolean {
    return this.pick(who) !== null;
  }

  session(who: Who): HubSession {
    const s = this.pick(who);
    if (!s) throw new HubError(`this step needs a ${who} account: give ${WHO_LABEL[who]} and its password`, 'auth');
    return s;
  }

  private pick(who: Who): HubSession | null {
    return who === 'operator' ? this.sessions.operator : who === 'supervisor' ? this.sessions.supervisor : this.sessions.desk;
  }

  // ---- formatting ----

  stateText(inc: Pick<IncidentView, 'kind' | 'state'>): string {
    return `${this.both(`${inc.kind}.state.${inc.state}`, ' ')} [${inc.state}]`;
  }

  timersText(inc: Pick<IncidentView, 'timers'>): string {
    const now = this.ctx.clock.now();
    const parts = inc.timers
      .filter((t) => t.status !== 'cancelled')
      .map((t) => (t.status === 'fired' ? `${t.key} fired` : `${t.key} ${Math.max(0, (t.dueAt - now) / 1000).toFixed(1)}s left`));
    return parts.length ? `timers: ${parts.join(', ')}` : 'no timers';
  }

  headline(inc: IncidentView): string {
    const title = inc.titleMsg ? `${this.catalog.render(inc.titleMsg, 'zh-CN')} ${this.catalog.render(inc.titleMsg, 'en')}` : inc.title;
    return `#${inc.number} ${title} · ${this.stateText(inc)} · ${this.timersText(inc)}`;
  }

  actionLabel(kind: IncidentKind, action: string): string {
    return this.both(this.catalog.first(`${kind}.action.${action}`, `engine.action.${action}`) ?? action, ' ');
  }

  stepLabel(kind: IncidentKind, step: string): string {
    return this.both(`${kind}.step.${step}`, ' / ');
  }

  person(s: HubSession): string {
    return `${this.catalog.label(`role.${s.role}`, 'zh-CN')} ${s.user.username}`;
  }

  /** A key's label in both languages ("中文 English"); the key itself before the labels loaded. */
  private both(key: string, sep: string): string {
    return this.catalog.has(key) ? `${this.catalog.label(key, 'zh-CN')}${sep}${this.catalog.label(key, 'en')}` : key.split('.').pop()!;
  }

  // ---- the hub's own doings, from the timeline ----

  /** Print timeline entries the hub wrote by itself since the last look at this incident. */
  follow(inc: IncidentDetail): void {
    const last = this.printed.get(inc.id) ?? -1;
    let max = last;
    for (const e of inc.timeline) {
      if (e.seq <= last) continue;
      max = Math.max(max, e.seq);
      if (!this.worthPrinting(e)) continue;
      const when =
        e.type === 'escalated' || e.type === 'timer_fired' || e.type === 'reminder'
          ? ` (+${((e.at - inc.openedAt) / 1000).toFixed(1)}s after opening)`
          : '';
      this.ctx.logAs('·', `中心 hub #${inc.number}`, `${this.render(inc.kind, e)}${when}`);
    }
    this.printed.set(inc.id, max);
  }

  private worthPrinting(e: TimelineEntry): boolean {
    // people's steps are printed when performed; what the hub did in answer to them is not
    if (e.actorType === 'user') return HUB_REACTIONS.has(e.type);
    if (e.type === 'command_result') return e.data.ok === false;
    return HUB_SIDE.has(e.type);
  }

  render(kind: IncidentKind, e: Pick<TimelineEntry, 'type' | 'data' | 'message'> & { reason?: TimelineEntry['reason'] }): string {
    if (!this.catalog.has(`engine.timeline.${e.type}`)) return `${e.type}${e.message ? ` — ${e.message}` : ''}`;
    const head = this.catalog.timelineMsg(kind, e.type, e.data);
    const zh = this.catalog.render(head, 'zh-CN');
    const en = this.catalog.render(head, 'en');
    const facts = this.facts(e);
    const why = e.reason
      ? 'text' in e.reason
        ? e.reason.text
        : `${this.catalog.render(e.reason, 'zh-CN')} / ${this.catalog.render(e.reason, 'en')}`
      : e.message;
    return `${zh} / ${en}${facts ? ` (${facts})` : ''}${why ? ` — ${why}` : ''}`;
  }

  /** Which device / command a timeline entry is about (the labels name only the kind of entry). */
  private facts(e: Pick<TimelineEntry, 'type' | 'data'>): string {
    const d = e.data;
    const target = d.target as { deviceId?: unknown; buildingId?: unknown } | undefined;
    const device =
      typeof d.deviceId === 'string'
        ? d.deviceId
        : typeof target?.deviceId === 'string'
          ? target.deviceId
          : typeof target?.buildingId === 'string'
            ? `all cars of ${target.buildingId}`
            : null;
    const parts = [device];
    if (e.type === 'command_sent' && d.data && typeof d.data === 'object') parts.push(JSON.stringify(d.data));
    if (e.type === 'command_result') parts.push(d.expired ? 'expired unanswered' : d.ok ? 'ok' : 'refused');
    if (e.type === 'followup_scheduled' && typeof d.dueAt === 'number') parts.push(`due ${localTime(d.dueAt)}`);
    return parts.filter(Boolean).join(', ');
  }

  // ---- waiting ----

  /** Poll `probe` until it returns something truthy, or null after `timeoutMs`. */
  async until<T>(timeoutMs: number, probe: () => Promise<T | null | undefined | false>, everyMs = 200): Promise<T | null> {
    const end = this.ctx.clock.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v) return v;
      const left = end - this.ctx.clock.now();
      if (left <= 0) return null;
      await this.ctx.wait(Math.min(everyMs, left));
    }
  }

  /**
   * The incident of `kind` the devices just raised: an open one matching `match`, or a new one
   * since the scenario started (it may already be closed). Prints its headline.
   */
  async awaitIncident(
    kind: IncidentKind,
    match: (i: IncidentView) => boolean,
    o: { as?: Who; building?: string; timeoutMs?: number } = {},
  ): Promise<IncidentDetail | null> {
    const s = this.session(o.as ?? 'operator');
    const found = await this.until(o.timeoutMs ?? 10_000, async () => {
      const list = await s.incidents({ kind, state: 'all', limit: 100, ...(o.building ? { building: o.building } : {}) });
      return list.filter((i) => match(i) && (i.open || !this.before.has(i.id))).sort((a, b) => b.openedAt - a.openedAt)[0];
    });
    if (!found) return null;
    const inc = await s.incident(found.id);
    const age = this.before.has(found.id) ? ' (already open before this drill: the hub appends to it)' : '';
    this.ctx.logAs('·', `中心立案 hub opened #${inc.number}`, `${this.headline(inc)}${age}`);
    this.follow(inc);
    return inc;
  }

  /** Re-read the incident and print what the hub did meanwhile. */
  async refresh(inc: Pick<IncidentView, 'id'>, as: Who = 'operator'): Promise<IncidentDetail> {
    const d = await this.session(as).incident(inc.id);
    this.follow(d);
    return d;
  }

  /** Wait until `pred` holds on the incident; returns the incident then, or null on timeout. */
  async waitFor(
    inc: Pick<IncidentView, 'id'>,
    timeoutMs: number,
    pred: (d: IncidentDetail) => boolean,
    as: Who = 'operator',
  ): Promise<IncidentDetail | null> {
    return this.until(timeoutMs, async () => {
      const d = await this.refresh(inc, as);
      return pred(d) ? d : null;
    });
  }

  waitState(inc: Pick<IncidentView, 'id'>, states: string[], timeoutMs: number, as: Who = 'operator'): Promise<IncidentDetail | null> {
    return this.waitFor(inc, timeoutMs, (d) => states.includes(d.state), as);
  }

  // ---- people's steps ----

  /**
   * A person performs `action` on the incident (`POST /api/incidents/:id/actions/:action`).
   * Prints the step with the resulting state and timers; a refusal throws (the drill stops).
   */
  async act(
    inc: Pick<IncidentView, 'id' | 'kind'>,
    action: string,
    payload: Record<string, unknown>,
    o: { as?: Who; note?: string } = {},
  ): Promise<IncidentDetail> {
    const s = this.session(o.as ?? 'operator');
    const label = this.actionLabel(inc.kind, action);
    const r = await s.tryAct(inc.id, action, payload);
    if (!r.ok)
      throw new HubError(
        `${label} by ${s.user.username}: hub refused (${r.status} ${r.code ?? ''}) ${oneLine(r.message)}`,
        r.status === 403 ? 'forbidden' : 'rejected',
        r.status,
        r.code,
      );
    this.done(label, s, r.value, o.note);
    return r.value;
  }

  /** Print a person's step that went through another route (visits, pre-authorisations). */
  done(label: string, s: HubSession, inc: IncidentDetail, note?: string): void {
    this.ctx.logAs('◆', label, `${this.person(s)}${note ? `: ${note}` : ''} → ${this.stateText(inc)} · ${this.timersText(inc)}`);
    this.follow(inc);
  }

  /** An action the procedure must refuse (a rule check): passes when the hub says `status`. */
  async expectRefused(
    inc: Pick<IncidentView, 'id' | 'kind'>,
    action: string,
    payload: Record<string, unknown>,
    status: number[],
    why: string,
    as: Who = 'operator',
  ): Promise<boolean> {
    const s = this.session(as);
    const r = await s.tryAct(inc.id, action, payload);
    const label = this.actionLabel(inc.kind, action);
    return this.ctx.check(
      !r.ok && status.includes(r.status),
      `${why}`,
      r.ok ? `${label} was accepted` : `${label} refused ${r.status}: ${oneLine(r.message)}`,
    );
  }
}
