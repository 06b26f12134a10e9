// Request logging and HTTP metrics for every route (registered first in buildApp, unencapsulated).
//
// One line per request at info: method, route pattern, status, duration, user id — never the
// body, the query string or headers (tokens, passwords, personal data live there). Probes and
// scrapes (/api/health*, /metrics) and static files log at debug: they arrive every few seconds
// and say nothing an operator reads.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../core/metrics.js';

export interface HttpObservabilityOptions {
  metrics?: Metrics;
}

const QUIET = /^\/(api\/health(\/|$)|metrics$)/;

export function routeOf(req: FastifyRequest): string {
  // the pattern ("/api/incidents/:id"), never the raw URL: ids would make one series per id
  return req.routeOptions.url ?? '(unmatched)';
}

export const httpObservability = fp(
  async (app: FastifyInstance, opts: HttpObservabilityOptions) => {
    app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      const route = routeOf(req);
      const status = reply.statusCode;
      const ms = reply.elapsedTime;
      if (opts.metrics) {
        const labels = { method: req.method, route, status: String(status) };
        opts.metrics.httpRequests.inc(labels);
        opts.metrics.httpDuration.observe(labels, ms / 1000);
      }
      const quiet = QUIET.test(route) || (route !== '(unmatched)' && !route.startsWith('/api/'));
      const line = { method: req.method, route, status, ms: Math.round(ms * 10) / 10, userId: req.user?.id ?? null };
      if (quiet) req.log.debug(line, 'request');
      else req.log.info(line, 'request');
    });
  },
  { name: 'bops-http-observability' },
);
