// What each recipient of a live push may see of a person's data (PROCEDURES.md "Privacy";
// seed 000 §2.1.6.2; seed 002 §3.1.2). A push carrying personal data — a visitor's name in
// an incident view, a visit, a notice or the intercom's call event — goes to each socket on its
// own: roles without the duty (operators) get it masked; the others get it whole and the
// delivery is logged per recipient (batched: AccessLog.later). Pushes without personal data
// are not touched and still go out as one broadcast (dashboard/socket.ts).
import type { IncidentKind, Role } from '../../contracts/domain.js';
import type { IncidentView, VisitView } from '../../contracts/incidents.js';
import type { DeviceEventPush, IncidentNoticePush } from '../../contracts/socket.js';
import type { OwnerContactView } from '../../contracts/workorders.js';
import type { Db } from '../core/db.js';
import type { HubError } from '../core/errors.js';
import { holdsPersonal, redact } from '../core/privacy.js';
import type { ProcedureEngine } from '../core/procedure/index.js';
import type { ProcedureModule } from './module.js';
import type { IncidentViews } from './views.js';

export interface Recipient {
  id: string;
  role: Role;
}

/** Where personal deliveries are logged (AccessLog.later: written within a second). */
export interface DeliveryLog {
  later(userId: string, subjects: readonly string[], reason: string): void;
}

type Prepared<T> = { personal: false } | { personal: true; kind: IncidentKind; subject: string; masked: T };

export class PersonalDataGate {
  private readonly cache = new WeakMap<object, Prepared<unknown>>();

  constructor(
    private readonly engine: ProcedureEngine<ProcedureModule>,
    private readonly views: IncidentViews,
    private readonly log: DeliveryLog,
  ) {}

  private personal(kind: string): { keys: ReadonlySet<string>; subject(id: string): string } | null {
    if (!this.engine.registry.has(kind)) return null;
    const p = this.engine.registry.get(kind).personal;
    return p ? { keys: new Set(p.keys), subject: p.subject } : null;
  }

  /** Does this push hold personal data at all? (If not, it may go out as one broadcast.) */
  isPersonal(event: string, payload: unknown): boolean {
    return this.prepare(event, payload).personal;
  }

  /** The push as this recipient may receive it; an unmasked delivery of personal data is logged. */
  forRecipient<T>(user: Recipient, event: string, payload: T): T {
    const p = this.prepare(event, payload) as Prepared<T>;
    if (!p.personal) return payload;
    if (this.views.seesPersonal(p.kind, { userId: user.id, role: user.role, locale: 'zh-CN', reason: `live ${event}` })) {
      this.log.later(user.id, [p.subject], `live push ${event}`);
      return payload;
    }
    return p.masked;
  }

  /** A list (the `sync` answer after a reconnect): each element as this recipient may see it. */
  listForRecipient<T>(user: Recipient, event: string, list: readonly T[]): T[] {
    return list.map((x) => this.forRecipient(user, event, x));
  }

  private prepare(event: string, payload: unknown): Prepared<unknown> {
    if (payload === null || typeof payload !== 'object') return { personal: false };
    const hit = this.cache.get(payload);
    if (hit) return hit;
    const p = this.compute(event, payload);
    this.cache.set(payload, p);
    return p;
  }

  private compute(event: string, payload: object): Prepared<unknown> {
    if (event.startsWith('incident:opened') || event.startsWith('incident:updated') || event === 'sync:incident') {
      const v = payload as IncidentView;
      const p = this.personal(v.kind);
      if (!p || !holdsPersonal(v, p.keys)) return { personal: false };
      const titleMsg = redact(v.titleMsg, p.keys);
      return {
        personal: true,
        kind: v.kind,
        subject: p.subject(v.id),
        masked: { ...redact(v, p.keys), titleMsg, title: this.engine.catalog.render(titleMsg, 'zh-CN'), masked: true },
      };
    }
    if (event === 'incident:notify') {
      const n = payload as IncidentNoticePush;
      const p = this.personal(n.kind);
      if (!p || !holdsPersonal(n, p.keys)) return { personal: false };
      return { personal: true, kind: n.kind as IncidentKind, subject: p.subject(n.incidentId), masked: redact(n, p.keys) };
    }
    if (event.startsWith('visit:') || event === 'sync:visit') {
      const v = payload as VisitView;
      // a visit is the record of a visitor_approval incident (same id)
      const p = this.personal('visitor_approval');
      if (!p || !holdsPersonal(v, p.keys)) return { personal: false };
      return { personal: true, kind: 'visitor_approval', subject: p.subject(v.id), masked: redact(v, p.keys) };
    }
    if (event === 'device:event') {
      const e = payload as DeviceEventPush;
      for (const m of this.engine.registry.all()) {
        if (!m.personal) continue;
        const keys = new Set(m.personal.keys);
        if (!holdsPersonal(e.data, keys)) continue;
        // the stored device event is the record read (e.g. the intercom call naming the visitor)
        return {
          personal: true,
          kind: m.definition.kind,
          subject: `device-event:${e.deviceId}:${e.id}`,
          masked: { ...e, data: redact(e.data, keys) },
        };
      }
      return { personal: false };
    }
    return { personal: false };
  }
}

/**
 * The owner's contact for a unit named by a service-desk record (a work order, a complaint),
 * read from the owner file (业主资料) to call back, reply or follow up (seed 000 §2.1.6.2; seed
 * 002 §4.1.3: who, why, when). The PersonalDataAccess row (who, which unit, why, when) is
 * written in the same transaction as the read, before anything is returned; `record` names the
 * record in the logged reason (`work order #12`). One function for every desk record, so the
 * read and its log cannot drift apart between them.
 */
export async function readOwnerContact(
  db: Db,
  q: { building: string; unit: string; userId: string; record: string; reason: string; at: number; unitGone: () => HubError },
): Promise<OwnerContactView> {
  return db.$transaction(async (tx) => {
    const u = await tx.unit.findUnique({ where: { buildingId_number: { buildingId: q.building, number: q.unit } } });
    if (!u) throw q.unitGone();
    const a = await tx.personalDataAccess.create({
      data: { at: new Date(q.at), userId: q.userId, subject: `unit:${u.id}`, reason: `${q.record}: ${q.reason}` },
    });
    return {
      unitId: u.id,
      building: u.buildingId,
      unit: u.number,
      floor: u.floor,
      ownerName: u.ownerName,
      ownerPhone: u.ownerPhone,
      altContact: u.altContact,
      access: { seq: Number(a.seq), at: a.at.getTime(), reason: a.reason },
    };
  });
}
