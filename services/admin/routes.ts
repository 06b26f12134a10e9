// Administration routes (CONTRACT.md "Administration"; issue 8). Each route validates (zod,
// contracts/admin.ts), authorises (role, then building scope inside the service) and calls a
// service; every change is audited there. Reads that operators need (buildings, contacts,
// settings) are open to all staff, limited to their building scope.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  BuildingBody,
  BuildingPatch,
  BuildingQuery,
  BuildingView,
  ContactBody,
  ContactPatch,
  ContactQuery,
  ContactView,
  ImportQuery,
  ImportResult,
  OwnPasswordBody,
  PasswordResetBody,
  PasswordResetResult,
  SettingsPatch,
  SettingsView,
  SiteBody,
  SitePatch,
  SiteView,
  UnitBody,
  UnitWriteView,
  UserCreateBody,
  UserCreated,
  UserPatch,
  UserView,
} from '../../contracts/admin.js';
import { ErrorView } from '../../contracts/api.js';
import { Id } from '../../contracts/domain.js';
import { bi } from '../../contracts/records.js';
import { errors } from '../core/errors.js';
import { actorOf } from './common.js';
import type { ContactService } from './contacts.js';
import type { EstateService } from './estate.js';
import type { SettingsService } from './settings.js';
import type { UserAdminService } from './users.js';

export interface AdminRouteDeps {
  estate: EstateService;
  users: UserAdminService;
  contacts: ContactService;
  settings: SettingsService;
}

const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const IdParam = z.object({ id: Id });
const UuidParam = z.object({ id: z.uuid() });
/** A CSV of 50,000 units is ~4 MB; room for long addresses and GB18030 */
const CSV_LIMIT = 32 * 1024 * 1024;
const CSV_TYPES = ['text/csv', 'application/csv', 'application/vnd.ms-excel', 'application/octet-stream'];

export const adminRoutes: FastifyPluginAsyncZod<AdminRouteDeps> = async (app, { estate, users, contacts, settings }) => {
  const admin = app.requireRole('admin');
  const anyone = app.requireRole();
  // the CSV arrives as bytes: the encoding is decided by the import (UTF-8 or GB18030), not here
  app.addContentTypeParser(CSV_TYPES, { parseAs: 'buffer', bodyLimit: CSV_LIMIT }, (_req, body, done) => done(null, body));

  // ---------------------------------------------------------------- sites
  app.post(
    '/api/sites',
    {
      schema: { tags: ['admin'], summary: 'Create a site (小区)', body: SiteBody, response: { 201: SiteView, ...errs } },
      preHandler: admin,
    },
    async (req, reply) => reply.code(201).send(await estate.createSite(actorOf(req.user!), req.body)),
  );
  app.get(
    '/api/sites',
    {
      schema: { tags: ['admin'], summary: 'Sites (within the caller’s building scope)', response: { 200: z.array(SiteView), ...errs } },
      preHandler: anyone,
    },
    async (req) => estate.listSites(actorOf(req.user!)),
  );
  app.patch(
    '/api/sites/:id',
    { schema: { tags: ['admin'], params: IdParam, body: SitePatch, response: { 200: SiteView, ...errs } }, preHandler: admin },
    async (req) => estate.patchSite(actorOf(req.user!), req.params.id, req.body),
  );

  // ---------------------------------------------------------------- buildings
  app.post(
    '/api/buildings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a building (floors, lobby floor, address)',
        body: BuildingBody,
        response: { 201: BuildingView, ...errs },
      },
      preHandler: admin,
    },
    async (req, reply) => reply.code(201).send(await estate.createBuilding(actorOf(req.user!), req.body)),
  );
  app.get(
    '/api/buildings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Buildings (within the caller’s scope)',
        querystring: BuildingQuery,
        response: { 200: z.array(BuildingView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => estate.listBuildings(actorOf(req.user!), req.query.site),
  );
  app.patch(
    '/api/buildings/:id',
    { schema: { tags: ['admin'], params: IdParam, body: BuildingPatch, response: { 200: BuildingView, ...errs } }, preHandler: admin },
    async (req) => estate.patchBuilding(actorOf(req.user!), req.params.id, req.body),
  );

  // ---------------------------------------------------------------- units
  app.post(
    '/api/units',
    {
      schema: {
        tags: ['admin'],
        summary: 'Register one unit and its owner (the reply is masked: personal data)',
        body: UnitBody,
        response: { 201: UnitWriteView, ...errs },
      },
      preHandler: admin,
    },
    async (req, reply) => reply.code(201).send(await estate.createUnit(actorOf(req.user!), req.body)),
  );
  app.post(
    '/api/units/import',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Import units and owners from a text/csv body (header building,number,floor,ownerName,ownerPhone,altContact; UTF-8 or GB18030). ' +
          'dryRun=true (default) checks every row and writes nothing; dryRun=false writes all rows in one transaction or nothing (422 with the errors).',
        querystring: ImportQuery,
        response: { 200: ImportResult, 422: ImportResult, ...errs },
      },
      preHandler: admin,
      bodyLimit: CSV_LIMIT,
    },
    async (req, reply) => {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0)
        throw errors.badRequest(bi('请以 text/csv 上传 CSV 文件内容', 'send the CSV file as a text/csv body'));
      const r = await estate.importUnits(actorOf(req.user!), req.body, req.query);
      return reply.code(!r.dryRun && r.errors.length > 0 ? 422 : 200).send(r);
    },
  );

  // ---------------------------------------------------------------- users
  app.post(
    '/api/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a staff account; without a password one is generated and returned once',
        body: UserCreateBody,
        response: { 201: UserCreated, ...errs },
      },
      preHandler: admin,
    },
    async (req, reply) => reply.code(201).send(await users.create(actorOf(req.user!), req.body)),
  );
  app.get(
    '/api/users',
    { schema: { tags: ['admin'], summary: 'Staff accounts', response: { 200: z.array(UserView), ...errs } }, preHandler: admin },
    async (req) => users.list(actorOf(req.user!)),
  );
  app.patch(
    '/api/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change role, name, scope or disable; role, scope and disable end the user’s sessions at once',
        params: UuidParam,
        body: UserPatch,
        response: { 200: UserView, ...errs },
      },
      preHandler: admin,
    },
    async (req) => users.patch(actorOf(req.user!), req.params.id, req.body),
  );
  app.post(
    '/api/users/:id/password',
    {
      schema: {
        tags: ['admin'],
        summary: 'Reset a password (generated and returned once, or the one given); the user’s sessions end',
        params: UuidParam,
        body: PasswordResetBody.optional(),
        response: { 200: PasswordResetResult, ...errs },
      },
      preHandler: admin,
    },
    async (req) => users.resetPassword(actorOf(req.user!), req.params.id, req.body?.password),
  );
  app.post(
    '/api/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change one’s own password (the current one is required); every session of the user ends',
        body: OwnPasswordBody,
        response: { 204: z.null(), ...errs },
      },
      preHandler: anyone,
    },
    async (req, reply) => {
      await users.changeOwn(req.user!.id, req.body.oldPassword, req.body.newPassword);
      return reply.code(204).send(null);
    },
  );

  // ---------------------------------------------------------------- contacts
  app.post(
    '/api/contacts',
    {
      schema: {
        tags: ['admin'],
        summary: 'Register a contact (who to call, with the number)',
        body: ContactBody,
        response: { 201: ContactView, ...errs },
      },
      preHandler: admin,
    },
    async (req, reply) => reply.code(201).send(await contacts.create(actorOf(req.user!), req.body)),
  );
  app.get(
    '/api/contacts',
    {
      schema: {
        tags: ['admin'],
        summary: 'Contacts for a building and kind (estate-wide ones included)',
        querystring: ContactQuery,
        response: { 200: z.array(ContactView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => {
      if (req.query.all && req.user!.role !== 'admin')
        throw errors.forbidden(bi('仅管理员可查看已停用的联系人', 'only an administrator sees disabled contacts'));
      return contacts.list(actorOf(req.user!), req.query);
    },
  );
  app.patch(
    '/api/contacts/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change or disable a contact',
        params: UuidParam,
        body: ContactPatch,
        response: { 200: ContactView, ...errs },
      },
      preHandler: admin,
    },
    async (req) => contacts.patch(actorOf(req.user!), req.params.id, req.body),
  );

  // ---------------------------------------------------------------- settings
  const settingsView = async () => settings.view(await users.names(settings.actors()));
  app.get(
    '/api/settings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Procedure targets, heartbeats and the working-day calendar, with who set them',
        response: { 200: SettingsView, ...errs },
      },
      preHandler: anyone,
    },
    async () => settingsView(),
  );
  app.patch(
    '/api/settings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change settings (null = back to the default); applies to incidents opened afterwards',
        body: SettingsPatch,
        response: { 200: SettingsView, ...errs },
      },
      preHandler: admin,
    },
    async (req) => {
      await settings.patch(actorOf(req.user!), req.body);
      return settingsView();
    },
  );
};
