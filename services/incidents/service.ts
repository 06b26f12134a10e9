// The incident service: bus ⇄ pure procedures (the injected engine) ⇄ PostgreSQL. It owns the
// one write path (`execute`): decide or open, persist the transition in one transaction
// (store.ts), then carry out its effects (effects.ts). Every mutation runs through one queue
// (queue.ts); timers are rows that the scheduler (scheduler.ts) wakes the service for. What
// differs per procedure (facts loaded at open, rows of its own, queries, watchers, views)
// comes from its module (module.ts), listed in the composition root.
import { Scope } from '../auth/scope.js';
import { randomUUID } from 'node:crypto';
import type { IncidentKind, OnlineState, Role } from '../../contracts/domain.js';
import type { BulkFaultBody, BulkView, IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { BusEvents, CommandUpdate, EventBus } from '../core/bus.js';
import type { Db } from '../core/db.js';
import { HubError, keyed } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import {
  ERROR_STATUS,
  dueTimers,
  isFailure,
  type Failure,
  type IncidentSnapshot,
  type Input,
  type Json,
  type ProcedureEngine,
  type Result,
  type RoutePlan,
  type Trigger,
} from '../core/procedure/index.js';
import type { CommandService } from '../devices/commands.js';
import type { DeviceRegistry } from '../devices/registry.js';
import { EffectDispatcher } from './effects.js';
import { IncidentHistory } from './history.js';
import type { ProcedureDeps, ProcedureModule, Watcher } from './module.js';
import { SerialQueue } from './queue.js';
import { claimDueTimers, TimerScheduler } from './scheduler.js';
import { INCLUDE, IncidentStore } from './store.js';
import { IncidentViews, PUSH_READER, snapshotFromRow, type Reader } from './views.js';

export { dutyDay } from './store.js';
export type { Reader } from './views.js';

const noIncident = (id: string) => keyed('HUB_ERR_NOT_FOUND', 404, 'engine.error.no_incident', 'no incident {id}', { id });

export interface IncidentUser {
  id: string;
  role: Role;
}

/** Records every read of personal data (who, what, why, when): services/records/access-log.ts. */
export interface PersonalAccessLog {
  record(userId: string, subjects: readonly string[], reason: string): Promise<void>;
}

/**
 * Scale-out (docs/scale-out.md): what the service needs to be one of N instances. Every
 * mutation of a building's incidents (routing, decisions, timers) runs holding that building's
 * cluster-wide lock and starts from the committed state; the open-incident dedup key is also a
 * partial unique index; due timers are claimed with FOR UPDATE SKIP LOCKED.
 */
export interface IncidentCluster {
  instanceId: string;
  /** how long a timer claim holds before another instance may take it over */
  leaseMs: number;
  /** run `fn` holding the named cluster-wide lock */
  lock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** tell the other instances an incident was written (their cached copy is stale) */
  changed(n: { id: string; buildingId: string; version: number }): void;
}

/** How often a conflicting write (another writer got there first) is re-decided from fresh state. */
const CONFLICT_RETRIES = 3;

export interface IncidentServiceOptions {
  /** scale-out: null/absent for the single-process hub */
  cluster?: IncidentCluster | null;
  db: Db;
  bus: EventBus;
  registry: DeviceRegistry;
  commands: CommandService;
  log: Logger;
  now: () => number;
  /** the procedures (composition root: services/hub/procedures.ts) */
  engine: ProcedureEngine<ProcedureModule>;
  /**
   * Per-kind overrides of configurable targets, consulted each time an incident opens (e.g.
   * drills' shorter timers, or settings an administrator stored).
   */
  configFor?: (kind: IncidentKind) => Json | undefined | Promise<Json | undefined>;
  /** every unmasked read of personal data is logged here */
  accessLog?: PersonalAccessLog;
  /** closed incidents stay in memory this long for the flapping guards */
  recentMs?: number;
  /** site time zone for the duty-log day (China Standard Time by default) */
  tzOffsetMinutes?: number;
  /** a stored device event has been routed (services/devices/replay.ts moves its watermark on) */
  routed?: (e: BusEvents['device.event']) => void;
}

export class IncidentService {
  readonly engine: ProcedureEngine<ProcedureModule>;
  readonly views: IncidentViews;
  /** search and export of every incident, closed ones forever (issue 14) */
  readonly history: IncidentHistory;
  private readonly store: IncidentStore;
  private readonly queue = new SerialQueue();
  private readonly scheduler: TimerScheduler;
  private readonly effects: EffectDispatcher;
  private readonly deps: ProcedureDeps;
  private watchers: Watcher[] = [];
  private readonly now: () => number;
  /** scale-out: buildings whose cluster lock the running job holds (the queue runs one job at a time) */
  private readonly held = new Set<string>();

  constructor(private readonly o: IncidentServiceOptions) {
    this.now = o.now;
    this.engine = o.engine;
    this.views = new IncidentViews(o.engine);
    this.history = new IncidentHistory({
      db: o.db,
      engine: o.engine,
      views: this.views,
      accessLog: o.accessLog,
      tzOffsetMinutes: o.tzOffsetMinutes ?? 480,
    });
    this.deps = {
      db: o.db,
      bus: o.bus,
      registry: o.registry,
      log: o.log,
      now: o.now,
      openIncidents: () => this.store.openSnapshots(),
    };
    this.store = new IncidentStore({
      db: o.db,
      procedures: o.engine.registry,
      deps: this.deps,
      now: o.now,
      recentMs: o.recentMs ?? 15 * 60_000,
      tzOffsetMinutes: o.tzOffsetMinutes ?? 480,
    });
    this.scheduler = new TimerScheduler({ now: o.now, nextDue: () => this.nextDue(), wake: () => this.tick(), log: o.log });
    this.effects = new EffectDispatcher({
      bus: o.bus,
      registry: o.registry,
      commands: o.commands,
      procedures: o.engine.registry,
      deps: this.deps,
      log: o.log,
      now: o.now,
      execute: (plan, actor) => this.execute(plan, actor),
      plan: async (e) => {
        const trigger = { ...e.trigger, context: e.trigger.context ?? (await this.context(e.kind, e.trigger)) };
        return this.planned(this.engine.planTrigger(e.kind, trigger, this.store.inBuilding(trigger.buildingId), this.now(), e.parentId));
      },
    });
  }

  async start(): Promise<void> {
    await this.store.start();
    const api = {
      deps: this.deps,
      trigger: async (kind: IncidentKind, trigger: Trigger) => {
        await this.locked(trigger.buildingId, () =>
          this.execute(
            this.planned(this.engine.planTrigger(kind, trigger, this.store.inBuilding(trigger.buildingId), this.now())),
            `device:${'deviceId' in trigger ? trigger.deviceId : 'hub'}`,
          ),
        );
      },
      status: async (deviceId: string, state: OnlineState) => {
        for (const plan of this.engine.routeDeviceStatus(deviceId, state, this.store.following(deviceId)))
          await this.execute(plan, `device:${deviceId}`).catch((err: unknown) =>
            this.o.log.error({ err, deviceId }, 'device health transition failed'),
          );
      },
      system: async (id: string, action: string, payload: unknown) => {
        await this.lockedIncident(id, () =>
          this.execute({ op: 'decide', incidentId: id, input: { type: 'system', action, payload } }, 'system'),
        );
      },
      reschedule: () => this.scheduler.schedule(),
    };
    this.watchers = this.engine.registry.all().flatMap((m) => m.watchers?.(api) ?? []);
    const { bus } = this.o;
    bus.on('device.event', this, (e) => this.routeStored(e));
    // link status in the bulk lane: an outage's thousands of them never hold up an event (queue.ts)
    bus.on('device.status', this, (e) => {
      const at = performance.now();
      return this.queue.run(() => this.onDeviceStatusShared(e, at), 'bulk');
    });
    bus.on('command.updated', this, (e) => this.queue.run(() => this.onCommand(e)));
    // timers that came due while the hub was down fire now, once
    await this.tick();
  }

  /** Resolves once every mutation queued so far has run (benchmarks: bench/incident-storm.ts). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    this.o.bus.removeListeners(this);
    await this.queue.idle();
  }

  // ------------------------------------------------------------------ scale-out

  /**
   * Run a job on a building's incidents. Single process: the queue already serialises. Scale-out:
   * holding the building's cluster-wide lock, after re-reading what other instances committed —
   * so two instances never both decide "nothing open yet", and no decision starts from a stale
   * copy. Jobs nest (an effect opening a linked incident) without re-locking.
   */
  private async locked<T>(buildingId: string, fn: () => Promise<T>): Promise<T> {
    const c = this.o.cluster;
    if (!c || this.held.has(buildingId)) return fn();
    return c.lock(`incidents:${buildingId}`, async () => {
      this.held.add(buildingId);
      try {
        await this.store.refreshBuilding(buildingId);
        return await fn();
      } finally {
        this.held.delete(buildingId);
      }
    });
  }

  /** The building an incident belongs to (for its lock). */
  private async buildingOf(id: string): Promise<string | null> {
    const s = this.store.snapshot(id);
    if (s) return s.buildingId;
    const r = await this.o.db.incident.findUnique({ where: { id }, select: { buildingId: true } });
    return r?.buildingId ?? null;
  }

  private async lockedIncident<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (!this.o.cluster) return fn();
    const b = await this.buildingOf(id);
    return b === null ? fn() : this.locked(b, fn);
  }

  /** Scale-out: another instance wrote an incident; refresh the cached copy (readers outside a job see it). */
  remoteChanged(n: { id: string; version: number }): void {
    void this.store.reload(n.id, n.version).catch((err: unknown) => this.o.log.warn({ err, incident: n.id }, 'incident refresh failed'));
  }

  // ------------------------------------------------------------------ queries

  async list(
    q: { state: 'open' | 'closed' | 'all'; kind?: IncidentKind; building?: string; limit: number },
    reader: Reader = PUSH_READER,
  ): Promise<IncidentView[]> {
    const views = await this.store.snapshotRead(async (tx) => {
      const rows = await tx.incident.findMany({
        where: {
          ...(q.state === 'all' ? {} : { open: q.state === 'open' }),
          ...(q.kind ? { kind: q.kind } : {}),
          ...(reader.scope ?? Scope.ALL).whereRequested('buildingId', q.building),
        },
        include: { ...INCLUDE, children: { select: { id: true } } },
        orderBy: q.state === 'open' ? [{ severity: 'desc' }, { openedAt: 'asc' }] : [{ openedAt: 'desc' }],
        take: q.limit,
      });
      const cmds = await this.store.commandsOf(
        rows.map((r) => r.id),
        tx,
      );
      return rows
        .filter((r) => this.engine.registry.has(r.kind))
        .map((r) =>
          this.views.toView(
            snapshotFromRow(r),
            r.number,
            cmds.get(r.id) ?? [],
            r.children.map((c) => c.id),
            reader,
          ),
        );
    });
    await this.logPersonal(views, reader);
    return views;
  }

  async get(id: string, reader: Reader = PUSH_READER): Promise<IncidentDetail> {
    const detail = await this.store.snapshotRead(async (tx) => {
      const r = await tx.incident.findUnique({
        where: { id },
        include: { ...INCLUDE, children: { select: { id: true } }, timeline: { orderBy: { seq: 'asc' } } },
      });
      // another building's incident is "not found" too: a scoped user cannot probe its ids
      if (!r || !this.engine.registry.has(r.kind) || !(reader.scope ?? Scope.ALL).allows(r.buildingId)) throw noIncident(id);
      const cmds = await this.store.commandsOf([id], tx);
      // staff are named on screen and in reports, not shown as ids
      const userIds = new Set<string>();
      for (const st of r.steps) if (st.doneBy?.startsWith('user:')) userIds.add(st.doneBy.slice(5));
      for (const t of r.timeline) if (t.actorType === 'user') userIds.add(t.actor);
      const users = userIds.size
        ? await tx.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, displayName: true } })
        : [];
      const s = snapshotFromRow(r);
      return {
        ...this.views.toView(
          s,
          r.number,
          cmds.get(id) ?? [],
          r.children.map((c) => c.id),
          reader,
        ),
        people: Object.fromEntries(users.map((u) => [`user:${u.id}`, u.displayName])),
        timeline: this.views.timeline(s.kind, r.timeline, reader),
      };
    });
    await this.logPersonal([detail], reader);
    return detail;
  }

  /**
   * Seed 000 §2.1.6.2 / PROCEDURES.md "Privacy": every read of a person's record by staff is
   * logged with who, why and when — one row per record read, for lists too.
   */
  private async logPersonal(views: Array<Pick<IncidentView, 'id' | 'kind' | 'masked'>>, reader: Reader): Promise<void> {
    if (!reader.userId || !this.o.accessLog) return;
    const subjects = views
      .filter((v) => !v.masked)
      .flatMap((v) => {
        const p = this.engine.registry.get(v.kind).personal;
        return p ? [p.subject(v.id)] : [];
      });
    if (subjects.length) await this.o.accessLog.record(reader.userId, subjects, reader.reason ?? 'incident view');
  }

  /** The in-memory snapshot (open or recently closed), for services that follow incidents. */
  snapshot(id: string): IncidentSnapshot | undefined {
    return this.store.snapshot(id);
  }

  openSnapshots(): IncidentSnapshot[] {
    return this.store.openSnapshots();
  }

  // ------------------------------------------------------------------ commands from people

  /** A person reports an incident (phone call, walk-in registration). */
  report(kind: IncidentKind, buildingId: string, payload: unknown, user: IncidentUser, reader?: Reader): Promise<IncidentDetail> {
    return this.queue.run(async () => {
      if (!this.engine.registry.has(kind))
        throw keyed('HUB_ERR_BAD_REQUEST', 400, 'engine.error.unknown_kind', 'no procedure for kind {kind}', { kind });
      const b = await this.o.db.building.findUnique({ where: { id: buildingId } });
      if (!b || !(reader?.scope ?? Scope.ALL).allows(buildingId))
        throw keyed('HUB_ERR_BAD_REQUEST', 400, 'engine.error.no_building', 'no building {building}', { building: buildingId });
      const base: Trigger = { source: 'manual', siteId: b.siteId, buildingId, actor: user, payload };
      const id = await this.locked(buildingId, async () => {
        // the reporter's role is checked before routing: a report merged into an open incident too
        const plan = this.planned(this.engine.planTrigger(kind, base, this.store.inBuilding(buildingId), this.now()));
        if (plan.op === 'open') plan.trigger = { ...plan.trigger, context: await this.context(kind, plan.trigger) };
        return this.execute(plan, `user:${user.id}`);
      });
      if (!id) throw keyed('HUB_ERR_CONFLICT', 409, 'engine.error.merged', 'the report was merged into an open incident');
      return this.get(id, reader ?? { userId: user.id, role: user.role, locale: 'zh-CN', reason: `report ${kind}` });
    });
  }

  act(id: string, action: string, payload: unknown, user: IncidentUser, reader?: Reader): Promise<IncidentDetail> {
    return this.queue.run(async () => {
      await this.checkScope(id, reader?.scope);
      await this.lockedIncident(id, () =>
        this.execute({ op: 'decide', incidentId: id, input: { type: 'action', action, actor: user, payload } }, `user:${user.id}`),
      );
      return this.get(id, reader ?? { userId: user.id, role: user.role, locale: 'zh-CN', reason: `action ${action}` });
    });
  }

  /**
   * Acknowledge or close many device faults with one reason (issue 14). Each id goes through
   * the normal action path (`act`: role, state, timeline, audit row, duty log) one after the
   * other; a refusal of one is reported for that id and the others carry on. The procedure's
   * rules stay whole: `close` needs an acknowledged fault whose required steps are done (or
   * that recovered by itself, services/devices/machine.ts) — others are refused for their id.
   */
  async bulk(body: BulkFaultBody, user: IncidentUser, reader: Reader): Promise<BulkView> {
    const results: BulkView['results'] = [];
    for (const id of body.ids) {
      try {
        await this.checkScope(id, reader.scope);
        const kind =
          this.store.snapshot(id)?.kind ?? (await this.o.db.incident.findUnique({ where: { id }, select: { kind: true } }))?.kind;
        if (!kind) throw noIncident(id);
        if (kind !== 'device_fault')
          throw keyed('HUB_ERR_BAD_REQUEST', 400, 'engine.error.bulk_faults_only', 'bulk actions are for device faults only', {});
        const d =
          body.action === 'close'
            ? await this.act(id, 'close', { resolution: body.reason }, user, reader)
            : await this.act(id, 'acknowledge', { notes: body.reason }, user, reader);
        results.push({ id, ok: true, state: d.state });
      } catch (err) {
        if (!(err instanceof HubError)) throw err;
        const state = this.store.snapshot(id)?.state ?? null;
        results.push({
          id,
          ok: false,
          state: err.statusCode === 404 ? null : state,
          code: err.code,
          message: err.msg ? this.engine.catalog.render(err.msg, reader.locale) : err.message,
        });
      }
    }
    return { results, done: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length };
  }

  /**
   * Refuse an action on another building's incident before anything is decided: 404, as for an
   * id that does not exist (services/auth/scope.ts). Open incidents are in memory; closed ones read.
   */
  async checkScope(id: string, scope: Scope | undefined): Promise<void> {
    if (!scope?.limited) return;
    const building =
      this.store.snapshot(id)?.buildingId ??
      (await this.o.db.incident.findUnique({ where: { id }, select: { buildingId: true } }))?.buildingId;
    scope.check(building, () => noIncident(id));
  }

  /** A hub-originated action (`system: true` actions only). */
  system(id: string, action: string, payload: unknown): Promise<void> {
    return this.queue.run(async () => {
      await this.lockedIncident(id, () =>
        this.execute({ op: 'decide', incidentId: id, input: { type: 'system', action, payload } }, 'system'),
      );
    });
  }

  // ------------------------------------------------------------------ timers

  /**
   * Fire every due timer (and watcher check) now; then sleep until the next one. At most one
   * tick waits in the queue: every transition re-plans the scheduler, and while something is
   * due each re-plan fires at once — an outage's link faults, opened a chunk per tick
   * (link-watcher.ts TICK_MAX), queued hundreds of ticks ahead of an entrapment reported
   * meanwhile (bench:incidents: 15 s). The one waiting tick does the work of all of them.
   */
  private tickWaiting: Promise<void> | null = null;
  tick(): Promise<void> {
    return (this.tickWaiting ??= this.runTick());
  }

  private async runTick(): Promise<void> {
    await this.queue.run(async () => {
      this.tickWaiting = null; // running now: a re-plan from here on queues the next one
      const now = this.now();
      if (this.o.cluster) await this.fireClaimed(now);
      else
        // only the incidents with a timer due (live-index.ts), not every live one
        for (const id of this.store.takeDue(now)) {
          const s = this.store.snapshot(id);
          for (const key of s ? dueTimers(s, now) : []) {
            // re-read: an earlier timer of the same incident may have closed it
            const cur = this.store.snapshot(id);
            if (!cur || !dueTimers(cur, now).includes(key)) continue;
            await this.execute({ op: 'decide', incidentId: id, input: { type: 'timer', key } }, `timer:${key}`).catch((err: unknown) =>
              this.o.log.error({ err, incident: id, key }, 'timer transition failed'),
            );
          }
          // its next timer (or, when a firing failed, the same one again at the next tick)
          this.store.retime(id);
        }
      for (const w of this.watchers) {
        const at = w.nextCheckAt();
        if (at !== null && at <= now) await w.tick(now);
      }
    });
    this.scheduler.schedule();
  }

  /** Scale-out: fire the due timers this instance claimed (scheduler.ts claimDueTimers). */
  private async fireClaimed(now: number): Promise<void> {
    const c = this.o.cluster!;
    let claimed: Awaited<ReturnType<typeof claimDueTimers>> = [];
    try {
      claimed = await claimDueTimers(this.o.db, c.instanceId, now, c.leaseMs);
    } catch (err) {
      this.o.log.warn({ err }, 'claiming due timers failed; retrying at the next tick');
      return;
    }
    for (const t of claimed) {
      await this.locked(t.buildingId, async () => {
        // from the committed state: another instance may have fired or cancelled it meanwhile
        const cur = this.store.snapshot(t.incidentId) ?? (await this.store.reload(t.incidentId));
        if (!cur || !dueTimers(cur, this.now()).includes(t.key)) return;
        await this.execute({ op: 'decide', incidentId: t.incidentId, input: { type: 'timer', key: t.key } }, `timer:${t.key}`);
      }).catch((err: unknown) => this.o.log.error({ err, incident: t.incidentId, key: t.key }, 'timer transition failed'));
    }
  }

  private nextDue(): number | null {
    let next: number | null = null;
    const take = (d: number | null) => {
      if (d !== null && (next === null || d < next)) next = d;
    };
    take(this.store.nextDueAt());
    for (const w of this.watchers) take(w.nextCheckAt());
    // scale-out: other instances' incidents have timers too; poll the claim (the scheduler wakes at least every second)
    if (this.o.cluster) take(this.now() + 1000);
    return next;
  }

  // ------------------------------------------------------------------ bus inputs

  private eventSource(e: BusEvents['device.event']) {
    return {
      siteId: e.device.site,
      buildingId: e.device.building,
      deviceId: e.device.deviceId,
      deviceClass: e.device.class,
      event: e.event,
    };
  }

  /**
   * Route a stored device event (from the bus, or replayed: services/devices/replay.ts); it
   * counts as routed only once it has been decided, so an event whose routing failed is
   * replayed later rather than lost.
   */
  async routeStored(e: BusEvents['device.event']): Promise<void> {
    // One process, nothing queued: most device events change nothing (a car reporting its
    // floor), and the engine's answer is pure over the store, which only queued jobs change —
    // so with the queue empty, the job this would queue decides exactly what is decided here.
    // Such an event is done without the queue (its promises and job were ≈ 20 % of what the
    // hub allocated per event at the QoS1 ceiling, issue 12). Behind a queued job it waits its
    // turn as before: that job may open the incident it belongs to.
    if (!this.o.cluster && !this.queue.busy) {
      if (this.plansFor(e).length === 0) return this.o.routed?.(e);
    }
    const at = performance.now();
    await this.queue.run(() => this.onDeviceEventShared(e, at));
    this.o.routed?.(e);
  }

  /**
   * Scale-out: most device events change nothing (a car reporting its floor). Routed first on
   * the committed state read without the lock — one small query, no contention — and only an
   * event that does something takes the building's lock, where it is routed again from the
   * state as of the lock. Locking every event serialised a busy building's whole event stream
   * across instances (measured: the rolling-restart test's queue fell minutes behind). The
   * committed state is the one read no earlier than the event was queued (`freshBuilding`): a
   * burst's events queued before one re-read began share it, where each used to read the
   * building again (Prisma ≈ 0.21 ms of the hub's thread per event, BENCHMARKS.md "bench:scale").
   */
  private async onDeviceEventShared(e: BusEvents['device.event'], queuedAt: number): Promise<void> {
    // one process: the queue already serialises, no lock to take (and no promise per event for it)
    if (!this.o.cluster) return this.onDeviceEvent(e);
    await this.freshBuilding(e.device.building, queuedAt);
    if (!this.plansFor(e).length) return;
    await this.locked(e.device.building, () => this.onDeviceEvent(e));
  }

  /** What this event does to its building's incidents, decided on the store as it is now (pure). */
  private plansFor(e: BusEvents['device.event']): RoutePlan[] {
    return this.engine.routeDeviceEvent(this.eventSource(e), this.store.inBuilding(e.device.building), this.now());
  }

  private async onDeviceEvent(e: BusEvents['device.event']): Promise<void> {
    for (const plan of this.plansFor(e)) {
      if (plan.op === 'open') plan.trigger = { ...plan.trigger, context: await this.context(plan.kind, plan.trigger) };
      await this.execute(plan, `device:${e.device.deviceId}`).catch((err: unknown) =>
        this.o.log.error({ err, event: e.event.type }, 'device event transition failed'),
      );
    }
  }

  /**
   * A device went on- or offline. The watchers first (the link guard keeps its state in Redis in
   * scale-out; a fault it opens takes the building's lock through `trigger`). Scale-out: like an
   * event, a status usually changes no incident, so it is routed first on the committed state
   * read without the lock, and only one that does something takes the lock and is routed again.
   * Locking every status serialised a connect storm's or a mass drop's statuses — one advisory
   * lock and a re-read per status, all of one building's across every instance — for tens of
   * seconds after the devices had settled (bench:storm, hub-cluster: 35 s after 15,000 connects
   * on two instances; 50,000 on four outlived the instances' 30-s stop).
   */
  private async onDeviceStatusShared(e: BusEvents['device.status'], queuedAt: number): Promise<void> {
    for (const w of this.watchers) await w.onStatus?.(e);
    if (this.o.cluster) {
      await this.freshBuilding(e.device.building, queuedAt);
      if (!this.engine.routeDeviceStatus(e.device.deviceId, e.state, this.store.following(e.device.deviceId)).length) return;
    }
    await this.locked(e.device.building, () => this.onDeviceStatus(e));
  }

  /** building id → when its last lock-free re-read started (performance.now()) */
  private readonly refreshedAt = new Map<string, number>();

  /**
   * The building's incidents as committed no earlier than `after`: re-read unless a re-read
   * started since. A storm's thousands of statuses or a burst's events, queued before one re-read
   * began, share it instead of each reading the building again; the cache between re-reads
   * follows the other instances' `incident.changed` notices and this instance's own writes.
   */
  private async freshBuilding(buildingId: string, after: number): Promise<void> {
    if ((this.refreshedAt.get(buildingId) ?? -Infinity) >= after) return;
    const started = performance.now();
    await this.store.refreshBuilding(buildingId);
    this.refreshedAt.set(buildingId, started);
  }

  private async onDeviceStatus(e: BusEvents['device.status']): Promise<void> {
    // only the incidents that follow this device (live-index.ts), not every open one
    for (const plan of this.engine.routeDeviceStatus(e.device.deviceId, e.state, this.store.following(e.device.deviceId))) {
      await this.execute(plan, `device:${e.device.deviceId}`).catch((err: unknown) =>
        this.o.log.error({ err }, 'device status transition failed'),
      );
    }
  }

  private async onCommand(u: CommandUpdate): Promise<void> {
    if (!u.incidentId || u.state === 'sent') return;
    const incidentId = u.incidentId;
    await this.lockedIncident(incidentId, () => this.onCommandLocked({ ...u, incidentId }));
  }

  private async onCommandLocked(u: CommandUpdate & { incidentId: string }): Promise<void> {
    if (!this.store.snapshot(u.incidentId)?.open) return;
    const input: Input = {
      type: 'command_result',
      corr: u.corr,
      ok: u.state === 'confirmed',
      deviceId: u.deviceId,
      ...(u.state === 'expired' ? { expired: true } : {}),
      data: u.result ?? {},
    };
    await this.execute({ op: 'decide', incidentId: u.incidentId, input }, `device:${u.deviceId}`).catch((err: unknown) =>
      this.o.log.error({ err }, 'command result transition failed'),
    );
  }

  // ------------------------------------------------------------------ the one write path

  /** A refusal as the coded error the API returns (its message rendered per reader later). */
  private refused(f: Failure): HubError {
    return new HubError(f.code, f.message, ERROR_STATUS[f.code], f.msg);
  }

  private planned(p: RoutePlan | Failure): RoutePlan {
    if (isFailure(p)) throw this.refused(p);
    return p;
  }

  /** Facts a procedure needs when it opens (its module's loader; the engine queries nothing). */
  private async context(kind: IncidentKind, trigger: Trigger): Promise<unknown> {
    const load = this.engine.registry.get(kind).context;
    return load ? load(this.deps, { buildingId: trigger.buildingId, trigger }) : undefined;
  }

  /**
   * Run one plan, re-deciding from fresh state when the write conflicts: another writer
   * committed first (optimistic version check), or — scale-out — opened the same dedup key
   * (partial unique index). The cached copy is re-read, never left stale.
   */
  private async execute(plan: RoutePlan, actor: string): Promise<string | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.executeOnce(plan, actor);
      } catch (err) {
        if (attempt >= CONFLICT_RETRIES) throw err;
        // only the store's optimistic version check — a procedure's own refusal (also a 409) is final
        if (plan.op === 'decide' && err instanceof HubError && err.msg?.key === 'engine.error.changed_concurrently') {
          this.o.log.info({ incident: plan.incidentId }, 'incident changed concurrently: deciding again from the committed state');
          this.store.forget(plan.incidentId);
          await this.store.reload(plan.incidentId);
          continue;
        }
        if (plan.op === 'open' && (err as { code?: unknown }).code === 'P2002') {
          // someone else opened this (kind, dedupKey) first: route the trigger again — it merges
          this.o.log.info({ kind: plan.kind, dedupKey: plan.dedupKey }, 'open incident with this dedup key exists: merging');
          await this.store.refreshBuilding(plan.trigger.buildingId);
          plan = this.planned(
            this.engine.planTrigger(plan.kind, plan.trigger, this.store.inBuilding(plan.trigger.buildingId), this.now(), plan.parentId),
          );
          continue;
        }
        throw err;
      }
    }
  }

  /** Decide/open, persist atomically, then perform effects. Returns the incident id. */
  private async executeOnce(plan: RoutePlan, actor: string): Promise<string | null> {
    const now = this.now();
    let prev: IncidentSnapshot | null = null;
    let result: Result;
    if (plan.op === 'open') {
      if (this.engine.registry.get(plan.kind).suppressOpen?.(this.deps, plan.trigger)) {
        this.o.log.info({ kind: plan.kind, deviceId: 'deviceId' in plan.trigger ? plan.trigger.deviceId : null }, 'not opened: suppressed');
        return null;
      }
      const config = await this.o.configFor?.(plan.kind);
      result = this.engine.open(plan.kind, plan.trigger, now, { id: randomUUID(), parentId: plan.parentId, ...(config ? { config } : {}) });
    } else {
      prev = await this.store.load(plan.incidentId);
      result = this.engine.decide(prev, plan.input, now);
    }
    if (!result.ok) throw this.refused(result);
    const action =
      plan.op === 'open'
        ? 'incident.open'
        : plan.input.type === 'action' || plan.input.type === 'system'
          ? `incident.${plan.input.action}`
          : `incident.${plan.input.type}`;
    const s = result.next;
    const { number, after } = await this.store.persist(prev, result, actor, action, now);
    this.o.cluster?.changed({ id: s.id, buildingId: s.buildingId, version: this.store.version(s.id) ?? 0 });
    const cmds = (await this.store.commandsOf([s.id])).get(s.id) ?? [];
    this.o.bus.emit(prev ? 'incident.updated' : 'incident.opened', this.views.toView(s, number, cmds, [], PUSH_READER));
    for (const f of after) f();
    await this.effects.run(s, result.effects);
    this.scheduler.schedule();
    return s.id;
  }
}
