// Operations routes: GET /metrics (Prometheus) and the admin's log-level and retention controls.
//
// /metrics is read by Prometheus, not by a person: instead of a login session it takes
//  - `Authorization: Bearer <HUB_METRICS_TOKEN>` when that is set (Prometheus'
//    `authorization: { credentials_file: … }`, deploy/prometheus/prometheus.yml), or
//  - an admin session (to look at it from a browser or curl), or
//  - when HUB_METRICS_TOKEN is unset: any client on loopback (a Prometheus or node agent on the
//    same host; the zero-setup start) — but not a request a reverse proxy forwarded (it comes
//    from loopback too, on behalf of anyone). Anyone else gets 401/403 — metrics name buildings'
//    device counts and open incidents, which is not for the public internet.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { LogLevelBody, LogLevelView, PurgeResultView, RetentionView } from '../../contracts/ops.js';
import { errors } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { OpsService } from './service.js';

export interface OpsRouteOptions {
  ops: OpsService;
  metrics: Metrics;
  metricsToken: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const digest = (s: string) => createHash('sha256').update(s).digest();

export function metricsAccess(token: string | undefined) {
  const want = token ? digest(token) : null;
  return async (req: FastifyRequest): Promise<void> => {
    if (req.user?.role === 'admin') return;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (want) {
      // compare digests: constant time, and no length leak
      if (m?.[1] && timingSafeEqual(digest(m[1]), want)) return;
      throw errors.unauthenticated('metrics: send Authorization: Bearer <HUB_METRICS_TOKEN>');
    }
    const proxied = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
    if (LOOPBACK.has(req.socket.remoteAddress ?? '') && !proxied) return;
    throw errors.forbidden('metrics: only loopback clients may scrape while HUB_METRICS_TOKEN is unset');
  };
}

export async function opsRoutes(app: FastifyInstance, opts: OpsRouteOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/metrics',
    {
      schema: { tags: ['system'], summary: 'Prometheus metrics (HUB_METRICS_TOKEN bearer, an admin session, or loopback)' },
      preHandler: metricsAccess(opts.metricsToken),
    },
    async (_req, reply) => {
      const { contentType, body } = await opts.metrics.render();
      return reply.type(contentType).send(body);
    },
  );

  r.get(
    '/api/ops/log-level',
    { schema: { tags: ['ops'], summary: 'Current log level', response: { 200: LogLevelView } }, preHandler: app.requireRole('admin') },
    async () => opts.ops.logLevel(),
  );
  r.put(
    '/api/ops/log-level',
    {
      schema: {
        tags: ['ops'],
        summary: 'Change the log level now (until restart; audited)',
        body: LogLevelBody,
        response: { 200: LogLevelView },
      },
      preHandler: app.requireRole('admin'),
    },
    async (req) => opts.ops.setLogLevel(req.user!, req.body.level),
  );
  r.get(
    '/api/ops/retention',
    {
      schema: { tags: ['ops'], summary: 'Retention settings and the last run', response: { 200: RetentionView } },
      preHandler: app.requireRole('admin'),
    },
    async () => opts.ops.retention(),
  );
  r.post(
    '/api/ops/retention/run',
    {
      schema: { tags: ['ops'], summary: 'Run the retention job now (audited)', response: { 200: PurgeResultView } },
      preHandler: app.requireRole('admin'),
    },
    async (req) => opts.ops.runRetention(req.user!),
  );
}
