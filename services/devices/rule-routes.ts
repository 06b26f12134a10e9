// Telemetry rules 遥测规则 over HTTP (docs/contract.md "Telemetry rules"; PROCEDURES.md "Device
// health"). Admin only; zod shapes in contracts/rules.ts; the service audits every change.
// Rules span buildings (a class rule watches every building's devices): a building-scoped
// admin is refused centrally (services/auth/route-scope.ts 'all-buildings').
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import { TelemetryRuleBody, TelemetryRulePatch, TelemetryRuleView } from '../../contracts/rules.js';
import { actorOf } from '../admin/common.js';
import type { TelemetryRuleService } from './rule-service.js';

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView };
const Params = z.object({ id: z.uuid() });

export const telemetryRuleRoutes: FastifyPluginAsyncZod<{ rules: TelemetryRuleService }> = async (app, { rules }) => {
  const admin = app.requireRole('admin');
  app.get(
    '/api/telemetry-rules',
    {
      schema: {
        tags: ['admin'],
        summary: 'Telemetry rules, each with the devices in breach now',
        response: { 200: z.array(TelemetryRuleView), ...errs },
      },
      preHandler: admin,
    },
    async () => rules.list(),
  );
  app.post(
    '/api/telemetry-rules',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a telemetry rule (per class or per device)',
        body: TelemetryRuleBody,
        response: { 201: TelemetryRuleView, ...errs },
      },
      preHandler: admin,
    },
    async (req, reply) => reply.code(201).send(await rules.create(actorOf(req.user!), req.body)),
  );
  app.patch(
    '/api/telemetry-rules/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change, enable or disable a telemetry rule',
        params: Params,
        body: TelemetryRulePatch,
        response: { 200: TelemetryRuleView, ...errs },
      },
      preHandler: admin,
    },
    async (req) => rules.patch(actorOf(req.user!), req.params.id, req.body),
  );
  app.delete(
    '/api/telemetry-rules/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete a telemetry rule (its open faults are told it cleared)',
        params: Params,
        response: { 204: z.null(), ...errs },
      },
      preHandler: admin,
    },
    async (req, reply) => {
      await rules.remove(actorOf(req.user!), req.params.id);
      return reply.code(204).send(null);
    },
  );
};
