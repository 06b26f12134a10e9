// Service-desk API for repair work orders 报修工单 (PROCEDURES.md §8; docs/contract.md "Work
// orders"): validate, authorise, call the work-order service. Changes go through the procedure
// (`POST /api/incidents/:id/actions/:action`: dispatch, record_response, complete, accept,
// cancel), which writes the audit row, the timeline and the duty log in one transaction; photos
// are the incident's attachments (`POST /api/incidents/:id/attachments`).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import { IncidentDetail } from '../../contracts/incidents.js';
import {
  OwnerContactView,
  ReasonQuery,
  WorkOrderCreateBody,
  WorkOrderQuery,
  WorkOrderSheet,
  WorkOrderView,
} from '../../contracts/workorders.js';
import type { MessageCatalog } from '../core/messages.js';
import { scopeOf } from '../auth/scope.js';
import { localizeErrors, readerOf } from '../incidents/http.js';
import type { WorkOrderService } from './service.js';
import { renderSheetHtml } from './sheet.js';

/** like the special report's: no scripts, images from the hub only (the photos) */
const SHEET_CSP =
  "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const Params = z.object({ id: z.uuid() });
const tags = ['work orders'];
/** seed 002 §2.2: 客服专员 register and follow up repairs; the control room finds faults; supervisors stand in */
const DESK = ['frontdesk', 'operator', 'supervisor', 'admin'] as const;

export const workOrderRoutes: FastifyPluginAsyncZod<{ workOrders: WorkOrderService; catalog: MessageCatalog }> = async (
  app,
  { workOrders, catalog },
) => {
  const desk = app.requireRole(...DESK);
  localizeErrors(app, catalog);

  app.get(
    '/api/work-orders',
    {
      schema: {
        tags,
        summary: 'The work-order board: filter by state (default open), building, category, overdue (missed 24 h / 48 h target)',
        querystring: WorkOrderQuery,
        response: { 200: z.array(WorkOrderView), ...errs },
      },
      preHandler: desk,
    },
    async (req) => workOrders.list(req.query, scopeOf(req)),
  );

  app.post(
    '/api/work-orders',
    {
      schema: {
        tags,
        summary: '接单登记: register a repair for a resident (area unit: the unit must be in the owner file) or a common area',
        body: WorkOrderCreateBody,
        response: { 201: IncidentDetail, ...errs },
      },
      preHandler: desk,
    },
    async (req, reply) => reply.code(201).send(await workOrders.create(req.body, req.user!, readerOf(req, 'report repair'))),
  );

  app.get(
    '/api/work-orders/:id',
    {
      schema: {
        tags,
        summary: 'One work order (its timeline: GET /api/incidents/:id)',
        params: Params,
        response: { 200: WorkOrderView, ...errs },
      },
      preHandler: desk,
    },
    async (req) => workOrders.get(req.params.id, scopeOf(req)),
  );

  app.get(
    '/api/work-orders/:id/owner-contact',
    {
      schema: {
        tags,
        summary: "The owner's contact for the order's unit from the owner file: requires ?reason=…; the read is logged (who, why, when)",
        params: Params,
        querystring: ReasonQuery,
        response: { 200: OwnerContactView, ...errs },
      },
      preHandler: desk,
    },
    async (req) => workOrders.ownerContact(req.params.id, req.user!, req.query.reason, scopeOf(req)),
  );

  app.get(
    '/api/work-orders/:id/sheet',
    {
      schema: {
        tags,
        summary:
          "The printable work-order sheet 维修工单 (HTML, zh-CN with English; ?format=json for the data); with ?reason=… it carries the owner's contact (a logged read)",
        params: Params,
        querystring: ReasonQuery.partial().extend({ format: z.enum(['html', 'json']).default('html') }),
        response: { 200: z.union([WorkOrderSheet, z.string().describe('text/html: the printable sheet (default)')]), ...errs },
      },
      preHandler: desk,
    },
    async (req, reply) => {
      const sheet = await workOrders.sheet(req.params.id, req.user!, req.query.reason ?? null, scopeOf(req));
      if (req.query.format === 'json') return sheet;
      return reply
        .header('content-security-policy', SHEET_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(renderSheetHtml(sheet));
    },
  );
};
