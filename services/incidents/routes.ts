import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import { ActionBody, IncidentDetail, IncidentListQuery, IncidentView, ManualReportBody } from '../../contracts/incidents.js';
import type { IncidentService } from './service.js';

const Params = z.object({ id: z.uuid() });
const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };

export const incidentRoutes: FastifyPluginAsyncZod<{ incidents: IncidentService }> = async (app, { incidents }) => {
  const anyone = app.requireRole();

  app.get(
    '/api/incidents',
    {
      schema: {
        tags: ['incidents'],
        summary: 'Incidents, open ones by severity (fire > entrapment > outage > fault > visitor)',
        querystring: IncidentListQuery,
        response: { 200: z.array(IncidentView) },
      },
      preHandler: anyone,
    },
    async (req) => {
      const list = await incidents.list(req.query, req.user!.role);
      // visitor incidents carry a visitor's name and masked ID: the read is logged (seed 000 §2.1.6.2)
      if (list.some((i) => i.kind === 'visitor_approval')) await incidents.logPersonalRead(req.user!.id, 'visits:list', 'incident board');
      return list;
    },
  );

  app.get(
    '/api/incidents/:id',
    {
      schema: {
        tags: ['incidents'],
        summary: 'One incident with steps, timers, commands, allowed actions and the full timeline',
        params: Params,
        response: { 200: IncidentDetail, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => {
      const d = await incidents.get(req.params.id, req.user!.role);
      if (d.kind === 'visitor_approval') await incidents.logPersonalRead(req.user!.id, `visit:${d.id}`, 'incident detail');
      return d;
    },
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
    async (req, reply) => reply.code(201).send(await incidents.report(req.body.kind, req.body.building, req.body.payload, req.user!)),
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
    async (req) => incidents.act(req.params.id, req.params.action, req.body?.payload, req.user!),
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
      async (req) => incidents.act(req.params.id, action, req.body?.payload, req.user!),
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
    async (req) => incidents.act(req.params.id, 'add_note', { text: req.body.notes }, req.user!),
  );
};
