// The fixed lists of telemetry rules (PROCEDURES.md "Device health"), free of zod so the
// dashboard can import them (contracts/rules.ts holds the HTTP shapes built from them).
import type { DeviceClass } from './domain.js';

/**
 * The metrics a rule may watch per class: CONTRACT.md "Telemetry metrics" (numbers, and
 * booleans read as 1/0 — e.g. `leak > 0`). A rule on any other name would never fire.
 */
export const RULE_METRICS: Record<DeviceClass, readonly string[]> = {
  elevator: ['floor', 'load_kg', 'moving', 'door_open', 'out_of_level', 'passengers'],
  power: ['voltage_v', 'current_a', 'power_kw', 'frequency_hz', 'on_generator'],
  'fire-panel': ['zones_in_alarm', 'zones_in_trouble'],
  intercom: ['calls_waiting'],
  water: ['water_level_cm', 'pump_running', 'leak'],
};

/** `outside`: below `low` or above `high` (e.g. voltage outside 198–242 V). */
export const RULE_COMPARISONS = ['gt', 'gte', 'lt', 'lte', 'outside'] as const;
export const RULE_SEVERITIES = ['low', 'medium', 'high'] as const;
