import type {} from '@fastify/rate-limit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView, LoginBody, SessionView } from '../../contracts/api.js';
import type { Config } from '../core/config.js';
import { errors } from '../core/errors.js';
import { SESSION_COOKIE, tokenFrom } from './plugin.js';
import type { AuthService } from './service.js';

export const authRoutes: FastifyPluginAsyncZod<{ auth: AuthService; loginLimit: Config['loginLimit'] }> = async (
  app,
  { auth, loginLimit },
) => {
  // Login throttling (issue 7 item 14; CONTRACT.md "HTTP"): failed attempts are counted per
  // username and per client address (@fastify/rate-limit stores); at the limit further attempts
  // get 429 + Retry-After without the password being checked, until the window has passed. Per
  // username stops a distributed guess at one account, per address one client guessing many
  // accounts. Only failures count, so staff logging in and out all day are never throttled.
  const limiters = [
    {
      what: 'username',
      max: loginLimit.perUser,
      check: app.createRateLimit({
        max: loginLimit.perUser,
        timeWindow: loginLimit.windowMs,
        keyGenerator: (req) =>
          `login-user:${String((req.body as { username?: unknown })?.username ?? '')
            .trim()
            .toLowerCase()}`,
      }),
    },
    {
      what: 'address',
      max: loginLimit.perAddress,
      check: app.createRateLimit({
        max: loginLimit.perAddress,
        timeWindow: loginLimit.windowMs,
        keyGenerator: (req) => `login-addr:${req.ip}`,
      }),
    },
  ];

  app.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary:
          'Log in: sets the httpOnly session cookie; the bearer token is in the answer only when asked for (`token: true`, for API clients)',
        body: LoginBody,
        response: { 200: SessionView, 401: ErrorView, 429: ErrorView },
      },
    },
    async (req, reply) => {
      for (const l of limiters) {
        const r = await l.check(req, { increment: false });
        if (!r.isAllowed && r.remaining === 0) {
          reply.header('retry-after', String(Math.max(1, r.ttlInSeconds)));
          throw errors.tooMany(`too many failed logins for this ${l.what}; retry in ${Math.max(1, r.ttlInSeconds)} s`);
        }
      }
      let s;
      try {
        s = await auth.login(req.body.username, req.body.password);
      } catch (err) {
        for (const l of limiters) {
          const r = await l.check(req);
          if (!r.isAllowed && r.remaining === 0 && !r.isExceeded)
            req.log.warn({ limit: l.what, max: l.max, ip: req.ip }, `login throttled: ${l.max} failed attempts for one ${l.what}`);
        }
        throw err;
      }
      reply.setCookie(SESSION_COOKIE, s.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        // https directly, or behind a TLS-terminating proxy trusted by HUB_TRUST_PROXY
        secure: req.protocol === 'https',
        // relative, not `expires`: the browser counts from its own clock, so a browser (or a
        // hub) whose clock is off does not drop the cookie early or keep it too long
        maxAge: Math.floor(auth.ttlMs / 1000),
      });
      // The browser dashboard relies on the httpOnly cookie: a token in the answer would only
      // be something for a script on the page to steal.
      return req.body.token ? s : { user: s.user, expiresAt: s.expiresAt };
    },
  );

  app.post('/api/auth/logout', { schema: { tags: ['auth'], response: { 204: z.null() } } }, async (req, reply) => {
    const token = tokenFrom(req.headers.authorization, req.cookies[SESSION_COOKIE]);
    if (token) await auth.logout(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send(null);
  });

  app.get(
    '/api/auth/me',
    { schema: { tags: ['auth'], response: { 200: SessionView.shape.user, 401: ErrorView } }, preHandler: app.requireRole() },
    async (req) => req.user!,
  );
};
