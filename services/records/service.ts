// Cross-cutting records (PROCEDURES.md "Cross-cutting records"; seed 000 §2.1.7, seed 004
// 篇3 §1.6, seed 001 §四/§五, seed 000 §2.1.6.2): duty log 值班记录, shift handover 交接班,
// special incident report 特别事件报告 + attachments, follow-ups 回访, planned outages 计划停电,
// owner records with the personal-data access log, and the audit log.
//
// Every write goes in ONE transaction with its AuditLog row (and, for notable actions, its
// duty-log entry). Incident duty-log entries and follow-ups are written by the incident
// service in the transition's own transaction; this service only reads them.
import type { Prisma } from '../../prisma/generated/client.js';
import type { Role } from '../../contracts/domain.js';
import type { Db } from '../core/db.js';
import { errors, HubError } from '../core/errors.js';
import { ERROR_STATUS, TIMELINE_TYPES, type TimelineType } from '../core/procedure.js';
import { KIND_LABELS, ROLE_LABELS, procedureLabel, renderTimeline } from '../core/i18n-procedures.js';
import { NOTICE_MS, validatePlannedOutage } from '../power/machine.js';
import { dutyDay, type IncidentService } from '../incidents/service.js';
import {
  ATTACHMENT_MIME,
  MAX_ATTACHMENT_BYTES,
  REPORT_KINDS,
  bi,
  type AttachmentMime,
  type AttachmentView,
  type DutyLogResponse,
  type HandoverResponse,
  type OpenItem,
  type PlannedOutageView,
  type SpecialReport,
  type UserRef,
} from '../../contracts/records.js';

/** the signed-in staff member (req.user) */
export interface Staff {
  id: string;
  role: Role;
  username: string;
  displayName: string;
}

export interface RecordServiceOptions {
  db: Db;
  incidents: IncidentService;
  now?: () => number;
  /** site time zone for duty-log days and printed times (China Standard Time by default) */
  tzOffsetMinutes?: number;
}

type Tx = Prisma.TransactionClient;
const HOUR = 3_600_000;

/** "user:<id>" → "<id>" (steps, audit, duty log); anything else → null */
export function userIdOf(ref: string | null | undefined): string | null {
  return ref?.startsWith('user:') ? ref.slice(5) : null;
}

/** Phone (or any number-like contact) masked to first 3 + last 4 (seed 002 §3.1.2 desensitising). */
export function maskPhone(s: string): string {
  const c = Array.from(s.trim());
  if (c.length === 0) return '';
  if (c.length < 8) return '*'.repeat(c.length);
  return `${c.slice(0, 3).join('')}${'*'.repeat(c.length - 7)}${c.slice(-4).join('')}`;
}

/** Name masked to its first character (张三丰 → 张**). */
export function maskName(s: string): string {
  const c = Array.from(s.trim());
  if (c.length === 0) return '';
  return c.length === 1 ? '*' : `${c[0]}${'*'.repeat(c.length - 1)}`;
}

const KNOWN_OUTAGE_ERRORS: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [
    /^(\d+) h notice required \(seed 000 §2\.1\.5\.3\), (-?\d+) h given$/,
    (m) => `停电通知须提前至少${m[1]}小时张贴(seed 000 §2.1.5.3),当前仅提前${m[2]}小时`,
  ],
  [/^only a supervisor may accept short notice/, () => '只有主管可以接受提前时间不足的停电通知'],
  [/^accepting short notice needs a reason$/, () => '接受提前时间不足的通知须填写原因(shortNoticeReason)'],
  [/^a planned outage must start in the future$/, () => '计划停电的开始时间必须在将来'],
  [/^the notice must be posted before the outage starts$/, () => '停电通知必须在停电开始前张贴'],
  [/endsAt must be after startsAt/, () => '结束时间必须晚于开始时间'],
];

/** zh-CN first, then the rule's own English message (validatePlannedOutage). */
export function plannedOutageMessage(en: string): string {
  for (const [re, zh] of KNOWN_OUTAGE_ERRORS) {
    const m = re.exec(en);
    if (m) return bi(zh(m), en);
  }
  return en;
}

/** Magic numbers of the accepted attachment types: the bytes must be what the mime says. */
export function sniffMime(b: Buffer): AttachmentMime | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b.length >= 6 && (b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a'))
    return 'image/gif';
  if (b.length >= 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  if (b.length >= 5 && b.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  return null;
}

/** A file name safe to store and to put in Content-Disposition: no path, no control chars. */
export function safeFilename(name: string): string {
  const base = name
    .split(/[\\/]/)
    .pop()!
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim()
    .slice(0, 200);
  return base && base !== '.' && base !== '..' ? base : 'attachment';
}

const isUnique = (err: unknown) => (err as { code?: string } | null)?.code === 'P2002';

export class RecordService {
  private readonly db: Db;
  private readonly now: () => number;
  private readonly tz: number;

  constructor(private readonly o: RecordServiceOptions) {
    this.db = o.db;
    this.now = o.now ?? Date.now;
    this.tz = o.tzOffsetMinutes ?? 480;
  }

  today(): string {
    return dutyDay(this.now(), this.tz);
  }

  // ------------------------------------------------------------------ helpers

  private async users(ids: Iterable<string | null | undefined>): Promise<Map<string, UserRef>> {
    const want = [...new Set([...ids].filter((x): x is string => !!x))];
    if (!want.length) return new Map();
    const rows = await this.db.user.findMany({
      where: { id: { in: want } },
      select: { id: true, username: true, displayName: true, role: true },
    });
    return new Map(rows.map((u) => [u.id, { id: u.id, username: u.username, displayName: u.displayName, role: u.role as Role }]));
  }

  private audit(tx: Tx, user: Staff, action: string, target: string, data: Record<string, unknown> = {}) {
    return tx.auditLog.create({ data: { actor: `user:${user.id}`, action, target, data: data as Prisma.InputJsonValue } });
  }

  /** A notable non-incident action in today's duty log (PROCEDURES.md: lands automatically). */
  private duty(tx: Tx, user: Staff, text: string, incidentId: string | null = null) {
    const now = this.now();
    return tx.dutyLogEntry.create({ data: { day: dutyDay(now, this.tz), at: new Date(now), actor: `user:${user.id}`, incidentId, text } });
  }

  // ------------------------------------------------------------------ duty log 值班记录

  async dutyLog(day: string = this.today()): Promise<DutyLogResponse> {
    const [entries, sig] = await Promise.all([
      this.db.dutyLogEntry.findMany({ where: { day }, orderBy: [{ at: 'asc' }, { seq: 'asc' }] }),
      this.db.dutyLogSignature.findUnique({ where: { day } }),
    ]);
    const names = await this.users([...entries.map((e) => userIdOf(e.actor)), userIdOf(sig?.signedBy)]);
    const name = (ref: string) => names.get(userIdOf(ref) ?? '')?.displayName ?? null;
    return {
      day,
      entries: entries.map((e) => ({
        seq: Number(e.seq),
        at: e.at.getTime(),
        actor: e.actor,
        actorName: name(e.actor),
        incidentId: e.incidentId,
        text: e.text,
        afterSignature: !!sig && e.at.getTime() > sig.signedAt.getTime(),
      })),
      signature: sig
        ? { signedBy: sig.signedBy, signedByName: name(sig.signedBy), signedAt: sig.signedAt.getTime(), note: sig.note }
        : null,
    };
  }

  /** A manual entry in today's log. A signed day takes no more manual entries (409). */
  async addDutyEntry(user: Staff, text: string): Promise<DutyLogResponse> {
    const day = this.today();
    await this.db.$transaction(async (tx) => {
      if (await tx.dutyLogSignature.findUnique({ where: { day } })) {
        throw errors.conflict(
          bi(`${day} 的值班记录已由主管签字,不能再添加手工记录`, `the duty log of ${day} is signed; it takes no more manual entries`),
        );
      }
      const e = await tx.dutyLogEntry.create({ data: { day, at: new Date(this.now()), actor: `user:${user.id}`, text } });
      await this.audit(tx, user, 'duty_log.entry', `duty_log:${day}`, { seq: Number(e.seq) });
    });
    return this.dutyLog(day);
  }

  /** The supervisor signs a day's log, once (409 the second time). */
  async signDay(day: string, user: Staff, note: string): Promise<DutyLogResponse> {
    if (day > this.today())
      throw errors.badRequest(bi(`不能签署未来日期 ${day} 的值班记录`, `cannot sign the duty log of a future day (${day})`));
    try {
      await this.db.$transaction(async (tx) => {
        const sig = await tx.dutyLogSignature.findUnique({ where: { day } });
        if (sig) throw errors.conflict(bi(`${day} 的值班记录已签字`, `the duty log of ${day} is already signed (${sig.signedBy})`));
        const entries = await tx.dutyLogEntry.count({ where: { day } });
        await tx.dutyLogSignature.create({ data: { day, signedBy: `user:${user.id}`, signedAt: new Date(this.now()), note } });
        await this.audit(tx, user, 'duty_log.sign', `duty_log:${day}`, { entries, note });
      });
    } catch (err) {
      if (isUnique(err)) throw errors.conflict(bi(`${day} 的值班记录已签字`, `the duty log of ${day} is already signed`));
      throw err;
    }
    return this.dutyLog(day);
  }

  // ------------------------------------------------------------------ handover 交接班

  /** What the incoming shift inherits: open incidents, open follow-ups, visitors inside. */
  async openItems(): Promise<OpenItem[]> {
    const now = this.now();
    const [incidents, followups, visits] = await Promise.all([
      this.db.incident.findMany({
        where: { open: true },
        select: { id: true, number: true, kind: true, state: true, title: true, severity: true, openedAt: true },
        orderBy: [{ severity: 'desc' }, { openedAt: 'asc' }],
      }),
      this.db.followUp.findMany({ where: { doneAt: null }, orderBy: { dueAt: 'asc' } }),
      this.db.visit.findMany({ where: { state: 'opened', leftAt: null }, orderBy: { requestedAt: 'asc' } }),
    ]);
    const inside = new Set(visits.map((v) => v.id));
    return [
      ...incidents
        .filter((i) => !(i.kind === 'visitor_approval' && inside.has(i.id))) // listed as a visit below
        .map((i) => ({
          type: 'incident' as const,
          id: i.id,
          number: i.number,
          kind: i.kind,
          state: i.state,
          stateLabel: bi(procedureLabel(i.kind, 'state', i.state, 'zh-CN'), procedureLabel(i.kind, 'state', i.state, 'en')),
          title: i.title,
          severity: i.severity,
          openedAt: i.openedAt.getTime(),
        })),
      ...followups.map((f) => ({
        type: 'followup' as const,
        id: f.id,
        incidentId: f.incidentId,
        subject: f.subject,
        dueAt: f.dueAt.getTime(),
        overdue: f.dueAt.getTime() < now,
      })),
      ...visits.map((v) => {
        const since = (v.enteredAt ?? v.requestedAt).getTime();
        return {
          type: 'visit' as const,
          id: v.id,
          building: v.buildingId,
          unit: v.unitNumber,
          visitorName: v.visitorName,
          enteredAt: v.enteredAt?.getTime() ?? null,
          plannedMinutes: v.plannedMinutes,
          overstay: since + v.plannedMinutes * 60_000 < now,
        };
      }),
    ];
  }

  private async handoverViews(rows: Array<Awaited<ReturnType<Db['handover']['findMany']>>[number]>): Promise<HandoverResponse[]> {
    const names = await this.users(rows.flatMap((h) => [h.outgoingId, h.incomingId]));
    return rows.map((h) => ({
      id: h.id,
      outgoingId: h.outgoingId,
      incomingId: h.incomingId,
      state: h.state as HandoverResponse['state'],
      openItems: (Array.isArray(h.openItems) ? h.openItems : []) as OpenItem[],
      notes: h.notes,
      createdAt: h.createdAt.getTime(),
      outgoingSignedAt: h.outgoingSignedAt.getTime(),
      incomingSignedAt: h.incomingSignedAt?.getTime() ?? null,
      refusedReason: h.refusedReason,
      outgoing: names.get(h.outgoingId) ?? null,
      incoming: h.incomingId ? (names.get(h.incomingId) ?? null) : null,
    }));
  }

  async handover(id: string): Promise<HandoverResponse> {
    const h = await this.db.handover.findUnique({ where: { id } });
    if (!h) throw errors.notFound(`no handover ${id}`);
    return (await this.handoverViews([h]))[0]!;
  }

  async handovers(q: { state?: 'open' | 'accepted' | 'refused'; limit: number }): Promise<HandoverResponse[]> {
    const rows = await this.db.handover.findMany({
      where: q.state ? { state: q.state } : {},
      orderBy: { createdAt: 'desc' },
      take: q.limit,
    });
    return this.handoverViews(rows);
  }

  /** The outgoing operator hands over; creating it is the outgoing signature. */
  async createHandover(user: Staff, body: { notes: string; incomingUsername?: string | undefined }): Promise<HandoverResponse> {
    let incomingId: string | null = null;
    if (body.incomingUsername) {
      const u = await this.db.user.findUnique({ where: { username: body.incomingUsername } });
      if (!u || !u.enabled)
        throw errors.badRequest(bi(`接班人 ${body.incomingUsername} 不存在`, `no such incoming user ${body.incomingUsername}`));
      if (u.id === user.id) throw errors.badRequest(bi('接班人不能是交班人本人', 'the incoming operator must be someone else'));
      incomingId = u.id;
    }
    const items = await this.openItems();
    const now = new Date(this.now());
    const id = await this.db.$transaction(async (tx) => {
      const pending = await tx.handover.findFirst({ where: { outgoingId: user.id, state: 'open' } });
      if (pending) throw errors.conflict(bi(`您已有一份待接班的交接单 ${pending.id}`, `you already have an open handover (${pending.id})`));
      const h = await tx.handover.create({
        data: {
          outgoingId: user.id,
          incomingId,
          state: 'open',
          openItems: items as Prisma.InputJsonValue,
          notes: body.notes,
          createdAt: now,
          outgoingSignedAt: now,
        },
      });
      await this.audit(tx, user, 'handover.create', `handover:${h.id}`, { incomingId, openItems: items.length });
      await this.duty(
        tx,
        user,
        bi(
          `交接班:${user.displayName} 交班签字,未结事项${items.length}项`,
          `Handover: ${user.displayName} signed off, ${items.length} open items`,
        ),
      );
      return h.id;
    });
    return this.handover(id);
  }

  /** The incoming operator signs (accept) or refuses with a reason (seed 004 篇3 §1.6). */
  async answerHandover(
    id: string,
    user: Staff,
    answer: { accept: true; note?: string | undefined } | { accept: false; reason: string },
  ): Promise<HandoverResponse> {
    await this.db.$transaction(async (tx) => {
      const h = await tx.handover.findUnique({ where: { id } });
      if (!h) throw errors.notFound(`no handover ${id}`);
      if (h.state !== 'open')
        throw errors.conflict(bi(`该交接单已${h.state === 'accepted' ? '接班' : '被拒绝'}`, `the handover is already ${h.state}`));
      if (h.outgoingId === user.id)
        throw errors.forbidden(bi('不能接自己交出的班', 'the outgoing operator cannot sign as the incoming one'));
      if (h.incomingId && h.incomingId !== user.id)
        throw errors.forbidden(bi('该交接单指定了其他接班人', 'this handover names another incoming operator'));
      const now = new Date(this.now());
      const u = await tx.handover.updateMany({
        where: { id, state: 'open' },
        data: answer.accept
          ? { state: 'accepted', incomingId: user.id, incomingSignedAt: now }
          : { state: 'refused', incomingId: user.id, incomingSignedAt: now, refusedReason: answer.reason },
      });
      if (u.count !== 1) throw errors.conflict(bi('该交接单已被处理', 'the handover was answered concurrently'));
      if (answer.accept) {
        await this.audit(tx, user, 'handover.accept', `handover:${id}`, { outgoingId: h.outgoingId, note: answer.note ?? null });
        await this.duty(tx, user, bi(`交接班:${user.displayName} 接班签字`, `Handover: ${user.displayName} signed on (accepted)`));
      } else {
        await this.audit(tx, user, 'handover.refuse', `handover:${id}`, { outgoingId: h.outgoingId, reason: answer.reason });
        await this.duty(
          tx,
          user,
          bi(
            `交接班:${user.displayName} 拒绝接班,原因:${answer.reason}`,
            `Handover: ${user.displayName} refused, reason: ${answer.reason}`,
          ),
        );
      }
    });
    return this.handover(id);
  }

  // ------------------------------------------------------------------ follow-ups 回访

  async followUps(q: { open?: 'true' | 'false' | undefined; incidentId?: string | undefined; limit: number }) {
    const now = this.now();
    const rows = await this.db.followUp.findMany({
      where: {
        ...(q.open === 'true' ? { doneAt: null } : q.open === 'false' ? { doneAt: { not: null } } : {}),
        ...(q.incidentId ? { incidentId: q.incidentId } : {}),
      },
      orderBy: [{ dueAt: 'asc' }],
      take: q.limit,
    });
    return rows.map((f) => this.followUpView(f, now));
  }

  private followUpView(f: Awaited<ReturnType<Db['followUp']['findMany']>>[number], now: number) {
    return {
      id: f.id,
      incidentId: f.incidentId,
      subject: f.subject,
      dueAt: f.dueAt.getTime(),
      doneAt: f.doneAt?.getTime() ?? null,
      doneBy: f.doneBy,
      notes: f.notes,
      // done late counts as overdue too: the 2-working-day target was missed
      overdue: (f.doneAt?.getTime() ?? now) > f.dueAt.getTime(),
    };
  }

  async followUpDone(id: string, user: Staff, notes: string) {
    const f = await this.db.$transaction(async (tx) => {
      const now = new Date(this.now());
      const u = await tx.followUp.updateMany({ where: { id, doneAt: null }, data: { doneAt: now, doneBy: `user:${user.id}`, notes } });
      const row = await tx.followUp.findUnique({ where: { id } });
      if (!row) throw errors.notFound(`no follow-up ${id}`);
      if (u.count !== 1) throw errors.conflict(bi('该回访已完成', 'the follow-up is already done'));
      await this.audit(tx, user, 'followup.done', `followup:${id}`, { incidentId: row.incidentId, late: now > row.dueAt });
      await this.duty(tx, user, bi(`回访完成:${row.subject}`, `Follow-up done: ${row.subject}`), row.incidentId);
      return row;
    });
    return this.followUpView(f, this.now());
  }

  // ------------------------------------------------------------------ planned outages 计划停电

  private outageViews(rows: Awaited<ReturnType<Db['plannedOutage']['findMany']>>): PlannedOutageView[] {
    const now = this.now();
    const req = (r: (typeof rows)[number]) => (r.residentsMustPrepare ? NOTICE_MS.prepare : NOTICE_MS.standard);
    return rows.map((r) => {
      const noticeMs = r.startsAt.getTime() - r.noticeAt.getTime();
      return {
        id: r.id,
        building: r.buildingId,
        feeder: r.feeder,
        startsAt: r.startsAt.getTime(),
        endsAt: r.endsAt.getTime(),
        noticeAt: r.noticeAt.getTime(),
        residentsMustPrepare: r.residentsMustPrepare,
        reason: r.reason,
        createdBy: r.createdBy,
        createdAt: r.createdAt.getTime(),
        cancelled: r.cancelled,
        status: r.cancelled ? 'cancelled' : now < r.startsAt.getTime() ? 'upcoming' : now <= r.endsAt.getTime() ? 'in_progress' : 'ended',
        requiredNoticeHours: req(r) / HOUR,
        noticeHours: Math.floor((noticeMs / HOUR) * 10) / 10,
        flags: r.flags.filter((f): f is 'short_notice' => f === 'short_notice'),
        shortNoticeReason: r.shortNoticeReason,
      };
    });
  }

  async plannedOutages(q: {
    building?: string | undefined;
    current?: 'true' | 'false' | undefined;
    limit: number;
  }): Promise<PlannedOutageView[]> {
    const now = new Date(this.now());
    const rows = await this.db.plannedOutage.findMany({
      where: {
        ...(q.building ? { buildingId: q.building } : {}),
        ...(q.current === 'true' ? { cancelled: false, endsAt: { gte: now } } : {}),
      },
      orderBy: [{ startsAt: 'asc' }],
      take: q.limit,
    });
    return this.outageViews(rows);
  }

  /** Register a planned outage; the notice rule is validatePlannedOutage's (services/power/machine.ts). */
  async createPlannedOutage(
    user: Staff,
    body: {
      building: string;
      feeder?: string | undefined;
      startsAt: number;
      endsAt: number;
      noticeAt?: number | undefined;
      residentsMustPrepare: boolean;
      reason: string;
      acceptShortNotice: boolean;
      shortNoticeReason?: string | undefined;
    },
  ): Promise<PlannedOutageView> {
    const b = await this.db.building.findUnique({ where: { id: body.building } });
    if (!b) throw errors.badRequest(bi(`未知楼栋 ${body.building}`, `unknown building ${body.building}`));
    const r = validatePlannedOutage(
      {
        buildingId: body.building,
        feeder: body.feeder ?? null,
        startsAt: body.startsAt,
        endsAt: body.endsAt,
        ...(body.noticeAt !== undefined ? { noticeAt: body.noticeAt } : {}),
        residentsMustPrepare: body.residentsMustPrepare,
        reason: body.reason,
        acceptShortNotice: body.acceptShortNotice,
        ...(body.shortNoticeReason ? { shortNoticeReason: body.shortNoticeReason } : {}),
      },
      { id: user.id, role: user.role },
      this.now(),
    );
    if (!r.ok) throw new HubError(r.code, plannedOutageMessage(r.message), ERROR_STATUS[r.code]);
    const v = r.value;
    const row = await this.db.$transaction(async (tx) => {
      const o = await tx.plannedOutage.create({
        data: {
          buildingId: v.buildingId,
          feeder: v.feeder,
          startsAt: new Date(v.startsAt),
          endsAt: new Date(v.endsAt),
          noticeAt: new Date(v.noticeAt),
          residentsMustPrepare: v.residentsMustPrepare,
          reason: v.reason,
          flags: v.flags,
          shortNoticeReason: v.flags.includes('short_notice') ? (body.shortNoticeReason ?? null) : null,
          createdBy: v.createdBy,
          createdAt: new Date(this.now()),
        },
      });
      await this.audit(tx, user, 'planned_outage.create', `planned_outage:${o.id}`, {
        building: v.buildingId,
        flags: v.flags,
        noticeMs: v.noticeMs,
        requiredNoticeMs: v.requiredNoticeMs,
        shortNoticeReason: v.flags.includes('short_notice') ? (body.shortNoticeReason ?? null) : null,
      });
      const flag = v.flags.includes('short_notice') ? bi('(通知提前时间不足,主管已批准)', ' (short notice, accepted by a supervisor)') : '';
      await this.duty(
        tx,
        user,
        bi(
          `登记计划停电:${b.name} ${this.fmt(v.startsAt)} 至 ${this.fmt(v.endsAt)},${v.reason}`,
          `Planned outage registered: ${b.name} ${this.fmt(v.startsAt)} to ${this.fmt(v.endsAt)}, ${v.reason}`,
        ) + flag,
      );
      return o;
    });
    return this.outageViews([row])[0]!;
  }

  async cancelPlannedOutage(id: string, user: Staff, reason: string | undefined): Promise<PlannedOutageView> {
    const row = await this.db.$transaction(async (tx) => {
      const o = await tx.plannedOutage.findUnique({ where: { id } });
      if (!o) throw errors.notFound(`no planned outage ${id}`);
      if (o.cancelled) throw errors.conflict(bi('该计划停电已取消', 'the planned outage is already cancelled'));
      if (o.endsAt.getTime() < this.now()) throw errors.conflict(bi('该计划停电已结束,不能取消', 'the planned outage has already ended'));
      const u = await tx.plannedOutage.update({ where: { id }, data: { cancelled: true } });
      await this.audit(tx, user, 'planned_outage.cancel', `planned_outage:${id}`, { reason: reason ?? null });
      await this.duty(
        tx,
        user,
        bi(
          `取消计划停电:${o.buildingId} ${this.fmt(o.startsAt.getTime())}${reason ? `,${reason}` : ''}`,
          `Planned outage cancelled: ${o.buildingId} ${this.fmt(o.startsAt.getTime())}${reason ? `, ${reason}` : ''}`,
        ),
      );
      return u;
    });
    return this.outageViews([row])[0]!;
  }

  // ------------------------------------------------------------------ owners 业主资料 (personal data)

  /** The owner list, masked (no access log: nothing personal is shown in full). */
  async units(q: { building?: string | undefined; limit: number }) {
    const rows = await this.db.unit.findMany({
      where: q.building ? { buildingId: q.building } : {},
      orderBy: [{ buildingId: 'asc' }, { floor: 'asc' }, { number: 'asc' }],
      take: q.limit,
    });
    return rows.map((u) => ({
      id: u.id,
      building: u.buildingId,
      number: u.number,
      floor: u.floor,
      ownerName: maskName(u.ownerName),
      ownerPhone: maskPhone(u.ownerPhone),
      hasAltContact: u.altContact.trim() !== '',
    }));
  }

  /** The full owner record: the read is logged (who, why, when) before anything is returned. */
  async unit(id: string, user: Staff, reason: string) {
    return this.db.$transaction(async (tx) => {
      const u = await tx.unit.findUnique({ where: { id } });
      if (!u) throw errors.notFound(`no unit ${id}`);
      const a = await tx.personalDataAccess.create({ data: { at: new Date(this.now()), userId: user.id, subject: `unit:${id}`, reason } });
      return {
        id: u.id,
        building: u.buildingId,
        number: u.number,
        floor: u.floor,
        ownerName: u.ownerName,
        ownerPhone: u.ownerPhone,
        altContact: u.altContact,
        createdAt: u.createdAt.getTime(),
        access: { seq: Number(a.seq), at: a.at.getTime(), reason: a.reason },
      };
    });
  }

  async accessLog(q: { subject?: string | undefined; userId?: string | undefined; limit: number }) {
    const rows = await this.db.personalDataAccess.findMany({
      where: { ...(q.subject ? { subject: q.subject } : {}), ...(q.userId ? { userId: q.userId } : {}) },
      orderBy: { seq: 'desc' },
      take: q.limit,
    });
    const names = await this.users(rows.map((r) => r.userId));
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at.getTime(),
      userId: r.userId,
      user: names.get(r.userId) ?? null,
      subject: r.subject,
      reason: r.reason,
    }));
  }

  // ------------------------------------------------------------------ audit

  async auditLog(q: {
    target?: string | undefined;
    actor?: string | undefined;
    action?: string | undefined;
    before?: number | undefined;
    from?: number | undefined;
    to?: number | undefined;
    limit: number;
  }) {
    const rows = await this.db.auditLog.findMany({
      where: {
        ...(q.target ? { target: q.target } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        // "user." matches every user.* action (the admin audit view filters by area)
        ...(q.action ? (q.action.endsWith('.') ? { action: { startsWith: q.action } } : { action: q.action }) : {}),
        ...(q.before ? { seq: { lt: BigInt(q.before) } } : {}),
        ...(q.from !== undefined || q.to !== undefined
          ? { at: { ...(q.from !== undefined ? { gte: new Date(q.from) } : {}), ...(q.to !== undefined ? { lt: new Date(q.to) } : {}) } }
          : {}),
      },
      orderBy: { seq: 'desc' },
      take: q.limit,
    });
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at.getTime(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      data: r.data ?? {},
    }));
  }

  // ------------------------------------------------------------------ attachments

  async addAttachment(
    incidentId: string,
    user: Staff,
    body: { filename: string; mime: AttachmentMime; dataBase64: string },
  ): Promise<AttachmentView> {
    const inc = await this.db.incident.findUnique({ where: { id: incidentId }, select: { id: true } });
    if (!inc) throw errors.notFound(`no incident ${incidentId}`);
    const b64 = body.dataBase64.replace(/^data:[^;,]+;base64,/, '').replace(/\s+/g, '');
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64))
      throw errors.badRequest(bi('附件数据不是有效的 base64', 'dataBase64 is not valid base64'));
    const size = (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
    if (size > MAX_ATTACHMENT_BYTES) {
      throw new HubError(
        'HUB_ERR_TOO_LARGE',
        bi(`附件不能超过 5 MB(当前 ${(size / 1048576).toFixed(1)} MB)`, `attachments are limited to 5 MB (got ${size} bytes)`),
        413,
      );
    }
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length === 0) throw errors.badRequest(bi('附件为空', 'the attachment is empty'));
    const sniffed = sniffMime(bytes);
    if (sniffed !== body.mime) {
      throw errors.badRequest(
        bi(
          `附件内容与类型 ${body.mime} 不符`,
          `the file content is not ${body.mime}${sniffed ? ` (looks like ${sniffed})` : ''}; accepted: ${ATTACHMENT_MIME.join(', ')}`,
        ),
      );
    }
    const filename = safeFilename(body.filename);
    const row = await this.db.$transaction(async (tx) => {
      const a = await tx.attachment.create({
        data: {
          incidentId,
          filename,
          mime: body.mime,
          bytes: new Uint8Array(bytes),
          uploadedBy: `user:${user.id}`,
          uploadedAt: new Date(this.now()),
        },
        select: { id: true, incidentId: true, filename: true, mime: true, uploadedBy: true, uploadedAt: true },
      });
      await this.audit(tx, user, 'attachment.upload', `incident:${incidentId}`, {
        attachmentId: a.id,
        filename,
        mime: body.mime,
        size: bytes.length,
      });
      return a;
    });
    return {
      ...row,
      size: bytes.length,
      uploadedAt: row.uploadedAt.getTime(),
      uploadedByName: user.displayName,
      url: `/api/attachments/${row.id}`,
    };
  }

  async attachments(incidentId: string): Promise<AttachmentView[]> {
    const rows = await this.db.$queryRaw<
      Array<{ id: string; incidentId: string; filename: string; mime: string; size: number; uploadedBy: string; uploadedAt: Date }>
    >`
      SELECT "id", "incidentId", "filename", "mime", octet_length("bytes")::int AS "size", "uploadedBy", "uploadedAt"
      FROM "Attachment" WHERE "incidentId" = ${incidentId} ORDER BY "uploadedAt", "id"`;
    const names = await this.users(rows.map((r) => userIdOf(r.uploadedBy)));
    return rows.map((r) => ({
      id: r.id,
      incidentId: r.incidentId,
      filename: r.filename,
      mime: r.mime,
      size: Number(r.size),
      uploadedBy: r.uploadedBy,
      uploadedByName: names.get(userIdOf(r.uploadedBy) ?? '')?.displayName ?? null,
      uploadedAt: new Date(r.uploadedAt).getTime(),
      url: `/api/attachments/${r.id}`,
    }));
  }

  async attachment(id: string): Promise<{ filename: string; mime: string; bytes: Buffer }> {
    const a = await this.db.attachment.findUnique({ where: { id } });
    if (!a) throw errors.notFound(`no attachment ${id}`);
    return { filename: a.filename, mime: a.mime, bytes: Buffer.from(a.bytes) };
  }

  // ------------------------------------------------------------------ special incident report 特别事件报告

  /** The report's data (seed 000 §2.1.7.1): fire, entrapment and outage incidents only. */
  async report(id: string, user: Staff): Promise<SpecialReport> {
    const inc = await this.o.incidents.get(id, user.role);
    if (!(REPORT_KINDS as readonly string[]).includes(inc.kind)) {
      throw errors.badRequest(bi(`${KIND_LABELS[inc.kind][0]}类事件没有特别事件报告`, `no special report for this kind (${inc.kind})`));
    }
    const [building, attachments] = await Promise.all([this.db.building.findUnique({ where: { id: inc.building } }), this.attachments(id)]);
    const timelineUser = (t: { actorType: string; actor: string }) => (t.actorType === 'user' ? (userIdOf(t.actor) ?? t.actor) : null);
    const names = await this.users([
      ...inc.steps.map((s) => userIdOf(s.doneBy)),
      ...inc.timeline.map(timelineUser),
      ...attachments.map((a) => userIdOf(a.uploadedBy)),
    ]);
    const label = (category: 'state' | 'step', key: string) => ({
      zh: procedureLabel(inc.kind, category, key, 'zh-CN'),
      en: procedureLabel(inc.kind, category, key, 'en'),
    });

    const actions = new Map<string, number>();
    const count = (uid: string | null) => uid && names.has(uid) && actions.set(uid, (actions.get(uid) ?? 0) + 1);
    inc.steps.forEach((s) => count(userIdOf(s.doneBy)));
    inc.timeline.forEach((t) => count(timelineUser(t)));
    attachments.forEach((a) => count(userIdOf(a.uploadedBy)));

    const PARTY_FIELDS = [
      'company',
      'person',
      'contractorCompany',
      'contractorPerson',
      'releasedBy',
      'by',
      'party',
      'contact',
      'reference',
    ];
    const parties = inc.steps.flatMap((s) =>
      PARTY_FIELDS.filter((f) => typeof s.data[f] === 'string' && (s.data[f] as string).trim() !== '').map((f) => ({
        step: s.key,
        stepLabel: label('step', s.key),
        field: f,
        value: s.data[f] as string,
      })),
    );
    const devices = [
      ...new Set([
        ...(inc.deviceId ? [inc.deviceId] : []),
        ...inc.commands.map((c) => c.deviceId),
        ...inc.timeline.filter((t) => t.actorType === 'device').map((t) => t.actor),
      ]),
    ].sort();
    const isType = (t: string): t is TimelineType => (TIMELINE_TYPES as readonly string[]).includes(t);
    const text = (t: (typeof inc.timeline)[number], locale: 'zh-CN' | 'en') =>
      isType(t.type)
        ? renderTimeline(inc.kind, { type: t.type, data: t.data, message: t.message }, locale)
        : t.message
          ? `${t.type} — ${t.message}`
          : t.type;
    const nameOf = (uid: string | null) => (uid ? (names.get(uid)?.displayName ?? null) : null);

    return {
      title: { zh: '特别事件报告', en: 'Special incident report' },
      generatedAt: this.now(),
      generatedBy: { id: user.id, username: user.username, displayName: user.displayName, role: user.role },
      final: !inc.open,
      incident: {
        id: inc.id,
        number: inc.number,
        kind: inc.kind,
        kindLabel: { zh: KIND_LABELS[inc.kind][0], en: KIND_LABELS[inc.kind][1] },
        state: inc.state,
        stateLabel: label('state', inc.state),
        open: inc.open,
        severity: inc.severity,
        site: inc.site,
        building: { id: inc.building, name: building?.name ?? inc.building, address: building?.address ?? '' },
        floor: inc.floor,
        deviceId: inc.deviceId,
        parentId: inc.parentId,
        children: inc.children,
        title: inc.title,
        openedAt: inc.openedAt,
        closedAt: inc.closedAt,
        durationMs: inc.closedAt !== null ? inc.closedAt - inc.openedAt : null,
        data: inc.data,
      },
      steps: inc.steps.map((s) => ({
        key: s.key,
        label: label('step', s.key),
        ord: s.ord,
        required: s.required,
        status: s.status,
        doneBy: s.doneBy,
        doneByName: nameOf(userIdOf(s.doneBy)),
        doneAt: s.doneAt,
        notes: s.notes,
        data: s.data,
      })),
      timeline: inc.timeline.map((t) => ({
        seq: t.seq,
        at: t.at,
        actorType: t.actorType,
        actor: t.actor,
        actorName: nameOf(timelineUser(t)),
        type: t.type,
        text: { zh: text(t, 'zh-CN'), en: text(t, 'en') },
        message: t.message,
        data: t.data,
      })),
      people: {
        staff: [...actions.entries()]
          .map(([uid, n]) => {
            const u = names.get(uid)!;
            return { ...u, roleLabel: { zh: ROLE_LABELS[u.role][0], en: ROLE_LABELS[u.role][1] }, actions: n };
          })
          .sort((a, b) => b.actions - a.actions || a.username.localeCompare(b.username)),
        parties,
        devices,
      },
      commands: inc.commands,
      attachments,
    };
  }

  /** "YYYY-MM-DD HH:mm" in the site's time zone (duty-log texts) */
  private fmt(t: number): string {
    return new Date(t + this.tz * 60_000).toISOString().slice(0, 16).replace('T', ' ');
  }
}
