// Cross-cutting records (PROCEDURES.md "Cross-cutting records"; seed 000 §2.1.7, seed 004
// 篇3 §1.6, seed 001 §四/§五, seed 000 §2.1.6.2): duty log 值班记录, shift handover 交接班,
// special incident report 特别事件报告 + attachments, follow-ups 回访, planned outages 计划停电,
// owner records with the personal-data access log, and the audit log.
//
// Every write goes in ONE transaction with its AuditLog row (and, for notable actions, its
// duty-log entry). Incident duty-log entries and follow-ups are written by the incident
// service in the transition's own transaction; this service only reads them.
import { Scope } from '../auth/scope.js';
import { Prisma } from '../../prisma/generated/client.js';
import type { IncidentKind, Role } from '../../contracts/domain.js';
import type { Msg, Text } from '../../contracts/messages.js';
import type { Db } from '../core/db.js';
import { HubError } from '../core/errors.js';
import { legacyBilingual, type MessageCatalog } from '../core/messages.js';
import { holdsPersonal, maskName, maskPhone, redact } from '../core/privacy.js';
import { ERROR_STATUS, type ErrorCode } from '../core/procedure/index.js';
import { NOTICE_MS, validatePlannedOutage } from '../power/machine.js';
import { dutyDay, type IncidentService, type PersonalAccessLog, type Reader } from '../incidents/service.js';
import { RECORDS_LABELS } from './labels.js';
import {
  ATTACHMENT_MIME,
  MAX_ATTACHMENT_BYTES,
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
  /** building scope (AuthUser.buildings): empty or absent = every building */
  buildings?: readonly string[];
}

export interface RecordServiceOptions {
  db: Db;
  incidents: IncidentService;
  /** every unmasked read of a person's record (owners, visitors) is logged here */
  accessLog: PersonalAccessLog;
  now?: () => number;
  /** site time zone for duty-log days and printed times (China Standard Time by default) */
  tzOffsetMinutes?: number;
}

type Tx = Prisma.TransactionClient;

/** A shift row's identity and period (DutyShift). */
export type ShiftSpanRow = { id: string; startsAt: Date; endsAt: Date };

/**
 * One shift's duty log (prisma/schema.prisma DutyShift): the entries written during it, plus its
 * handover's entries, written after its end but part of its record (seed 004 篇3 §1.3, §2.3).
 */
export function shiftLogWhere(shift: ShiftSpanRow): Prisma.DutyLogEntryWhereInput {
  return { OR: [{ shiftId: shift.id }, { shiftId: null, at: { gte: shift.startsAt, lt: shift.endsAt } }] };
}

/** where a duty-log row belongs besides its time: an incident, and the shift whose log holds it */
export type DutyEntryAt = { incidentId?: string | null; shiftId?: string | null };

/**
 * One duty-log row (records and shifts both write through here). `shiftId`: the shift whose log
 * holds the entry when it is not the one it is written in — a handover's (shiftLogWhere).
 */
export function writeDutyEntry(
  tx: Tx,
  now: number,
  tz: number,
  actor: string,
  key: keyof typeof RECORDS_LABELS.duty,
  params: Record<string, unknown>,
  at: DutyEntryAt = {},
) {
  return tx.dutyLogEntry.create({
    data: {
      day: dutyDay(now, tz),
      at: new Date(now),
      actor,
      incidentId: at.incidentId ?? null,
      key: `records.duty.${key}`,
      params: params as Prisma.InputJsonValue,
      shiftId: at.shiftId ?? null,
    },
  });
}
const HOUR = 3_600_000;

/** "user:<id>" → "<id>" (steps, audit, duty log); anything else → null */
export function userIdOf(ref: string | null | undefined): string | null {
  return ref?.startsWith('user:') ? ref.slice(5) : null;
}

export { maskName, maskPhone };

type RecordsError = keyof typeof RECORDS_LABELS.errors;

/** A refusal of the records service: coded, with its message key (rendered per reader) and English text. */
function refuse(
  code: ErrorCode | 'HUB_ERR_NOT_FOUND' | 'HUB_ERR_TOO_LARGE',
  status: number,
  key: RecordsError,
  params: Record<string, unknown> = {},
): HubError {
  const en = RECORDS_LABELS.errors[key][1].replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    return v === undefined || v === null ? '' : typeof v === 'object' ? (((v as Msg).key ?? '').split('.').pop() ?? '') : String(v);
  });
  return new HubError(code, en, status, { key: `records.error.${key}`, params });
}
const conflict = (key: RecordsError, params?: Record<string, unknown>) => refuse('HUB_ERR_CONFLICT', 409, key, params);
const badRequest = (key: RecordsError, params?: Record<string, unknown>) => refuse('HUB_ERR_BAD_REQUEST', 400, key, params);
const forbidden = (key: RecordsError, params?: Record<string, unknown>) => refuse('HUB_ERR_FORBIDDEN', 403, key, params);
const notFound = (what: 'handover' | 'followup' | 'planned_outage' | 'unit' | 'incident' | 'attachment', id: string) =>
  refuse('HUB_ERR_NOT_FOUND', 404, 'not_found', { what: { key: `records.value.${what}` }, id });

/** A stored message (or a string from before messages were stored) as a message. */
const asText = (v: unknown): Text => (v && typeof v === 'object' ? (v as Text) : { text: String(v ?? '') });

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

/** An open item as a handover stores it: keys and parameters, rendered when someone reads it. */
export type StoredOpenItem =
  | { type: 'incident'; id: string; number: number; kind: IncidentKind; state: string; title: Text; severity: number; openedAt: number }
  | { type: 'followup'; id: string; incidentId: string | null; subject: Text; dueAt: number; overdue: boolean }
  | {
      type: 'visit';
      id: string;
      building: string;
      unit: string;
      visitorName: string;
      enteredAt: number | null;
      plannedMinutes: number;
      overstay: boolean;
    }
  | StoredPendingItem
  | StoredDeviceItem;

/** A provider's pending item as a handover stores it (work orders, complaints…: shift-service.ts). */
export interface StoredPendingItem {
  type: 'pending';
  source: string;
  /** [zh, en] of the source, e.g. ['报修', 'Work order'] */
  sourceLabel: readonly [string, string];
  id: string;
  title: Text;
  building: string | null;
  dueAt: number | null;
  overdue: boolean;
}
export interface StoredDeviceItem {
  type: 'device';
  id: string;
  name: string;
  building: string;
  condition: 'offline' | 'out_of_service' | 'maintenance';
  since: number | null;
  reason: string | null;
}
/** One line of the equipment check as stored: the label as it read when checked. */
export interface StoredCheck {
  item: string;
  label: readonly [string, string];
  ok: boolean;
  note: string;
}
const DEVICE_CONDITION: Record<StoredDeviceItem['condition'], readonly [string, string]> = {
  offline: ['离线', 'offline'],
  out_of_service: ['停用', 'out of service'],
  maintenance: ['维护中', 'in maintenance'],
};

const isUnique = (err: unknown) => (err as { code?: string } | null)?.code === 'P2002';

export class RecordService {
  private readonly db: Db;
  private readonly now: () => number;
  private readonly tz: number;
  private readonly catalog: MessageCatalog;

  constructor(private readonly o: RecordServiceOptions) {
    this.db = o.db;
    this.now = o.now ?? Date.now;
    this.tz = o.tzOffsetMinutes ?? 480;
    this.catalog = o.incidents.engine.catalog;
  }

  /** The buildings of these incidents (for records that refer to an incident, not a building). */
  private async buildingsOf(incidentIds: Array<string | null | undefined>): Promise<Map<string, string>> {
    const ids = [...new Set(incidentIds.filter((x): x is string => !!x))];
    if (!ids.length) return new Map();
    const rows = await this.db.incident.findMany({ where: { id: { in: ids } }, select: { id: true, buildingId: true } });
    return new Map(rows.map((r) => [r.id, r.buildingId]));
  }

  /**
   * Is a record tied to `incidentId` (and/or naming `building`) visible in this scope? A record
   * tied to neither is site-level (a manual duty note, a handover's own lines): visible to all
   * (docs/security.md "Building scope").
   */
  private static visible(scope: Scope, buildings: Map<string, string>, incidentId: string | null | undefined, building?: unknown): boolean {
    if (!scope.limited) return true;
    if (incidentId) return scope.allows(buildings.get(incidentId));
    if (typeof building === 'string') return scope.allows(building);
    return true;
  }

  /** 404 for an incident that does not exist or lies outside the scope. */
  private async incidentInScope(id: string, scope: Scope): Promise<void> {
    const inc = await this.db.incident.findUnique({ where: { id }, select: { buildingId: true } });
    if (!inc || !scope.allows(inc.buildingId)) throw notFound('incident', id);
  }

  /** Personal keys of a kind this reader may not see unmasked (e.g. visitor names for operators). */
  private hidden(kind: unknown, reader: Reader): ReadonlySet<string> {
    const reg = this.o.incidents.engine.registry;
    return typeof kind === 'string' && reg.has(kind) ? this.o.incidents.views.hidden(kind, reader) : new Set();
  }

  /** Does this reader see visitors' names (the visitor procedure's personal keys)? */
  private visitorKeysHidden(reader: Reader): ReadonlySet<string> {
    return this.hidden('visitor_approval', reader);
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
  private duty(tx: Tx, user: Staff, key: keyof typeof RECORDS_LABELS.duty, params: Record<string, unknown>, at: DutyEntryAt = {}) {
    return writeDutyEntry(tx, this.now(), this.tz, `user:${user.id}`, key, params, at);
  }

  /** An audit row for a read worth recording (a printed or exported report). */
  async auditRead(user: Staff, action: string, target: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.db.auditLog.create({ data: { actor: `user:${user.id}`, action, target, data: data as Prisma.InputJsonValue } });
  }

  // ------------------------------------------------------------------ duty log 值班记录

  /**
   * The day's log rendered for this reader. Entries about an incident whose kind holds
   * personal data (a visitor's name in the title) are masked for readers without that duty;
   * unmasked ones are logged as reads of those records.
   */
  async dutyLog(
    day: string = this.today(),
    reader: Reader = { userId: null, role: null, locale: 'zh-CN', reason: null },
  ): Promise<DutyLogResponse> {
    const [all, sig] = await Promise.all([
      this.db.dutyLogEntry.findMany({ where: { day }, orderBy: [{ at: 'asc' }, { seq: 'asc' }] }),
      this.db.dutyLogSignature.findUnique({ where: { day } }),
    ]);
    const { views, names } = await this.renderEntries(all, sig ? { at: sig.signedAt.getTime(), by: sig.signedBy } : null, reader);
    return {
      day,
      entries: views,
      signature: sig
        ? {
            signedBy: sig.signedBy,
            signedByName: names.get(userIdOf(sig.signedBy) ?? '')?.displayName ?? null,
            signedAt: sig.signedAt.getTime(),
            note: sig.note,
          }
        : null,
    };
  }

  /** One shift's log (services/records/shift-service.ts) rendered for this reader; `signed` marks the entries that landed after the signature. */
  async dutyEntriesOfShift(shift: ShiftSpanRow, signed: { at: number; by: string } | null, reader: Reader) {
    const entries = await this.db.dutyLogEntry.findMany({ where: shiftLogWhere(shift), orderBy: [{ at: 'asc' }, { seq: 'asc' }] });
    return this.renderEntries(entries, signed, reader);
  }

  private async renderEntries(
    all: Awaited<ReturnType<Db['dutyLogEntry']['findMany']>>,
    signed: { at: number; by: string } | null,
    reader: Reader,
  ) {
    // entries about another building's incident (or naming another building) are not this reader's
    const scope = reader.scope ?? Scope.ALL;
    const bOf = scope.limited ? await this.buildingsOf(all.map((e) => e.incidentId)) : new Map<string, string>();
    const entries = all.filter((e) =>
      RecordService.visible(scope, bOf, e.incidentId, (e.params as Record<string, unknown> | null)?.building),
    );
    const names = await this.users([...entries.map((e) => userIdOf(e.actor)), userIdOf(signed?.by)]);
    const name = (ref: string) => names.get(userIdOf(ref) ?? '')?.displayName ?? null;
    const read: string[] = [];
    const views = entries.map((e) => {
      const raw = (e.params ?? {}) as Record<string, unknown>;
      const kind = raw.kind;
      const hidden = this.hidden(kind, { ...reader, reason: reader.reason ?? 'duty log' });
      const personal =
        typeof kind === 'string' && this.o.incidents.engine.registry.has(kind)
          ? this.o.incidents.engine.registry.get(kind).personal
          : undefined;
      if (personal && e.incidentId && hidden.size === 0 && holdsPersonal(raw, new Set(personal.keys)))
        read.push(personal.subject(e.incidentId));
      const params = redact(raw, hidden);
      return {
        seq: Number(e.seq),
        at: e.at.getTime(),
        actor: e.actor,
        actorName: name(e.actor),
        incidentId: e.incidentId,
        key: e.legacyText !== null ? 'legacy' : e.key,
        params: e.legacyText !== null ? { text: e.legacyText } : params,
        text:
          e.legacyText !== null
            ? legacyBilingual(e.legacyText, reader.locale)
            : this.catalog.dutyText({ key: e.key, params }, reader.locale),
        afterSignature: !!signed && e.at.getTime() > signed.at,
      };
    });
    if (reader.userId && read.length) await this.o.accessLog.record(reader.userId, read, 'duty log');
    return { views, names };
  }

  /** A manual entry in today's log. A signed day takes no more manual entries (409). */
  async addDutyEntry(user: Staff, text: string, reader?: Reader): Promise<DutyLogResponse> {
    const day = this.today();
    await this.db.$transaction(async (tx) => {
      if (await tx.dutyLogSignature.findUnique({ where: { day } })) throw conflict('day_signed', { day });
      // what the person wrote, stored as typed; the key only says "a manual entry"
      const e = await this.duty(tx, user, 'manual', { text: { text } });
      await this.audit(tx, user, 'duty_log.entry', `duty_log:${day}`, { seq: Number(e.seq) });
    });
    return this.dutyLog(day, reader);
  }

  /** The supervisor signs a day's log, once (409 the second time). */
  async signDay(day: string, user: Staff, note: string, reader?: Reader): Promise<DutyLogResponse> {
    if (day > this.today()) throw badRequest('future_day', { day });
    try {
      await this.db.$transaction(async (tx) => {
        const sig = await tx.dutyLogSignature.findUnique({ where: { day } });
        if (sig) throw conflict('already_signed', { day });
        const entries = await tx.dutyLogEntry.count({ where: { day } });
        await tx.dutyLogSignature.create({ data: { day, signedBy: `user:${user.id}`, signedAt: new Date(this.now()), note } });
        await this.audit(tx, user, 'duty_log.sign', `duty_log:${day}`, { entries, note });
      });
    } catch (err) {
      if (isUnique(err)) throw conflict('already_signed', { day });
      throw err;
    }
    return this.dutyLog(day, reader);
  }

  // ------------------------------------------------------------------ handover 交接班

  /** What the incoming shift inherits: open incidents, open follow-ups, visitors inside (stored with keys). */
  async openItems(): Promise<StoredOpenItem[]> {
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
          kind: i.kind as IncidentKind,
          state: i.state,
          title: asText(i.title),
          severity: i.severity,
          openedAt: i.openedAt.getTime(),
        })),
      ...followups.map((f) => ({
        type: 'followup' as const,
        id: f.id,
        incidentId: f.incidentId,
        subject: asText(f.subject),
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

  /**
   * Open items rendered for this reader: labels in its locale, visitors' names masked for roles
   * without visitor duties (and, when shown, logged as reads of those visits).
   */
  private renderItems(items: unknown, reader: Reader, read: string[]): OpenItem[] {
    const list = (Array.isArray(items) ? items : []) as Array<Record<string, unknown>>;
    const hideVisitors = this.visitorKeysHidden(reader).size > 0;
    const L = (m: Text) => this.catalog.render(m, reader.locale);
    return list.map((o): OpenItem => {
      if (o.type === 'incident') {
        const kind = o.kind as IncidentKind;
        const title = redact(asText(o.title), this.hidden(kind, reader));
        const known = this.o.incidents.engine.registry.has(kind);
        return {
          type: 'incident',
          id: String(o.id),
          number: Number(o.number),
          kind,
          state: String(o.state),
          // rows from before keys were stored carry their own "中文 / English" label
          stateLabel: known
            ? L({ key: `${kind}.state.${String(o.state)}` })
            : legacyBilingual(String(o.stateLabel ?? o.state), reader.locale),
          title: L(title),
          titleMsg: title,
          severity: Number(o.severity),
          openedAt: Number(o.openedAt),
        };
      }
      if (o.type === 'followup') {
        const subject = asText(o.subject);
        return {
          type: 'followup',
          id: String(o.id),
          incidentId: (o.incidentId as string | null) ?? null,
          subject: L(subject),
          subjectMsg: subject,
          dueAt: Number(o.dueAt),
          overdue: Boolean(o.overdue),
        };
      }
      if (o.type === 'pending') {
        const title = asText(o.title);
        const src = (Array.isArray(o.sourceLabel) ? o.sourceLabel : [o.source, o.source]) as [string, string];
        return {
          type: 'pending',
          source: String(o.source),
          sourceLabel: reader.locale === 'en' ? String(src[1]) : String(src[0]),
          id: String(o.id),
          title: L(title),
          titleMsg: title,
          building: (o.building as string | null) ?? null,
          dueAt: (o.dueAt as number | null) ?? null,
          overdue: Boolean(o.overdue),
        };
      }
      if (o.type === 'device') {
        const condition = o.condition as StoredDeviceItem['condition'];
        return {
          type: 'device',
          id: String(o.id),
          name: String(o.name),
          building: String(o.building),
          condition,
          conditionLabel: (DEVICE_CONDITION[condition] ?? [condition, condition])[reader.locale === 'en' ? 1 : 0],
          since: (o.since as number | null) ?? null,
          reason: (o.reason as string | null) ?? null,
        };
      }
      if (!hideVisitors) read.push(`visit:${String(o.id)}`);
      return {
        type: 'visit',
        id: String(o.id),
        building: String(o.building),
        unit: String(o.unit),
        visitorName: hideVisitors ? maskName(String(o.visitorName ?? '')) : String(o.visitorName ?? ''),
        enteredAt: (o.enteredAt as number | null) ?? null,
        plannedMinutes: Number(o.plannedMinutes),
        overstay: Boolean(o.overstay),
      };
    });
  }

  /** Stored open items rendered for this reader (the handover draft); visitors shown are logged as read. */
  async renderOpenItems(items: StoredOpenItem[], reader: Reader): Promise<OpenItem[]> {
    const read: string[] = [];
    const scope = reader.scope ?? Scope.ALL;
    const raw = items as unknown as Array<Record<string, unknown>>;
    const bOf = scope.limited
      ? await this.buildingsOf(raw.map((o) => (o.type === 'incident' ? String(o.id) : (o.incidentId as string | null))))
      : new Map<string, string>();
    const out = this.renderItems(
      raw.filter((o) =>
        RecordService.visible(scope, bOf, o.type === 'incident' ? String(o.id) : (o.incidentId as string | null), o.building),
      ),
      reader,
      read,
    );
    if (reader.userId && read.length) await this.o.accessLog.record(reader.userId, read, 'shift handover');
    return out;
  }

  private async handoverViews(
    rows: Array<Awaited<ReturnType<Db['handover']['findMany']>>[number]>,
    reader: Reader,
  ): Promise<HandoverResponse[]> {
    const names = await this.users(rows.flatMap((h) => [h.outgoingId, h.incomingId]));
    const read: string[] = [];
    // a handover is between people (site-level); the open items it lists are limited to the
    // reader's buildings like any other incident, follow-up or visit
    const scope = reader.scope ?? Scope.ALL;
    const itemsOf = (h: (typeof rows)[number]) => (Array.isArray(h.openItems) ? h.openItems : []) as Array<Record<string, unknown>>;
    const bOf = scope.limited
      ? await this.buildingsOf(
          rows.flatMap((h) => itemsOf(h).map((o) => (o.type === 'incident' ? String(o.id) : (o.incidentId as string | null)))),
        )
      : new Map<string, string>();
    const inScope = (o: Record<string, unknown>) =>
      RecordService.visible(scope, bOf, o.type === 'incident' ? String(o.id) : (o.incidentId as string | null), o.building);
    const views = rows.map((h) => ({
      id: h.id,
      outgoingId: h.outgoingId,
      incomingId: h.incomingId,
      state: h.state as HandoverResponse['state'],
      openItems: this.renderItems(itemsOf(h).filter(inScope), reader, read),
      shiftId: h.shiftId,
      checks: ((Array.isArray(h.checks) ? h.checks : []) as unknown as StoredCheck[]).map((c) => ({
        item: c.item,
        label: (reader.locale === 'en' ? c.label?.[1] : c.label?.[0]) ?? c.item,
        ok: c.ok,
        note: c.note ?? '',
      })),
      notes: h.notes,
      createdAt: h.createdAt.getTime(),
      outgoingSignedAt: h.outgoingSignedAt.getTime(),
      incomingSignedAt: h.incomingSignedAt?.getTime() ?? null,
      refusedReason: h.refusedReason,
      outgoing: names.get(h.outgoingId) ?? null,
      incoming: h.incomingId ? (names.get(h.incomingId) ?? null) : null,
    }));
    if (reader.userId && read.length) await this.o.accessLog.record(reader.userId, read, 'shift handover');
    return views;
  }

  async handover(id: string, reader: Reader): Promise<HandoverResponse> {
    const h = await this.db.handover.findUnique({ where: { id } });
    if (!h) throw notFound('handover', id);
    return (await this.handoverViews([h], reader))[0]!;
  }

  async handovers(
    q: { state?: 'open' | 'accepted' | 'refused' | undefined; shiftId?: string | undefined; limit: number },
    reader: Reader,
  ): Promise<HandoverResponse[]> {
    const rows = await this.db.handover.findMany({
      where: { ...(q.state ? { state: q.state } : {}), ...(q.shiftId ? { shiftId: q.shiftId } : {}) },
      orderBy: { createdAt: 'desc' },
      take: q.limit,
    });
    return this.handoverViews(rows, reader);
  }

  /** The outgoing operator hands over; creating it is the outgoing signature. */
  async createHandover(
    user: Staff,
    body: { notes: string; incomingUsername?: string | undefined },
    reader: Reader,
    /** from the shift service: the shift it closes, the equipment check and the pending items of the providers */
    shift: { shiftId: string; checks: StoredCheck[]; items: StoredOpenItem[] } | null = null,
  ): Promise<HandoverResponse> {
    let incomingId: string | null = null;
    if (body.incomingUsername) {
      const u = await this.db.user.findUnique({ where: { username: body.incomingUsername } });
      if (!u || !u.enabled) throw badRequest('no_incoming_user', { username: body.incomingUsername });
      if (u.id === user.id) throw badRequest('incoming_self');
      incomingId = u.id;
    }
    const items = [...(await this.openItems()), ...(shift?.items ?? [])];
    const now = new Date(this.now());
    const id = await this.db.$transaction(async (tx) => {
      const pending = await tx.handover.findFirst({ where: { outgoingId: user.id, state: 'open' } });
      if (pending) throw conflict('open_handover_exists', { id: pending.id });
      const h = await tx.handover.create({
        data: {
          outgoingId: user.id,
          incomingId,
          state: 'open',
          openItems: items as unknown as Prisma.InputJsonValue,
          notes: body.notes,
          createdAt: now,
          outgoingSignedAt: now,
          shiftId: shift?.shiftId ?? null,
          checks: (shift?.checks ?? []) as unknown as Prisma.InputJsonValue,
        },
      });
      const faults = (shift?.checks ?? []).filter((c) => !c.ok);
      await this.audit(tx, user, 'handover.create', `handover:${h.id}`, {
        incomingId,
        openItems: items.length,
        shiftId: shift?.shiftId ?? null,
        checks: shift?.checks.length ?? 0,
        notOk: faults.map((c) => c.item),
      });
      // the handover is the closing part of its shift's log (seed 004 篇3 §1.3), not of the next one's
      const shiftId = shift?.shiftId ?? null;
      await this.duty(tx, user, 'handover_created', { name: user.displayName, count: items.length }, { shiftId });
      // seed 004 篇3 §2.1: an × in the equipment check is written down, not only ticked
      if (faults.length)
        await this.duty(
          tx,
          user,
          'handover_checks_failed',
          {
            items: {
              l: [
                faults.map((c) => `${c.label[0]}${c.note ? `(${c.note})` : ''}`).join('、'),
                faults.map((c) => `${c.label[1]}${c.note ? ` (${c.note})` : ''}`).join(', '),
              ],
            },
          },
          { shiftId },
        );
      return h.id;
    });
    return this.handover(id, reader);
  }

  /** The incoming operator signs (accept) or refuses with a reason (seed 004 篇3 §1.6). */
  async answerHandover(
    id: string,
    user: Staff,
    answer: { accept: true; note?: string | undefined } | { accept: false; reason: string },
    reader: Reader,
  ): Promise<HandoverResponse> {
    await this.db.$transaction(async (tx) => {
      const h = await tx.handover.findUnique({ where: { id } });
      if (!h) throw notFound('handover', id);
      if (h.state !== 'open') throw conflict('handover_answered', { state: { key: `records.value.${h.state}` } });
      if (h.outgoingId === user.id) throw forbidden('outgoing_cannot_accept');
      if (h.incomingId && h.incomingId !== user.id) throw forbidden('other_incoming');
      const now = new Date(this.now());
      const u = await tx.handover.updateMany({
        where: { id, state: 'open' },
        data: answer.accept
          ? { state: 'accepted', incomingId: user.id, incomingSignedAt: now }
          : { state: 'refused', incomingId: user.id, incomingSignedAt: now, refusedReason: answer.reason },
      });
      if (u.count !== 1) throw conflict('answered_concurrently');
      if (answer.accept) {
        await this.audit(tx, user, 'handover.accept', `handover:${id}`, { outgoingId: h.outgoingId, note: answer.note ?? null });
        await this.duty(tx, user, 'handover_accepted', { name: user.displayName }, { shiftId: h.shiftId });
      } else {
        await this.audit(tx, user, 'handover.refuse', `handover:${id}`, { outgoingId: h.outgoingId, reason: answer.reason });
        await this.duty(tx, user, 'handover_refused', { name: user.displayName, reason: { text: answer.reason } }, { shiftId: h.shiftId });
      }
    });
    return this.handover(id, reader);
  }

  // ------------------------------------------------------------------ follow-ups 回访

  async followUps(q: { open?: 'true' | 'false' | undefined; incidentId?: string | undefined; limit: number }, reader: Reader) {
    const now = this.now();
    const scope = reader.scope ?? Scope.ALL;
    const rows = await this.db.followUp.findMany({
      where: {
        ...(q.open === 'true' ? { doneAt: null } : q.open === 'false' ? { doneAt: { not: null } } : {}),
        ...(q.incidentId ? { incidentId: q.incidentId } : {}),
        // a follow-up of another building's incident is not this reader's
        ...(scope.limited ? { id: { in: await this.followUpPageIn(scope, q) } } : {}),
      },
      orderBy: [{ dueAt: 'asc' }],
      take: q.limit,
    });
    return rows.map((f) => this.followUpView(f, now, reader));
  }

  /**
   * The ids of one page of follow-ups within the scope. FollowUp has no relation to Incident to
   * filter on, and an id list of every incident in the scope would outgrow PostgreSQL's 65,535
   * bind parameters over the years: the page is chosen in SQL with a join, the rows read by id.
   */
  private async followUpPageIn(scope: Scope, q: { open?: 'true' | 'false' | undefined; incidentId?: string | undefined; limit: number }) {
    const rows = await this.db.$queryRaw<Array<{ id: string }>>`
      SELECT f."id" FROM "FollowUp" f LEFT JOIN "Incident" i ON i."id" = f."incidentId"
      WHERE (f."incidentId" IS NULL OR i."buildingId" = ANY(${[...scope.buildings]}::text[]))
        ${q.open === 'true' ? Prisma.sql`AND f."doneAt" IS NULL` : q.open === 'false' ? Prisma.sql`AND f."doneAt" IS NOT NULL` : Prisma.empty}
        ${q.incidentId ? Prisma.sql`AND f."incidentId" = ${q.incidentId}` : Prisma.empty}
      ORDER BY f."dueAt" ASC LIMIT ${q.limit}`;
    return rows.map((r) => r.id);
  }

  private followUpView(f: Awaited<ReturnType<Db['followUp']['findMany']>>[number], now: number, reader: Reader) {
    // the subject names the incident's title: a visitor's name is masked for roles without the duty
    const subject = redact(asText(f.subject), this.visitorKeysHidden(reader));
    return {
      id: f.id,
      incidentId: f.incidentId,
      subject: this.catalog.render(subject, reader.locale),
      subjectMsg: subject,
      dueAt: f.dueAt.getTime(),
      doneAt: f.doneAt?.getTime() ?? null,
      doneBy: f.doneBy,
      notes: f.notes,
      // done late counts as overdue too: the 2-working-day target was missed
      overdue: (f.doneAt?.getTime() ?? now) > f.dueAt.getTime(),
    };
  }

  async followUpDone(id: string, user: Staff, notes: string, reader: Reader) {
    const scope = reader.scope ?? Scope.ALL;
    if (scope.limited) {
      const row = await this.db.followUp.findUnique({ where: { id }, select: { incidentId: true } });
      if (row?.incidentId && !scope.allows((await this.buildingsOf([row.incidentId])).get(row.incidentId))) throw notFound('followup', id);
    }
    const f = await this.db.$transaction(async (tx) => {
      const now = new Date(this.now());
      const u = await tx.followUp.updateMany({ where: { id, doneAt: null }, data: { doneAt: now, doneBy: `user:${user.id}`, notes } });
      const row = await tx.followUp.findUnique({ where: { id } });
      if (!row) throw notFound('followup', id);
      if (u.count !== 1) throw conflict('followup_already_done');
      await this.audit(tx, user, 'followup.done', `followup:${id}`, { incidentId: row.incidentId, late: now > row.dueAt });
      await this.duty(tx, user, 'followup_done', { subject: asText(row.subject) }, { incidentId: row.incidentId });
      return row;
    });
    return this.followUpView(f, this.now(), reader);
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

  async plannedOutages(
    q: {
      building?: string | undefined;
      current?: 'true' | 'false' | undefined;
      limit: number;
    },
    scope: Scope = Scope.ALL,
  ): Promise<PlannedOutageView[]> {
    const now = new Date(this.now());
    const rows = await this.db.plannedOutage.findMany({
      where: {
        ...scope.whereRequested('buildingId', q.building),
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
    if (!b || !Scope.of(user).allows(b.id)) throw badRequest('unknown_building', { building: body.building });
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
    if (!r.ok) throw new HubError(r.code, r.message, ERROR_STATUS[r.code], r.msg);
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
      await this.duty(tx, user, 'outage_registered', {
        building: b.name,
        startsAt: { time: v.startsAt },
        endsAt: { time: v.endsAt },
        reason: { text: v.reason },
        short: v.flags.includes('short_notice') ? { key: 'records.value.short_notice' } : null,
      });
      return o;
    });
    return this.outageViews([row])[0]!;
  }

  async cancelPlannedOutage(id: string, user: Staff, reason: string | undefined): Promise<PlannedOutageView> {
    const row = await this.db.$transaction(async (tx) => {
      const o = await tx.plannedOutage.findUnique({ where: { id } });
      if (!o || !Scope.of(user).allows(o.buildingId)) throw notFound('planned_outage', id);
      if (o.cancelled) throw conflict('outage_already_cancelled');
      if (o.endsAt.getTime() < this.now()) throw conflict('outage_ended');
      const u = await tx.plannedOutage.update({ where: { id }, data: { cancelled: true } });
      await this.audit(tx, user, 'planned_outage.cancel', `planned_outage:${id}`, { reason: reason ?? null });
      await this.duty(tx, user, 'outage_cancelled', {
        building: o.buildingId,
        startsAt: { time: o.startsAt.getTime() },
        reason: reason ? { text: reason } : null,
      });
      return u;
    });
    return this.outageViews([row])[0]!;
  }

  // ------------------------------------------------------------------ owners 业主资料 (personal data)

  /** The owner list, masked (no access log: nothing personal is shown in full). */
  async units(q: { building?: string | undefined; limit: number }, scope: Scope = Scope.ALL) {
    const rows = await this.db.unit.findMany({
      where: scope.whereRequested('buildingId', q.building),
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
      if (!u || !Scope.of(user).allows(u.buildingId)) throw notFound('unit', id);
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
    await this.incidentInScope(incidentId, Scope.of(user));
    const b64 = body.dataBase64.replace(/^data:[^;,]+;base64,/, '').replace(/\s+/g, '');
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw badRequest('bad_base64');
    const size = (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
    if (size > MAX_ATTACHMENT_BYTES) {
      throw refuse('HUB_ERR_TOO_LARGE', 413, 'too_large', { mb: (size / 1048576).toFixed(1), bytes: size });
    }
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length === 0) throw badRequest('empty_attachment');
    const sniffed = sniffMime(bytes);
    if (sniffed !== body.mime) {
      throw badRequest('mime_mismatch', {
        mime: body.mime,
        looksLike: sniffed ? ` (looks like ${sniffed})` : '',
        accepted: ATTACHMENT_MIME.join(', '),
      });
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

  async attachments(incidentId: string, scope: Scope = Scope.ALL): Promise<AttachmentView[]> {
    if (scope.limited) await this.incidentInScope(incidentId, scope);
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

  async attachment(id: string, scope: Scope = Scope.ALL): Promise<{ filename: string; mime: string; bytes: Buffer }> {
    const a = await this.db.attachment.findUnique({ where: { id }, include: { incident: { select: { buildingId: true } } } });
    if (!a || !scope.allows(a.incident.buildingId)) throw notFound('attachment', id);
    return { filename: a.filename, mime: a.mime, bytes: Buffer.from(a.bytes) };
  }

  // ------------------------------------------------------------------ special incident report 特别事件报告

  /** The report's data (seed 000 §2.1.7.1): fire, entrapment and outage incidents only. */
  async report(id: string, user: Staff): Promise<SpecialReport> {
    // the printed report is bilingual; personal data is not part of the report kinds (fire, entrapment, outage)
    const inc = await this.o.incidents.get(id, {
      userId: user.id,
      role: user.role,
      locale: 'zh-CN',
      reason: 'special incident report',
      scope: Scope.of(user),
    });
    if (!this.o.incidents.engine.describe(inc.kind).specialReport) throw badRequest('no_report', { kind: { key: `${inc.kind}.kind` } });
    const [building, attachments] = await Promise.all([this.db.building.findUnique({ where: { id: inc.building } }), this.attachments(id)]);
    const timelineUser = (t: { actorType: string; actor: string }) => (t.actorType === 'user' ? (userIdOf(t.actor) ?? t.actor) : null);
    const names = await this.users([
      ...inc.steps.map((s) => userIdOf(s.doneBy)),
      ...inc.timeline.map(timelineUser),
      ...attachments.map((a) => userIdOf(a.uploadedBy)),
    ]);
    const both = (m: Text) => ({ zh: this.catalog.render(m, 'zh-CN'), en: this.catalog.render(m, 'en') });
    const label = (category: 'state' | 'step', key: string) => both({ key: `${inc.kind}.${category}.${key}` });

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
    const text = (t: (typeof inc.timeline)[number], locale: 'zh-CN' | 'en') => this.catalog.timelineText(inc.kind, t, locale);
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
        kindLabel: both({ key: `${inc.kind}.kind` }),
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
        title: `${this.catalog.render(inc.titleMsg, 'zh-CN')} / ${this.catalog.render(inc.titleMsg, 'en')}`,
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
        // a step the procedure skipped carries its reason as a message: printed in both languages
        notes:
          s.notes ||
          (s.data.skipReason && typeof s.data.skipReason === 'object'
            ? `${this.catalog.render(s.data.skipReason as Text, 'zh-CN')} / ${this.catalog.render(s.data.skipReason as Text, 'en')}`
            : ''),
        data: Object.fromEntries(Object.entries(s.data).filter(([k]) => k !== 'skipReason')),
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
            return { ...u, roleLabel: both({ key: `role.${u.role}` }), actions: n };
          })
          .sort((a, b) => b.actions - a.actions || a.username.localeCompare(b.username)),
        parties,
        devices,
      },
      commands: inc.commands,
      attachments,
    };
  }
}
