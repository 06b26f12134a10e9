// Incident history 事件历史 (issue 14): every incident, open or closed, searchable by kind,
// building, date range, state and free text, a page at a time, and exported as CSV.
// PROCEDURES.md: "Nothing is ever deleted; a closed incident can be read forever" — so the
// search reads the Incident table itself, not the in-memory set of recent incidents.
//
// The page is chosen in SQL (one query with the filters, `count(*) OVER ()` for the total)
// and only that page's rows are read: a text match across steps, timeline notes and device
// names cannot be written as a Prisma `where` on a JSON title, and an id list of every match
// would outgrow PostgreSQL's bind parameters over the years (services/records/service.ts).
import { stringify } from 'csv-stringify/sync';
import type { IncidentKind } from '../../contracts/domain.js';
import type { HistoryPage, HistoryRow, IncidentSearchQuery } from '../../contracts/incidents.js';
import type { Locale, Text } from '../../contracts/messages.js';
import { Prisma } from '../../prisma/generated/client.js';
import { Scope } from '../auth/scope.js';
import type { Db } from '../core/db.js';
import { siteTime, type MessageCatalog } from '../core/messages.js';
import { redact } from '../core/privacy.js';
import type { ProcedureEngine } from '../core/procedure/index.js';
import type { ProcedureModule } from './module.js';
import type { PersonalAccessLog } from './service.js';
import type { IncidentViews, Reader } from './views.js';

/** One export holds at most this many rows (a year of a busy estate); narrow the filters for more. */
export const EXPORT_MAX_ROWS = 10_000;

/** `%`, `_` and `\` typed by a person are literal characters, not LIKE wildcards. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Kinds whose name (zh-CN or en, e.g. "火警", "fire") contains the text: a title is stored as a
 * message key and its parameters, so "火警" is found through the kind's label, not the row.
 */
export function kindsNamed(q: string, kinds: readonly IncidentKind[], label: (key: string, locale: Locale) => string): IncidentKind[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return [];
  return kinds.filter((k) => (['zh-CN', 'en'] as const).some((l) => label(`${k}.kind`, l).toLowerCase().includes(needle)));
}

/** "#12" or "12" → incident number 12 (the reference people say on the phone). */
export function numberIn(q: string): number | null {
  const m = /^#?(\d{1,9})$/.exec(q.trim());
  return m ? Number(m[1]) : null;
}

/** The SQL conditions of a search (pure: the same filters for the page, the total and the export). */
export function historyWhere(
  q: Omit<IncidentSearchQuery, 'page' | 'pageSize'>,
  o: {
    kinds: readonly IncidentKind[];
    scope: Scope;
    /** kinds whose personal data (e.g. a visitor's name in the title) this reader may not see */
    hiddenKinds: readonly IncidentKind[];
    kindsNamed: readonly IncidentKind[];
  },
): Prisma.Sql {
  const and: Prisma.Sql[] = [Prisma.sql`i."kind" = ANY(${[...o.kinds]}::text[])`];
  if (q.state !== 'all') and.push(Prisma.sql`i."open" = ${q.state === 'open'}`);
  if (q.kind) and.push(Prisma.sql`i."kind" = ${q.kind}`);
  if (q.building !== undefined) and.push(o.scope.allows(q.building) ? Prisma.sql`i."buildingId" = ${q.building}` : Prisma.sql`FALSE`);
  else if (o.scope.limited) and.push(Prisma.sql`i."buildingId" = ANY(${[...o.scope.buildings]}::text[])`);
  if (q.from !== undefined) and.push(Prisma.sql`i."openedAt" >= ${new Date(q.from)}`);
  if (q.to !== undefined) and.push(Prisma.sql`i."openedAt" < ${new Date(q.to)}`);
  const text = q.q?.trim();
  if (text) {
    const pat = likePattern(text);
    const n = numberIn(text);
    const or: Prisma.Sql[] = [
      // the title's parameters (zone, floor, unit …) — not where they hold personal data the reader may not see
      Prisma.sql`(i."title"::text ILIKE ${pat} AND NOT (i."kind" = ANY(${[...o.hiddenKinds]}::text[])))`,
      Prisma.sql`EXISTS (SELECT 1 FROM "Device" d WHERE d."id" = i."deviceId" AND (d."name" ILIKE ${pat} OR d."id" ILIKE ${pat}))`,
      // what people wrote: step notes and timeline notes/reasons
      Prisma.sql`EXISTS (SELECT 1 FROM "IncidentStep" s WHERE s."incidentId" = i."id" AND s."notes" ILIKE ${pat})`,
      Prisma.sql`EXISTS (SELECT 1 FROM "TimelineEntry" t WHERE t."incidentId" = i."id" AND t."message" ILIKE ${pat})`,
    ];
    if (o.kindsNamed.length) or.push(Prisma.sql`i."kind" = ANY(${[...o.kindsNamed]}::text[])`);
    if (n !== null) or.push(Prisma.sql`i."number" = ${n}`);
    and.push(Prisma.sql`(${Prisma.join(or, ' OR ')})`);
  }
  return Prisma.join(and, ' AND ');
}

const CSV_HEAD = {
  number: ['编号', 'No.'],
  kind: ['类型', 'Kind'],
  title: ['标题', 'Title'],
  state: ['状态', 'State'],
  open: ['处理中', 'Open'],
  building: ['楼栋', 'Building'],
  floor: ['楼层', 'Floor'],
  device: ['设备', 'Device'],
  openedAt: ['发生时间', 'Opened'],
  closedAt: ['结案时间', 'Closed'],
} as const;
const YES_NO = { yes: ['是', 'yes'], no: ['否', 'no'] } as const;

/**
 * CSV for Excel, as the other CSV routes (services/records/reports.ts): UTF-8 with a byte-order
 * mark (Excel on a Chinese Windows reads BOM-less files as GBK), CRLF, quoted by csv-stringify.
 * Names, never ids: building and device names, the kind and state in the reader's language.
 */
export function historyCsv(rows: readonly HistoryRow[], locale: Locale, tzOffsetMinutes: number): string {
  const i = locale === 'en' ? 1 : 0;
  const time = (ms: number | null) => (ms === null ? '' : siteTime(ms, tzOffsetMinutes));
  const head = Object.values(CSV_HEAD).map((l) => l[i]);
  const body = rows.map((r) => [
    String(r.number),
    r.kindLabel,
    r.title,
    r.stateLabel,
    (r.open ? YES_NO.yes : YES_NO.no)[i],
    r.buildingName,
    r.floor === null ? '' : String(r.floor),
    r.deviceName ?? '',
    time(r.openedAt),
    time(r.closedAt),
  ]);
  return `\uFEFF${stringify([head, ...body], { record_delimiter: 'windows' })}`;
}

export interface IncidentHistoryOptions {
  db: Db;
  engine: ProcedureEngine<ProcedureModule>;
  views: IncidentViews;
  accessLog?: PersonalAccessLog | undefined;
  tzOffsetMinutes: number;
}

export class IncidentHistory {
  constructor(private readonly o: IncidentHistoryOptions) {}

  private get catalog(): MessageCatalog {
    return this.o.engine.catalog;
  }

  /** One page of matching incidents, newest first, with the number of all matches. */
  async search(q: IncidentSearchQuery, reader: Reader): Promise<HistoryPage> {
    const { rows, total } = await this.find(q, q.pageSize, (q.page - 1) * q.pageSize, reader);
    return { items: rows, total, page: q.page, pageSize: q.pageSize };
  }

  /**
   * Every match (up to EXPORT_MAX_ROWS) as CSV, audited: which filters, how many rows, by whom —
   * a file leaves the system (seed 000 §2.1.6.2: reads of records are accountable).
   */
  async exportCsv(
    q: Omit<IncidentSearchQuery, 'page' | 'pageSize'>,
    reader: Reader,
    locale: Locale,
  ): Promise<{ csv: string; rows: number; truncated: boolean }> {
    const { rows, total } = await this.find(q, EXPORT_MAX_ROWS, 0, { ...reader, locale });
    await this.o.db.auditLog.create({
      data: {
        actor: reader.userId ? `user:${reader.userId}` : 'system',
        action: 'incident.export',
        target: 'incidents',
        data: { filters: { ...q } as Prisma.InputJsonValue, rows: rows.length, total } as Prisma.InputJsonValue,
      },
    });
    return { csv: historyCsv(rows, locale, this.o.tzOffsetMinutes), rows: rows.length, truncated: total > rows.length };
  }

  private async find(
    q: Omit<IncidentSearchQuery, 'page' | 'pageSize'>,
    limit: number,
    offset: number,
    reader: Reader,
  ): Promise<{ rows: HistoryRow[]; total: number }> {
    const { engine, views, db } = this.o;
    const kinds = engine.registry.kinds();
    const where = historyWhere(q, {
      kinds,
      scope: reader.scope ?? Scope.ALL,
      hiddenKinds: kinds.filter((k) => views.hidden(k, reader).size > 0),
      kindsNamed: q.q ? kindsNamed(q.q, kinds, (key, l) => this.catalog.label(key, l)) : [],
    });
    const page = await db.$queryRaw<Array<{ id: string; total: bigint }>>`
      SELECT i."id", count(*) OVER () AS total FROM "Incident" i
      WHERE ${where}
      ORDER BY i."openedAt" DESC, i."number" DESC
      LIMIT ${limit} OFFSET ${offset}`;
    // an empty page past the end still needs the total
    const total =
      page.length > 0
        ? Number(page[0]!.total)
        : Number((await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM "Incident" i WHERE ${where}`)[0]?.n ?? 0);
    if (page.length === 0) return { rows: [], total };
    const ids = page.map((p) => p.id);
    const found = await db.incident.findMany({ where: { id: { in: ids } } });
    const byId = new Map(found.map((r) => [r.id, r]));
    const buildingIds = [...new Set(found.map((r) => r.buildingId))];
    const deviceIds = [...new Set(found.flatMap((r) => (r.deviceId ? [r.deviceId] : [])))];
    const [buildings, devices] = await Promise.all([
      db.building.findMany({ where: { id: { in: buildingIds } }, select: { id: true, name: true } }),
      deviceIds.length ? db.device.findMany({ where: { id: { in: deviceIds } }, select: { id: true, name: true } }) : [],
    ]);
    const bName = new Map(buildings.map((b) => [b.id, b.name]));
    const dName = new Map(devices.map((d) => [d.id, d.name]));
    const rows: HistoryRow[] = [];
    const personal: string[] = [];
    for (const id of ids) {
      const r = byId.get(id);
      if (!r) continue;
      const kind = r.kind as IncidentKind;
      const hidden = views.hidden(kind, reader);
      const raw: Text = r.title && typeof r.title === 'object' ? (r.title as unknown as Text) : { text: String(r.title ?? '') };
      const title = redact(raw, hidden);
      const mod = engine.registry.get(kind);
      if (mod.personal && hidden.size === 0) personal.push(mod.personal.subject(r.id));
      rows.push({
        id: r.id,
        number: r.number,
        kind,
        kindLabel: this.catalog.label(`${kind}.kind`, reader.locale),
        state: r.state,
        stateLabel: this.catalog.label(`${kind}.state.${r.state}`, reader.locale),
        open: r.open,
        severity: r.severity,
        building: r.buildingId,
        buildingName: bName.get(r.buildingId) ?? r.buildingId,
        floor: r.floor,
        deviceId: r.deviceId,
        deviceName: r.deviceId ? (dName.get(r.deviceId) ?? r.deviceId) : null,
        title: this.catalog.render(title, reader.locale),
        titleMsg: title,
        masked: hidden.size > 0,
        openedAt: r.openedAt.getTime(),
        closedAt: r.closedAt?.getTime() ?? null,
      });
    }
    // PROCEDURES.md "Privacy": every unmasked read of a person's record is logged, for lists too
    if (personal.length && reader.userId && this.o.accessLog)
      await this.o.accessLog.record(reader.userId, personal, reader.reason ?? 'incident history');
    return { rows, total };
  }
}
