// Front-desk API for visitors (访客): validate, authorise, call the visit service
// (services/visitors/service.ts). A visit is the record of a visitor_approval incident (same
// id): every decision goes through the procedure; the Visit row is written in the same
// transaction by the incident service.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import { ActionBody, IncidentDetail, PreAuthBody, PreAuthView, VisitView } from '../../contracts/incidents.js';
import { EpochMs, QueryBool } from '../../contracts/common.js';
import { localizeErrors, readerOf } from '../incidents/http.js';
import type { MessageCatalog } from '../core/messages.js';
import { VISITOR_STATES } from './machine.js';
import type { VisitService } from './service.js';

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const Params = z.object({ id: z.uuid() });
const DESK = ['frontdesk', 'supervisor'] as const;

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

export const visitRoutes: FastifyPluginAsyncZod<{ visits: VisitService; catalog: MessageCatalog }> = async (app, { visits, catalog }) => {
  const desk = app.requireRole(...DESK);
  localizeErrors(app, catalog);

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
    // a list is the desk's board, not a person choosing a record; each visit shown is logged
    async (req) => visits.list(req.query, readerOf(req, `visit list (${req.query.state})`)),
  );

  app.get(
    '/api/visits/:id',
    {
      schema: {
        tags: ['visitors'],
        params: Params,
        summary: 'One visit: a person opens a visitor’s record, so a reason is required and logged (seed 000 §2.1.6.2)',
        querystring: z.object({ reason: z.string().trim().min(2).max(200) }),
        response: { 200: VisitView, ...errs },
      },
      preHandler: app.requireRole(),
    },
    async (req) => visits.get(req.params.id, readerOf(req, req.query.reason)),
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
      const { building, ...rest } = req.body;
      return reply.code(201).send(await visits.register(building, rest, req.user!, readerOf(req, 'visitor registration')));
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
    async (req) => visits.approve(req.params.id, req.body, req.user!, readerOf(req, 'action approve visit')),
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
    async (req) => visits.deny(req.params.id, req.body, req.user!, readerOf(req, 'action deny visit')),
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
    async (req) =>
      visits.action(req.params.id, req.params.action, req.body?.payload, req.user!, readerOf(req, `action ${req.params.action}`)),
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
    async (req) => visits.preAuthorizations(req.query, readerOf(req, 'pre-authorisation list')),
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
    async (req, reply) =>
      reply.code(201).send(await visits.createPreAuthorization(req.body, req.user!, readerOf(req, 'pre-authorisation registered'))),
  );
};
