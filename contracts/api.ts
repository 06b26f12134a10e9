// HTTP API shapes (CONTRACT.md "HTTP"). Routes validate with these schemas and the
// OpenAPI document is generated from them, so the docs cannot drift from the code.
import { z } from 'zod';
import { EpochMsQuery } from './common.js';
import { DeviceClass, Id, OnlineState, Role } from './domain.js';

export const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
  /** API clients (CLI, scripts) ask for the bearer token; browsers use the httpOnly cookie */
  token: z.boolean().optional(),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const SessionView = z.object({
  /** only when the login asked for it (`token: true`) */
  token: z.string().optional(),
  user: z.object({
    id: z.string(),
    username: z.string(),
    role: Role,
    displayName: z.string(),
    /** building scope (issue 8): empty = every building */
    buildings: z.array(z.string()).optional(),
  }),
  expiresAt: z.number(),
});
export type SessionView = z.infer<typeof SessionView>;

export const CreateDeviceBody = z.object({
  id: Id,
  site: Id,
  building: Id,
  class: DeviceClass,
  name: z.string().min(1).max(120).optional(),
  floors: z.array(z.number().int().min(-10).max(300)).max(300).optional(),
  /** class specifics, e.g. `{ "feeder": "feeder-a" }` for a power meter (outage scope) */
  meta: z.record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean()])).optional(),
});
export type CreateDeviceBody = z.infer<typeof CreateDeviceBody>;

export const DeviceView = z.object({
  id: z.string(),
  site: z.string(),
  building: z.string(),
  /** the building's display name (e.g. "A 栋") */
  buildingName: z.string(),
  class: DeviceClass,
  name: z.string(),
  floors: z.array(z.number()),
  meta: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  state: OnlineState,
  lastSeenAt: z.number().nullable(),
  lastTelemetry: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).nullable(),
  /** maintenance mode 维保模式 while active (PROCEDURES.md "Device health"): raises no faults */
  maintenance: z
    .object({ reason: z.string(), by: z.string(), byName: z.string().nullable(), since: z.number(), until: z.number() })
    .nullable()
    .optional(),
});
export type DeviceView = z.infer<typeof DeviceView>;

/** Put a device into maintenance mode: why and until when (at most 30 days ahead). */
export const MaintenanceBody = z.object({
  reason: z.string().trim().min(1).max(500),
  until: z.number().int().positive(),
});
export type MaintenanceBody = z.infer<typeof MaintenanceBody>;

export const TelemetryQuery = z.object({
  deviceId: Id,
  metric: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9_]+$/),
  from: EpochMsQuery.optional(),
  to: EpochMsQuery.optional(),
  /** bucket width in ms for downsampling; omitted → chosen so a chart gets ≤ ~500 points */
  step: z.coerce.number().int().min(1000).optional(),
});
export type TelemetryQuery = z.infer<typeof TelemetryQuery>;

export const TelemetrySeries = z.object({
  deviceId: z.string(),
  metric: z.string(),
  from: z.number(),
  to: z.number(),
  points: z.array(z.tuple([z.number(), z.number().nullable()])),
});
export type TelemetrySeries = z.infer<typeof TelemetrySeries>;

/**
 * GET /api/health. Anonymous callers get `{status}` only; the details (client counts, rejection
 * counts, telemetry backlog) are for a logged-in staff user. `starting` until the hub is up.
 */
export const HealthView = z.object({
  status: z.enum(['ok', 'degraded', 'starting']),
  broker: z.object({ ok: z.boolean(), port: z.number(), clients: z.number() }).optional(),
  db: z.object({ ok: z.boolean(), embedded: z.boolean() }).optional(),
  telemetry: z
    .object({
      ok: z.boolean(),
      backend: z.string(),
      buffered: z.number(),
      /** lifetime total, kept across restarts */
      dropped: z.number(),
      written: z.number(),
      /** lifetime total, kept across restarts */
      rejected: z.number(),
      lastError: z.string().nullable(),
    })
    .optional(),
  rejected: z.record(z.string(), z.number()).optional(),
});
export type HealthView = z.infer<typeof HealthView>;

/** GET /api/health/ready: 200 when ready, 503 with the reason otherwise. */
export const ReadinessView = z.object({
  ready: z.boolean(),
  status: z.enum(['ready', 'starting', 'not_ready']),
  reason: z.string().optional(),
});
export type ReadinessView = z.infer<typeof ReadinessView>;

export const ErrorView = z.object({
  code: z.string(),
  /** in the reader's locale when the refusal has a message key (Accept-Language, else the user's locale) */
  message: z.string(),
  statusCode: z.number(),
  /** the refusal's message key and params, when it has one (labels: GET /api/procedures) */
  key: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
