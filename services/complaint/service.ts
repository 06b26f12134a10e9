// The service desk's complaints 投诉 (PROCEDURES.md §9). A complaint is an incident of kind
// `complaint` (services/complaint/machine.ts): every change goes through the procedure via the
// incident service (timers, escalation, timeline, audit, duty log). This service reads them for
// the board, the monthly complaint report, the summary report's section and the shift handover,
// and reads the owner's contact from the owner file — a personal-data read logged before anything
// is returned (seed 000 §2.1.6.2; seed 002 §4.1.3: who, why, when).
import type { ComplaintCreateBody, ComplaintMonthReport, ComplaintQuery, ComplaintView } from '../../contracts/complaints.js';
import type { IncidentKind } from '../../contracts/domain.js';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type { Text } from '../../contracts/messages.js';
import type { ReportSection } from '../../contracts/shifts.js';
import type { OwnerContactView, ServiceItem } from '../../contracts/workorders.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { Scope } from '../auth/scope.js';
import type { Db } from '../core/db.js';
import { keyed } from '../core/errors.js';
import { readOwnerContact } from '../incidents/privacy.js';
import type { IncidentService, IncidentUser, Reader } from '../incidents/service.js';
import { measureTarget, rate, type ReportSectionProvider } from '../records/reports.js';
import { localDay, monthSpan } from '../records/shifts.js';
import { labels } from './labels.js';
import { COMPLAINT_CATEGORIES, COMPLAINT_CHANNELS, COMPLAINT_OPEN_STATES, type ComplaintData } from './machine.js';

type Row = Prisma.IncidentGetPayload<{ include: { timers: true; children: { select: { id: true; kind: true } } } }>;

const KIND: IncidentKind = 'complaint';
const INCLUDE = { timers: true, children: { select: { id: true, kind: true } } } as const;

const notFound = (id: string) => keyed('HUB_ERR_NOT_FOUND', 404, 'complaint.error.not_found', 'no complaint {id}', { id });

export interface ComplaintServiceOptions {
  db: Db;
  incidents: IncidentService;
  now: () => number;
  /** the site's time zone (months are local months) */
  tzOffsetMinutes?: number;
}

export class ComplaintService {
  readonly tz: number;
  constructor(private readonly o: ComplaintServiceOptions) {
    this.tz = o.tzOffsetMinutes ?? 480;
  }

  /** The complaint board: filter by state, building, category, channel, overdue. */
  async list(q: ComplaintQuery, scope: Scope = Scope.ALL): Promise<ComplaintView[]> {
    const late = (['reply', 'response', 'solution', 'followup'] as const).map((k) => ({
      data: { path: ['overdue', k], equals: true },
    }));
    const rows = await this.o.db.incident.findMany({
      where: {
        kind: KIND,
        // a user confined to some buildings sees only theirs (services/auth/scope.ts)
        ...scope.whereRequested('buildingId', q.building),
        ...(q.state === 'all' ? {} : q.state === 'open' ? { state: { in: [...COMPLAINT_OPEN_STATES] } } : { state: q.state }),
        AND: [
          ...(q.category ? [{ data: { path: ['category'], equals: q.category } }] : []),
          ...(q.channel ? [{ data: { path: ['channel'], equals: q.channel } }] : []),
          ...(q.overdue === undefined ? [] : q.overdue ? [{ OR: late }] : [{ NOT: { OR: late } }]),
        ],
      },
      include: INCLUDE,
      orderBy: q.state === 'open' ? [{ openedAt: 'asc' }] : [{ openedAt: 'desc' }],
      take: q.limit,
    });
    return rows.map(view);
  }

  async get(id: string, scope: Scope = Scope.ALL): Promise<ComplaintView> {
    const r = await this.o.db.incident.findUnique({ where: { id }, include: INCLUDE });
    // another building's complaint is "not found", like a missing id
    if (!r || r.kind !== KIND || !scope.allows(r.buildingId)) throw notFound(id);
    return view(r);
  }

  /** 投诉登记: the desk or the control room registers a complaint (the procedure checks the unit). */
  async create(body: ComplaintCreateBody, user: IncidentUser, reader: Reader): Promise<IncidentDetail> {
    const { building, ...payload } = body;
    return this.o.incidents.report(KIND, building, payload, user, reader);
  }

  /**
   * The resident's contact from the owner file (业主资料), to reply or follow up. Needs a reason;
   * the PersonalDataAccess row (who, which unit, why, when) is written in the same transaction
   * as the read, before anything is returned.
   */
  async ownerContact(id: string, user: IncidentUser, reason: string, scope: Scope = Scope.ALL): Promise<OwnerContactView> {
    const c = await this.get(id, scope);
    if (c.complainantType !== 'resident' || !c.unit)
      throw keyed('HUB_ERR_BAD_REQUEST', 400, 'complaint.error.not_resident', 'complaint #{number} is not from a resident: no owner file', {
        number: c.number,
      });
    const unit = c.unit;
    return readOwnerContact(this.o.db, {
      building: c.building,
      unit,
      userId: user.id,
      record: `complaint #${c.number}`,
      reason,
      at: this.o.now(),
      unitGone: () => keyed('HUB_ERR_NOT_FOUND', 404, 'complaint.error.unit_gone', 'unit {unit} is no longer in the owner file', { unit }),
    });
  }

  /**
   * The monthly complaint report (seed 001 §七 《部门客户投诉工作月报》; seed 002 §5.1.3 (6)): every
   * complaint registered in the local month, counted as it stands when the report is made.
   * Reading it is audited (the route writes the audit row: who printed which month).
   */
  async monthReport(
    q: { month?: string | undefined; building?: string | undefined },
    scope: Scope = Scope.ALL,
  ): Promise<ComplaintMonthReport> {
    const now = this.o.now();
    const month = q.month ?? localDay(now, this.tz).slice(0, 7);
    const span = monthSpan(month, this.tz);
    const buildings = q.building ? [q.building] : null;
    const figures = await this.figures(span.from, span.to, buildings, scope);
    return { month, from: span.from, to: span.to, building: q.building ?? null, generatedAt: now, ...figures };
  }

  /** An audit row for each read of the monthly report: who printed which month, in what form. */
  async auditReportRead(user: IncidentUser, r: ComplaintMonthReport, format: string): Promise<void> {
    await this.o.db.auditLog.create({
      data: {
        actor: `user:${user.id}`,
        action: 'report.complaints',
        target: `report:complaints:${r.month}`,
        data: { format, building: r.building },
      },
    });
  }

  /** The complaints section of the daily / weekly / monthly summary (services/records/reports.ts). */
  section(): ReportSectionProvider {
    return {
      source: 'complaint',
      summary: async ({ from, to, buildings }): Promise<ReportSection> => {
        const f = await this.figures(from, to, buildings, Scope.ALL);
        return {
          source: 'complaint',
          label: ['投诉', 'Complaints'],
          rows: [
            { label: ['登记投诉', 'Registered'], value: f.total },
            { label: ['有效投诉', 'Valid'], value: f.valid },
            { label: ['无效投诉', 'Invalid'], value: f.invalid },
            { label: ['2小时内回复', 'Replied within 2 h'], value: f.reply.onTime, rate: f.reply.rate },
            { label: ['24小时内响应', 'Responded within 24 h'], value: f.response.onTime, rate: f.response.rate },
            { label: ['72小时内解决', 'Solved within 72 h'], value: f.solution.onTime, rate: f.solution.rate },
            { label: ['已回访(有效投诉)', 'Followed up (valid)'], value: f.followup.done, rate: f.followup.rate },
          ],
        };
      },
    };
  }

  private async figures(
    from: number,
    to: number,
    buildings: readonly string[] | null,
    scope: Scope,
  ): Promise<Omit<ComplaintMonthReport, 'month' | 'from' | 'to' | 'building' | 'generatedAt'>> {
    const where = scope.whereRequested('buildingId', buildings?.length === 1 ? buildings[0] : undefined);
    const rows = await this.o.db.incident.findMany({
      where: {
        kind: KIND,
        ...where,
        ...(buildings && buildings.length > 1 ? { buildingId: { in: [...buildings] } } : {}),
        openedAt: { gte: new Date(from), lt: new Date(to) },
      },
      select: { state: true, open: true, data: true, children: { select: { kind: true } } },
    });
    const list = rows.map((r) => ({ ...r, d: r.data as unknown as ComplaintData }));
    const valid = list.filter((r) => r.d.valid === true);
    const invalid = list.filter((r) => r.d.valid === false);
    // a target is measured once it was met or missed: met = done and never late (seed 001 §四.4, seed 002 §3(二))
    const measure = (xs: typeof list, done: (d: ComplaintData) => boolean, late: (d: ComplaintData) => boolean) =>
      measureTarget(
        xs.map((r) => r.d),
        done,
        late,
      );
    // seed 001 §四.6: 有效投诉回访率 100 % — every valid complaint whose solution was replied is owed one
    const owed = valid.filter((r) => r.state === 'awaiting_followup' || r.state === 'closed');
    const done = owed.filter((r) => r.d.followup !== null);
    const val = (k: string): [string, string] => {
      const l = (labels.values as Record<string, readonly [string, string]>)[k];
      return l ? [l[0], l[1]] : [k, k];
    };
    return {
      total: list.length,
      valid: valid.length,
      invalid: invalid.length,
      undecided: list.filter((r) => r.d.valid === null).length,
      stillOpen: list.filter((r) => r.open).length,
      byCategory: COMPLAINT_CATEGORIES.map((c) => {
        const xs = list.filter((r) => r.d.category === c);
        return {
          category: c,
          label: val(c),
          total: xs.length,
          valid: xs.filter((r) => r.d.valid === true).length,
          invalid: xs.filter((r) => r.d.valid === false).length,
        };
      }),
      byChannel: COMPLAINT_CHANNELS.map((c) => ({ channel: c, label: val(c), total: list.filter((r) => r.d.channel === c).length })),
      reply: measure(
        list,
        (d) => d.firstReplyAt !== null,
        (d) => Boolean(d.overdue?.reply),
      ),
      response: measure(
        valid,
        (d) => d.respondedAt !== null,
        (d) => Boolean(d.overdue?.response),
      ),
      solution: measure(
        valid,
        (d) => d.solvedAt !== null || d.followup !== null,
        (d) => Boolean(d.overdue?.solution),
      ),
      followup: {
        due: owed.length,
        done: done.length,
        onTime: done.filter((r) => !r.d.overdue?.followup).length,
        rate: rate(done.length, owed.length),
      },
      workOrders: list.reduce((n, r) => n + r.children.filter((c) => c.kind === 'repair').length, 0),
    };
  }

  /**
   * Pending complaints for the shift handover (seed 004 篇3 §3.1: 下班后客户提出的各种投诉 are handed
   * over): every complaint still owed, oldest first, with its next target. No names, no phones.
   */
  async pendingServiceItems(buildingIds?: readonly string[]): Promise<ServiceItem[]> {
    const list = await this.list({ state: 'open', limit: 500, ...(buildingIds?.length === 1 ? { building: buildingIds[0]! } : {}) });
    return list
      .filter((c) => !buildingIds || buildingIds.length === 0 || buildingIds.includes(c.building))
      .map((c) => ({
        type: 'complaint' as const,
        id: c.id,
        number: c.number,
        building: c.building,
        state: c.state,
        title: c.title,
        openedAt: c.openedAt,
        overdue: c.overdue.reply || c.overdue.response || c.overdue.solution || c.overdue.followup,
        dueAt: nextDue(c),
      }));
  }
}

/** What is owed next: the first reply, the agreed next reply, the solution, or the 回访. */
function nextDue(c: ComplaintView): number | null {
  if (c.firstReplyAt === null) return c.replyDueAt;
  if (c.state === 'awaiting_followup') return c.followupDueAt;
  const due = [c.nextReplyAt, c.solvedAt === null ? c.solutionDueAt : null].filter((x): x is number => x !== null);
  return due.length ? Math.min(...due) : null;
}

const asText = (v: unknown): Text => (v && typeof v === 'object' ? (v as Text) : { text: String(v ?? '') });

function view(r: Row): ComplaintView {
  const d = r.data as unknown as ComplaintData;
  const due = (key: string) => {
    const t = r.timers.find((x) => x.key === key);
    return t ? t.dueAt.getTime() : null;
  };
  const lastReply = d.replies?.at(-1);
  return {
    id: r.id,
    number: r.number,
    state: r.state as ComplaintView['state'],
    open: r.open,
    building: r.buildingId,
    title: asText(r.title),
    category: d.category,
    channel: d.channel,
    complainantType: d.complainantType,
    unit: d.unit,
    location: d.location,
    description: d.description,
    valid: d.valid,
    openedAt: r.openedAt.getTime(),
    firstReplyAt: d.firstReplyAt,
    nextReplyAt: r.open && d.solvedAt === null ? (lastReply?.nextReplyAt ?? null) : null,
    respondedAt: d.respondedAt,
    solvedAt: d.solvedAt,
    followedUpAt: d.followup?.at ?? null,
    closedAt: r.closedAt?.getTime() ?? null,
    replyDueAt: due('reply'),
    responseDueAt: due('response'),
    solutionDueAt: due('solution'),
    followupDueAt: d.followupDueAt,
    department: d.handOffs?.at(-1)?.department ?? null,
    workOrderIds: r.children.filter((c) => c.kind === 'repair').map((c) => c.id),
    overdue: {
      reply: Boolean(d.overdue?.reply),
      response: Boolean(d.overdue?.response),
      solution: Boolean(d.overdue?.solution),
      followup: Boolean(d.overdue?.followup),
    },
  };
}
