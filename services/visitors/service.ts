// The front desk's visits and owners' pre-authorisations (访客). A visit is the record of a
// visitor_approval incident (same id): every decision goes through the procedure (machine.ts)
// via the incident service; this service reads the Visit rows, keeps the pre-authorisations,
// masks visitors' names for roles without visitor duties and logs every unmasked read
// (seed 000 §2.1.6.2: who, what, why, when).
import { Scope } from '../auth/scope.js';
import type { PreAuthView, VisitView } from '../../contracts/incidents.js';
import type { Db } from '../core/db.js';
import { keyed } from '../core/errors.js';
import { labels } from './labels.js';
import { maskName } from '../core/privacy.js';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type { IncidentService, IncidentUser, PersonalAccessLog, Reader } from '../incidents/service.js';
import { maskIdNumber } from './machine.js';
import { visitView } from './views.js';

const ACTIVE = ['requested', 'unreachable', 'approved', 'opened', 'failed'];

/** A refusal keyed in this procedure's labels (rendered in the reader's language). */
function refuse(code: 'HUB_ERR_BAD_REQUEST' | 'HUB_ERR_NOT_FOUND', key: keyof typeof labels.errors, params: Record<string, unknown> = {}) {
  return keyed(code, code === 'HUB_ERR_NOT_FOUND' ? 404 : 400, `visitor_approval.error.${key}`, labels.errors[key][1], params);
}

export interface VisitServiceOptions {
  db: Db;
  incidents: IncidentService;
  accessLog: PersonalAccessLog;
  now: () => number;
}

export interface RegisterVisit {
  unit: string;
  visitorName: string;
  idNumber?: string | undefined;
  idType?: string | undefined;
  plannedMinutes: number;
  notes: string;
  startedAt?: number | undefined;
  preAuthId?: string | undefined;
  idVerified?: boolean | undefined;
}

export class VisitService {
  constructor(private readonly o: VisitServiceOptions) {}

  /** Are visitors' names hidden from this reader (a role without visitor duties)? */
  private masked(reader: Reader): boolean {
    return this.o.incidents.views.hidden('visitor_approval', reader).size > 0;
  }

  private shown(v: VisitView, masked: boolean): VisitView {
    return masked ? { ...v, visitorName: maskName(v.visitorName) } : v;
  }

  private async logRead(reader: Reader, subjects: string[]): Promise<void> {
    if (reader.userId && subjects.length) await this.o.accessLog.record(reader.userId, subjects, reader.reason ?? 'visit view');
  }

  /** Visits (default: active ones — waiting, approved, inside); each visit shown unmasked is logged. */
  async list(q: { state: string; building?: string | undefined; limit: number }, reader: Reader): Promise<VisitView[]> {
    const st = q.state;
    const rows = await this.o.db.visit.findMany({
      where: {
        ...(reader.scope ?? Scope.ALL).whereRequested('buildingId', q.building),
        ...(st === 'all'
          ? {}
          : st === 'active'
            ? {
                OR: [
                  { state: { in: ACTIVE } },
                  { enteredAt: { not: null }, leftAt: null, state: { notIn: ['cancelled', 'left', 'denied'] } },
                ],
              }
            : { state: st }),
      },
      orderBy: { requestedAt: 'desc' },
      take: q.limit,
    });
    const masked = this.masked(reader);
    if (!masked)
      await this.logRead(
        reader,
        rows.map((v) => `visit:${v.id}`),
      );
    const now = this.o.now();
    return rows.map((v) => this.shown(visitView(v, now), masked));
  }

  /** The visits a live board starts with (the front desk's sync after a reconnect). */
  active(reader: Reader): Promise<VisitView[]> {
    return this.list({ state: 'active', limit: 500 }, reader);
  }

  /** One visit, opened by a person for a reason (required; logged). */
  async get(id: string, reader: Reader): Promise<VisitView> {
    const v = await this.o.db.visit.findUnique({ where: { id } });
    // another building's visit is "not found" too (services/auth/scope.ts)
    if (!v || !(reader.scope ?? Scope.ALL).allows(v.buildingId)) throw refuse('HUB_ERR_NOT_FOUND', 'no_visit', { id });
    const masked = this.masked(reader);
    if (!masked) await this.logRead(reader, [`visit:${v.id}`]);
    return this.shown(visitView(v, this.o.now()), masked);
  }

  /** A stored pre-authorisation as the procedure's payload: facts from the record, never from the request. */
  private async preAuthPayload(id: string, reader: Reader) {
    const p = await this.o.db.preAuthorization.findUnique({ where: { id } });
    if (!p || !(reader.scope ?? Scope.ALL).allows(p.buildingId)) throw refuse('HUB_ERR_NOT_FOUND', 'no_preauth', { id });
    return {
      preAuthId: p.id,
      unit: p.unitNumber,
      visitorName: p.visitorName,
      validFrom: p.validFrom.getTime(),
      validTo: p.validTo.getTime(),
      idVerified: true as const,
    };
  }

  /** Register a walk-in (访客登记); the ID number is masked by the procedure before anything is stored. */
  async register(building: string, body: RegisterVisit, user: IncidentUser, reader: Reader): Promise<IncidentDetail> {
    const { preAuthId, idVerified, ...rest } = body;
    let preAuth: Awaited<ReturnType<VisitService['preAuthPayload']>> | undefined;
    if (preAuthId) {
      if (idVerified !== true) throw refuse('HUB_ERR_BAD_REQUEST', 'verify_identity');
      preAuth = await this.preAuthPayload(preAuthId, reader);
    }
    return this.o.incidents.report('visitor_approval', building, { ...rest, ...(preAuth ? { preAuth } : {}) }, user, reader);
  }

  /** The owner's approval (or approval by pre-authorisation); the door unlock follows. */
  async approve(
    id: string,
    body: { channel: string; notes: string; preAuthId?: string | undefined; idVerified?: boolean | undefined },
    user: IncidentUser,
    reader: Reader,
  ): Promise<IncidentDetail> {
    if (body.preAuthId) {
      if (body.idVerified !== true) throw refuse('HUB_ERR_BAD_REQUEST', 'verify_identity');
      return this.o.incidents.act(
        id,
        'approve_preauthorized',
        { ...(await this.preAuthPayload(body.preAuthId, reader)), notes: body.notes },
        user,
        reader,
      );
    }
    return this.o.incidents.act(
      id,
      'record_owner_decision',
      { decision: 'approved', channel: body.channel, notes: body.notes },
      user,
      reader,
    );
  }

  deny(id: string, body: { channel: string; notes: string }, user: IncidentUser, reader: Reader): Promise<IncidentDetail> {
    return this.o.incidents.act(
      id,
      'record_owner_decision',
      { decision: 'denied', channel: body.channel, notes: body.notes },
      user,
      reader,
    );
  }

  action(id: string, action: string, payload: unknown, user: IncidentUser, reader: Reader): Promise<IncidentDetail> {
    return this.o.incidents.act(id, action, payload, user, reader);
  }

  // ------------------------------------------------------------------ pre-authorisations 业主预先通知

  private preAuthView(p: Awaited<ReturnType<Db['preAuthorization']['findMany']>>[number]): PreAuthView {
    return {
      id: p.id,
      building: p.buildingId,
      unit: p.unitNumber,
      visitorName: p.visitorName,
      idMasked: p.idMasked,
      validFrom: p.validFrom.getTime(),
      validTo: p.validTo.getTime(),
      registeredBy: p.registeredBy,
      usedAt: p.usedAt?.getTime() ?? null,
    };
  }

  async preAuthorizations(
    q: { building?: string | undefined; unit?: string | undefined; current: boolean },
    reader: Reader,
  ): Promise<PreAuthView[]> {
    const t = new Date(this.o.now());
    const rows = await this.o.db.preAuthorization.findMany({
      where: {
        ...(reader.scope ?? Scope.ALL).whereRequested('buildingId', q.building),
        ...(q.unit ? { unitNumber: q.unit } : {}),
        ...(q.current ? { validTo: { gte: t } } : {}),
      },
      orderBy: { validFrom: 'asc' },
    });
    await this.logRead(
      reader,
      rows.map((p) => `preauth:${p.id}`),
    );
    return rows.map((p) => this.preAuthView(p));
  }

  /** Record an owner's advance notice of a visitor; audited in the same transaction. */
  async createPreAuthorization(
    b: { building: string; unit: string; visitorName: string; idNumber?: string | undefined; validFrom: number; validTo: number },
    user: IncidentUser,
    reader: Reader,
  ): Promise<PreAuthView> {
    if (b.validTo <= b.validFrom) throw refuse('HUB_ERR_BAD_REQUEST', 'valid_to_after_from');
    const unit = await this.o.db.unit.findUnique({ where: { buildingId_number: { buildingId: b.building, number: b.unit } } });
    if (!unit || !(reader.scope ?? Scope.ALL).allows(b.building))
      throw refuse('HUB_ERR_BAD_REQUEST', 'no_unit', { unit: b.unit, building: b.building });
    const p = await this.o.db.$transaction(async (tx) => {
      const row = await tx.preAuthorization.create({
        data: {
          buildingId: b.building,
          unitNumber: b.unit,
          visitorName: b.visitorName,
          idMasked: b.idNumber ? maskIdNumber(b.idNumber) : '',
          validFrom: new Date(b.validFrom),
          validTo: new Date(b.validTo),
          registeredBy: `owner:${b.unit} via user:${user.id}`,
        },
      });
      await tx.auditLog.create({
        data: {
          actor: `user:${user.id}`,
          action: 'preauthorization.create',
          target: `preauth:${row.id}`,
          data: { unit: b.unit, building: b.building },
        },
      });
      return row;
    });
    // the response carries the visitor's data: a read like any other
    await this.logRead(reader, [`preauth:${p.id}`]);
    return this.preAuthView(p);
  }
}
