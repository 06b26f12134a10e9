// Operations API shapes (docs/operations.md): run-time log level and the data-lifecycle job.
import { z } from 'zod';

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

export const LogLevelBody = z.object({ level: LogLevel });
export type LogLevelBody = z.infer<typeof LogLevelBody>;

export const LogLevelView = z.object({
  level: LogLevel,
  /** the level before this change (PUT only) */
  previous: LogLevel.optional(),
  /** the level the hub started with (HUB_LOG_LEVEL): a restart returns to it */
  configured: LogLevel,
});
export type LogLevelView = z.infer<typeof LogLevelView>;

export const PurgeResultView = z.object({
  at: z.number(),
  /** another hub on the same database held the job's lock: nothing done this time */
  skipped: z.boolean(),
  auditDeleted: z.number(),
  personalDataAccessDeleted: z.number(),
  visitsPurged: z.number(),
  preAuthorizationsPurged: z.number(),
});
export type PurgeResultView = z.infer<typeof PurgeResultView>;

export const RetentionView = z.object({
  auditDays: z.number(),
  visitorDataDays: z.number(),
  intervalMs: z.number(),
  telemetry: z.object({ backend: z.string(), retentionDays: z.number().nullable() }),
  last: PurgeResultView.nullable(),
});
export type RetentionView = z.infer<typeof RetentionView>;
