// Contacts 通讯录: the people the procedures tell operators to call (PROCEDURES.md §1.3 the
// elevator maintenance company, §3 the utility and engineering, §6 medical), per building.
// `contactsFor(building, kind)` is what a procedure step offers (issue 8 §4).
import type { ContactBody, ContactKind, ContactPatch, ContactView } from '../../contracts/admin.js';
import { bi } from '../../contracts/records.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import { audit, changes, scoped, type AdminActor, type Tx } from './common.js';
import { isContactPhone } from './phone.js';

type ContactRow = Awaited<ReturnType<Db['contact']['findUniqueOrThrow']>>;

const view = (c: ContactRow): ContactView => ({
  id: c.id,
  name: c.name,
  kind: c.kind as ContactKind,
  phone: c.phone,
  phone24h: c.phone24h,
  notes: c.notes,
  buildings: c.buildings,
  enabled: c.enabled,
  createdAt: c.createdAt.getTime(),
  updatedAt: c.updatedAt.getTime(),
});

const PHONE_MSG = bi(
  '电话格式不正确(手机、固话“区号-号码”、400/800 或 95598 这类服务号码)',
  'malformed phone (mobile, landline with area code, 400/800 or a service number such as 95598)',
);

/** Visible to an actor: serves one of its buildings, or every building. */
function visible(actor: AdminActor, buildings: readonly string[]): boolean {
  return !scoped(actor) || buildings.length === 0 || buildings.some((b) => actor.buildings.includes(b));
}
/** Changeable by an actor: only contacts wholly inside its scope (an estate-wide one needs an unscoped admin). */
function changeable(actor: AdminActor, buildings: readonly string[]): boolean {
  return !scoped(actor) || (buildings.length > 0 && buildings.every((b) => actor.buildings.includes(b)));
}

export class ContactService {
  constructor(private readonly db: Db) {}

  async list(
    actor: AdminActor,
    q: { building?: string | undefined; kind?: ContactKind | undefined; all?: boolean },
  ): Promise<ContactView[]> {
    const rows = await this.db.contact.findMany({
      where: {
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.all ? {} : { enabled: true }),
        ...(q.building ? { OR: [{ buildings: { has: q.building } }, { buildings: { isEmpty: true } }] } : {}),
      },
      orderBy: [{ kind: 'asc' }, { name: 'asc' }],
    });
    return rows
      .filter((c) => visible(actor, c.buildings) && (!q.building || !scoped(actor) || actor.buildings.includes(q.building)))
      .map(view);
  }

  /**
   * The enabled contacts of a kind for a building, the building's own first, then the
   * estate-wide ones (for a procedure step: "call the maintenance company: …").
   */
  async contactsFor(buildingId: string, kind: ContactKind): Promise<ContactView[]> {
    const rows = await this.db.contact.findMany({
      where: { kind, enabled: true, OR: [{ buildings: { has: buildingId } }, { buildings: { isEmpty: true } }] },
      orderBy: { name: 'asc' },
    });
    return rows.sort((a, b) => Number(a.buildings.length === 0) - Number(b.buildings.length === 0)).map(view);
  }

  private async checkBuildings(tx: Tx, actor: AdminActor, buildings: readonly string[]): Promise<void> {
    if (!changeable(actor, buildings))
      throw errors.forbidden(bi('只能登记您管辖楼栋的联系人', 'you may only register contacts for buildings within your scope'));
    if (!buildings.length) return;
    const found = new Set((await tx.building.findMany({ where: { id: { in: [...buildings] } }, select: { id: true } })).map((b) => b.id));
    const missing = buildings.filter((b) => !found.has(b));
    if (missing.length) throw errors.badRequest(bi(`楼栋不存在:${missing.join(', ')}`, `unknown buildings: ${missing.join(', ')}`));
  }

  async create(actor: AdminActor, body: ContactBody): Promise<ContactView> {
    if (!isContactPhone(body.phone) || (body.phone24h && !isContactPhone(body.phone24h))) throw errors.badRequest(PHONE_MSG);
    const buildings = [...new Set(body.buildings)];
    const row = await this.db.$transaction(async (tx) => {
      await this.checkBuildings(tx, actor, buildings);
      const data = {
        name: body.name,
        kind: body.kind,
        phone: body.phone,
        phone24h: body.phone24h ?? '',
        notes: body.notes ?? '',
        buildings,
      };
      const c = await tx.contact.create({ data });
      await audit(tx, actor, 'contact.create', `contact:${c.id}`, { after: data });
      return c;
    });
    return view(row);
  }

  async patch(actor: AdminActor, id: string, patch: ContactPatch): Promise<ContactView> {
    if ((patch.phone !== undefined && !isContactPhone(patch.phone)) || (patch.phone24h && !isContactPhone(patch.phone24h)))
      throw errors.badRequest(PHONE_MSG);
    const row = await this.db.$transaction(async (tx) => {
      const c = await tx.contact.findUnique({ where: { id } });
      if (!c || !visible(actor, c.buildings)) throw errors.notFound(bi(`没有联系人 ${id}`, `no contact ${id}`));
      if (!changeable(actor, c.buildings))
        throw errors.forbidden(bi('该联系人服务于您管辖范围以外的楼栋', 'this contact serves buildings outside your scope'));
      const buildings = patch.buildings ? [...new Set(patch.buildings)] : undefined;
      if (buildings) await this.checkBuildings(tx, actor, buildings);
      const next = { ...patch, ...(buildings ? { buildings } : {}) };
      const before = {
        name: c.name,
        kind: c.kind,
        phone: c.phone,
        phone24h: c.phone24h,
        notes: c.notes,
        buildings: c.buildings,
        enabled: c.enabled,
      };
      const diff = changes(before, next);
      if (!diff) return c;
      const u = await tx.contact.update({ where: { id }, data: next });
      const action = diff.after.enabled === false ? 'contact.disable' : diff.after.enabled === true ? 'contact.enable' : 'contact.update';
      await audit(tx, actor, action, `contact:${id}`, diff);
      return u;
    });
    return view(row);
  }
}
