// Shared vocabulary: device classes, roles, incident kinds and severities.
// The one place these enumerations are defined (ARCHITECTURE.md: shapes in contracts/).
import { z } from 'zod';

export const ID_PATTERN = /^[a-z0-9-]+$/;
/** ids used in MQTT topics: CONTRACT.md "ids are [a-z0-9-]+" (bounded so topics stay short). */
export const Id = z.string().min(1).max(64).regex(ID_PATTERN, 'must match [a-z0-9-]+');

export const DEVICE_CLASSES = ['elevator', 'fire-panel', 'power', 'intercom', 'water'] as const;
export const DeviceClass = z.enum(DEVICE_CLASSES);
export type DeviceClass = z.infer<typeof DeviceClass>;

export const ONLINE_STATES = ['online', 'offline', 'lost'] as const;
export const OnlineState = z.enum(ONLINE_STATES);
export type OnlineState = z.infer<typeof OnlineState>;

/** Roles (岗位): seed 000 §1, seed 002 §2.2. */
export const ROLES = ['operator', 'frontdesk', 'supervisor', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const INCIDENT_KINDS = [
  'fire_alarm',
  'elevator_entrapment',
  'power_outage',
  'device_fault',
  'visitor_approval',
  // added after the first release (PROCEDURES.md §5–§7)
  'water_leak',
  'medical_emergency',
  'severe_weather',
  // the service desk (PROCEDURES.md §8)
  'repair',
  // complaints (PROCEDURES.md §9)
  'complaint',
] as const;
export const IncidentKind = z.enum(INCIDENT_KINDS);
export type IncidentKind = z.infer<typeof IncidentKind>;

/**
 * Severity ordering, highest first: fire > entrapment > outage > water > device fault > visitor
 * (issue #3). Numeric so the board can sort by it.
 */
export const SEVERITY: Record<IncidentKind, number> = {
  fire_alarm: 100,
  elevator_entrapment: 80,
  // PROCEDURES.md §6: a person is hurt — above an outage, below a trapped car
  medical_emergency: 70,
  power_outage: 60,
  // PROCEDURES.md §5: below an outage, above a device fault; +10 under a severe-weather warning (§7)
  water_leak: 50,
  device_fault: 40,
  // PROCEDURES.md §7: the declared level sets it while active (services/weather LEVEL_SEVERITY, 35–65)
  severe_weather: 45,
  visitor_approval: 20,
  // service-desk work (PROCEDURES.md §8): below every emergency on the board
  repair: 10,
  // complaints (PROCEDURES.md §9): service-desk work like a repair
  complaint: 10,
};

/** Life-safety classes: going offline opens a device-fault incident (PROCEDURES.md "Device offline"). */
export const LIFE_SAFETY_CLASSES: readonly DeviceClass[] = ['fire-panel', 'elevator'];
