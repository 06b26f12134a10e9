// Coded errors (ARCHITECTURE.md example 8, after fastify lib/errors.js): every error the
// API can return has a stable code, a message and an HTTP status. An error may also carry a
// message key and params (`msg`): the reader's locale renders it (services/hub/app.ts), so a
// refusal reads in Chinese in the Chinese UI; `message` stays the English text for logs.
import type { Msg } from '../../contracts/messages.js';

export class HubError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
    readonly msg?: Msg,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

const make = (code: string, status: number) => (message: string, msg?: Msg) => new HubError(code, message, status, msg);

/** A keyed refusal: the English text for logs (`en`, params filled) and the message for readers. */
export function keyed(code: string, status: number, key: string, en: string, params: Record<string, unknown> = {}): HubError {
  return new HubError(
    code,
    en.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? '')),
    status,
    { key, params },
  );
}

export const errors = {
  badRequest: make('HUB_ERR_BAD_REQUEST', 400),
  unauthenticated: make('HUB_ERR_UNAUTHENTICATED', 401),
  forbidden: make('HUB_ERR_FORBIDDEN', 403),
  /** a cross-origin or header-less cookie request refused (services/auth/plugin.ts) */
  csrf: make('HUB_ERR_CSRF', 403),
  /** too many attempts; the reply carries Retry-After */
  tooMany: make('HUB_ERR_RATE_LIMITED', 429),
  deviceUnknown: make('HUB_ERR_DEVICE_UNKNOWN', 404),
  notFound: make('HUB_ERR_NOT_FOUND', 404),
  deviceExists: make('HUB_ERR_DEVICE_EXISTS', 409),
  conflict: make('HUB_ERR_CONFLICT', 409),
  unavailable: make('HUB_ERR_UNAVAILABLE', 503),
  config: make('HUB_ERR_CONFIG', 500),
};

// ------------------------------------------------------------------------------------------
// Errors from the database, seen by the HTTP error handler.

const DB_DOWN_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
// P1001 can't reach, P1002 timed out, P1017 server closed the connection, P2024 pool timeout;
// SQLSTATE 57P01–57P03 admin/crash shutdown and cannot-connect-now, class 08 connection exception.
const DB_DOWN_CODES = /^(P1001|P1002|P1017|P2024|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[123]|08\w{3})$/;

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  kind?: unknown;
  cause?: unknown;
  meta?: { modelName?: unknown; driverAdapterError?: { cause?: { kind?: unknown; code?: unknown; originalCode?: unknown } } };
  stack?: string;
}

/** The error and the causes it wraps (Prisma → driver adapter → pg/socket error), outermost first. */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e: unknown = err;
  while (e && typeof e === 'object' && out.length < 6) {
    const x = e as ErrorLike;
    out.push(x);
    const adapter = x.meta?.driverAdapterError?.cause;
    if (adapter) out.push(adapter as ErrorLike);
    e = x.cause;
  }
  return out;
}

/** True when the error means "the database is not reachable right now" (→ 503, not 500). */
export function isDatabaseUnavailable(err: unknown): boolean {
  return chain(err).some(
    (e) =>
      (typeof e.kind === 'string' && DB_DOWN_KINDS.has(e.kind)) ||
      (typeof e.code === 'string' && DB_DOWN_CODES.test(e.code)) ||
      (typeof (e as { originalCode?: unknown }).originalCode === 'string' &&
        DB_DOWN_CODES.test((e as { originalCode: string }).originalCode)),
  );
}

/**
 * What may be logged of an error that reached the HTTP error handler: type, codes and the stack
 * frames — never request data. Prisma's messages can quote the query's arguments (a visitor's
 * name, an owner's phone) and PostgreSQL's can quote the offending value ('invalid input syntax
 * for type uuid: "…"'), so for those only the codes are kept; our own errors keep their message.
 * (Privacy: PROCEDURES.md personal data — logs are not an access-controlled store.)
 */
export function loggableError(err: unknown): Record<string, unknown> {
  const e = (err ?? {}) as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const frames = (typeof e.stack === 'string' ? e.stack.split('\n') : []).filter((l) => /^\s+at /.test(l)).join('\n');
  const fromDb =
    name.startsWith('PrismaClient') || name === 'DriverAdapterError' || (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code));
  const adapter = e.meta?.driverAdapterError?.cause;
  const message = fromDb ? `(database error message withheld: may quote request data)` : String(e.message ?? '').slice(0, 500);
  return {
    type: name,
    message,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(typeof e.meta?.modelName === 'string' ? { model: e.meta.modelName } : {}),
    ...(adapter ? { dbKind: adapter.kind, dbCode: adapter.originalCode ?? adapter.code } : {}),
    stack: `${name}: ${message}\n${frames}`,
  };
}
