// Logging: one pino logger per process, built in the composition root and handed down as
// children (`log.child({ mod })`). docs/operations.md "Logs" lists what is logged at which level.
//
// Run-time level changes: pino children inherit their level from the parent through the
// prototype chain unless given one of their own, so setting the root's `level` changes every
// child built from it (the hub never gives a child its own level). `setLogLevel` does exactly
// that; the admin route (services/ops/routes.ts) calls it and audits the change.
import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Keys whose values never reach a log line, wherever they appear one level deep. Passwords,
 * device secrets and session tokens are never logged on purpose; this is the net under that.
 */
const REDACT = [
  'password',
  'secret',
  'token',
  'authorization',
  'cookie',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  '*.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * Error serializer without the objects some libraries hang on errors: pg-pool sets `err.client`
 * (the whole pg Client, with its connection, parser and pool) on idle-client errors, and pino's
 * standard serializer copies every enumerable property — one lost connection printed kilobytes.
 */
function errSerializer(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out = stdSerializers.err(err) as unknown as Record<string, unknown>;
  for (const k of ['client', 'connection', 'pool', 'socket', 'request', 'response']) delete out[k];
  return out;
}

/** `destination`: where lines go (default stdout); tests pass a stream to read them back. */
export function createLogger(level: string, name = 'hub', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: errSerializer, error: errSerializer },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Change the level of `root` and every child that inherits it (all of the hub's). */
export function setLogLevel(root: Logger, level: LogLevel): void {
  root.level = level;
}

/**
 * One line for a database error: the cause and the SQLSTATE/errno code, not the error object
 * (see errSerializer). For pool 'error' handlers: an idle connection that the server closed is
 * routine during a database restart and says nothing more than this.
 */
export function dbErrorFields(err: unknown): { cause: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown };
  const cause = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? { cause, code: e.code } : { cause };
}
