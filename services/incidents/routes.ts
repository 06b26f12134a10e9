import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import { SEVERITY } from '../../contracts/domain.js';
import {
  ActionBody,
  BulkFaultBody,
  BulkView,
  HistoryPage,
  IncidentSearchQuery,
  IncidentDetail,
  IncidentDetailQuery,
  IncidentListQuery,
  IncidentView,
  ManualReportBody,
  ProceduresView,
} from '../../contracts/incidents.js';
import { localeOf, localizeErrors, readerOf } from './http.js';
import type { IncidentService } from './service.js';

const Params = z.object({ id: z.uuid() });
const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };

export const incidentRoutes: FastifyPluginAsyncZod<{ incidents: IncidentService }> = async (app, { incidents }) => {
  const anyone = app.requireRole();
  // the history and the bulk actions are the control room's and the supervisor's (issue 14)
  const controlRoom = app.requireRole('operator', 'supervisor', 'admin');
  const engine = incidents.engine;
  localizeErrors(app, engine.catalog);

  app.get(
    '/api/procedures',
    {
      schema: {
        tags: ['incidents'],
        summary: 'The procedures this hub runs: labels (zh-CN, en) of every message key, manual-report roles and payload schemas',
        response: { 200: ProceduresView },
      },
      preHandler: anyone,
    },
    async (_req, reply) => {
      reply.header('cache-control', 'private, max-age=300');
      return {
        labels: engine.catalog.labels as Record<string, [string, string]>,
        kinds: engine.registry.kinds().map((kind) => {
          const d = engine.describe(kind);
          return {
            kind,
            severity: SEVERITY[kind],
            specialReport: d.specialReport,
            attention: d.attention,
            manual: d.manualRoles.length ? { roles: [...d.manualRoles], payload: engine.manualSchema(kind) } : null,
          };
        }),
      };
    },
  );

  app.get(
    '/api/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Incidents, open ones by severity (fire > entrapment > outage > fault > visitor). Personal data (visitor names) is shown to roles that work the procedure, and each record read is logged',
        querystring: IncidentListQuery,
        response: { 200: z.array(IncidentView) },
      },
      preHandler: anyone,
    },
    // a list is not a person choosing a record: the board itself is the reason (seed 000 §2.1.6.2)
    async (req) => incidents.list(req.query, readerOf(req, 'incident board')),
  );

  app.get(
    '/api/incidents/search',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Incident history: every incident, closed ones forever, filtered by state, kind, building, opening time (from/to, ms) and text (title, notes, device name, number); newest first, a page at a time',
        querystring: IncidentSearchQuery,
        response: { 200: HistoryPage, ...errs },
      },
      preHandler: controlRoom,
    },
    async (req) => incidents.history.search(req.query, readerOf(req, 'incident history')),
  );

  app.get(
    '/api/incidents/export',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'The same search as CSV (UTF-8 with BOM, names not ids, in the reader’s language or ?lang=); every match up to 10,000 rows, audited (incident.export)',
        querystring: IncidentSearchQuery,
        response: { 200: z.string().describe('text/csv'), ...errs },
      },
      preHandler: controlRoom,
    },
    async (req, reply) => {
      const { page: _p, pageSize: _s, ...q } = req.query;
      const out = await incidents.history.exportCsv(q, readerOf(req, 'incident history export'), q.lang ?? localeOf(req));
      return reply
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .header('x-export-truncated', String(out.truncated))
        .header('content-disposition', 'attachment; filename="incidents.csv"')
        .type('text/csv; charset=utf-8')
        .send(out.csv);
    },
  );

  app.post(
    '/api/incidents/bulk',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'Acknowledge or close many device faults with one reason; each id through its own procedure action (timeline, audit, roles), one result per id',
        body: BulkFaultBody,
        response: { 200: BulkView, ...errs },
      },
      preHandler: controlRoom,
    },
    async (req) => incidents.bulk(req.body, req.user!, readerOf(req, 'bulk action')),
  );

  app.get(
    '/api/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary:
          'One incident with steps, timers, commands, allowed actions and the full timeline. Personal data is unmasked only with ?reason=… (logged: who, why, when)',
        params: Params,
        querystring: IncidentDetailQuery,
        response: { 200: IncidentDetail, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => incidents.get(req.params.id, readerOf(req, req.query.reason ?? null)),
  );

  app.post(
    '/api/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Report an incident by hand (e.g. a passenger phones about an entrapment)',
        body: ManualReportBody,
        response: { 201: IncidentDetail, ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(
          await incidents.report(req.body.kind, req.body.building, req.body.payload, req.user!, readerOf(req, `report ${req.body.kind}`)),
        ),
  );

  app.post(
    '/api/incidents/:id/actions/:action',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Perform a procedure action (names and payload schemas: allowedActions of GET /api/incidents/:id; docs/procedures.md)',
        params: Params.extend({
          action: z
            .string()
            .regex(/^[a-z0-9_]+$/)
            .max(64),
        }),
        body: ActionBody.optional(),
        response: { 200: IncidentDetail, ...errs },
      },
      preHandler: anyone,
    },
    async (req) =>
      incidents.act(req.params.id, req.params.action, req.body?.payload, req.user!, readerOf(req, `action ${req.params.action}`)),
  );

  // Shorthands named in CONTRACT.md ("acknowledge, complete a step with notes, approve, close").
  for (const [path, action] of [
    ['acknowledge', 'acknowledge'],
    ['approve', 'approve_119'],
    ['close', 'close'],
  ] as const) {
    app.post(
      `/api/incidents/:id/${path}`,
      {
        schema: {
          tags: ['incidents'],
          summary: `Shorthand for actions/${action}`,
          params: Params,
          body: ActionBody.optional(),
          response: { 200: IncidentDetail, ...errs },
        },
        preHandler: anyone,
      },
      async (req) => incidents.act(req.params.id, action, req.body?.payload, req.user!, readerOf(req, `action ${action}`)),
    );
  }
  app.post(
    '/api/incidents/:id/notes',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Add a note to the timeline',
        params: Params,
        body: z.object({ notes: z.string().min(1).max(2000) }),
        response: { 200: IncidentDetail, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => incidents.act(req.params.id, 'add_note', { text: req.body.notes }, req.user!, readerOf(req, 'action add_note')),
  );
};
