// Persistence of incidents: the in-memory set of live snapshots (open, or closed within the
// flapping window) and the ONE transaction per transition — incident row (optimistic version
// check), changed steps and timers, timeline, audit, duty log, follow-ups, and the rows the
// procedure keeps of its own (ProcedureModule.persist, e.g. the Visit row).
import type { Prisma } from '../../prisma/generated/client.js';
import type { Db } from '../core/db.js';
import { keyed } from '../core/errors.js';
import { changedRows, type Effect, type IncidentSnapshot, type ProcedureRegistry, type Success } from '../core/procedure/index.js';
import { LiveSnapshots } from './live-index.js';
import type { ProcedureDeps, ProcedureModule } from './module.js';
import { snapshotFromRow, timelineRow, type CommandRow } from './views.js';

export const INCLUDE = { steps: true, timers: true } as const;

/** YYYY-MM-DD of the duty-log day containing `t`. */
export function dutyDay(t: number, tzOffsetMinutes = 480): string {
  return new Date(t + tzOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

export interface IncidentStoreOptions {
  db: Db;
  procedures: ProcedureRegistry<ProcedureModule>;
  deps: ProcedureDeps;
  now: () => number;
  /** closed incidents stay in memory this long for the flapping guards */
  recentMs: number;
  /** site time zone for the duty-log day */
  tzOffsetMinutes: number;
}

export class IncidentStore {
  /** open incidents and those closed within `recentMs`, indexed (live-index.ts) */
  private readonly live = new LiveSnapshots();
  private readonly meta = new Map<string, { number: number; version: number }>();
  private sincePrune = 0;

  constructor(private readonly o: IncidentStoreOptions) {}

  /** Load what is live at start (open incidents, recently closed ones). */
  async start(): Promise<void> {
    const since = new Date(this.o.now() - this.o.recentMs);
    const rows = await this.o.db.incident.findMany({ where: { OR: [{ open: true }, { closedAt: { gte: since } }] }, include: INCLUDE });
    for (const r of rows) this.remember(snapshotFromRow(r), r.number, r.version);
  }

  snapshot(id: string): IncidentSnapshot | undefined {
    return this.live.get(id);
  }

  liveSnapshots(): IncidentSnapshot[] {
    return this.live.values(); // already a copy (live-index.ts)
  }

  openSnapshots(): IncidentSnapshot[] {
    return this.liveSnapshots().filter((s) => s.open);
  }

  inBuilding(buildingId: string): IncidentSnapshot[] {
    return this.live.inBuilding(buildingId);
  }

  /** The open incidents that follow this device's status (ProcedureDef.wantsStatus: their `deviceId`). */
  following(deviceId: string): IncidentSnapshot[] {
    return this.live.following(deviceId);
  }

  /** The earliest running timer of any live incident (null: none). */
  nextDueAt(): number | null {
    return this.live.nextDueAt();
  }

  /** Ids of the incidents with a timer due at `now` (live-index.ts takeDue; `retime` each after). */
  takeDue(now: number): string[] {
    return this.live.takeDue(now);
  }

  retime(id: string): void {
    this.live.retime(id);
  }

  number(id: string): number | undefined {
    return this.meta.get(id)?.number;
  }

  version(id: string): number | undefined {
    return this.meta.get(id)?.version;
  }

  /**
   * Scale-out: bring the building's live incidents up to date with PostgreSQL (other instances
   * write them). Called holding the building's cluster lock, before routing or deciding, so
   * every decision starts from the committed state: one query for (id, version), then only the
   * changed incidents are read.
   */
  async refreshBuilding(buildingId: string): Promise<void> {
    const since = new Date(this.o.now() - this.o.recentMs);
    const rows = await this.o.db.incident.findMany({
      where: { buildingId, OR: [{ open: true }, { closedAt: { gte: since } }] },
      select: { id: true, version: true },
    });
    const stale = rows.filter((r) => !this.live.has(r.id) || this.meta.get(r.id)?.version !== r.version).map((r) => r.id);
    if (stale.length) {
      for (const r of await this.o.db.incident.findMany({ where: { id: { in: stale } }, include: INCLUDE })) {
        this.remember(snapshotFromRow(r), r.number, r.version);
      }
    }
    const ids = new Set(rows.map((r) => r.id));
    for (const x of this.live.inBuilding(buildingId)) if (!ids.has(x.id)) this.live.delete(x.id);
  }

  /**
   * Re-read one incident (a version conflict: someone else committed a newer one; or a notice
   * from another instance). Never goes back to an older version than the one cached.
   */
  async reload(id: string, minVersion = -1): Promise<IncidentSnapshot | undefined> {
    const r = await this.o.db.incident.findUnique({ where: { id }, include: INCLUDE });
    if (!r) return undefined;
    const m = this.meta.get(id);
    if (r.version < minVersion || (m && m.version > r.version)) return this.live.get(id);
    this.remember(snapshotFromRow(r), r.number, r.version);
    return snapshotFromRow(r);
  }

  /** Forget the cached copy (the next load reads PostgreSQL). */
  forget(id: string): void {
    this.live.delete(id);
    this.meta.delete(id);
  }

  async load(id: string): Promise<IncidentSnapshot> {
    const cached = this.live.get(id);
    if (cached) return cached;
    const r = await this.o.db.incident.findUnique({ where: { id }, include: INCLUDE });
    if (!r) throw keyed('HUB_ERR_NOT_FOUND', 404, 'engine.error.no_incident', 'no incident {id}', { id });
    this.meta.set(id, { number: r.number, version: r.version });
    return snapshotFromRow(r);
  }

  private remember(s: IncidentSnapshot, number: number, version: number): void {
    this.meta.set(s.id, { number, version });
    if (this.isLive(s)) this.live.set(s);
    else this.live.delete(s.id);
    // a hub runs for months: forget incidents closed longer ago than the flapping window
    if (++this.sincePrune >= 100) {
      this.sincePrune = 0;
      for (const x of this.live.values()) if (!this.isLive(x)) this.live.delete(x.id);
      for (const id of this.meta.keys()) if (!this.live.has(id)) this.meta.delete(id);
    }
  }

  private isLive(s: IncidentSnapshot): boolean {
    return s.open || (s.closedAt !== null && this.o.now() - s.closedAt < this.o.recentMs);
  }

  /**
   * Write one transition atomically. Returns the incident's number and what to run after the
   * commit (the procedure's own post-commit work, e.g. the visit push).
   */
  async persist(
    prev: IncidentSnapshot | null,
    r: Success,
    actor: string,
    action: string,
    now: number,
  ): Promise<{ number: number; after: Array<() => void> }> {
    const s = r.next;
    const mod = this.o.procedures.get(s.kind);
    const day = dutyDay(now, this.o.tzOffsetMinutes);
    const after: Array<() => void> = [];
    const rows = await this.o.db.$transaction(async (tx) => {
      let number: number;
      let version: number;
      const incidentData = {
        state: s.state,
        open: s.open,
        // the one incident repeats of (kind, dedupKey) merge into: unique per building among
        // live ones (partial unique index "Incident_live_dedup_key"), whichever instance writes
        dedupLive: s.open && s.dedupKey !== null && (mod.definition.dedupMatches ? mod.definition.dedupMatches(s, s.data as never) : true),
        severity: s.severity,
        floor: s.floor,
        deviceId: s.deviceId,
        parentId: s.parentId,
        title: s.title as unknown as Prisma.InputJsonValue,
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
            steps: { create: s.steps.map((st) => stepRow(st)) },
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
        if (u.count !== 1)
          throw keyed('HUB_ERR_CONFLICT', 409, 'engine.error.changed_concurrently', 'incident {id} was changed concurrently; retry', {
            id: s.id,
          });
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
          data: r.timeline.map((t) => {
            const row = timelineRow(s.id, t);
            return { ...row, reasonParams: row.reasonParams ?? undefined };
          }),
        });
      }
      await tx.auditLog.create({
        data: { actor, action, target: `incident:${s.id}`, data: { kind: s.kind, from: prev?.state ?? null, to: s.state } },
      });
      const duty = r.effects.filter((e): e is Extract<Effect, { type: 'duty_log' }> => e.type === 'duty_log');
      if (duty.length) {
        await tx.dutyLogEntry.createMany({
          data: duty.map((e) => ({
            day,
            at: new Date(now),
            actor,
            incidentId: s.id,
            key: e.key,
            params: e.params as Prisma.InputJsonValue,
          })),
        });
      }
      for (const e of r.effects) {
        if (e.type === 'create_followup')
          await tx.followUp.create({
            data: { incidentId: e.incidentId, subject: e.subject as unknown as Prisma.InputJsonValue, dueAt: new Date(e.dueAt) },
          });
      }
      const done = await mod.persist?.(this.o.deps, tx, s, prev, now);
      if (done) after.push(done);
      return { number, version };
    });
    this.remember(s, rows.number, rows.version);
    return { number: rows.number, after };
  }

  /**
   * Prisma reads an `include` with several SELECTs; outside a transaction they can straddle a
   * concurrent commit (a timeline entry visible, the timer row it came with not yet). One
   * REPEATABLE READ transaction makes every view a single consistent snapshot.
   */
  snapshotRead<T>(fn: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.o.db.$transaction(fn, { isolationLevel: 'RepeatableRead' });
  }

  async commandsOf(ids: string[], tx: Prisma.TransactionClient = this.o.db): Promise<Map<string, CommandRow[]>> {
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
    // a written timer (fired, rescheduled, cancelled) is nobody's claim any more (scheduler.ts)
    claimedBy: null,
    claimedUntil: null,
  };
}
