// HTTP helpers of the procedure routes: who reads (locale, role, reason) and refusals in the
// reader's language. A refusal that carries a message key (HubError.msg) is rendered in the
// requesting user's locale — Accept-Language first (the dashboard sends its UI language),
// then the user's stored locale — and handed on to the app's error handler.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Locale } from '../../contracts/messages.js';
import { HubError } from '../core/errors.js';
import { scopeOf } from '../auth/scope.js';
import { localeFromHeader, type MessageCatalog } from '../core/messages.js';
import type { Reader } from './views.js';

export function localeOf(req: FastifyRequest): Locale {
  const stored = req.user?.locale;
  return localeFromHeader(req.headers['accept-language']) ?? (stored === 'en' || stored === 'zh-CN' ? stored : 'zh-CN');
}

/** The reader of a request; `reason` is why it reads personal data (null: it gives none). */
export function readerOf(req: FastifyRequest, reason: string | null): Reader {
  return { userId: req.user?.id ?? null, role: req.user?.role ?? null, locale: localeOf(req), reason, scope: scopeOf(req) };
}

/** Render keyed refusals of this plugin's routes in the reader's locale, then let the app answer. */
export function localizeErrors(app: FastifyInstance, catalog: MessageCatalog): void {
  app.setErrorHandler((err, req) => {
    if (err instanceof HubError && err.msg) throw new HubError(err.code, catalog.render(err.msg, localeOf(req)), err.statusCode, err.msg);
    throw err;
  });
}
