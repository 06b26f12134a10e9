import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CreateDeviceBody, DeviceView, ErrorView, MaintenanceBody } from '../../contracts/api.js';
import { Id } from '../../contracts/domain.js';
import { scopeOf } from '../auth/scope.js';
import type { RejectionCounter } from '../core/rejections.js';
import type { DeviceAdmin } from './admin.js';
import type { MaintenanceService } from './maintenance.js';
import type { DeviceRegistry } from './registry.js';

export const deviceRoutes: FastifyPluginAsyncZod<{
  registry: DeviceRegistry;
  admin: DeviceAdmin;
  maintenance: MaintenanceService;
  rejections: RejectionCounter;
}> = async (app, { registry, admin, maintenance, rejections }) => {
  app.get(
    '/api/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'All devices with online state, last-seen time and latest telemetry',
        querystring: z.object({ building: Id.optional(), class: CreateDeviceBody.shape.class.optional() }),
        response: { 200: z.array(DeviceView) },
      },
      preHandler: app.requireRole(),
    },
    async (req) => admin.list(scopeOf(req), req.query).map((d) => registry.view(d)),
  );

  app.get(
    '/api/devices/:id',
    {
      schema: {
        tags: ['devices'],
        params: z.object({ id: Id }),
        response: { 200: DeviceView.extend({ rejected: z.record(z.string(), z.number()) }), 404: ErrorView },
      },
      preHandler: app.requireRole(),
    },
    async (req) => {
      const d = await admin.get(scopeOf(req), req.params.id);
      return { ...registry.view(d), rejected: rejections.device(d.deviceId) };
    },
  );

  app.post(
    '/api/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'Provision a device. The secret is returned once and stored only hashed.',
        body: CreateDeviceBody,
        response: { 201: z.object({ id: z.string(), secret: z.string() }), 400: ErrorView, 409: ErrorView },
      },
      preHandler: app.requireRole('admin'),
    },
    async (req, reply) => reply.code(201).send(await admin.provision(req.user!.id, scopeOf(req), req.body)),
  );

  app.post(
    '/api/devices/:id/secret',
    {
      schema: {
        tags: ['devices'],
        summary: 'Rotate the secret (shown once)',
        params: z.object({ id: Id }),
        response: { 200: z.object({ id: z.string(), secret: z.string() }), 404: ErrorView },
      },
      preHandler: app.requireRole('admin'),
    },
    async (req) => ({ id: req.params.id, secret: await admin.rotateSecret(req.user!.id, scopeOf(req), req.params.id) }),
  );

  app.patch(
    '/api/devices/:id',
    {
      schema: {
        tags: ['devices'],
        summary: 'Enable or disable a device',
        params: z.object({ id: Id }),
        body: z.object({ enabled: z.boolean() }),
        response: { 200: DeviceView, 404: ErrorView },
      },
      preHandler: app.requireRole('admin'),
    },
    async (req) => registry.view(await admin.setEnabled(req.user!.id, scopeOf(req), req.params.id, req.body.enabled)),
  );

  // Maintenance mode 维保模式 (PROCEDURES.md "Device health"): who, why, until when; no faults meanwhile.
  app.put(
    '/api/devices/:id/maintenance',
    {
      schema: {
        tags: ['devices'],
        summary: 'Put a device into maintenance mode until a time (replaces a running window); audited',
        params: z.object({ id: Id }),
        body: MaintenanceBody,
        response: { 200: DeviceView, 400: ErrorView, 404: ErrorView },
      },
      preHandler: app.requireRole('supervisor', 'admin'),
    },
    async (req) => registry.view(await maintenance.begin(req.user!.id, scopeOf(req), req.params.id, req.body)),
  );

  app.delete(
    '/api/devices/:id/maintenance',
    {
      schema: {
        tags: ['devices'],
        summary: 'End a device’s maintenance mode early; audited',
        params: z.object({ id: Id }),
        response: { 200: DeviceView, 404: ErrorView, 409: ErrorView },
      },
      preHandler: app.requireRole('supervisor', 'admin'),
    },
    async (req) => registry.view(await maintenance.end(req.user!.id, scopeOf(req), req.params.id)),
  );
};
