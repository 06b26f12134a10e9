// The fastify app, built apart from listening (ARCHITECTURE.md example 6): the hub serves it
// on the listeners it opened at start (services/hub/http-front.ts); tests may inject().
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import type { Redis } from 'ioredis';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HealthView, ReadinessView } from '../../contracts/api.js';
import { authPlugin } from '../auth/plugin.js';
import { authRoutes } from '../auth/routes.js';
import type { AuthService } from '../auth/service.js';
import { scopePolicy } from '../auth/route-scope.js';
import { Scope, UNSCOPED_ONLY } from '../auth/scope.js';
import { findUnsafeText, UNSAFE_TEXT_MESSAGE } from '../../contracts/common.js';
import { errors, HubError, isDatabaseUnavailable, loggableError } from '../core/errors.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../core/db.js';
import type { Metrics } from '../core/metrics.js';
import { httpObservability } from '../ops/http.js';
import type { RejectionCounter } from '../core/rejections.js';
import type { DeviceAdmin } from '../devices/admin.js';
import { deviceRoutes } from '../devices/routes.js';
import type { MaintenanceService } from '../devices/maintenance.js';
import type { DeviceRegistry } from '../devices/registry.js';
import { telemetryRoutes } from '../telemetry/routes.js';
import type { TelemetryStore } from '../telemetry/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** every route registered so far (method and URL as fastify has them) */
    registeredRoutes: () => Array<{ method: string; url: string }>;
  }
}

export interface AppDeps {
  log: Logger;
  db: Db;
  auth: AuthService;
  registry: DeviceRegistry;
  deviceAdmin: DeviceAdmin;
  maintenance: MaintenanceService;
  rejections: RejectionCounter;
  telemetry: TelemetryStore;
  health: () => Promise<z.infer<typeof HealthView>>;
  readiness: () => Promise<ReadinessView>;
  config: Pick<Config, 'trustProxy' | 'allowedOrigins' | 'loginLimit' | 'heavyPerMinute'>;
  /** the http.Server the app serves on (the hub's HttpFront); given fastify's request handler */
  server?: (handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) => http.Server;
  /** HTTP request metrics (services/ops/http.ts); request logging happens either way */
  metrics?: Metrics;
  /** extra route plugins from domain services (procedures, visits, records) */
  plugins?: Array<(app: FastifyInstance) => unknown>;
  /**
   * scale-out (REDIS_URL): rate-limit counters in Redis, shared by every instance, so a guesser
   * spreading attempts over N instances behind the load balancer gets the same limit as on one
   */
  rateLimitRedis?: { redis: Redis; nameSpace: string } | null;
}

/**
 * Routes that cost real work per call (queries over history, generated documents, bulk
 * imports/exports, the audit trail): rate-limited per user (or address) and minute
 * (HUB_RATE_HEAVY_PER_MIN), so one client — a runaway script or a stolen session — cannot tie
 * up the database for everyone. Matched by URL so routes added later are covered too.
 */
const HEAVY_ROUTE = /^\/api\/(telemetry\b|audit\b|personal-data-access\b|.*\/(report|export|import)(\/|$)|.*\/attachments$)/;

/**
 * Content-Security-Policy for the dashboard and API (issue 7 item 13). Everything from the hub's
 * own origin, nothing inline (the built dashboard and the static live page load scripts and
 * styles as files), no framing at all (the control room in a hostile iframe was a clickjacking
 * vector). `connect-src 'self'` covers same-origin ws:/wss: (CSP Level 3) for socket.io.
 */
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    mediaSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

const here = path.dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_DIST = path.resolve(here, '../../dashboard/dist');
const DASHBOARD_STATIC = path.resolve(here, '../../dashboard/static');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ mod: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 8 * 1024 * 1024,
    // behind a TLS-terminating proxy: req.protocol/ip/host from X-Forwarded-* of trusted peers
    // only (so the session cookie is Secure when the browser spoke https to the proxy)
    trustProxy: deps.config.trustProxy,
    ...(deps.server ? { serverFactory: deps.server } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // every route as registered, for the building-scope registry check (tests/integration/scope.test.ts)
  const registered: Array<{ method: string; url: string }> = [];
  app.decorate('registeredRoutes', () => [...registered]);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url });
  });
  // first, unencapsulated: every route below is logged and measured
  await app.register(httpObservability, deps.metrics ? { metrics: deps.metrics } : {});

  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const detail = err.validation.map((v) => `${v.instancePath || '/'} ${v.message}`).join('; ');
      return reply
        .code(400)
        .send({ code: 'HUB_ERR_BAD_REQUEST', message: `invalid ${err.validationContext ?? 'input'}: ${detail}`, statusCode: 400 });
    }
    if (err instanceof HubError)
      return reply.code(err.statusCode).send({
        code: err.code,
        message: err.message,
        statusCode: err.statusCode,
        // the refusal as a message key (labels: GET /api/procedures), for clients that render themselves
        ...(err.msg ? { key: err.msg.key, params: err.msg.params ?? {} } : {}),
      });
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
  await app.register(helmet, {
    contentSecurityPolicy: CSP,
    frameguard: { action: 'deny' },
    // HSTS would pin the browser to https for the whole host — every port, so also the plain
    // loopback/dev port. Send it from the TLS-terminating proxy (docs/security.md).
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'same-origin' },
  });
  // before the plugin: its own onRoute hook must already see the config this one sets
  app.addHook('onRoute', (route) => {
    if (!HEAVY_ROUTE.test(route.url) || route.config?.rateLimit !== undefined) return;
    route.config = {
      ...route.config,
      rateLimit: {
        max: deps.config.heavyPerMinute,
        timeWindow: 60_000,
        hook: 'preHandler', // after authentication: counted per user, not per shared NAT address
        keyGenerator: (req) => (req.user ? `user:${req.user.id}` : `addr:${req.ip}`),
      },
    };
  });
  await app.register(rateLimit, {
    global: false, // limits are set per route: login (auth/routes.ts) and HEAVY_ROUTE below
    errorResponseBuilder: (_req, ctx) => errors.tooMany(`rate limit: at most ${ctx.max} per ${ctx.after}; retry later`),
    // N instances count in one place (the plugin's own Redis store). While Redis is unreachable
    // requests pass unthrottled rather than failing: staff must still be able to log in during an
    // alarm (docs/scale-out.md "Failure modes")
    ...(deps.rateLimitRedis ? { redis: deps.rateLimitRedis.redis, nameSpace: deps.rateLimitRedis.nameSpace, skipOnError: true } : {}),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Building Operations Hub API', version: '1', description: 'See docs/contract.md for MQTT and socket.io.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // staticCSP: swagger-ui's page needs its own inline script; it sends a CSP with its hash. It
  // also sets style attributes from markup: inline styles allowed on the API docs page only
  // (no user data there), measured with headless Chromium's CSP reports.
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/style-src ([^;]*)/, "style-src $1 'unsafe-inline'"),
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(authPlugin, { auth: deps.auth, origins: { allowed: deps.config.allowedOrigins, trustProxy: deps.config.trustProxy } });

  // Health (CONTRACT.md "Operations"; issue 15). No login needed; anonymous callers learn the
  // status only — client counts, rejection counts and error texts describe the estate and are
  // for staff.
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Status (anyone); dependencies, counts and errors for a logged-in user. 503 unless ok',
        response: { 200: HealthView, 503: HealthView },
      },
    },
    async (req, reply) => {
      const h = await deps.health();
      return reply.code(h.status === 'ok' ? 200 : 503).send(req.user ? h : { status: h.status });
    },
  );
  app.get(
    '/api/health/live',
    { schema: { tags: ['system'], summary: 'Liveness: the process answers', response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/api/health/ready',
    {
      schema: {
        tags: ['system'],
        summary: 'Readiness: database reachable, migrations applied, broker listening (503 with the reason otherwise)',
        response: { 200: ReadinessView, 503: ReadinessView },
      },
    },
    async (_req, reply) => {
      const r = await deps.readiness();
      return reply.code(r.ready ? 200 : 503).send(r);
    },
  );
  // Estate-wide routes are refused to a user confined to some buildings, here for every route at
  // once (services/auth/route-scope.ts), before the input is even parsed; building-scoped routes
  // are limited inside their services. (After the auth plugin's onRequest, which sets req.user.)
  app.addHook('onRequest', async (req) => {
    if (req.user && Scope.of(req.user).limited && scopePolicy(req.method, req.routeOptions.url ?? '') === 'all-buildings')
      throw errors.forbidden(UNSCOPED_ONLY());
  });
  await app.register(authRoutes, { auth: deps.auth, loginLimit: deps.config.loginLimit });
  await app.register(deviceRoutes, {
    registry: deps.registry,
    admin: deps.deviceAdmin,
    maintenance: deps.maintenance,
    rejections: deps.rejections,
  });
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
