// The fastify app, built apart from listening (ARCHITECTURE.md example 6): tests build it
// and inject() or listen on an ephemeral port.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HealthView } from '../../contracts/api.js';
import { authPlugin } from '../auth/plugin.js';
import { authRoutes } from '../auth/routes.js';
import type { AuthService } from '../auth/service.js';
import { findUnsafeText, UNSAFE_TEXT_MESSAGE } from '../../contracts/common.js';
import { errors, HubError, isDatabaseUnavailable, loggableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../core/db.js';
import type { RejectionCounter } from '../core/rejections.js';
import { deviceRoutes } from '../devices/routes.js';
import type { DeviceRegistry } from '../devices/registry.js';
import { telemetryRoutes } from '../telemetry/routes.js';
import type { TelemetryStore } from '../telemetry/store.js';

export interface AppDeps {
  log: Logger;
  db: Db;
  auth: AuthService;
  registry: DeviceRegistry;
  rejections: RejectionCounter;
  telemetry: TelemetryStore;
  health: () => Promise<z.infer<typeof HealthView>>;
  /** extra route plugins from domain services (procedures, visits, records) */
  plugins?: Array<(app: FastifyInstance) => unknown>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_DIST = path.resolve(here, '../../dashboard/dist');
const DASHBOARD_STATIC = path.resolve(here, '../../dashboard/static');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ mod: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 8 * 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const detail = err.validation.map((v) => `${v.instancePath || '/'} ${v.message}`).join('; ');
      return reply
        .code(400)
        .send({ code: 'HUB_ERR_BAD_REQUEST', message: `invalid ${err.validationContext ?? 'input'}: ${detail}`, statusCode: 400 });
    }
    if (err instanceof HubError)
      return reply.code(err.statusCode).send({ code: err.code, message: err.message, statusCode: err.statusCode });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ code: (err as { code?: string }).code ?? 'HUB_ERR_BAD_REQUEST', message: (err as Error).message, statusCode: status });
    }
    if (isDatabaseUnavailable(err)) {
      // A dependency outage is not a bug: 503 with a hint when to retry, one short log line.
      req.log.warn({ err: loggableError(err), route: req.routeOptions.url }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ code: 'HUB_ERR_UNAVAILABLE', message: 'database unavailable; retry shortly', statusCode: 503 });
    }
    // err only (scrubbed of messages that may quote data) — never the body, query or params,
    // which hold personal data (visitor names, owner phones)
    req.log.error({ err: loggableError(err), method: req.method, route: req.routeOptions.url }, 'unhandled error');
    return reply.code(500).send({ code: 'HUB_ERR_INTERNAL', message: 'internal error', statusCode: 500 });
  });

  // Text the database cannot store (NUL, lone surrogates) is refused at the edge for every
  // route, whatever its schema says (issue 7 item 2): 400, where it used to reach PostgreSQL and
  // come back as a 500. Runs after parsing, before the route's zod validation.
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [
      ['body', req.body],
      ['querystring', req.query],
      ['params', req.params],
    ] as const) {
      const at = findUnsafeText(value);
      if (at) throw errors.badRequest(`invalid ${part}: ${at}: ${UNSAFE_TEXT_MESSAGE}`);
    }
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Building Operations Hub API', version: '1', description: 'See docs/contract.md for MQTT and socket.io.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(authPlugin, { auth: deps.auth });

  app.get(
    '/api/health',
    { schema: { tags: ['system'], summary: 'Liveness and dependencies (no auth)', response: { 200: HealthView, 503: HealthView } } },
    async (_req, reply) => {
      const h = await deps.health();
      return reply.code(h.status === 'ok' ? 200 : 503).send(h);
    },
  );
  await app.register(authRoutes, { auth: deps.auth });
  await app.register(deviceRoutes, { registry: deps.registry, db: deps.db, rejections: deps.rejections });
  await app.register(telemetryRoutes, { telemetry: deps.telemetry, registry: deps.registry });
  for (const p of deps.plugins ?? []) await app.register(async (scoped) => void (await p(scoped)));

  // The browser UI: the built dashboard when present, else the static live page.
  const root = fs.existsSync(path.join(DASHBOARD_DIST, 'index.html')) ? DASHBOARD_DIST : DASHBOARD_STATIC;
  await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'] });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/') || req.method !== 'GET') {
      return reply
        .code(404)
        .send({ code: 'HUB_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}`, statusCode: 404 });
    }
    return reply.sendFile('index.html'); // client-side routes
  });
  return app;
}
