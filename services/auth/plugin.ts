// Authentication for HTTP routes: `request.user` from a bearer token or the session cookie,
// and `app.requireRole(...)` as a preHandler. Roles: seed 000 §1 / seed 002 §2.2.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type {} from '@fastify/cookie';
import type { Role } from '../../contracts/domain.js';
import { errors } from '../core/errors.js';
import type { AuthService, AuthUser } from './service.js';

export const SESSION_COOKIE = 'bops_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
  interface FastifyInstance {
    requireRole: (...roles: Role[]) => (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export function tokenFrom(authorization: string | undefined, cookie: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m?.[1] ?? cookie;
}

export const authPlugin = fp(async (app: FastifyInstance, opts: { auth: AuthService }) => {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (req) => {
    req.user = await opts.auth.verify(tokenFrom(req.headers.authorization, req.cookies?.[SESSION_COOKIE]));
  });
  app.decorate('requireRole', (...roles: Role[]) => async (req: FastifyRequest) => {
    if (!req.user) throw errors.unauthenticated('login required');
    // admin may do everything an operator screen offers; procedure-specific rules live in machines
    if (roles.length > 0 && !roles.includes(req.user.role) && req.user.role !== 'admin') {
      throw errors.forbidden(`role ${req.user.role} may not do this (needs ${roles.join(' or ')})`);
    }
  });
});
