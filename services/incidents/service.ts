// The incident service: bus ⇄ pure procedures (services/*/machine.ts via core/procedure.ts) ⇄
// PostgreSQL. Every transition — state, steps, timers, timeline, audit, duty log, follow-ups
// and the visit record — is written in ONE transaction; effects that talk to the outside
// (commands, linked incidents, live push) run after it commits.
//
// Mutations are serialised through one queue: routing decisions (dedup, linking) read the
// set of open incidents, and two events must not both decide "nothing open yet".
// Timers are rows, not setTimeouts: the scheduler only wakes up at the earliest dueAt, and
// on start every timer that came due while the hub was down fires once (its row is marked
// fired in the same transaction as the escalation it causes).
import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../prisma/generated/client.js';
import type { IncidentKind, Role } from '../../contracts/domain.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { BusEvents, CommandUpdate, EventBus } from '../core/bus.js';
import type { Db } from '../core/db.js';
import { errors, HubError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import {
  ERROR_STATUS,
  changedRows,
  decide,
  dueTimers,
  nextDueAt,
  open as openIncident,
  planTrigger,
  routeDeviceEvent,
  routeDeviceStatus,
  type Effect,
  type IncidentSnapshot,
  type Input,
  type OpenContext,
  type Result,
  type RoutePlan,
  type Success,
  type Trigger,
} from '../core/procedure.js';
import { DEFAULT_LINK_POLICY, linkGuardInit, onLinkStatus, onLinkTick, type LinkGuard, type LinkPolicy } from '../devices/machine.js';
import type { CommandService } from '../devices/commands.js';
import type { DeviceRegistry } from '../devices/registry.js';
import { visitRecord } from '../visitors/machine.js';
import { snapshotFromRow, toView, type CommandRow } from './views.js';
import { visitView } from '../visitors/views.js';

export interface IncidentUser {
  id: string;
  role: Role;
}

export interface IncidentServiceOptions {
  db: Db;
  bus: EventBus;
  registry: DeviceRegistry;
  commands: CommandService;
  log: Logger;
  now: () => number;
  /** per-kind overrides of configurable targets, e.g. { elevator_entrapment: { contractorArrivalMs: … } } */
  config?: Partial<Record<IncidentKind, Record<string, unknown>>>;
  linkPolicy?: LinkPolicy;
  /** closed incidents stay in memory this long for the flapping guards */
  recentMs?: number;
  /** site time zone for the duty-log day (China Standard Time by default) */
  tzOffsetMinutes?: number;
}

/** YYYY-MM-DD of the duty-log day containing `t`. */
export function dutyDay(t: number, tzOffsetMinutes = 480): string {
  return new Date(t + tzOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

const INCLUDE = { steps: true, timers: true } as const;

export class IncidentService {
  /** open incidents and those closed within `recentMs` */
  private readonly live = new Map<string, IncidentSnapshot>();
  private readonly meta = new Map<string, { number: number; version: number }>();
  private readonly guards = new Map<string, LinkGuard>();
  private queue: Promise<unknown> = Promise.resolve();
  private sincePrune = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly recentMs: number;

  constructor(private readonly o: IncidentServiceOptions) {
    this.now = o.now;
    this.recentMs = o.recentMs ?? 15 * 60_000;
  }

  async start(): Promise<void> {
    const since = new Date(this.now() - this.recentMs);
    const rows = await this.o.db.incident.findMany({ where: { OR: [{ open: true }, { closedAt: { gte: since } }] }, include: INCLUDE });
    for (const r of rows) this.remember(snapshotFromRow(r), r.number, r.version);
    const { bus } = this.o;
    bus.on('device.event', this, (e) => this.enqueue(() => this.onDeviceEvent(e)));
    bus.on('device.status', this, (e) => this.enqueue(() => this.onDeviceStatus(e)));
    bus.on('command.updated', this, (e) => this.enqueue(() => this.onCommand(e)));
    // timers that came due while the hub was down fire now, once
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.bus.removeListeners(this);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue.catch(() => undefined);
  }

  // ------------------------------------------------------------------ queries

  /**
   * Prisma reads an `include` with several SELECTs; outside a transaction they can straddle a
   * concurrent commit (a timeline entry visible, the timer row it came with not yet). One
   * REPEATABLE READ transaction makes every view a single consistent snapshot.
   */
  private snapshotRead<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.o.db.$transaction(fn, { isolationLevel: 'RepeatableRead' });
  }

  async list(
    q: { state: 'open' | 'closed' | 'all'; kind?: IncidentKind; building?: string; limit: number },
    role?: Role,
  ): Promise<IncidentView[]> {
    return this.snapshotRead(async (tx) => {
      const rows = await tx.incident.findMany({
        where: {
          ...(q.state === 'all' ? {} : { open: q.state === 'open' }),
          ...(q.kind ? { kind: q.kind } : {}),
          ...(q.building ? { buildingId: q.building } : {}),
        },
        include: { ...INCLUDE, children: { select: { id: true } } },
        orderBy: q.state === 'open' ? [{ severity: 'desc' }, { openedAt: 'asc' }] : [{ openedAt: 'desc' }],
        take: q.limit,
      });
      const cmds = await this.commandsOf(
        rows.map((r) => r.id),
        tx,
      );
      return rows.map((r) =>
        toView(
          snapshotFromRow(r),
          r.number,
          cmds.get(r.id) ?? [],
          r.children.map((c) => c.id),
          role,
        ),
      );
    });
  }

  async get(id: string, role?: Role): Promise<IncidentDetail> {
    return this.snapshotRead(async (tx) => {
      const r = await tx.incident.findUnique({
        where: { id },
        include: { ...INCLUDE, children: { select: { id: true } }, timeline: { orderBy: { seq: 'asc' } } },
      });
      if (!r) throw errors.notFound(`no incident ${id}`);
      const cmds = await this.commandsOf([id], tx);
      // staff are named on screen and in reports, not shown as ids
      const userIds = new Set<string>();
      for (const st of r.steps) if (st.doneBy?.startsWith('user:')) userIds.add(st.doneBy.slice(5));
      for (const t of r.timeline) if (t.actorType === 'user') userIds.add(t.actor);
      const users = userIds.size
        ? await tx.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, displayName: true } })
        : [];
      return {
        ...toView(
          snapshotFromRow(r),
          r.number,
          cmds.get(id) ?? [],
          r.children.map((c) => c.id),
          role,
        ),
        people: Object.fromEntries(users.map((u) => [`user:${u.id}`, u.displayName])),
        timeline: r.timeline.map((t) => ({
          seq: Number(t.seq),
          at: t.at.getTime(),
          actorType: t.actorType,
          actor: t.actor,
          type: t.type,
          message: t.message,
          data: (t.data ?? {}) as Record<string, unknown>,
        })),
      };
    });
  }

  /** Staff read an owner's or visitor's personal data (seed 000 §2.1.6.2: who, what, why, when). */
  async logPersonalRead(userId: string, subject: string, reason: string): Promise<void> {
    await this.o.db.personalDataAccess.create({ data: { userId, subject, reason } });
  }

  /** The in-memory snapshot (open or recently closed), for services that follow incidents. */
  snapshot(id: string): IncidentSnapshot | undefined {
    return this.live.get(id);
  }

  openSnapshots(): IncidentSnapshot[] {
    return [...this.live.values()].filter((s) => s.open);
  }

  // ------------------------------------------------------------------ commands from people

  /** A person reports an incident (phone call, walk-in registration). */
  report(kind: IncidentKind, buildingId: string, payload: unknown, user: IncidentUser): Promise<IncidentDetail> {
    return this.enqueue(async () => {
      const b = await this.o.db.building.findUnique({ where: { id: buildingId } });
      if (!b) throw errors.badRequest(`no building ${buildingId}`);
      const trigger: Trigger = {
        source: 'manual',
        siteId: b.siteId,
        buildingId,
        actor: user,
        payload,
        context: await this.context(kind, buildingId, payload),
      };
      const plan = planTrigger(kind, trigger, this.inBuilding(buildingId), this.now());
      const id = await this.execute(plan, `user:${user.id}`);
      if (!id) throw errors.conflict('the report was merged into an open incident');
      return this.get(id, user.role);
    });
  }

  act(id: string, action: string, payload: unknown, user: IncidentUser): Promise<IncidentDetail> {
    return this.enqueue(async () => {
      await this.execute({ op: 'decide', incidentId: id, input: { type: 'action', action, actor: user, payload } }, `user:${user.id}`);
      return this.get(id, user.role);
    });
  }

  /** A hub-originated action (`system: true` actions only). */
  system(id: string, action: string, payload: unknown): Promise<void> {
    return this.enqueue(async () => {
      await this.execute({ op: 'decide', incidentId: id, input: { type: 'system', action, payload } }, 'system');
    });
  }

  // ------------------------------------------------------------------ timers

  /** Fire every due timer (and link-guard check) now; then sleep until the next one. */
  async tick(): Promise<void> {
    await this.enqueue(async () => {
      const now = this.now();
      for (const s of [...this.live.values()]) {
        for (const key of dueTimers(s, now)) {
          // re-read: an earlier timer of the same incident may have closed it
          const cur = this.live.get(s.id);
          if (!cur || !dueTimers(cur, now).includes(key)) continue;
          await this.execute({ op: 'decide', incidentId: s.id, input: { type: 'timer', key } }, `timer:${key}`).catch((err) =>
            this.o.log.error({ err, incident: s.id, key }, 'timer transition failed'),
          );
        }
      }
      for (const [deviceId, g] of this.guards) {
        if (g.checkAt === null || g.checkAt > now) continue;
        const r = onLinkTick(g, now);
        this.guards.set(deviceId, r.guard);
        if (r.decision.op === 'open_fault') await this.openLinkFault(deviceId, r.decision.cause, r.decision.since);
      }
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let next: number | null = null;
    for (const s of this.live.values()) {
      const d = nextDueAt(s);
      if (d !== null && (next === null || d < next)) next = d;
    }
    for (const g of this.guards.values()) if (g.checkAt !== null && (next === null || g.checkAt < next)) next = g.checkAt;
    if (next === null) return;
    // capped so a clock jump (NTP, suspended VM) is noticed within a second
    const wait = Math.min(Math.max(0, next - this.now()), 1000);
    this.timer = setTimeout(() => void this.tick().catch((err) => this.o.log.error({ err }, 'tick failed')), wait);
    this.timer.unref();
  }

  // ------------------------------------------------------------------ bus inputs

  private async onDeviceEvent(e: BusEvents['device.event']): Promise<void> {
    const src = {
      siteId: e.device.site,
      buildingId: e.device.building,
      deviceId: e.device.deviceId,
      deviceClass: e.device.class,
      event: e.event,
    };
    const plans = routeDeviceEvent(src, this.inBuilding(e.device.building), this.now());
    for (const plan of plans) {
      if (plan.op === 'open' && plan.trigger.source === 'device') {
        plan.trigger = { ...plan.trigger, context: await this.context(plan.kind, e.device.building, e.event.data) };
      }
      await this.execute(plan, `device:${e.device.deviceId}`).catch((err) =>
        this.o.log.error({ err, event: e.event.type }, 'device event transition failed'),
      );
    }
  }

  private async onDeviceStatus(e: BusEvents['device.status']): Promise<void> {
    const g = this.guards.get(e.device.deviceId) ?? linkGuardInit(e.device.deviceId, e.device.class, e.state !== 'online');
    const r = onLinkStatus(g, e.state, this.now(), this.o.linkPolicy ?? DEFAULT_LINK_POLICY);
    this.guards.set(e.device.deviceId, r.guard);
    if (r.decision.op === 'open_fault') await this.openLinkFault(e.device.deviceId, r.decision.cause, r.decision.since);
    if (r.decision.op === 'check_at') this.schedule();
    for (const plan of routeDeviceStatus(e.device.deviceId, e.state, [...this.live.values()])) {
      await this.execute(plan, `device:${e.device.deviceId}`).catch((err) => this.o.log.error({ err }, 'device status transition failed'));
    }
  }

  private async openLinkFault(deviceId: string, cause: 'offline' | 'flapping', since: number): Promise<void> {
    const d = this.o.registry.get(deviceId);
    if (!d) return;
    const trigger: Trigger = { source: 'link', siteId: d.site, buildingId: d.building, deviceId, deviceClass: d.class, cause, since };
    await this.execute(planTrigger('device_fault', trigger, this.inBuilding(d.building), this.now()), `device:${deviceId}`).catch((err) =>
      this.o.log.error({ err, deviceId }, 'could not open device fault'),
    );
  }

  private async onCommand(u: CommandUpdate): Promise<void> {
    if (!u.incidentId || u.state === 'sent') return;
    if (!this.live.get(u.incidentId)?.open) return;
    const input: Input = {
      type: 'command_result',
      corr: u.corr,
      ok: u.state === 'confirmed',
      deviceId: u.deviceId,
      ...(u.state === 'expired' ? { expired: true } : {}),
      data: u.result ?? {},
    };
    await this.execute({ op: 'decide', incidentId: u.incidentId, input }, `device:${u.deviceId}`).catch((err) =>
      this.o.log.error({ err }, 'command result transition failed'),
    );
  }

  // ------------------------------------------------------------------ the one write path

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Run one plan: decide/open, persist atomically, then perform effects. Returns the incident id. */
  private async execute(plan: RoutePlan, actor: string): Promise<string | null> {
    const now = this.now();
    let prev: IncidentSnapshot | null = null;
    let result: Result;
    if (plan.op === 'open') {
      const id = randomUUID();
      result = openIncident(plan.kind, plan.trigger, now, {
        id,
        parentId: plan.parentId,
        ...(this.o.config?.[plan.kind] ? { config: this.o.config[plan.kind] } : {}),
      });
    } else {
      prev = await this.load(plan.incidentId);
      result = decide(prev, plan.input, now);
    }
    if (!result.ok) throw new HubError(result.code, result.message, ERROR_STATUS[result.code]);
    const action =
      plan.op === 'open'
        ? 'incident.open'
        : plan.input.type === 'action' || plan.input.type === 'system'
          ? `incident.${plan.input.action}`
          : `incident.${plan.input.type}`;
    await this.persist(prev, result, actor, action, now);
    await this.effects(result.next, result.effects);
    this.schedule();
    return result.next.id;
  }

  private async load(id: string): Promise<IncidentSnapshot> {
    const cached = this.live.get(id);
    if (cached) return cached;
    const r = await this.o.db.incident.findUnique({ where: { id }, include: INCLUDE });
    if (!r) throw errors.notFound(`no incident ${id}`);
    const s = snapshotFromRow(r);
    this.meta.set(id, { number: r.number, version: r.version });
    return s;
  }

  private remember(s: IncidentSnapshot, number: number, version: number): void {
    this.meta.set(s.id, { number, version });
    if (this.isLive(s)) this.live.set(s.id, s);
    else this.live.delete(s.id);
    // a hub runs for months: forget incidents closed longer ago than the flapping window
    if (++this.sincePrune >= 100) {
      this.sincePrune = 0;
      for (const [id, x] of this.live) if (!this.isLive(x)) this.live.delete(id);
      for (const id of this.meta.keys()) if (!this.live.has(id)) this.meta.delete(id);
    }
  }

  private isLive(s: IncidentSnapshot): boolean {
    return s.open || (s.closedAt !== null && this.now() - s.closedAt < this.recentMs);
  }

  private async persist(prev: IncidentSnapshot | null, r: Success, actor: string, action: string, now: number): Promise<void> {
    const s = r.next;
    const db = this.o.db;
    const day = dutyDay(now, this.o.tzOffsetMinutes);
    let visit: Awaited<ReturnType<Db['visit']['upsert']>> | null = null;
    const rows = await db.$transaction(async (tx) => {
      let number: number;
      let version: number;
      const incidentData = {
        state: s.state,
        open: s.open,
        severity: s.severity,
        floor: s.floor,
        deviceId: s.deviceId,
        parentId: s.parentId,
        title: s.title,
        data: s.data as Prisma.InputJsonValue,
        closedAt: s.closedAt === null ? null : new Date(s.closedAt),
      };
      if (!prev) {
        const created = await tx.incident.create({
          data: {
            id: s.id,
            kind: s.kind,
            siteId: s.siteId,
            buildingId: s.buildingId,
            dedupKey: s.dedupKey,
            openedAt: new Date(s.openedAt),
            ...incidentData,
            steps: { create: s.steps.map((st) => ({ ...stepRow(st) })) },
            timers: { create: s.timers.map((t) => timerRow(t)) },
          },
        });
        number = created.number;
        version = 0;
      } else {
        const m = this.meta.get(s.id)!;
        // optimistic check: nothing else (another hub process) changed it since we read it
        const u = await tx.incident.updateMany({
          where: { id: s.id, version: m.version },
          data: { ...incidentData, version: { increment: 1 } },
        });
        if (u.count !== 1) throw errors.conflict(`incident ${s.id} was changed concurrently; retry`);
        number = m.number;
        version = m.version + 1;
        const changed = changedRows(prev, s);
        for (const st of changed.steps) {
          await tx.incidentStep.upsert({
            where: { incidentId_key: { incidentId: s.id, key: st.key } },
            create: { incidentId: s.id, ...stepRow(st) },
            update: stepRow(st),
          });
        }
        for (const t of changed.timers) {
          await tx.incidentTimer.upsert({
            where: { incidentId_key: { incidentId: s.id, key: t.key } },
            create: { incidentId: s.id, ...timerRow(t) },
            update: timerRow(t),
          });
        }
      }
      if (r.timeline.length) {
        await tx.timelineEntry.createMany({
          data: r.timeline.map((t) => ({
            incidentId: s.id,
            at: new Date(t.at),
            actorType: t.actorType,
            actor: t.actor,
            type: t.type,
            message: t.message,
            data: t.data as Prisma.InputJsonValue,
          })),
        });
      }
      await tx.auditLog.create({
        data: { actor, action, target: `incident:${s.id}`, data: { kind: s.kind, from: prev?.state ?? null, to: s.state } },
      });
      const duty = r.effects.filter((e): e is Extract<Effect, { type: 'duty_log' }> => e.type === 'duty_log');
      if (duty.length)
        await tx.dutyLogEntry.createMany({ data: duty.map((e) => ({ day, at: new Date(now), actor, incidentId: s.id, text: e.text })) });
      for (const e of r.effects) {
        if (e.type === 'create_followup')
          await tx.followUp.create({ data: { incidentId: e.incidentId, subject: e.subject, dueAt: new Date(e.dueAt) } });
      }
      if (s.kind === 'visitor_approval') {
        const v = visitRecord(s);
        const row = {
          buildingId: v.buildingId,
          unitNumber: v.unitNumber,
          visitorName: v.visitorName,
          idMasked: v.idMasked,
          channel: v.channel,
          state: v.state,
          callId: v.callId,
          intercomId: v.intercomId,
          plannedMinutes: v.plannedMinutes,
          requestedAt: new Date(v.requestedAt),
          decidedAt: v.decidedAt === null ? null : new Date(v.decidedAt),
          approvedBy: v.approvedBy,
          approvalChannel: v.approvalChannel,
          enteredAt: v.enteredAt === null ? null : new Date(v.enteredAt),
          leftAt: v.leftAt === null ? null : new Date(v.leftAt),
          preAuthId: v.preAuthId,
          incidentId: s.id,
        };
        visit = await tx.visit.upsert({ where: { id: s.id }, create: { id: s.id, ...row }, update: { ...row, version: { increment: 1 } } });
        if (v.preAuthId && v.approvedBy?.startsWith('preauth:')) {
          await tx.preAuthorization.updateMany({ where: { id: v.preAuthId, usedAt: null }, data: { usedAt: new Date(now) } });
        }
      }
      return { number, version };
    });
    this.remember(s, rows.number, rows.version);
    const view = toView(s, rows.number, await this.commandsOf([s.id]).then((m) => m.get(s.id) ?? []), []);
    this.o.bus.emit(prev ? 'incident.updated' : 'incident.opened', view);
    if (visit) this.o.bus.emit(prev ? 'visit.updated' : 'visit.requested', visitView(visit, now));
  }

  private async effects(s: IncidentSnapshot, effects: Effect[]): Promise<void> {
    for (const e of effects) {
      try {
        switch (e.type) {
          case 'send_command':
            await this.sendCommand(s, e);
            break;
          case 'open_linked_incident': {
            const trigger = {
              ...e.trigger,
              context:
                e.trigger.context ??
                (await this.context(e.kind, e.trigger.buildingId, e.trigger.source === 'linked' ? e.trigger.payload : {})),
            };
            const plan = planTrigger(e.kind, trigger, this.inBuilding(trigger.buildingId), this.now(), e.parentId);
            // runs inside the current queue turn, after this transition committed
            await this.execute(plan, `incident:${s.id}`);
            break;
          }
          case 'request_elevator_sweep':
            // answered as a system action right after this transition (PROCEDURES.md §3.3)
            await this.execute(
              {
                op: 'decide',
                incidentId: e.incidentId,
                input: { type: 'system', action: 'record_elevator_sweep', payload: { cars: this.sweep(e.buildingIds) } },
              },
              'system',
            );
            break;
          case 'escalate':
            this.o.bus.emit('incident.notify', {
              incidentId: s.id,
              kind: s.kind,
              to: [e.to],
              key: `escalated.${e.reason}`,
              params: e.params,
              at: this.now(),
            });
            break;
          case 'notify':
            this.o.bus.emit('incident.notify', { incidentId: s.id, kind: s.kind, to: e.to, key: e.key, params: e.params, at: this.now() });
            break;
          case 'flag':
            this.o.bus.emit('incident.notify', {
              incidentId: s.id,
              kind: s.kind,
              to: ['operator', 'supervisor'],
              key: `flag.${e.code}`,
              params: { deviceId: e.deviceId, ...e.params },
              at: this.now(),
            });
            break;
          case 'device_service':
            await this.o.registry.setService(e.deviceId, e.inService, e.reason);
            break;
          case 'duty_log':
          case 'create_followup':
          case 'special_report':
            break; // written in the transition's transaction / rendered on request
        }
      } catch (err) {
        this.o.log.error({ err, incident: s.id, effect: e.type }, 'effect failed');
      }
    }
  }

  private async sendCommand(s: IncidentSnapshot, e: Extract<Effect, { type: 'send_command' }>): Promise<void> {
    const targets =
      'deviceId' in e.target
        ? [e.target.deviceId]
        : this.o.registry
            .inBuilding(e.target.buildingId, e.target.deviceClass)
            .map((d) => d.deviceId)
            .sort();
    for (const deviceId of targets) {
      const corr = 'deviceId' in e.target ? e.corr : `${e.corr}.${deviceId}`.slice(0, 64);
      try {
        // the machine's expiresAt is authoritative; send with what is left of it
        await this.o.commands.send(deviceId, e.name, e.data as never, {
          ttlMs: Math.max(1, e.expiresAt - this.now()),
          incidentId: s.id,
          corr,
        });
      } catch (err) {
        // unknown device, bad data: the procedure must see it as a failed command (fail closed)
        this.o.log.warn({ err, deviceId, corr }, 'command not sent');
        await this.execute(
          {
            op: 'decide',
            incidentId: s.id,
            input: { type: 'command_result', corr, ok: false, deviceId, data: { reason: (err as Error).message } },
          },
          'system',
        );
      }
    }
  }

  /** What the hub knows about each car right now (telemetry + open entrapments). */
  private sweep(buildingIds: string[]) {
    const entrapped = new Set(
      this.openSnapshots()
        .filter((s) => s.kind === 'elevator_entrapment' && s.deviceId)
        .map((s) => s.deviceId!),
    );
    return buildingIds.flatMap((b) =>
      this.o.registry.inBuilding(b, 'elevator').map((d) => {
        const t = d.lastTelemetry ?? {};
        const outOfLevel = t.out_of_level === true;
        return {
          deviceId: d.deviceId,
          buildingId: d.building,
          ...(typeof d.meta.car === 'string' ? { car: d.meta.car } : {}),
          ...(typeof t.floor === 'number' ? { floor: t.floor } : {}),
          atLevel: !outOfLevel,
          ...(typeof t.door_open === 'boolean' ? { doorsOpen: t.door_open } : {}),
          entrapment:
            entrapped.has(d.deviceId) || (outOfLevel && t.door_open === false && typeof t.passengers === 'number' && t.passengers > 0),
          ...(typeof t.passengers === 'number' ? { passengers: t.passengers } : {}),
        };
      }),
    );
  }

  /** Facts a procedure needs when it opens (the engine never queries anything itself). */
  private async context(kind: IncidentKind, buildingId: string, payload: unknown): Promise<OpenContext> {
    const b = await this.o.db.building.findUnique({ where: { id: buildingId } });
    const elevators = this.o.registry
      .inBuilding(buildingId, 'elevator')
      .sort((a, c) => a.deviceId.localeCompare(c.deviceId))
      .map((d) => ({
        deviceId: d.deviceId,
        buildingId: d.building,
        name: d.name,
        ...(typeof d.meta.car === 'string' ? { car: d.meta.car } : {}),
      }));
    const ctx: OpenContext = { address: b ? `${b.address || b.name}` : buildingId, lobbyFloor: b?.lobbyFloor ?? 1, elevators };
    if (kind === 'power_outage') {
      const feeder = (payload as { feeder?: unknown } | null)?.feeder;
      const fed = this.o.registry.all().filter((d) => d.class === 'power' && typeof feeder === 'string' && d.meta.feeder === feeder);
      ctx.feederBuildings = [...new Set([buildingId, ...fed.map((d) => d.building)])];
      ctx.elevators = ctx.feederBuildings.flatMap((bid) =>
        this.o.registry.inBuilding(bid, 'elevator').map((d) => ({
          deviceId: d.deviceId,
          buildingId: d.building,
          name: d.name,
          ...(typeof d.meta.car === 'string' ? { car: d.meta.car } : {}),
        })),
      );
      const planned = await this.o.db.plannedOutage.findMany({
        where: { buildingId: { in: ctx.feederBuildings }, cancelled: false, endsAt: { gte: new Date(this.now() - 86_400_000) } },
      });
      ctx.plannedOutages = planned.map((p) => ({
        id: p.id,
        buildingId: p.buildingId,
        feeder: p.feeder,
        startsAt: p.startsAt.getTime(),
        endsAt: p.endsAt.getTime(),
        cancelled: p.cancelled,
      }));
    }
    if (kind === 'visitor_approval') {
      const unit = (payload as { unit?: unknown } | null)?.unit;
      if (typeof unit === 'string') {
        const u = await this.o.db.unit.findUnique({ where: { buildingId_number: { buildingId, number: unit } } });
        if (u) ctx.unitFloor = u.floor;
      }
      const door = this.o.registry.inBuilding(buildingId, 'intercom').sort((a, c) => a.deviceId.localeCompare(c.deviceId))[0];
      if (door) ctx.doorPanelId = door.deviceId;
    }
    return ctx;
  }

  private inBuilding(buildingId: string): IncidentSnapshot[] {
    return [...this.live.values()].filter((s) => s.buildingId === buildingId);
  }

  private async commandsOf(ids: string[], tx: Prisma.TransactionClient = this.o.db): Promise<Map<string, CommandRow[]>> {
    const out = new Map<string, CommandRow[]>();
    if (!ids.length) return out;
    const rows = await tx.deviceCommand.findMany({ where: { incidentId: { in: ids } }, orderBy: { sentAt: 'asc' } });
    for (const r of rows) {
      const list = out.get(r.incidentId!) ?? [];
      list.push(r);
      out.set(r.incidentId!, list);
    }
    return out;
  }
}

function stepRow(st: IncidentSnapshot['steps'][number]) {
  return {
    key: st.key,
    ord: st.ord,
    required: st.required,
    status: st.status,
    doneBy: st.doneBy,
    doneAt: st.doneAt === null ? null : new Date(st.doneAt),
    notes: st.notes,
    data: st.data as Prisma.InputJsonValue,
  };
}

function timerRow(t: IncidentSnapshot['timers'][number]) {
  return {
    key: t.key,
    dueAt: new Date(t.dueAt),
    status: t.status,
    repeatMs: t.repeatMs,
    firedAt: t.firedAt === null ? null : new Date(t.firedAt),
  };
}
