// Authentication for HTTP routes: `request.user` from a bearer token or the session cookie,
// and `app.requireRole(...)` as a preHandler. Roles: seed 000 §1 / seed 002 §2.2.
//
// Cross-site request defence (issue 7 item 13), for every state-changing request (anything but
// GET/HEAD/OPTIONS):
//  - a browser Origin other than the hub's own (or HUB_ALLOWED_ORIGINS) is refused — this is
//    what stops a page on the same site (another port or a sibling host: SameSite cookies do
//    not separate those) from using a logged-in user's cookie, and login CSRF;
//  - a request authenticated by the cookie must carry `X-Requested-With`. A custom header
//    cannot be sent cross-origin without a CORS preflight, which the hub never grants, so a
//    form post or a body-less `fetch` from elsewhere (device secret rotation, logout) fails
//    even from a browser that sends no Origin. Bearer-token requests are not CSRF-able (the
//    browser never adds the token on its own) and need neither.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type {} from '@fastify/cookie';
import type { Role } from '../../contracts/domain.js';
import { errors } from '../core/errors.js';
import { originAllowed, type OriginPolicy } from './origin.js';
import type { AuthService, AuthUser } from './service.js';

export const SESSION_COOKIE = 'bops_session';
/** the header the dashboard sends with every cookie-authenticated request */
export const CSRF_HEADER = 'x-requested-with';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
    /** the session could not be checked (database down): thrown by requireRole, so routes that
     * need no login (health, login) still answer */
    authError: unknown;
  }
  interface FastifyInstance {
    requireRole: (...roles: Role[]) => (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}

export function tokenFrom(authorization: string | undefined, cookie: string | undefined): string | undefined {
  return bearerToken(authorization) ?? cookie;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const authPlugin = fp(async (app: FastifyInstance, opts: { auth: AuthService; origins: OriginPolicy }) => {
  app.decorateRequest('user', null);
  app.decorateRequest('authError', null);
  app.addHook('onRequest', async (req) => {
    const bearer = bearerToken(req.headers.authorization);
    const cookie = req.cookies?.[SESSION_COOKIE];
    if (!SAFE_METHODS.has(req.method)) {
      if (!originAllowed(req.raw, opts.origins)) throw errors.csrf(`requests from ${req.headers.origin} are not accepted`);
      if (!bearer && cookie && req.headers[CSRF_HEADER] === undefined)
        throw errors.csrf(`a cookie-authenticated ${req.method} needs the ${CSRF_HEADER} header`);
    }
    try {
      req.user = await opts.auth.verify(bearer ?? cookie);
    } catch (err) {
      req.authError = err;
    }
  });
  app.decorate('requireRole', (...roles: Role[]) => async (req: FastifyRequest) => {
    if (req.authError) throw req.authError; // e.g. database down → 503, not a misleading 401
    if (!req.user) throw errors.unauthenticated('login required');
    // admin may do everything an operator screen offers; procedure-specific rules live in machines
    if (roles.length > 0 && !roles.includes(req.user.role) && req.user.role !== 'admin') {
      throw errors.forbidden(`role ${req.user.role} may not do this (needs ${roles.join(' or ')})`);
    }
  });
});
