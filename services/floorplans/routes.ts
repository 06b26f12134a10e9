// HTTP routes of the floor plans (docs/contract.md "Floor plans"): validate, authorise, call the
// service. The control-room roles read plans (their live state is drawn on them); supervisors
// and admins upload plans and place devices (seed 000 §1: the supervisor keeps the site's
// records; admin may do everything).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import {
  FloorPlanBody,
  FloorPlanParams,
  FloorPlanQuery,
  FloorPlanView,
  PlacementBody,
  PlacementParams,
  PlacementView,
} from '../../contracts/floorplans.js';
import { scopeOf } from '../auth/scope.js';
import type { FloorPlanService } from './service.js';

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView };
const tags = ['floor plans'];

export const floorPlanRoutes: FastifyPluginAsyncZod<{ plans: FloorPlanService }> = async (app, { plans }) => {
  const readers = app.requireRole('operator', 'supervisor', 'admin');
  const editors = app.requireRole('supervisor', 'admin');

  app.get(
    '/api/floor-plans',
    {
      schema: {
        tags,
        summary: 'Floor plans of the buildings in scope (or of ?building=) with the placed devices; images at each `url`',
        querystring: FloorPlanQuery,
        response: { 200: z.array(FloorPlanView), ...errs },
      },
      preHandler: readers,
    },
    async (req) => plans.list(scopeOf(req), req.query.building),
  );

  app.get(
    '/api/floor-plans/:building/:floor/image',
    {
      schema: {
        tags,
        summary: 'The plan image (PNG or JPEG bytes)',
        params: FloorPlanParams,
        response: { 200: z.any().describe('the image bytes, with its mime type'), ...errs },
      },
      preHandler: readers,
    },
    async (req, reply) => {
      const img = await plans.image(scopeOf(req), req.params.building, req.params.floor);
      return reply
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, max-age=86400')
        .type(img.mime)
        .send(img.bytes);
    },
  );

  app.put(
    '/api/floor-plans/:building/:floor',
    {
      schema: {
        tags,
        summary: 'Upload or replace the plan of a floor (PNG or JPEG, ≤ 2 MB; the bytes must match the mime type)',
        params: FloorPlanParams,
        body: FloorPlanBody,
        response: { 200: FloorPlanView, 413: ErrorView, 415: ErrorView, ...errs },
      },
      preHandler: editors,
    },
    async (req) => plans.upload(req.user!, req.params.building, req.params.floor, req.body),
  );

  app.delete(
    '/api/floor-plans/:building/:floor',
    {
      schema: {
        tags,
        summary: 'Delete the plan of a floor (with the devices placed on it)',
        params: FloorPlanParams,
        response: { 204: z.null(), ...errs },
      },
      preHandler: editors,
    },
    async (req, reply) => {
      await plans.remove(req.user!, req.params.building, req.params.floor);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/api/floor-plans/:building/:floor/devices/:deviceId',
    {
      schema: {
        tags,
        summary: 'Place a device of this building on the plan at (x, y), fractions of the image width and height',
        params: PlacementParams,
        body: PlacementBody,
        response: { 200: PlacementView, ...errs },
      },
      preHandler: editors,
    },
    async (req) => plans.place(req.user!, req.params.building, req.params.floor, req.params.deviceId, req.body),
  );

  app.delete(
    '/api/floor-plans/:building/:floor/devices/:deviceId',
    {
      schema: {
        tags,
        summary: 'Take a device off the plan',
        params: PlacementParams,
        response: { 204: z.null(), ...errs },
      },
      preHandler: editors,
    },
    async (req, reply) => {
      await plans.unplace(req.user!, req.params.building, req.params.floor, req.params.deviceId);
      return reply.code(204).send(null);
    },
  );
};
