// The service desk's work orders 报修工单 (PROCEDURES.md §8). A work order is an incident of kind
// `repair` (services/repair/machine.ts): every change goes through the procedure via the incident
// service (timers, escalation, timeline, audit, duty log, 回访). This service reads them for the
// board, the printable sheet and the shift handover, and reads the owner's contact from the owner
// file — a personal-data read logged before anything is returned (seed 000 §2.1.6.2; seed 002
// §4.1.3: who, why, when).
import type { IncidentKind } from '../../contracts/domain.js';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type {
  OwnerContactView,
  ServiceItem,
  WorkOrderCreateBody,
  WorkOrderQuery,
  WorkOrderSheet,
  WorkOrderView,
} from '../../contracts/workorders.js';
import type { Text } from '../../contracts/messages.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { Scope } from '../auth/scope.js';
import type { Db } from '../core/db.js';
import { keyed } from '../core/errors.js';
import { readOwnerContact } from '../incidents/privacy.js';
import type { IncidentService, IncidentUser, Reader } from '../incidents/service.js';
import type { ReportSection } from '../../contracts/shifts.js';
import { measureTarget, rate, type ReportSectionProvider } from '../records/reports.js';
import { labels } from './labels.js';
import { REPAIR_CATEGORIES, REPAIR_OPEN_STATES, type RepairData } from './machine.js';

type Row = Prisma.IncidentGetPayload<{ include: { timers: true } }>;

const KIND: IncidentKind = 'repair';

const notFound = (id: string) => keyed('HUB_ERR_NOT_FOUND', 404, 'repair.error.not_found', 'no work order {id}', { id });

export interface WorkOrderServiceOptions {
  db: Db;
  incidents: IncidentService;
  now: () => number;
}

export class WorkOrderService {
  constructor(private readonly o: WorkOrderServiceOptions) {}

  /** The work-order board: filter by state, building, category, overdue (seed 002 §5.1.1). */
  async list(q: WorkOrderQuery, scope: Scope = Scope.ALL): Promise<WorkOrderView[]> {
    const rows = await this.o.db.incident.findMany({
      where: {
        kind: KIND,
        // a user confined to some buildings sees only theirs (services/auth/scope.ts)
        ...scope.whereRequested('buildingId', q.building),
        ...(q.state === 'all' ? {} : q.state === 'open' ? { state: { in: [...REPAIR_OPEN_STATES] } } : { state: q.state }),
        ...(q.category ? { data: { path: ['category'], equals: q.category } } : {}),
        ...(q.overdue === undefined
          ? {}
          : q.overdue
            ? {
                OR: [
                  { data: { path: ['overdue', 'response'], equals: true } },
                  { data: { path: ['overdue', 'completion'], equals: true } },
                ],
              }
            : {
                AND: [
                  { data: { path: ['overdue', 'response'], equals: false } },
                  { data: { path: ['overdue', 'completion'], equals: false } },
                ],
              }),
      },
      include: { timers: true },
      orderBy: q.state === 'open' ? [{ openedAt: 'asc' }] : [{ openedAt: 'desc' }],
      take: q.limit,
    });
    return rows.map(view);
  }

  async get(id: string, scope: Scope = Scope.ALL): Promise<WorkOrderView> {
    const r = await this.o.db.incident.findUnique({ where: { id }, include: { timers: true } });
    // another building's order is "not found", like a missing id
    if (!r || r.kind !== KIND || !scope.allows(r.buildingId)) throw notFound(id);
    return view(r);
  }

  /** 接单登记: the desk registers a resident's or staff's report (the procedure checks the unit). */
  async create(body: WorkOrderCreateBody, user: IncidentUser, reader: Reader): Promise<IncidentDetail> {
    const { building, ...payload } = body;
    return this.o.incidents.report(KIND, building, payload, user, reader);
  }

  /**
   * The owner's contact for the order's unit, from the owner file (业主资料). Needs a reason;
   * the PersonalDataAccess row (who, which unit, why, when) is written in the same transaction
   * as the read, before anything is returned.
   */
  async ownerContact(id: string, user: IncidentUser, reason: string, scope: Scope = Scope.ALL): Promise<OwnerContactView> {
    const order = await this.get(id, scope);
    if (order.area !== 'unit' || !order.unit)
      throw keyed('HUB_ERR_BAD_REQUEST', 400, 'repair.error.no_unit', 'work order #{number} is for a common area: no owner', {
        number: order.number,
      });
    const unit = order.unit;
    return readOwnerContact(this.o.db, {
      building: order.building,
      unit,
      userId: user.id,
      record: `work order #${order.number}`,
      reason,
      at: this.o.now(),
      unitGone: () => keyed('HUB_ERR_NOT_FOUND', 404, 'repair.error.unit_gone', 'unit {unit} is no longer in the owner file', { unit }),
    });
  }

  /** The printable work-order sheet; the owner's contact is on it only when a reason is given (logged). */
  async sheet(id: string, user: IncidentUser, reason: string | null, scope: Scope = Scope.ALL): Promise<WorkOrderSheet> {
    const r = await this.o.db.incident.findUnique({
      where: { id },
      include: { timers: true, steps: { orderBy: { ord: 'asc' } }, attachments: { select: { id: true, filename: true, mime: true } } },
    });
    if (!r || r.kind !== KIND || !scope.allows(r.buildingId)) throw notFound(id);
    const order = view(r);
    const data = r.data as unknown as RepairData;
    const userIds = new Set<string>();
    for (const s of r.steps) if (s.doneBy?.startsWith('user:')) userIds.add(s.doneBy.slice(5));
    for (const d of data.dispatches ?? []) if (d.by.startsWith('user:')) userIds.add(d.by.slice(5));
    const [users, building] = await Promise.all([
      this.o.db.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, displayName: true } }),
      this.o.db.building.findUnique({ where: { id: r.buildingId }, select: { name: true } }),
    ]);
    // staff are named on the sheet, never shown as ids
    const names = new Map(users.map((u) => [`user:${u.id}`, u.displayName]));
    const who = (by: string | null) => (by === null ? null : (names.get(by) ?? (by.startsWith('user:') ? null : by)));
    const owner = reason && order.area === 'unit' && order.unit ? await this.ownerContact(id, user, reason, scope) : null;
    return {
      order,
      buildingName: building?.name ?? r.buildingId,
      steps: r.steps.map((s) => ({
        key: s.key,
        status: s.status as 'pending' | 'done' | 'skipped',
        doneAt: s.doneAt?.getTime() ?? null,
        doneBy: who(s.doneBy),
        notes: s.notes,
      })),
      dispatches: (data.dispatches ?? []).map((d) => ({ party: d.party, phone: d.phone, at: d.at, by: who(d.by) })),
      workDone: data.workDone ?? '',
      owner,
      photos: r.attachments
        .filter((a) => a.mime.startsWith('image/'))
        .map((a) => ({ id: a.id, filename: a.filename, url: `/api/attachments/${a.id}` })),
      printedAt: this.o.now(),
    };
  }

  /**
   * The work-order section of the daily / weekly / monthly summary (services/records/reports.ts;
   * PROCEDURES.md §8). Orders registered in the period, counted as they stand when the report is
   * made; orders closed in the period; the on-time rate of each target (seed 002 §3.3: 24 h
   * response, 48 h completion; seed 001 §五.2: 回访 within 2 working days). A target is measured
   * once it was met or missed: met = done and never late (the `overdue` flag stays after the
   * work is done), the way the complaint section measures its targets.
   */
  section(): ReportSectionProvider {
    return {
      source: 'repair',
      summary: async ({ from, to, buildings }): Promise<ReportSection> => {
        const span = { gte: new Date(from), lt: new Date(to) };
        const inBuildings = buildings ? { buildingId: { in: [...buildings] } } : {};
        const [rows, closed] = await Promise.all([
          this.o.db.incident.findMany({
            where: { kind: KIND, ...inBuildings, openedAt: span },
            select: { id: true, data: true },
          }),
          this.o.db.incident.count({ where: { kind: KIND, ...inBuildings, state: 'closed', closedAt: span } }),
        ]);
        const list = rows.map((r) => ({ d: r.data as unknown as RepairData }));
        // 回访 owed by these orders so far (the procedure books one when an order is accepted)
        const followUps = await this.o.db.followUp.findMany({
          where: { incidentId: { in: rows.map((r) => r.id) } },
          select: { dueAt: true, doneAt: true },
        });
        const response = measureTarget(
          list,
          (r) => r.d.respondedAt !== null,
          (r) => Boolean(r.d.overdue?.response),
        );
        const completion = measureTarget(
          list,
          (r) => r.d.completedAt !== null,
          (r) => Boolean(r.d.overdue?.completion),
        );
        const followedOnTime = followUps.filter((f) => f.doneAt && f.doneAt <= f.dueAt).length;
        const cat = (c: string): [string, string] => {
          const l = (labels.values as Record<string, readonly [string, string]>)[c];
          return l ? [`类别·${l[0]}`, `Category: ${l[1]}`] : [c, c];
        };
        return {
          source: 'repair',
          label: ['报修工单', 'Work orders'],
          rows: [
            { label: ['登记工单', 'Registered'], value: list.length },
            { label: ['结单', 'Closed'], value: closed },
            { label: ['24小时内响应', 'Responded within 24 h'], value: response.onTime, rate: response.rate },
            { label: ['48小时内完工', 'Completed within 48 h'], value: completion.onTime, rate: completion.rate },
            { label: ['按时回访', 'Followed up on time'], value: followedOnTime, rate: rate(followedOnTime, followUps.length) },
            ...REPAIR_CATEGORIES.map((c) => ({ label: cat(c), value: list.filter((r) => r.d.category === c).length })),
          ],
        };
      },
    };
  }

  /**
   * Pending service-desk work for the shift handover (helper "shifts"): every work order still
   * owed, oldest first, optionally for some buildings. Holds no personal data (no names, no phones).
   */
  async pendingServiceItems(buildingIds?: readonly string[]): Promise<ServiceItem[]> {
    const orders = await this.list({ state: 'open', limit: 500, ...(buildingIds?.length === 1 ? { building: buildingIds[0]! } : {}) });
    return orders
      .filter((o) => !buildingIds || buildingIds.length === 0 || buildingIds.includes(o.building))
      .map((o) => ({
        type: 'work_order' as const,
        id: o.id,
        number: o.number,
        building: o.building,
        state: o.state,
        title: o.title,
        openedAt: o.openedAt,
        overdue: o.overdue.response || o.overdue.completion,
        dueAt: o.respondedAt === null ? o.responseDueAt : o.completedAt === null ? o.completionDueAt : null,
      }));
  }
}

const asText = (v: unknown): Text => (v && typeof v === 'object' ? (v as Text) : { text: String(v ?? '') });

function view(r: Row): WorkOrderView {
  const d = r.data as unknown as RepairData;
  const due = (key: string) => r.timers.find((t) => t.key === key)?.dueAt.getTime() ?? null;
  const last = d.dispatches?.at(-1);
  return {
    id: r.id,
    number: r.number,
    state: r.state as WorkOrderView['state'],
    open: r.open,
    building: r.buildingId,
    title: asText(r.title),
    category: d.category,
    area: d.area,
    unit: d.unit,
    floor: r.floor,
    location: d.location,
    description: d.description,
    source: d.source,
    deviceId: r.deviceId,
    parentId: r.parentId,
    faultIds: d.faultIds ?? [],
    dispatchedTo: last?.party ?? null,
    dispatchedPhone: last?.phone ?? null,
    openedAt: r.openedAt.getTime(),
    respondedAt: d.respondedAt,
    completedAt: d.completedAt,
    closedAt: r.closedAt?.getTime() ?? null,
    responseDueAt: due('response'),
    completionDueAt: due('completion'),
    overdue: { response: Boolean(d.overdue?.response), completion: Boolean(d.overdue?.completion) },
    followupDueAt: d.followupDueAt,
    acceptance: d.acceptance ? { signedBy: d.acceptance.signedBy, signerName: d.acceptance.signerName, at: d.acceptance.at } : null,
    rework: d.rework ?? 0,
    deviceNormalAt: d.deviceNormalAt,
  };
}
