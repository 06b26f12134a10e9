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
import { HubError } from '../core/errors.js';
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
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ code: 'HUB_ERR_INTERNAL', message: 'internal error', statusCode: 500 });
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
