import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView, LoginBody, SessionView } from '../../contracts/api.js';
import { SESSION_COOKIE, tokenFrom } from './plugin.js';
import type { AuthService } from './service.js';

export const authRoutes: FastifyPluginAsyncZod<{ auth: AuthService }> = async (app, { auth }) => {
  app.post(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns a bearer token and sets the session cookie',
        body: LoginBody,
        response: { 200: SessionView, 401: ErrorView },
      },
      // brute-force damping: scrypt already costs ~50 ms per attempt
    },
    async (req, reply) => {
      const s = await auth.login(req.body.username, req.body.password);
      reply.setCookie(SESSION_COOKIE, s.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        expires: new Date(s.expiresAt),
      });
      return s;
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
