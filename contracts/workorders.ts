// HTTP shapes of the service desk's work orders 报修工单 (PROCEDURES.md §8; routes in
// services/repair/routes.ts, documented in docs/contract.md). A work order is an incident of
// kind `repair` (same id): its actions are the incident actions (`POST /api/incidents/:id/
// actions/:action`), its photos the incident's attachments; these are the board, the owner
// contact (a logged personal-data read) and the printable sheet.
import { z } from 'zod';
import { QueryBool } from './common.js';
import { Text } from './messages.js';

export const WORK_ORDER_CATEGORIES = [
  'plumbing',
  'electrical',
  'elevator',
  'fire_safety',
  'doors_windows',
  'civil',
  'hvac',
  'intercom',
  'public_facilities',
  'other',
] as const;
export const WORK_ORDER_STATES = ['registered', 'dispatched', 'in_progress', 'awaiting_acceptance', 'closed', 'cancelled'] as const;

export const WorkOrderQuery = z.object({
  /** `open` = every state still owed (registered … awaiting_acceptance) */
  state: z.enum(['open', 'all', ...WORK_ORDER_STATES]).default('open'),
  building: z.string().min(1).max(64).optional(),
  category: z.enum(WORK_ORDER_CATEGORIES).optional(),
  /** only orders that missed their 24 h response or 48 h completion target */
  overdue: QueryBool.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});
export type WorkOrderQuery = z.infer<typeof WorkOrderQuery>;

export const WorkOrderView = z.object({
  id: z.string(),
  number: z.number().int(),
  state: z.enum(WORK_ORDER_STATES),
  open: z.boolean(),
  building: z.string(),
  title: Text,
  category: z.enum(WORK_ORDER_CATEGORIES),
  area: z.enum(['unit', 'common']),
  unit: z.string().nullable(),
  floor: z.number().int().nullable(),
  location: z.string(),
  description: z.string(),
  source: z.enum(['resident_phone', 'resident_visit', 'staff', 'device', 'complaint']),
  deviceId: z.string().nullable(),
  /** the incident this order was opened from: the (first) device fault, a water leak, a weather inspection */
  parentId: z.string().nullable(),
  faultIds: z.array(z.string()),
  dispatchedTo: z.string().nullable(),
  dispatchedPhone: z.string().nullable(),
  openedAt: z.number(),
  respondedAt: z.number().nullable(),
  completedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  responseDueAt: z.number().nullable(),
  completionDueAt: z.number().nullable(),
  /** a missed target stays recorded (the board's filter, the monthly on-time rate) */
  overdue: z.object({ response: z.boolean(), completion: z.boolean() }),
  followupDueAt: z.number().nullable(),
  acceptance: z.object({ signedBy: z.enum(['owner', 'staff']), signerName: z.string(), at: z.number() }).nullable(),
  rework: z.number().int(),
  /** the device reported normal again: completion is suggested */
  deviceNormalAt: z.number().nullable(),
});
export type WorkOrderView = z.infer<typeof WorkOrderView>;

export const WorkOrderCreateBody = z.object({
  building: z.string().min(1).max(64),
  category: z.enum(WORK_ORDER_CATEGORIES),
  area: z.enum(['unit', 'common']),
  unit: z.string().trim().min(1).max(32).optional(),
  location: z.string().trim().max(200).default(''),
  description: z.string().trim().min(1).max(2000),
  source: z.enum(['resident_phone', 'resident_visit', 'staff']),
  reporterName: z.string().trim().max(64).default(''),
  deviceId: z.string().trim().min(1).max(64).optional(),
});
export type WorkOrderCreateBody = z.infer<typeof WorkOrderCreateBody>;

export const ReasonQuery = z.object({ reason: z.string().trim().min(2).max(200) });

/** The owner of the order's unit, from the owner file: every read is a logged personal-data access. */
export const OwnerContactView = z.object({
  unitId: z.string(),
  building: z.string(),
  unit: z.string(),
  floor: z.number().int(),
  ownerName: z.string(),
  ownerPhone: z.string(),
  altContact: z.string(),
  access: z.object({ seq: z.number(), at: z.number(), reason: z.string() }),
});
export type OwnerContactView = z.infer<typeof OwnerContactView>;

export const SheetStep = z.object({
  key: z.string(),
  status: z.enum(['pending', 'done', 'skipped']),
  doneAt: z.number().nullable(),
  doneBy: z.string().nullable(),
  notes: z.string(),
});

/** The printable work-order sheet 维修工单 (bilingual; the owner's contact only with a reason, logged). */
export const WorkOrderSheet = z.object({
  order: WorkOrderView,
  buildingName: z.string(),
  steps: z.array(SheetStep),
  dispatches: z.array(z.object({ party: z.string(), phone: z.string().nullable(), at: z.number(), by: z.string().nullable() })),
  workDone: z.string(),
  owner: OwnerContactView.nullable(),
  photos: z.array(z.object({ id: z.string(), filename: z.string(), url: z.string() })),
  printedAt: z.number(),
});
export type WorkOrderSheet = z.infer<typeof WorkOrderSheet>;

/** What the shift handover lists as pending service-desk work (services/repair/service.ts pendingServiceItems). */
export const ServiceItem = z.object({
  type: z.enum(['work_order', 'complaint']),
  id: z.string(),
  number: z.number().int(),
  building: z.string(),
  state: z.string(),
  title: Text,
  openedAt: z.number(),
  overdue: z.boolean(),
  /** the next target: response / completion / reply due */
  dueAt: z.number().nullable(),
});
export type ServiceItem = z.infer<typeof ServiceItem>;
