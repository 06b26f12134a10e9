// Shifts 班次, the per-shift duty log, the handover the hub opens at each shift's end, reminders
// and the supervisor's review (PROCEDURES.md "Shifts, duty log, handover"; seed 000 §2.1.7,
// seed 004 篇3, seed 001 篇2 §二). The timing rules are pure (shifts.ts); this service keeps the
// rows (DutyShift: a shift's period is fixed once written) and runs the clock.
//
// Pending items of other services (work orders, complaints…) come through `PendingItemsProvider`s
// the composition root hands in, so this service knows nothing of them.
import type { Prisma } from '../../prisma/generated/client.js';
import type { Locale } from '../../contracts/messages.js';
import type { OnCallRole } from '../../contracts/notifications.js';
import type { Role } from '../../contracts/domain.js';
import type {
  DeviceItemView,
  HandoverDraft,
  MonthReviewView,
  OnDutyView,
  PendingView,
  ShiftLogResponse,
  ShiftView,
} from '../../contracts/shifts.js';
import { EquipmentList, ShiftDefs, type EquipmentItem, type ShiftDef } from '../../contracts/shifts.js';
import type { EventBus } from '../core/bus.js';
import type { Db } from '../core/db.js';
import { HubError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { MessageCatalog } from '../core/messages.js';
import type { DeviceView } from '../../contracts/api.js';
import type { Reader } from '../incidents/service.js';
import type { Scope } from '../auth/scope.js';
import { RECORDS_LABELS } from './labels.js';
import type { RecordService, Staff, StoredCheck, StoredDeviceItem, StoredPendingItem } from './service.js';
import { shiftLogWhere, userIdOf, writeDutyEntry } from './service.js';
import {
  DEFAULT_EQUIPMENT,
  DEFAULT_SHIFTS,
  dueReminders,
  localDay,
  monthSpan,
  shiftAfter,
  shiftAt,
  spotCheckCounts,
  type Reminder,
  type ShiftSpan,
} from './shifts.js';

/** A source of pending items for the handover (work orders, complaints, …). */
export interface PendingItemsProvider {
  /** e.g. 'work_order' */
  readonly source: string;
  /** [zh, en] */
  readonly label: readonly [string, string];
  /** what is still pending now, optionally only in these buildings */
  pending(q: {
    now: number;
    buildings: readonly string[] | null;
  }): Promise<Array<Omit<StoredPendingItem, 'type' | 'source' | 'sourceLabel'>>>;
}

/** What the service reads of the devices (the registry's public views). */
export interface DevicesPort {
  views(): DeviceView[];
}

/** Reminders that leave the screen (services/notifications NotificationService.remind). */
export interface RemindPort {
  remind(key: string, roles: readonly OnCallRole[], text: string): Promise<number>;
}

/** Admin-editable timings (contracts/admin.ts SETTING_DEFS group `shifts`). */
export interface ShiftSettingsPort {
  value(key: string): number | boolean;
}

export interface ShiftServiceOptions {
  db: Db;
  records: RecordService;
  catalog: MessageCatalog;
  bus: EventBus;
  devices: DevicesPort;
  settings: ShiftSettingsPort;
  notify?: RemindPort | null;
  providers?: PendingItemsProvider[];
  log: Logger;
  now?: () => number;
  tzOffsetMinutes?: number;
}

const CONFIG_KEY = 'shifts.config';
const MIN = 60_000;
type Row = Awaited<ReturnType<Db['dutyShift']['findMany']>>[number];
type ShiftError = keyof typeof RECORDS_LABELS.errors;

function refuse(
  code: 'HUB_ERR_CONFLICT' | 'HUB_ERR_BAD_REQUEST' | 'HUB_ERR_NOT_FOUND',
  status: number,
  key: ShiftError,
  params: Record<string, unknown>,
) {
  const en = RECORDS_LABELS.errors[key][1].replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? ''));
  return new HubError(code, en, status, { key: `records.error.${key}`, params });
}

const pick = (l: readonly [string, string], locale: Locale) => (locale === 'en' ? l[1] : l[0]);
const asLabel = (v: unknown): [string, string] =>
  Array.isArray(v) && v.length === 2 ? [String(v[0]), String(v[1])] : [String(v), String(v)];

export class ShiftService {
  private readonly db: Db;
  private readonly now: () => number;
  readonly tz: number;
  private defs: ShiftDef[] = DEFAULT_SHIFTS;
  private equipment: EquipmentItem[] = DEFAULT_EQUIPMENT;
  private configMeta: { updatedAt: number | null; updatedBy: string | null } = { updatedAt: null, updatedBy: null };
  private readonly providers: PendingItemsProvider[];
  /** reminders already sent by this process (the outbox key makes them idempotent across restarts) */
  private readonly sent = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: ShiftServiceOptions) {
    this.db = o.db;
    this.now = o.now ?? Date.now;
    this.tz = o.tzOffsetMinutes ?? 480;
    this.providers = [...(o.providers ?? [])];
  }

  /** Another service's pending items in every later handover (the composition root calls this). */
  addProvider(p: PendingItemsProvider): void {
    this.providers.push(p);
  }

  async start(opts: { timer?: boolean } = {}): Promise<void> {
    const row = await this.db.setting.findUnique({ where: { key: CONFIG_KEY } });
    if (row) {
      const v = row.value as { shifts?: unknown; equipment?: unknown };
      const s = ShiftDefs.safeParse(v.shifts);
      const e = EquipmentList.safeParse(v.equipment);
      if (s.success) this.defs = s.data;
      if (e.success) this.equipment = e.data;
      this.configMeta = { updatedAt: row.updatedAt.getTime(), updatedBy: row.updatedBy };
    }
    // the current shift exists from the start; handovers open only for ends crossed while running
    await this.ensureCurrent();
    if (opts.timer !== false) this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    // checked every few seconds: a shift end or a reminder is late by at most this (capped so a
    // clock jump is noticed, as the incident timers do)
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err: unknown) => this.o.log.error({ err }, 'shift tick failed'))
        .finally(() => this.schedule());
    }, 5000);
    this.timer.unref();
  }

  // ------------------------------------------------------------------ configuration

  config() {
    return { shifts: this.defs, equipment: this.equipment, ...this.configMeta };
  }

  /** Admin: the shifts and the equipment check list; applies from the next shift boundary. */
  async setConfig(user: Staff, body: { shifts?: ShiftDef[] | undefined; equipment?: EquipmentItem[] | undefined }) {
    const next = { shifts: body.shifts ?? this.defs, equipment: body.equipment ?? this.equipment };
    const at = new Date(this.now());
    await this.db.$transaction(async (tx) => {
      await tx.setting.upsert({
        where: { key: CONFIG_KEY },
        update: { value: next as unknown as Prisma.InputJsonValue, updatedAt: at, updatedBy: `user:${user.id}` },
        create: { key: CONFIG_KEY, value: next as unknown as Prisma.InputJsonValue, updatedAt: at, updatedBy: `user:${user.id}` },
      });
      await tx.auditLog.create({
        data: {
          actor: `user:${user.id}`,
          action: 'shifts.config',
          target: 'setting:shifts',
          data: { before: { shifts: this.defs, equipment: this.equipment }, after: next } as unknown as Prisma.InputJsonValue,
        },
      });
    });
    this.defs = next.shifts;
    this.equipment = next.equipment;
    this.configMeta = { updatedAt: at.getTime(), updatedBy: `user:${user.id}` };
    return this.config();
  }

  // ------------------------------------------------------------------ shift rows

  /** The shift row containing `t`, written (from the configuration) when it does not exist yet. */
  private async ensureAt(t: number): Promise<Row> {
    const have = await this.db.dutyShift.findFirst({ where: { startsAt: { lte: new Date(t) }, endsAt: { gt: new Date(t) } } });
    if (have) return have;
    let span: ShiftSpan = shiftAt(t, this.defs, this.tz);
    // a configuration change while a shift ran: the next shift starts where the written one ends
    const prev = await this.db.dutyShift.findFirst({
      where: { endsAt: { gt: new Date(span.startsAt), lte: new Date(t) } },
      orderBy: { endsAt: 'desc' },
    });
    if (prev) span = shiftAfter({ endsAt: prev.endsAt.getTime() }, this.defs, this.tz);
    await this.db.dutyShift.createMany({
      data: [
        {
          id: span.id,
          defId: span.defId,
          name: span.name as unknown as Prisma.InputJsonValue,
          startsAt: new Date(span.startsAt),
          endsAt: new Date(span.endsAt),
        },
      ],
      skipDuplicates: true,
    });
    return (
      (await this.db.dutyShift.findFirst({ where: { startsAt: { lte: new Date(t) }, endsAt: { gt: new Date(t) } } })) ??
      this.db.dutyShift.findUniqueOrThrow({ where: { id: span.id } })
    );
  }

  private ensureCurrent(): Promise<Row> {
    return this.ensureAt(this.now());
  }

  private async row(id: string): Promise<Row> {
    const r = await this.db.dutyShift.findUnique({ where: { id } });
    if (!r) throw refuse('HUB_ERR_NOT_FOUND', 404, 'no_shift', { id });
    return r;
  }

  private async names(ids: Iterable<string | null | undefined>) {
    const want = [...new Set([...ids].filter((x): x is string => !!x))];
    if (!want.length) return new Map<string, { id: string; username: string; displayName: string; role: Role }>();
    const rows = await this.db.user.findMany({
      where: { id: { in: want } },
      select: { id: true, username: true, displayName: true, role: true },
    });
    return new Map(rows.map((u) => [u.id, { ...u, role: u.role as Role }]));
  }

  private async views(rows: Row[], locale: Locale): Promise<ShiftView[]> {
    const now = this.now();
    const handovers = rows.length
      ? await this.db.handover.findMany({ where: { shiftId: { in: rows.map((r) => r.id) } }, orderBy: { createdAt: 'desc' } })
      : [];
    const names = await this.names([
      ...rows.flatMap((r) => [userIdOf(r.signedBy), userIdOf(r.spotCheckedBy)]),
      ...handovers.flatMap((h) => [h.outgoingId, h.incomingId]),
    ]);
    const nm = (ref: string | null) => names.get(userIdOf(ref) ?? ref ?? '')?.displayName ?? null;
    return rows.map((r) => {
      const h = handovers.find((x) => x.shiftId === r.id);
      const name = asLabel(r.name);
      return {
        id: r.id,
        defId: r.defId,
        name: pick(name, locale),
        nameLabel: name,
        startsAt: r.startsAt.getTime(),
        endsAt: r.endsAt.getTime(),
        status: now < r.startsAt.getTime() ? 'upcoming' : now < r.endsAt.getTime() ? 'current' : 'ended',
        signature:
          r.signedBy && r.signedAt
            ? {
                signedBy: r.signedBy,
                signedByName: nm(r.signedBy),
                signedAt: r.signedAt.getTime(),
                note: r.signNote,
                legacyDay: r.legacyDay,
              }
            : null,
        handoverOpenedAt: r.handoverOpenedAt?.getTime() ?? null,
        handover: h
          ? { id: h.id, state: h.state as 'open' | 'accepted' | 'refused', outgoingName: nm(h.outgoingId), incomingName: nm(h.incomingId) }
          : null,
        spotCheck:
          r.spotCheckedBy && r.spotCheckedAt
            ? { by: r.spotCheckedBy, byName: nm(r.spotCheckedBy), at: r.spotCheckedAt.getTime(), note: r.spotCheckNote }
            : null,
      };
    });
  }

  async shift(id: string, locale: Locale): Promise<ShiftView> {
    return (await this.views([await this.row(id)], locale))[0]!;
  }

  async list(
    q: { from?: number | undefined; to?: number | undefined; month?: string | undefined; unsigned?: 'true' | 'false' | undefined },
    locale: Locale,
  ) {
    await this.ensureCurrent();
    const span = q.month ? monthSpan(q.month, this.tz) : { from: q.from ?? this.now() - 7 * 24 * 60 * MIN, to: q.to ?? this.now() + 1 };
    const rows = await this.db.dutyShift.findMany({
      where: {
        startsAt: { gte: new Date(span.from), lt: new Date(span.to) },
        ...(q.unsigned === 'true' ? { signedAt: null, endsAt: { lte: new Date(this.now()) } } : {}),
      },
      orderBy: { startsAt: 'desc' },
      take: 500,
    });
    return this.views(rows, locale);
  }

  /** Who is on duty now (seed 004 篇3 §1.2: the outgoing operator stays until the incoming one accepts). */
  async onDuty(locale: Locale): Promise<OnDutyView> {
    const cur = await this.ensureCurrent();
    const [shift] = await this.views([cur], locale);
    const pending = await this.pendingHandover();
    const lastAccepted = await this.db.handover.findFirst({ where: { state: 'accepted' }, orderBy: { incomingSignedAt: 'desc' } });
    let holder: string | null = lastAccepted?.incomingId ?? null;
    let overtime = false;
    if (pending) {
      // the outgoing operator of the ended shift holds the desk until someone accepts
      const open = pending.handover;
      holder = open?.outgoingId ?? holder;
      overtime = true;
    }
    const names = await this.names([holder]);
    return {
      shift: shift!,
      onDuty: holder ? (names.get(holder) ?? null) : null,
      overtime,
      pendingHandover: pending
        ? {
            shiftId: pending.shift.id,
            since: pending.shift.endsAt.getTime(),
            handoverId: pending.handover?.id ?? null,
            state: !pending.handover ? 'waiting_outgoing' : (pending.handover.state as 'open' | 'refused'),
          }
        : null,
    };
  }

  /** The latest ended shift whose handover the hub opened and nobody accepted yet. */
  private async pendingHandover() {
    const shift = await this.db.dutyShift.findFirst({
      where: { handoverOpenedAt: { not: null }, endsAt: { lte: new Date(this.now()) } },
      orderBy: { endsAt: 'desc' },
    });
    if (!shift) return null;
    const hs = await this.db.handover.findMany({ where: { shiftId: shift.id }, orderBy: { createdAt: 'desc' } });
    if (hs.some((h) => h.state === 'accepted')) return null;
    return { shift, handover: hs[0] ?? null };
  }

  // ------------------------------------------------------------------ duty log per shift

  async dutyLog(id: string | undefined, reader: Reader): Promise<ShiftLogResponse> {
    const row = id ? await this.row(id) : await this.ensureCurrent();
    const [view] = await this.views([row], reader.locale);
    const signed = row.signedAt && row.signedBy ? { at: row.signedAt.getTime(), by: row.signedBy } : null;
    const { views } = await this.o.records.dutyEntriesOfShift(row, signed, reader);
    return {
      day: localDay(row.startsAt.getTime(), this.tz),
      shift: view!,
      entries: views,
      signature: view!.signature
        ? {
            signedBy: view!.signature.signedBy,
            signedByName: view!.signature.signedByName,
            signedAt: view!.signature.signedAt,
            note: view!.signature.note,
          }
        : null,
    };
  }

  /** The supervisor signs an ended shift's log, once (seed 004 篇3 §2.3; PROCEDURES.md: each shift's log). */
  async sign(id: string, user: Staff, note: string, reader: Reader): Promise<ShiftLogResponse> {
    const row = await this.row(id);
    if (row.endsAt.getTime() > this.now()) throw refuse('HUB_ERR_BAD_REQUEST', 400, 'shift_not_ended', { id });
    const at = new Date(this.now());
    await this.db.$transaction(async (tx) => {
      const u = await tx.dutyShift.updateMany({
        where: { id, signedAt: null },
        data: { signedBy: `user:${user.id}`, signedAt: at, signNote: note },
      });
      if (u.count !== 1) throw refuse('HUB_ERR_CONFLICT', 409, 'shift_signed', { id });
      const entries = await tx.dutyLogEntry.count({ where: shiftLogWhere(row) });
      await tx.auditLog.create({
        data: { actor: `user:${user.id}`, action: 'duty_log.sign_shift', target: `shift:${id}`, data: { entries, note } },
      });
      await this.duty(tx, `user:${user.id}`, 'shift_signed', { shift: { l: asLabel(row.name).map((n) => `${id} ${n}`) } });
    });
    return this.dutyLog(id, reader);
  }

  /** The director's spot check of one shift's log (seed 001 篇2 §二.2). */
  async spotCheck(id: string, user: Staff, note: string, locale: Locale): Promise<ShiftView> {
    const row = await this.row(id);
    if (row.endsAt.getTime() > this.now()) throw refuse('HUB_ERR_BAD_REQUEST', 400, 'shift_not_ended', { id });
    await this.db.$transaction(async (tx) => {
      const u = await tx.dutyShift.updateMany({
        where: { id, spotCheckedAt: null },
        data: { spotCheckedBy: `user:${user.id}`, spotCheckedAt: new Date(this.now()), spotCheckNote: note },
      });
      if (u.count !== 1) throw refuse('HUB_ERR_CONFLICT', 409, 'shift_spot_checked', { id });
      await tx.auditLog.create({
        data: { actor: `user:${user.id}`, action: 'duty_log.spot_check', target: `shift:${id}`, data: { note } },
      });
      await this.duty(tx, `user:${user.id}`, 'spot_checked', { shift: { l: asLabel(row.name).map((n) => `${id} ${n}`) } });
    });
    return this.shift(id, locale);
  }

  /** The month's counts: shifts, signed, spot-checked against the ≥ 20 % rule, and the review. */
  async month(month: string, locale: Locale): Promise<MonthReviewView> {
    const span = monthSpan(month, this.tz);
    const now = this.now();
    // shifts that ended inside the month (the running one cannot be checked yet)
    const rows = await this.db.dutyShift.findMany({
      where: { startsAt: { gte: new Date(span.from), lt: new Date(span.to) }, endsAt: { lte: new Date(now) } },
      select: { signedAt: true, spotCheckedAt: true },
    });
    const review = await this.db.dutyMonthReview.findUnique({ where: { month } });
    const names = await this.names([userIdOf(review?.reviewedBy)]);
    void locale;
    return {
      month,
      shifts: rows.length,
      signed: rows.filter((r) => r.signedAt).length,
      unsigned: rows.filter((r) => !r.signedAt).length,
      spotCheck: spotCheckCounts(rows.length, rows.filter((r) => r.spotCheckedAt).length),
      review: review
        ? {
            by: review.reviewedBy,
            byName: names.get(userIdOf(review.reviewedBy) ?? '')?.displayName ?? null,
            at: review.reviewedAt.getTime(),
            note: review.note,
          }
        : null,
    };
  }

  /** The supervisor's monthly review 每月查阅 (seed 001 篇2 §二.1): once per month, after it ended. */
  async reviewMonth(month: string, user: Staff, note: string, locale: Locale): Promise<MonthReviewView> {
    const span = monthSpan(month, this.tz);
    // the review of the month in progress is allowed on its last day too (a supervisor reviews at month end)
    if (span.from > this.now() || span.to - 24 * 60 * MIN > this.now()) throw refuse('HUB_ERR_BAD_REQUEST', 400, 'future_month', { month });
    try {
      await this.db.$transaction(async (tx) => {
        await tx.dutyMonthReview.create({ data: { month, reviewedBy: `user:${user.id}`, reviewedAt: new Date(this.now()), note } });
        await tx.auditLog.create({
          data: { actor: `user:${user.id}`, action: 'duty_log.month_review', target: `duty_month:${month}`, data: { note } },
        });
        await this.duty(tx, `user:${user.id}`, 'month_reviewed', { month });
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') throw refuse('HUB_ERR_CONFLICT', 409, 'month_reviewed', { month });
      throw err;
    }
    return this.month(month, locale);
  }

  private duty(
    tx: Prisma.TransactionClient,
    actor: string,
    key: keyof typeof RECORDS_LABELS.duty,
    params: Record<string, unknown>,
    shiftId: string | null = null,
  ) {
    return writeDutyEntry(tx, this.now(), this.tz, actor, key, params, { shiftId });
  }

  // ------------------------------------------------------------------ handover 交接班

  /** Devices offline, out of service or in maintenance (the handover lists them). */
  devices(buildings: readonly string[] | null): StoredDeviceItem[] {
    const out: StoredDeviceItem[] = [];
    for (const d of this.o.devices.views()) {
      if (!d.enabled || (buildings && !buildings.includes(d.building))) continue;
      const oos = d.meta.outOfService as { reason?: unknown; since?: unknown } | undefined;
      // maintenance mode (services/devices/maintenance.ts): the registry's view carries the running window
      const mnt = d.maintenance && d.maintenance.until > this.now() ? d.maintenance : null;
      const base = { type: 'device' as const, id: d.id, name: d.name, building: d.building };
      if (mnt) out.push({ ...base, condition: 'maintenance', since: mnt.since, reason: mnt.reason });
      else if (oos)
        out.push({
          ...base,
          condition: 'out_of_service',
          since: typeof oos.since === 'number' ? oos.since : null,
          reason: typeof oos.reason === 'string' ? oos.reason : null,
        });
      else if (d.state !== 'online') out.push({ ...base, condition: 'offline', since: d.lastSeenAt, reason: null });
    }
    return out.sort((a, b) => a.building.localeCompare(b.building) || a.id.localeCompare(b.id));
  }

  async pending(buildings: readonly string[] | null): Promise<StoredPendingItem[]> {
    const now = this.now();
    const lists = await Promise.all(
      this.providers.map(async (p) => {
        try {
          return (await p.pending({ now, buildings })).map((x) => ({
            ...x,
            type: 'pending' as const,
            source: p.source,
            sourceLabel: p.label,
          }));
        } catch (err) {
          // one broken source must not block the handover; it is logged and the rest is listed
          this.o.log.error({ err, source: p.source }, 'pending items provider failed');
          return [];
        }
      }),
    );
    return lists.flat();
  }

  /** The buildings asked for, narrowed to the reader's building scope (null = every building). */
  static within(scope: Scope | undefined, asked: readonly string[] | null | undefined): string[] | null {
    const want = asked?.length ? [...asked] : null;
    if (!scope?.limited) return want;
    return (want ?? [...scope.buildings]).filter((b) => scope.allows(b));
  }

  /** The shift a new handover closes: the ended one waiting for its handover, else the current one. */
  private async targetShift(id: string | undefined): Promise<Row> {
    if (id) return this.row(id);
    const p = await this.pendingHandover();
    return p ? p.shift : this.ensureCurrent();
  }

  /** What the hub puts before the outgoing operator at the shift's end (nothing stored yet). */
  async draft(q: { shift?: string | undefined; buildings?: string[] | undefined }, reader: Reader): Promise<HandoverDraft> {
    const row = await this.targetShift(q.shift);
    const buildings = ShiftService.within(reader.scope, q.buildings);
    const [shift] = await this.views([row], reader.locale);
    const stored = await this.o.records.openItems();
    const openItems = this.o.records.renderOpenItems(
      // visitors inside are per building; incidents and follow-ups are narrowed by building scope (issue 12)
      stored.filter((i) => !buildings || i.type !== 'visit' || buildings.includes(i.building)),
      reader,
    );
    const pending = await this.pending(buildings);
    const L = (m: PendingView['titleMsg']) => this.o.catalog.render(m, reader.locale);
    const bnames = new Map(this.o.devices.views().map((d) => [d.building, d.buildingName]));
    return {
      shift: shift!,
      openItems: await openItems,
      pending: pending.map((p) => ({
        source: p.source,
        sourceLabel: pick(p.sourceLabel, reader.locale),
        id: p.id,
        title: L(p.title),
        titleMsg: p.title,
        building: p.building,
        dueAt: p.dueAt,
        overdue: p.overdue,
      })),
      devices: this.devices(buildings).map((d): DeviceItemView => ({
        ...d,
        class: this.o.devices.views().find((x) => x.id === d.id)?.class ?? '',
        buildingName: bnames.get(d.building) ?? d.building,
        conditionLabel: this.o.catalog.render({ key: `records.value.device_${d.condition}` }, reader.locale),
      })),
      equipment: this.equipment.map((e) => ({ id: e.id, label: pick(e.label, reader.locale), labelPair: e.label })),
    };
  }

  /**
   * The outgoing operator signs the handover of a shift: the equipment check must cover every
   * configured item (seed 004 篇3 §2.1 "逐一做好记录") once the hub opened the shift's handover;
   * the providers' pending items and the devices are added to the snapshot.
   */
  async createHandover(
    user: Staff,
    body: {
      notes: string;
      incomingUsername?: string | undefined;
      shiftId?: string | undefined;
      checks?: Array<{ item: string; ok: boolean; note?: string | undefined }> | undefined;
    },
    reader: Reader,
  ) {
    const row = await this.targetShift(body.shiftId);
    if (await this.db.handover.findFirst({ where: { shiftId: row.id, state: 'accepted' } }))
      throw refuse('HUB_ERR_CONFLICT', 409, 'shift_handed_over', { id: row.id });
    const byId = new Map(this.equipment.map((e) => [e.id, e]));
    for (const c of body.checks ?? [])
      if (!byId.has(c.item)) throw refuse('HUB_ERR_BAD_REQUEST', 400, 'unknown_check_item', { item: c.item });
    const given = new Map((body.checks ?? []).map((c) => [c.item, c]));
    const missing = this.equipment.filter((e) => !given.has(e.id));
    if ((row.handoverOpenedAt || body.checks) && missing.length)
      throw refuse('HUB_ERR_BAD_REQUEST', 400, 'checks_incomplete', { missing: missing.map((m) => m.id).join(', ') });
    const checks: StoredCheck[] = this.equipment
      .filter((e) => given.has(e.id))
      .map((e) => ({ item: e.id, label: e.label, ok: given.get(e.id)!.ok, note: given.get(e.id)!.note ?? '' }));
    const items = [...(await this.pending(null)), ...this.devices(null)];
    return this.o.records.createHandover(user, body, reader, { shiftId: row.id, checks, items });
  }

  // ------------------------------------------------------------------ the clock

  /**
   * One turn: the shift that just ended gets its handover opened (a duty-log line, a live push,
   * a notice to the operators), the next shift row is written, and due reminders go out.
   */
  async tick(): Promise<void> {
    const now = this.now();
    const cur = await this.ensureCurrent();
    const ended = await this.db.dutyShift.findMany({
      where: { endsAt: { lte: new Date(now), gt: new Date(now - 24 * 60 * MIN) }, handoverOpenedAt: null },
      orderBy: { endsAt: 'asc' },
    });
    // only the shift that ended last opens a handover; older ones (the hub was down) are marked too
    for (const s of ended) {
      const latest = s === ended[ended.length - 1];
      const u = await this.db.dutyShift.updateMany({
        where: { id: s.id, handoverOpenedAt: null },
        data: { handoverOpenedAt: new Date(now) },
      });
      if (u.count !== 1 || !latest) continue;
      const count = (await this.o.records.openItems()).length + (await this.pending(null)).length + this.devices(null).length;
      const shiftParam = { l: asLabel(s.name).map((n) => `${s.id} ${n}`) };
      await this.db.$transaction(async (tx) => {
        await this.duty(tx, 'hub', 'handover_opened', { shift: shiftParam, count }, s.id);
        await tx.auditLog.create({
          data: { actor: 'hub', action: 'handover.open', target: `shift:${s.id}`, data: { next: cur.id, count } },
        });
      });
      this.o.bus.emit('shift.notify', {
        key: 'handover_opened',
        shiftId: s.id,
        params: { shift: shiftParam, count },
        to: ['operator', 'frontdesk', 'supervisor'],
        at: now,
      });
      await this.remindOut(`opened:${s.id}`, ['operator'], 'handover_opened', { shift: shiftParam, count });
    }
    await this.reminders(now);
  }

  private settingMs(key: string): number {
    return (this.o.settings.value(key) as number) * MIN;
  }

  private async reminders(now: number): Promise<Reminder[]> {
    const since = new Date(now - 31 * 24 * 60 * MIN); // a month of backlog at most
    const unsigned = await this.db.dutyShift.findMany({
      where: { signedAt: null, endsAt: { lte: new Date(now), gt: since } },
      select: { id: true, endsAt: true },
    });
    const p = await this.pendingHandover();
    const due = dueReminders(
      {
        unsigned: unsigned.map((u) => ({ id: u.id, endsAt: u.endsAt.getTime() })),
        pendingHandovers: p
          ? [{ shiftId: p.shift.id, endsAt: p.shift.endsAt.getTime(), outgoingSigned: p.handover?.state === 'open' }]
          : [],
      },
      now,
      {
        handoverAfterMs: this.settingMs('shifts.handoverReminderMinutes'),
        unsignedAfterMs: this.settingMs('shifts.unsignedLogReminderMinutes'),
        repeatMs: this.settingMs('shifts.reminderRepeatMinutes'),
      },
      this.sent,
    );
    for (const r of due) {
      this.sent.add(r.dedupe);
      this.o.bus.emit('shift.notify', {
        key: r.key,
        shiftId: String(r.params.shift ?? r.params.oldest ?? ''),
        params: r.params,
        to: r.to,
        at: now,
      });
      await this.remindOut(r.dedupe, r.to, r.key, r.params);
    }
    return due;
  }

  private async remindOut(key: string, roles: OnCallRole[], what: string, params: Record<string, unknown>): Promise<void> {
    if (!this.o.notify) return;
    const m = { key: `records.notify.${what}`, params };
    const text = `${this.o.catalog.render(m, 'zh-CN')} / ${this.o.catalog.render(m, 'en')}`;
    await this.o.notify
      .remind(`shift:${key}`, roles, text)
      .catch((err: unknown) => this.o.log.error({ err, key }, 'shift reminder not queued'));
  }
}
