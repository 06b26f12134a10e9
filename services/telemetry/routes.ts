import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorView, TelemetryQuery, TelemetrySeries } from '../../contracts/api.js';
import { errors } from '../core/errors.js';
import { scopeOf } from '../auth/scope.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { TelemetryStore } from './store.js';

export const telemetryRoutes: FastifyPluginAsyncZod<{ telemetry: TelemetryStore; registry: DeviceRegistry }> = async (
  app,
  { telemetry, registry },
) => {
  app.get(
    '/api/telemetry',
    {
      schema: {
        tags: ['telemetry'],
        summary: 'Time series of one metric of one device, downsampled for charts (default: last hour)',
        querystring: TelemetryQuery,
        response: { 200: TelemetrySeries, 400: ErrorView, 404: ErrorView },
      },
      preHandler: app.requireRole(),
    },
    async (req) => {
      // another building's device is unknown to a scoped user (services/auth/scope.ts)
      const d = registry.get(req.query.deviceId);
      if (!d || !scopeOf(req).allows(d.building)) throw errors.deviceUnknown(`no device ${req.query.deviceId}`);
      if (req.query.from !== undefined && req.query.to !== undefined && req.query.from >= req.query.to) {
        throw errors.badRequest('from must be before to');
      }
      return telemetry.query(req.query);
    },
  );
};
