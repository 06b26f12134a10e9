// Payload schemas of manual incident reports (POST /api/incidents {kind, building, payload}),
// as the procedures define them (services/*/machine.ts `manual.payload`, JSON-schema form).
// The hub validates again; this only drives the report form.
import type { IncidentKind } from '../../../contracts/domain.js';
import type { JsonSchema } from './SchemaForm.js';

const notes: JsonSchema = { default: '', type: 'string', maxLength: 2000 };
const floor: JsonSchema = { type: 'integer', minimum: -10, maximum: 300 };

export const MANUAL_SCHEMAS: Record<IncidentKind, JsonSchema> = {
  fire_alarm: {
    type: 'object',
    properties: {
      floor,
      location: { type: 'string', minLength: 1, maxLength: 500 },
      reportedBy: { type: 'string', maxLength: 120 },
      notes,
    },
    required: ['floor', 'location'],
  },
  elevator_entrapment: {
    type: 'object',
    properties: {
      deviceId: { type: 'string', minLength: 1, maxLength: 64 },
      car: { type: 'string', minLength: 1, maxLength: 32 },
      floor,
      passengers: { type: 'integer', minimum: 0, maximum: 100 },
      callerPhone: { type: 'string', maxLength: 32 },
      talkingToPassengers: { default: false, type: 'boolean' },
      notes,
    },
    required: ['floor'],
  },
  power_outage: {
    type: 'object',
    properties: { feeder: { type: 'string', minLength: 1, maxLength: 64 }, floors: { maxItems: 300, type: 'array', items: floor }, notes },
  },
  device_fault: {
    type: 'object',
    properties: {
      deviceId: { type: 'string', minLength: 1, maxLength: 64 },
      description: { type: 'string', minLength: 1, maxLength: 2000 },
    },
    required: ['deviceId', 'description'],
  },
  visitor_approval: {
    type: 'object',
    properties: {
      visitorName: { type: 'string', minLength: 1, maxLength: 64 },
      unit: { type: 'string', minLength: 1, maxLength: 32 },
      plannedMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
      notes,
    },
    required: ['visitorName', 'unit', 'plannedMinutes'],
  },
};
