// Service-desk API for complaints 投诉 (PROCEDURES.md §9; docs/contract.md "Complaints"): validate,
// authorise, call the complaint service. Changes go through the procedure (`POST /api/incidents/
// :id/actions/:action`: accept_valid, mark_invalid, record_reply, hand_off, open_work_order,
// record_response, record_solution, record_followup), which writes the audit row, the timeline
// and the duty log in one transaction.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import {
  ComplaintCreateBody,
  ComplaintMonthReport,
  ComplaintQuery,
  ComplaintReportQuery,
  ComplaintView,
} from '../../contracts/complaints.js';
import { IncidentDetail } from '../../contracts/incidents.js';
import { OwnerContactView, ReasonQuery } from '../../contracts/workorders.js';
import type { MessageCatalog } from '../core/messages.js';
import { scopeOf } from '../auth/scope.js';
import { localeOf, localizeErrors, readerOf } from '../incidents/http.js';
import { sendPrintable } from '../records/routes.js';
import { monthReportCsv, monthReportHtml } from './report.js';
import { COMPLAINT_DESK } from './machine.js';
import type { ComplaintService } from './service.js';

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const Params = z.object({ id: z.uuid() });
const tags = ['complaints'];
/** seed 002 §2.2: 客服主管 analyses the complaint figures (the monthly report); admins too */
const MANAGERS = ['supervisor', 'admin'] as const;

export const complaintRoutes: FastifyPluginAsyncZod<{ complaints: ComplaintService; catalog: MessageCatalog }> = async (
  app,
  { complaints, catalog },
) => {
  const desk = app.requireRole(...COMPLAINT_DESK);
  const managers = app.requireRole(...MANAGERS);
  localizeErrors(app, catalog);

  app.get(
    '/api/complaints',
    {
      schema: {
        tags,
        summary:
          'The complaint board: filter by state (default open), building, category, channel, overdue (a missed 2 h / 24 h / 72 h / 回访 target)',
        querystring: ComplaintQuery,
        response: { 200: z.array(ComplaintView), ...errs },
      },
      preHandler: desk,
    },
    async (req) => complaints.list(req.query, scopeOf(req)),
  );

  app.post(
    '/api/complaints',
    {
      schema: {
        tags,
        summary: '投诉登记: register a complaint (who — a resident by unit or an outside person —, channel, category, what)',
        body: ComplaintCreateBody,
        response: { 201: IncidentDetail, ...errs },
      },
      preHandler: desk,
    },
    async (req, reply) => reply.code(201).send(await complaints.create(req.body, req.user!, readerOf(req, 'register complaint'))),
  );

  app.get(
    '/api/complaints/report',
    {
      schema: {
        tags,
        summary:
          'The monthly complaint report 投诉月报 (?month=YYYY-MM): counts by category and channel, valid/invalid, on-time rates (2 h reply, 24 h response, 72 h solution), follow-up rate — JSON, a printable page (format=html) or CSV',
        querystring: ComplaintReportQuery,
        response: { 200: z.union([ComplaintMonthReport, z.string().describe('text/html or text/csv')]), ...errs },
      },
      preHandler: managers,
    },
    async (req, reply) => {
      const q = req.query;
      const report = await complaints.monthReport({ month: q.month, building: q.building }, scopeOf(req));
      // who printed which month's figures (the report names no person, but it is the unit's record)
      await complaints.auditReportRead(req.user!, report, q.format);
      if (q.format === 'json') return report;
      const locale = q.lang ?? localeOf(req);
      return sendPrintable(reply, {
        format: q.format,
        filename: `complaints-${report.month}.csv`,
        csv: () => monthReportCsv(report, locale, complaints.tz),
        html: () => monthReportHtml(report, locale, complaints.tz),
      });
    },
  );

  app.get(
    '/api/complaints/:id',
    {
      schema: {
        tags,
        summary: 'One complaint (its timeline: GET /api/incidents/:id)',
        params: Params,
        response: { 200: ComplaintView, ...errs },
      },
      preHandler: desk,
    },
    async (req) => complaints.get(req.params.id, scopeOf(req)),
  );

  app.get(
    '/api/complaints/:id/owner-contact',
    {
      schema: {
        tags,
        summary: "The resident complainant's contact from the owner file: requires ?reason=…; the read is logged (who, why, when)",
        params: Params,
        querystring: ReasonQuery,
        response: { 200: OwnerContactView, ...errs },
      },
      preHandler: desk,
    },
    async (req) => complaints.ownerContact(req.params.id, req.user!, req.query.reason, scopeOf(req)),
  );
};
