// Sites, buildings, units and owners (issue 8 "Put a real estate into service"). Every change
// is written with its audit row in one transaction. Owner phones are personal data (seed 000
// §2.1.6.2): stored as given, returned masked; the one full read stays the audited
// GET /api/units/:id?reason= (services/records).
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import type {
  BuildingBody,
  BuildingPatch,
  BuildingView,
  ImportResult,
  SiteBody,
  SitePatch,
  SiteView,
  UnitBody,
  UnitWriteView,
} from '../../contracts/admin.js';
import { bi } from '../../contracts/records.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import { maskName, maskPhone } from '../records/service.js';
import { audit, changes, inScope, isUniqueViolation, requireInScope, requireUnscoped, scoped, type AdminActor, type Tx } from './common.js';
import { isOwnerPhone } from './phone.js';
import { checkUnitCsv, decodeCsv, type UnitRow } from './unit-csv.js';

export interface EstateServiceOptions {
  db: Db;
  /** told when a building is created or renamed (the device registry shows building names) */
  onBuildingName?: (id: string, name: string) => void;
  now?: () => number;
}

export class EstateService {
  private readonly db: Db;
  constructor(private readonly o: EstateServiceOptions) {
    this.db = o.db;
  }

  // ---------------------------------------------------------------- sites

  async listSites(actor: AdminActor): Promise<SiteView[]> {
    const rows = await this.db.site.findMany({
      where: scoped(actor) ? { buildings: { some: { id: { in: [...actor.buildings] } } } } : {},
      include: { buildings: { select: { id: true } } },
      orderBy: { id: 'asc' },
    });
    return rows.map((s) => ({
      id: s.id,
      name: s.name,
      address: s.address,
      buildings: s.buildings.filter((b) => inScope(actor, b.id)).length,
      createdAt: s.createdAt.getTime(),
    }));
  }

  async getSite(id: string) {
    return this.db.site.findUnique({ where: { id } });
  }

  async createSite(actor: AdminActor, body: SiteBody): Promise<SiteView> {
    requireUnscoped(actor);
    const data = { id: body.id, name: body.name, address: body.address ?? '' };
    try {
      const s = await this.db.$transaction(async (tx) => {
        if (await tx.site.findUnique({ where: { id: body.id } }))
          throw errors.conflict(bi(`小区 ${body.id} 已存在`, `site ${body.id} already exists`));
        const s = await tx.site.create({ data });
        await audit(tx, actor, 'site.create', `site:${s.id}`, { after: data });
        return s;
      });
      return { id: s.id, name: s.name, address: s.address, buildings: 0, createdAt: s.createdAt.getTime() };
    } catch (e) {
      if (isUniqueViolation(e)) throw errors.conflict(bi(`小区 ${body.id} 已存在`, `site ${body.id} already exists`));
      throw e;
    }
  }

  async patchSite(actor: AdminActor, id: string, patch: SitePatch): Promise<SiteView> {
    requireUnscoped(actor);
    await this.db.$transaction(async (tx) => {
      const s = await tx.site.findUnique({ where: { id } });
      if (!s) throw errors.notFound(bi(`没有小区 ${id}`, `no site ${id}`));
      const diff = changes({ name: s.name, address: s.address }, patch);
      if (!diff) return;
      await tx.site.update({ where: { id }, data: patch });
      await audit(tx, actor, 'site.update', `site:${id}`, diff);
    });
    return (await this.listSites(actor)).find((s) => s.id === id)!;
  }

  // ---------------------------------------------------------------- buildings

  async listBuildings(actor: AdminActor, site?: string): Promise<BuildingView[]> {
    const rows = await this.db.building.findMany({
      where: { ...(site ? { siteId: site } : {}), ...(scoped(actor) ? { id: { in: [...actor.buildings] } } : {}) },
      include: { site: { select: { name: true } }, _count: { select: { units: true, devices: true } } },
      orderBy: [{ siteId: 'asc' }, { id: 'asc' }],
    });
    return rows.map((b) => ({
      id: b.id,
      site: b.siteId,
      siteName: b.site.name,
      name: b.name,
      floors: b.floors,
      lowestFloor: b.lowestFloor,
      lobbyFloor: b.lobbyFloor,
      address: b.address,
      units: b._count.units,
      devices: b._count.devices,
      createdAt: b.createdAt.getTime(),
    }));
  }

  private static checkFloors(f: { floors: number; lowestFloor: number; lobbyFloor: number }): void {
    if (f.lowestFloor > 1 || f.lowestFloor === 0)
      throw errors.badRequest(bi('最低层须为 1 或地下层(-1、-2…)', 'lowestFloor must be 1 or a basement (-1, -2 …)'));
    if (f.lobbyFloor < f.lowestFloor || f.lobbyFloor > f.floors || f.lobbyFloor === 0)
      throw errors.badRequest(
        bi(
          `首层(消防迫降层)${f.lobbyFloor} 不在 ${f.lowestFloor}–${f.floors} 之内`,
          `lobbyFloor ${f.lobbyFloor} is outside ${f.lowestFloor}–${f.floors}`,
        ),
      );
  }

  async createBuilding(actor: AdminActor, body: BuildingBody): Promise<BuildingView> {
    requireUnscoped(actor);
    const data = {
      id: body.id,
      siteId: body.site,
      name: body.name,
      floors: body.floors,
      lowestFloor: body.lowestFloor ?? 1,
      lobbyFloor: body.lobbyFloor ?? 1,
      address: body.address ?? '',
    };
    EstateService.checkFloors(data);
    const exists = () => errors.conflict(bi(`楼栋 ${body.id} 已存在`, `building ${body.id} already exists`));
    try {
      await this.db.$transaction(async (tx) => {
        if (!(await tx.site.findUnique({ where: { id: body.site } })))
          throw errors.badRequest(bi(`小区 ${body.site} 不存在`, `site ${body.site} does not exist`));
        if (await tx.building.findUnique({ where: { id: body.id } })) throw exists();
        await tx.building.create({ data });
        await audit(tx, actor, 'building.create', `building:${body.id}`, { after: data });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw exists();
      throw e;
    }
    this.o.onBuildingName?.(data.id, data.name);
    return (await this.listBuildings(actor)).find((b) => b.id === body.id)!;
  }

  async patchBuilding(actor: AdminActor, id: string, patch: BuildingPatch): Promise<BuildingView> {
    requireInScope(actor, id);
    let renamed: string | null = null;
    await this.db.$transaction(async (tx) => {
      const b = await tx.building.findUnique({ where: { id } });
      if (!b) throw errors.notFound(bi(`没有楼栋 ${id}`, `no building ${id}`));
      const before = { name: b.name, floors: b.floors, lowestFloor: b.lowestFloor, lobbyFloor: b.lobbyFloor, address: b.address };
      const next = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
      EstateService.checkFloors(next);
      // units keep their floors: a building cannot shrink below its owners
      const out = await tx.unit.count({
        where: { buildingId: id, OR: [{ floor: { gt: next.floors } }, { floor: { lt: next.lowestFloor } }] },
      });
      if (out > 0)
        throw errors.conflict(
          bi(
            `有 ${out} 户不在 ${next.lowestFloor}–${next.floors} 层之内,请先修改这些户`,
            `${out} units lie outside floors ${next.lowestFloor}–${next.floors}: change them first`,
          ),
        );
      const diff = changes(before, patch);
      if (!diff) return;
      await tx.building.update({ where: { id }, data: patch });
      await audit(tx, actor, 'building.update', `building:${id}`, diff);
      if (patch.name !== undefined && patch.name !== b.name) renamed = patch.name;
    });
    if (renamed !== null) this.o.onBuildingName?.(id, renamed);
    return (await this.listBuildings(actor)).find((b) => b.id === id)!;
  }

  private async floorsOf(tx: Tx | Db): Promise<Map<string, { floors: number; lowestFloor: number }>> {
    const rows = await tx.building.findMany({ select: { id: true, floors: true, lowestFloor: true } });
    return new Map(rows.map((r) => [r.id, { floors: r.floors, lowestFloor: r.lowestFloor }]));
  }

  // ---------------------------------------------------------------- units 业主资料

  async createUnit(actor: AdminActor, body: UnitBody): Promise<UnitWriteView> {
    requireInScope(actor, body.building);
    if (!isOwnerPhone(body.ownerPhone))
      throw errors.badRequest(
        bi(
          '业主电话格式不正确(手机 11 位,或固话“区号-号码”)',
          'owner phone is malformed (mobile: 11 digits; landline: area code and number)',
        ),
      );
    const u = await this.db.$transaction(async (tx) => {
      const b = await tx.building.findUnique({ where: { id: body.building } });
      if (!b) throw errors.badRequest(bi(`楼栋 ${body.building} 不存在`, `building ${body.building} does not exist`));
      if (body.floor === 0 || body.floor < b.lowestFloor || body.floor > b.floors)
        throw errors.badRequest(
          bi(
            `楼层 ${body.floor} 超出楼栋范围(${b.lowestFloor}–${b.floors})`,
            `floor ${body.floor} is outside the building (${b.lowestFloor}–${b.floors})`,
          ),
        );
      if (await tx.unit.findUnique({ where: { buildingId_number: { buildingId: body.building, number: body.number } } }))
        throw errors.conflict(bi(`${body.building} ${body.number} 已存在`, `unit ${body.number} already exists in ${body.building}`));
      const u = await tx.unit.create({
        data: {
          buildingId: body.building,
          number: body.number,
          floor: body.floor,
          ownerName: body.ownerName,
          ownerPhone: body.ownerPhone,
          altContact: body.altContact ?? '',
        },
      });
      // masked in the audit too: the audit log is read more widely than the owner file
      await audit(tx, actor, 'unit.create', `unit:${u.id}`, {
        after: {
          building: u.buildingId,
          number: u.number,
          floor: u.floor,
          ownerName: maskName(u.ownerName),
          ownerPhone: maskPhone(u.ownerPhone),
        },
      });
      return u;
    });
    return {
      id: u.id,
      building: u.buildingId,
      number: u.number,
      floor: u.floor,
      ownerName: maskName(u.ownerName),
      ownerPhone: maskPhone(u.ownerPhone),
      created: true,
    };
  }

  /**
   * Import units from a CSV. A dry run checks every row and counts what would change; a real
   * run writes all rows in ONE transaction, or nothing when any row is bad. Rows are written
   * with one set-based upsert (unnest), so 10,000 units cost one statement, not 10,000.
   */
  async importUnits(
    actor: AdminActor,
    bytes: Uint8Array,
    q: { dryRun: boolean; encoding: 'auto' | 'utf-8' | 'gb18030' },
  ): Promise<ImportResult> {
    const t0 = performance.now();
    const decoded = decodeCsv(bytes, q.encoding);
    const done = (r: Omit<ImportResult, 'ms' | 'dryRun'>): ImportResult => ({
      ...r,
      dryRun: q.dryRun,
      ms: Math.round(performance.now() - t0),
    });
    if ('code' in decoded)
      return done({
        encoding: q.encoding === 'gb18030' ? 'gb18030' : 'utf-8',
        rows: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        errors: [decoded],
      });
    const {
      rows,
      errors: rowErrors,
      hasAltContact,
      total,
    } = checkUnitCsv(decoded.text, await this.floorsOf(this.db), (b) => inScope(actor, b));
    const base = { encoding: decoded.encoding, rows: total };
    if (rowErrors.length > 0) return done({ ...base, created: 0, updated: 0, unchanged: 0, errors: rowErrors });

    const cols = columns(rows);
    if (q.dryRun) {
      const [c] = await this.db.$queryRawUnsafe<Array<{ created: bigint; updated: bigint }>>(
        `SELECT count(*) FILTER (WHERE u.id IS NULL) AS created,
                count(*) FILTER (WHERE u.id IS NOT NULL AND (u.floor, u."ownerName", u."ownerPhone", u."altContact")
                                  IS DISTINCT FROM (x.f, x.o, x.p, COALESCE(x.a, u."altContact"))) AS updated
           FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[]) AS x(b, n, f, o, p, a)
           LEFT JOIN "Unit" u ON u."buildingId" = x.b AND u.number = x.n`,
        ...cols,
      );
      const created = Number(c!.created);
      const updated = Number(c!.updated);
      return done({ ...base, created, updated, unchanged: rows.length - created - updated, errors: [] });
    }
    const res = await this.db.$transaction(
      async (tx) => {
        const changed = await tx.$queryRawUnsafe<Array<{ b: string; n: string; inserted: boolean }>>(
          `INSERT INTO "Unit" (id, "buildingId", number, floor, "ownerName", "ownerPhone", "altContact")
           SELECT gen_random_uuid()::text, x.b, x.n, x.f, x.o, x.p, COALESCE(x.a, '')
             FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[]) AS x(b, n, f, o, p, a)
           ON CONFLICT ("buildingId", number) DO UPDATE
              SET floor = EXCLUDED.floor, "ownerName" = EXCLUDED."ownerName", "ownerPhone" = EXCLUDED."ownerPhone",
                  "altContact" = CASE WHEN $7::boolean THEN EXCLUDED."altContact" ELSE "Unit"."altContact" END
            WHERE ("Unit".floor, "Unit"."ownerName", "Unit"."ownerPhone", "Unit"."altContact")
                  IS DISTINCT FROM (EXCLUDED.floor, EXCLUDED."ownerName", EXCLUDED."ownerPhone",
                                    CASE WHEN $7::boolean THEN EXCLUDED."altContact" ELSE "Unit"."altContact" END)
           RETURNING "buildingId" AS b, number AS n, (xmax = 0) AS inserted`,
          ...cols,
          hasAltContact,
        );
        const created = changed.filter((r) => r.inserted);
        const updated = changed.filter((r) => !r.inserted);
        // which records changed, not their content: owner data stays out of the audit log;
        // re-importing an unchanged file changes nothing and records nothing
        if (changed.length > 0)
          await audit(tx, actor, 'unit.import', `buildings:${[...new Set(rows.map((r) => r.building))].sort().join(',')}`, {
            encoding: decoded.encoding,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            rows: rows.length,
            created: created.map((r) => `${r.b}/${r.n}`),
            updated: updated.map((r) => `${r.b}/${r.n}`),
          });
        return { created: created.length, updated: updated.length };
      },
      { timeout: 60_000 },
    );
    return done({ ...base, ...res, unchanged: rows.length - res.created - res.updated, errors: [] });
  }
}

function columns(rows: UnitRow[]): unknown[] {
  return [
    rows.map((r) => r.building),
    rows.map((r) => r.number),
    rows.map((r) => r.floor),
    rows.map((r) => r.ownerName),
    rows.map((r) => r.ownerPhone),
    rows.map((r) => r.altContact),
  ];
}
