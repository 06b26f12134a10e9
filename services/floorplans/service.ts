// Floor plans (issue 14; docs/dashboard.md "Floor plans"): one plan image per building floor and
// the place of each device on it. The dashboard draws the live state (alarm, fault, offline) of
// the placed devices over the image; this service keeps the images and positions.
//
// Why in PostgreSQL and not in HUB_DATA_DIR: a plan is small (≤ 2 MB, PNG/JPEG), rarely changes
// and belongs to the estate's data — `npm run backup` (pg_dump) then carries it, every scale-out
// instance serves the same plan without a shared disk, and the image and its audit row are
// written in one transaction.
import type { Role } from '../../contracts/domain.js';
import {
  FLOOR_PLAN_MIME,
  MAX_FLOOR_PLAN_BYTES,
  type FloorPlanMime,
  type FloorPlanView,
  type PlacementView,
} from '../../contracts/floorplans.js';
import { Scope } from '../auth/scope.js';
import type { Db } from '../core/db.js';
import { errors, HubError } from '../core/errors.js';
import type { DeviceRegistry } from '../devices/registry.js';

export interface PlanActor {
  id: string;
  role: Role;
  displayName: string;
  buildings?: readonly string[];
}

export interface FloorPlanServiceOptions {
  db: Db;
  registry: DeviceRegistry;
  now: () => number;
}

/** The image type from its first bytes (the declared mime must match: a renamed SVG is refused). */
export function sniffPlan(b: Buffer): FloorPlanMime | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return null;
}

const planType = (message: string) => new HubError('HUB_ERR_PLAN_TYPE', message, 415);
const tooLarge = (bytes: number) =>
  new HubError('HUB_ERR_TOO_LARGE', `the plan is ${(bytes / 1048576).toFixed(1)} MB; at most ${MAX_FLOOR_PLAN_BYTES / 1048576} MB`, 413);

export class FloorPlanService {
  private readonly db: Db;
  private readonly registry: DeviceRegistry;
  private readonly now: () => number;

  constructor(o: FloorPlanServiceOptions) {
    this.db = o.db;
    this.registry = o.registry;
    this.now = o.now;
  }

  /** The plans of the buildings in scope (or of one), with their placements; no image bytes. */
  async list(scope: Scope, building?: string): Promise<FloorPlanView[]> {
    const where = scope.whereRequested('buildingId', building);
    const rows = await this.db.$queryRaw<
      Array<{ buildingId: string; floor: number; mime: string; size: number; uploadedBy: string; updatedAt: Date }>
    >`SELECT "buildingId", "floor", "mime", octet_length("image")::int AS "size", "uploadedBy", "updatedAt" FROM "FloorPlan"
      ORDER BY "buildingId", "floor"`;
    const allowed = rows.filter((r) => this.matches(where, r.buildingId));
    if (allowed.length === 0) return [];
    const placements = await this.db.devicePlacement.findMany({
      where: { buildingId: { in: [...new Set(allowed.map((r) => r.buildingId))] } },
      orderBy: { deviceId: 'asc' },
    });
    const names = await this.names(allowed.map((r) => r.uploadedBy));
    return allowed.map((r) => ({
      building: r.buildingId,
      floor: r.floor,
      mime: r.mime as FloorPlanMime,
      size: Number(r.size),
      updatedAt: new Date(r.updatedAt).getTime(),
      updatedByName: names.get(r.uploadedBy) ?? null,
      url: `/api/floor-plans/${encodeURIComponent(r.buildingId)}/${r.floor}/image?v=${new Date(r.updatedAt).getTime()}`,
      placements: placements
        .filter((p) => p.buildingId === r.buildingId && p.floor === r.floor)
        .map((p) => ({ deviceId: p.deviceId, x: p.x, y: p.y, placedAt: p.placedAt.getTime() })),
    }));
  }

  async image(scope: Scope, building: string, floor: number): Promise<{ mime: string; bytes: Buffer }> {
    if (!scope.allows(building)) throw this.planMissing(building, floor);
    const p = await this.db.floorPlan.findUnique({ where: { buildingId_floor: { buildingId: building, floor } } });
    if (!p) throw this.planMissing(building, floor);
    return { mime: p.mime, bytes: Buffer.from(p.image) };
  }

  /** Upload or replace a floor's plan; devices already placed keep their places. */
  async upload(actor: PlanActor, building: string, floor: number, body: { mime: string; dataBase64: string }): Promise<FloorPlanView> {
    await this.floorOf(actor, building, floor);
    if (!(FLOOR_PLAN_MIME as readonly string[]).includes(body.mime)) {
      throw planType(`${body.mime} is not accepted: ${FLOOR_PLAN_MIME.join(' or ')} only (an SVG may carry script)`);
    }
    const b64 = body.dataBase64.replace(/^data:[^;,]+;base64,/, '').replace(/\s+/g, '');
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw errors.badRequest('dataBase64 is not base64');
    const size = (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
    if (size > MAX_FLOOR_PLAN_BYTES) throw tooLarge(size);
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length === 0) throw errors.badRequest('the image is empty');
    const sniffed = sniffPlan(bytes);
    if (sniffed !== body.mime) throw planType(`the bytes are not ${body.mime}${sniffed ? ` (they look like ${sniffed})` : ''}`);
    const by = `user:${actor.id}`;
    const at = new Date(this.now());
    await this.db.$transaction(async (tx) => {
      const before = await tx.floorPlan.findUnique({
        where: { buildingId_floor: { buildingId: building, floor } },
        select: { updatedAt: true },
      });
      await tx.floorPlan.upsert({
        where: { buildingId_floor: { buildingId: building, floor } },
        create: { buildingId: building, floor, mime: body.mime, image: new Uint8Array(bytes), uploadedBy: by, updatedAt: at },
        update: { mime: body.mime, image: new Uint8Array(bytes), uploadedBy: by, updatedAt: at },
      });
      await tx.auditLog.create({
        data: {
          actor: by,
          action: before ? 'floor_plan.replace' : 'floor_plan.upload',
          target: `floor_plan:${building}/${floor}`,
          data: { mime: body.mime, size: bytes.length },
        },
      });
    });
    return this.one(building, floor);
  }

  async remove(actor: PlanActor, building: string, floor: number): Promise<void> {
    await this.floorOf(actor, building, floor);
    const by = `user:${actor.id}`;
    await this.db.$transaction(async (tx) => {
      const p = await tx.floorPlan.findUnique({ where: { buildingId_floor: { buildingId: building, floor } }, select: { mime: true } });
      if (!p) throw this.planMissing(building, floor);
      // the placements go with it (ON DELETE CASCADE): they are positions on this image
      const placed = await tx.devicePlacement.count({ where: { buildingId: building, floor } });
      await tx.floorPlan.delete({ where: { buildingId_floor: { buildingId: building, floor } } });
      await tx.auditLog.create({
        data: { actor: by, action: 'floor_plan.delete', target: `floor_plan:${building}/${floor}`, data: { placements: placed } },
      });
    });
  }

  /** Put a device of this building on this floor's plan (moving it from any other floor's). */
  async place(actor: PlanActor, building: string, floor: number, deviceId: string, pos: { x: number; y: number }): Promise<PlacementView> {
    await this.floorOf(actor, building, floor);
    const d = this.registry.get(deviceId);
    // another building's device is unknown to a scoped user, like everywhere else
    if (!d || !Scope.of(actor).allows(d.building)) throw errors.deviceUnknown(`no device ${deviceId}`);
    if (d.building !== building) throw errors.badRequest(`device ${deviceId} is in building ${d.building}, not ${building}`);
    const by = `user:${actor.id}`;
    const at = new Date(this.now());
    const row = await this.db.$transaction(async (tx) => {
      const plan = await tx.floorPlan.findUnique({ where: { buildingId_floor: { buildingId: building, floor } }, select: { floor: true } });
      if (!plan) throw this.planMissing(building, floor);
      const before = await tx.devicePlacement.findUnique({ where: { deviceId } });
      const r = await tx.devicePlacement.upsert({
        where: { deviceId },
        create: { deviceId, buildingId: building, floor, x: pos.x, y: pos.y, placedBy: by, placedAt: at },
        update: { buildingId: building, floor, x: pos.x, y: pos.y, placedBy: by, placedAt: at },
      });
      await tx.auditLog.create({
        data: {
          actor: by,
          action: 'floor_plan.place',
          target: `device:${deviceId}`,
          data: {
            building,
            floor,
            x: pos.x,
            y: pos.y,
            ...(before ? { from: { building: before.buildingId, floor: before.floor, x: before.x, y: before.y } } : {}),
          },
        },
      });
      return r;
    });
    return { deviceId: row.deviceId, x: row.x, y: row.y, placedAt: row.placedAt.getTime() };
  }

  async unplace(actor: PlanActor, building: string, floor: number, deviceId: string): Promise<void> {
    await this.floorOf(actor, building, floor);
    const by = `user:${actor.id}`;
    await this.db.$transaction(async (tx) => {
      const p = await tx.devicePlacement.findUnique({ where: { deviceId } });
      if (!p || p.buildingId !== building || p.floor !== floor) throw errors.notFound(`device ${deviceId} is not on this plan`);
      await tx.devicePlacement.delete({ where: { deviceId } });
      await tx.auditLog.create({
        data: { actor: by, action: 'floor_plan.unplace', target: `device:${deviceId}`, data: { building, floor } },
      });
    });
  }

  // ------------------------------------------------------------------------------------------

  private async one(building: string, floor: number): Promise<FloorPlanView> {
    const p = (await this.list(Scope.ALL, building)).find((x) => x.floor === floor);
    if (!p) throw this.planMissing(building, floor);
    return p;
  }

  /** The building must exist in the actor's scope and have this floor (lowest floor … top). */
  private async floorOf(actor: PlanActor, building: string, floor: number): Promise<void> {
    const b = Scope.of(actor).allows(building)
      ? await this.db.building.findUnique({ where: { id: building }, select: { floors: true, lowestFloor: true } })
      : null;
    if (!b) throw errors.notFound(`no building ${building}`);
    if (floor < b.lowestFloor || floor > b.floors || floor === 0) {
      throw errors.badRequest(`building ${building} has floors ${b.lowestFloor}…${b.floors}, not ${floor}`);
    }
  }

  private planMissing(building: string, floor: number): HubError {
    return errors.notFound(`no plan for floor ${floor} of building ${building}`);
  }

  private matches(where: Partial<Record<'buildingId', string | { in: string[] }>>, building: string): boolean {
    const w = where.buildingId;
    if (w === undefined) return true;
    return typeof w === 'string' ? w === building : w.in.includes(building);
  }

  private async names(refs: string[]): Promise<Map<string, string>> {
    const ids = [...new Set(refs.filter((r) => r.startsWith('user:')).map((r) => r.slice(5)))];
    if (!ids.length) return new Map();
    const users = await this.db.user.findMany({ where: { id: { in: ids } }, select: { id: true, displayName: true } });
    return new Map(users.map((u) => [`user:${u.id}`, u.displayName]));
  }
}
