// Front-desk API for visitors (访客). A visit is the record of a visitor_approval incident
// (same id): every decision goes through the procedure (services/visitors/machine.ts), the
// Visit row is written in the same transaction by the incident service.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import { ActionBody, IncidentDetail, PreAuthBody, PreAuthView, VisitView } from '../../contracts/incidents.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { IncidentService } from '../incidents/service.js';
import { EpochMs, QueryBool } from '../../contracts/common.js';
import { maskIdNumber, VISITOR_STATES } from './machine.js';
import { visitView } from './views.js';

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const Params = z.object({ id: z.uuid() });
const DESK = ['frontdesk', 'supervisor'] as const;
const ACTIVE = ['requested', 'unreachable', 'approved', 'opened', 'failed'];

const Register = z.object({
  building: z.string().min(1),
  unit: z.string().min(1).max(32),
  visitorName: z.string().min(1).max(64),
  /** raw ID number: masked (first 3 + last 4) before anything is stored (seed 002 §3.1.2) */
  idNumber: z.string().min(4).max(32).optional(),
  idType: z.enum(['resident_id', 'passport', 'hk_macau_permit', 'taiwan_permit', 'other']).optional(),
  plannedMinutes: z.number().int().min(1).max(1440).default(60),
  notes: z.string().max(2000).default(''),
  /** when the desk started the form (≤ 60 s target, seed 001 §一) */
  startedAt: EpochMs.optional(),
  /** the owner pre-registered this visitor; the desk checked the ID */
  preAuthId: z.string().optional(),
  idVerified: z.boolean().optional(),
});

const Decision = z.object({
  channel: z.enum(['phone', 'intercom', 'alt_contact', 'in_person']).default('phone'),
  notes: z.string().max(2000).default(''),
  preAuthId: z.string().optional(),
  idVerified: z.boolean().optional(),
});

export const visitRoutes: FastifyPluginAsyncZod<{ db: Db; incidents: IncidentService; now: () => number }> = async (
  app,
  { db, incidents, now },
) => {
  const desk = app.requireRole(...DESK);

  async function preAuthPayload(id: string) {
    const p = await db.preAuthorization.findUnique({ where: { id } });
    if (!p) throw errors.notFound(`no pre-authorisation ${id}`);
    // facts come from the stored record, never from the request (attribution, seed 000 §2.1.3)
    return {
      preAuthId: p.id,
      unit: p.unitNumber,
      visitorName: p.visitorName,
      validFrom: p.validFrom.getTime(),
      validTo: p.validTo.getTime(),
      idVerified: true as const,
    };
  }

  async function logRead(userId: string, subject: string, reason: string) {
    await db.personalDataAccess.create({ data: { userId, subject, reason } });
  }

  app.get(
    '/api/visits',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Visits (default: active ones — waiting, approved, inside); every read is logged (seed 000 §2.1.6.2)',
        querystring: z.object({
          state: z.enum(['active', 'all', ...VISITOR_STATES]).default('active'),
          building: z.string().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(200),
        }),
        response: { 200: z.array(VisitView) },
      },
      preHandler: app.requireRole(),
    },
    async (req) => {
      const st = req.query.state;
      const rows = await db.visit.findMany({
        where: {
          ...(req.query.building ? { buildingId: req.query.building } : {}),
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
        take: req.query.limit,
      });
      await logRead(req.user!.id, 'visits:list', `list ${st}`);
      return rows.map((v) => visitView(v, now()));
    },
  );

  app.get(
    '/api/visits/:id',
    {
      schema: {
        tags: ['visitors'],
        params: Params,
        querystring: z.object({ reason: z.string().max(200).default('front desk view') }),
        response: { 200: VisitView, ...errs },
      },
      preHandler: app.requireRole(),
    },
    async (req) => {
      const v = await db.visit.findUnique({ where: { id: req.params.id } });
      if (!v) throw errors.notFound(`no visit ${req.params.id}`);
      await logRead(req.user!.id, `visit:${v.id}`, req.query.reason);
      return visitView(v, now());
    },
  );

  app.post(
    '/api/visits',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Register a walk-in visitor (访客登记); the ID number is masked before storage',
        body: Register,
        response: { 201: IncidentDetail, ...errs },
      },
      preHandler: desk,
    },
    async (req, reply) => {
      const { building, preAuthId, idVerified, ...rest } = req.body;
      let preAuth: Awaited<ReturnType<typeof preAuthPayload>> | undefined;
      if (preAuthId) {
        if (idVerified !== true)
          throw errors.badRequest('verify the visitor’s identity before using a pre-authorisation (idVerified: true)');
        preAuth = await preAuthPayload(preAuthId);
      }
      const payload = { ...rest, ...(preAuth ? { preAuth } : {}) };
      return reply.code(201).send(await incidents.report('visitor_approval', building, payload, req.user!));
    },
  );

  app.post(
    '/api/visits/:id/approve',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Record the owner’s approval (or approve by pre-authorisation); the door unlock follows',
        params: Params,
        body: Decision,
        response: { 200: IncidentDetail, ...errs },
      },
      preHandler: desk,
    },
    async (req) => {
      if (req.body.preAuthId) {
        if (req.body.idVerified !== true) throw errors.badRequest('verify the visitor’s identity first (idVerified: true)');
        return incidents.act(
          req.params.id,
          'approve_preauthorized',
          { ...(await preAuthPayload(req.body.preAuthId)), notes: req.body.notes },
          req.user!,
        );
      }
      return incidents.act(
        req.params.id,
        'record_owner_decision',
        { decision: 'approved', channel: req.body.channel, notes: req.body.notes },
        req.user!,
      );
    },
  );

  app.post(
    '/api/visits/:id/deny',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Record the owner’s refusal; the visitor is politely refused',
        params: Params,
        body: Decision.omit({ preAuthId: true, idVerified: true }),
        response: { 200: IncidentDetail, ...errs },
      },
      preHandler: desk,
    },
    async (req) =>
      incidents.act(
        req.params.id,
        'record_owner_decision',
        { decision: 'denied', channel: req.body.channel, notes: req.body.notes },
        req.user!,
      ),
  );

  app.post(
    '/api/visits/:id/actions/:action',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Any visitor procedure action (keep_trying, try_alternative_contact, leave_message, retry_unlock, record_departure, …)',
        params: Params.extend({
          action: z
            .string()
            .regex(/^[a-z0-9_]+$/)
            .max(64),
        }),
        body: ActionBody.optional(),
        response: { 200: IncidentDetail, ...errs },
      },
      preHandler: desk,
    },
    async (req) => incidents.act(req.params.id, req.params.action, req.body?.payload, req.user!),
  );

  app.get(
    '/api/preauthorizations',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Visitors pre-authorised by owners (业主预先通知)',
        querystring: z.object({ building: z.string().optional(), unit: z.string().optional(), current: QueryBool.default(true) }),
        response: { 200: z.array(PreAuthView) },
      },
      preHandler: desk,
    },
    async (req) => {
      const t = new Date(now());
      const rows = await db.preAuthorization.findMany({
        where: {
          ...(req.query.building ? { buildingId: req.query.building } : {}),
          ...(req.query.unit ? { unitNumber: req.query.unit } : {}),
          ...(req.query.current ? { validTo: { gte: t } } : {}),
        },
        orderBy: { validFrom: 'asc' },
      });
      await logRead(req.user!.id, 'preauthorizations:list', 'front desk view');
      return rows.map((p) => ({
        id: p.id,
        building: p.buildingId,
        unit: p.unitNumber,
        visitorName: p.visitorName,
        idMasked: p.idMasked,
        validFrom: p.validFrom.getTime(),
        validTo: p.validTo.getTime(),
        registeredBy: p.registeredBy,
        usedAt: p.usedAt?.getTime() ?? null,
      }));
    },
  );

  app.post(
    '/api/preauthorizations',
    {
      schema: {
        tags: ['visitors'],
        summary: 'Record an owner’s advance notice of a visitor',
        body: PreAuthBody,
        response: { 201: PreAuthView, ...errs },
      },
      preHandler: desk,
    },
    async (req, reply) => {
      const b = req.body;
      if (b.validTo <= b.validFrom) throw errors.badRequest('validTo must be after validFrom');
      const unit = await db.unit.findUnique({ where: { buildingId_number: { buildingId: b.building, number: b.unit } } });
      if (!unit) throw errors.badRequest(`no unit ${b.unit} in building ${b.building}`);
      const registeredBy = `owner:${b.unit} via user:${req.user!.id}`;
      const p = await db.$transaction(async (tx) => {
        const row = await tx.preAuthorization.create({
          data: {
            buildingId: b.building,
            unitNumber: b.unit,
            visitorName: b.visitorName,
            idMasked: b.idNumber ? maskIdNumber(b.idNumber) : '',
            validFrom: new Date(b.validFrom),
            validTo: new Date(b.validTo),
            registeredBy,
          },
        });
        await tx.auditLog.create({
          data: {
            actor: `user:${req.user!.id}`,
            action: 'preauthorization.create',
            target: `preauth:${row.id}`,
            data: { unit: b.unit, building: b.building },
          },
        });
        return row;
      });
      return reply.code(201).send({
        id: p.id,
        building: p.buildingId,
        unit: p.unitNumber,
        visitorName: p.visitorName,
        idMasked: p.idMasked,
        validFrom: p.validFrom.getTime(),
        validTo: p.validTo.getTime(),
        registeredBy: p.registeredBy,
        usedAt: null,
      });
    },
  );
};
