// Repair work order 报修工单 — pure procedure (PROCEDURES.md §8; seed 002 §5.1.1 and §3.3 its
// time-limit table "报修类 24小时内响应,48小时内处理完成"; seed 000 §1.1.3; seed 001 §五.2 回访).
// A work order is an incident of kind `repair`: the engine gives it timers, escalation, the
// timeline, the duty log and 回访 follow-ups; services/repair/service.ts adds the board, the
// owner-contact read and the printable sheet on top. Imports only types from the engine.
//
// 接单登记 (register) → 派单 (dispatch) → 响应 (respond) → 完工 (complete) → 验收 (accept: the
// owner signs for a unit, staff for a common area) → 结单 (close) → 回访 within 2 working days.
import { WORK_ORDER_CATEGORIES } from '../../contracts/workorders.js';
import { z } from 'zod';
import type { DeviceClass } from '../../contracts/domain.js';
import {
  actionsOf,
  defineProcedure,
  followupCalendar,
  said,
  type Ctx as EngineCtx,
  type IncidentSnapshot,
  type ProcedureTypes,
  Notes,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';

export const REPAIR_STATES = ['registered', 'dispatched', 'in_progress', 'awaiting_acceptance', 'closed', 'cancelled'] as const;
export type RepairState = (typeof REPAIR_STATES)[number];
export const REPAIR_FINAL_STATES = ['closed', 'cancelled'] as const;
/** states in which the work is still owed to someone (the board's "open", the handover's "pending") */
export const REPAIR_OPEN_STATES = ['registered', 'dispatched', 'in_progress', 'awaiting_acceptance'] as const;

export const REPAIR_STEPS = ['register', 'dispatch', 'respond', 'complete', 'accept', 'close'] as const;
export type RepairStep = (typeof REPAIR_STEPS)[number];

/** seed 002 §3.3: response within 24 h, done within 48 h — both counted from 接单 */
export const REPAIR_TIMERS = ['response', 'completion'] as const;
export type RepairTimer = (typeof REPAIR_TIMERS)[number];

export const REPAIR_ACTIONS = ['dispatch', 'record_response', 'complete', 'accept', 'cancel'] as const;
export type RepairAction = (typeof REPAIR_ACTIONS)[number];

/** What is broken (seed 002 §3.3.1 服务请求分类 "设施维修"; seed 000 §2.1.7.2 风火水电). */
// the same list as the board's filter (contracts/workorders.ts): one source
export const REPAIR_CATEGORIES = WORK_ORDER_CATEGORIES;
export type RepairCategory = (typeof REPAIR_CATEGORIES)[number];

/** Who asked: a resident at the front desk (phone or visit), a staff finding, a device fault, or a complaint (§9). */
export const REPAIR_SOURCES = ['resident_phone', 'resident_visit', 'staff', 'device', 'complaint'] as const;
export type RepairSource = (typeof REPAIR_SOURCES)[number];

/** A unit's repair is accepted by its owner; a common area's by staff (PROCEDURES.md §8 验收). */
export const REPAIR_AREAS = ['unit', 'common'] as const;
export type RepairArea = (typeof REPAIR_AREAS)[number];

export const RepairConfig = z.object({
  /** seed 002 §3.3: 报修类 24 小时内响应 */
  responseMs: z
    .number()
    .int()
    .positive()
    .default(24 * 3_600_000),
  /** seed 002 §3.3: 48 小时内处理完成 */
  completionMs: z
    .number()
    .int()
    .positive()
    .default(48 * 3_600_000),
  /** seed 001 §五.2: 回访 within 2 working days of closing */
  ...followupCalendar,
});
export type RepairConfig = z.infer<typeof RepairConfig>;

export interface Dispatch {
  /** the contacts registry entry (services/admin/contacts.ts), when the party came from it */
  contactId: string | null;
  party: string;
  phone: string | null;
  at: number;
  by: string;
}

export interface RepairData {
  cfg: RepairConfig;
  category: RepairCategory;
  source: RepairSource;
  area: RepairArea;
  /** the resident's unit (area `unit`); the owner's contact is read from the owner file, never copied here */
  unit: string | null;
  unitFloor: number | null;
  location: string;
  description: string;
  /** who reported it (a resident's name is personal data: masked for roles without desk duties) */
  reporterName: string;
  /** device faults this order repairs (linked both ways: parentId here, `linked_incident` there) */
  faultIds: string[];
  dispatches: Dispatch[];
  respondedAt: number | null;
  completedAt: number | null;
  workDone: string;
  acceptance: { signedBy: 'owner' | 'staff'; signerName: string; recordedBy: string; at: number; satisfied: boolean } | null;
  rework: number;
  /** a missed target stays recorded after the work is done (the board's "overdue", the monthly on-time rate) */
  overdue: { response: boolean; completion: boolean };
  followupDueAt: number | null;
  /** the device reported normal again (suggests completion; a person confirms) */
  deviceNormalAt: number | null;
}

/** Facts looked up when the order opens (services/repair/context.ts). */
export interface RepairContext {
  /** the unit exists in the owner file (null: no unit given) */
  unitKnown?: boolean | null;
  unitFloor?: number | null;
}

export type RepairTypes = ProcedureTypes<
  { states: typeof REPAIR_STATES; steps: typeof REPAIR_STEPS; timers: typeof REPAIR_TIMERS; actions: typeof REPAIR_ACTIONS },
  typeof labels,
  RepairData,
  RepairContext
>;
type Ctx = EngineCtx<RepairTypes>;
const act = actionsOf<RepairTypes>();

/** seed 002 §2.2: 客服专员 registers and follows up; the control room finds faults; supervisors stand in. */
const DESK = ['frontdesk', 'operator', 'supervisor', 'admin'] as const;
const Text = z.string().trim().min(1).max(2000);

export const RepairReport = z
  .object({
    category: z.enum(REPAIR_CATEGORIES),
    area: z.enum(REPAIR_AREAS),
    /** required for area `unit` (the owner accepts the repair) */
    unit: z.string().trim().min(1).max(32).optional(),
    location: z.string().trim().max(200).default(''),
    description: Text,
    source: z.enum(['resident_phone', 'resident_visit', 'staff']),
    reporterName: z.string().trim().max(64).default(''),
    /** a device this repair concerns (adds to that device's open work order) */
    deviceId: z.string().trim().min(1).max(64).optional(),
  })
  .refine((p) => p.area !== 'unit' || !!p.unit, { path: ['unit'], message: 'unit required for a unit repair / 户内报修须填写房号' });
export type RepairReport = z.infer<typeof RepairReport>;

/** What an incident that found a cause hands to the order it opens (`open_linked_incident` payload without a device). */
export interface LinkedFinding {
  category: RepairCategory;
  location: string;
  description: string;
  floor: number | null;
  /** tells several findings of one incident apart (dedup key) */
  ref?: string;
}

/** The category a device fault's repair falls under. */
export function categoryOfClass(cls: DeviceClass | string | null | undefined): RepairCategory {
  switch (cls) {
    case 'elevator':
      return 'elevator';
    case 'fire-panel':
      return 'fire_safety';
    case 'water':
      return 'plumbing';
    case 'power':
      return 'electrical';
    case 'intercom':
      return 'intercom';
    default:
      return 'other';
  }
}

function setTitle(ctx: Ctx): void {
  const d = ctx.data;
  // the device by its name, never its id (issue 14); the location is what a person wrote, or the zone
  ctx.title({
    category: { key: `repair.value.${d.category}` },
    device: ctx.s.deviceId ?? null,
    unit: d.unit,
    location: d.location || null,
  });
}

function checkLate(ctx: Ctx, timer: RepairTimer): boolean {
  const t = ctx.s.timers.find((x) => x.key === timer);
  return t !== undefined && (t.status === 'fired' || ctx.now > t.dueAt);
}

/** Device events that mean "working again" (water.cleared once the water class reports it). */
const NORMAL_EVENTS: ReadonlySet<string> = new Set(['elevator.normal', 'fire.reset', 'water.cleared', 'power.mains_restored']);

const OPEN = ['registered', 'dispatched', 'in_progress', 'awaiting_acceptance'] as const;

const actions: Record<RepairAction, ReturnType<typeof act>> = {
  dispatch: act({
    roles: DESK,
    states: ['registered', 'dispatched', 'in_progress'],
    step: 'dispatch',
    payload: z.object({
      contactId: z.string().trim().min(1).max(64).optional(),
      party: z.string().trim().min(1).max(120),
      phone: z.string().trim().max(32).optional(),
      notes: Notes,
    }),
    defaults: (_s, data) => {
      const last = data.dispatches.at(-1);
      return last ? { party: last.party, ...(last.phone ? { phone: last.phone } : {}) } : {};
    },
    run(ctx: Ctx, p) {
      // seed 002 §5.1.1 派单: to the maintenance department or a contractor from the contacts registry
      const d = ctx.data;
      d.dispatches.push({ contactId: p.contactId ?? null, party: p.party, phone: p.phone ?? null, at: ctx.now, by: ctx.by });
      ctx.done('dispatch', {
        redo: true,
        notes: p.notes,
        data: { party: p.party, contactId: p.contactId ?? null, phone: p.phone ?? null, times: d.dispatches.length },
      });
      if (ctx.s.state === 'registered') ctx.to('dispatched', { key: 'dispatched_to', params: { party: p.party } });
      else ctx.log('note', { redispatched: true, party: p.party }, { key: 'redispatched', params: { party: p.party } });
    },
  }),
  record_response: act({
    roles: DESK,
    states: ['dispatched'],
    step: 'respond',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 002 §5.1.1 维修: the repairer contacts the resident / is on site — the 24 h "响应"
      const d = ctx.data;
      d.respondedAt = ctx.now;
      const late = checkLate(ctx, 'response');
      ctx.cancelTimer('response');
      ctx.done('respond', { notes: p.notes, data: { late } });
      if (late) ctx.flag('response_late', null, { hours: Math.round((ctx.now - ctx.s.openedAt) / 3_600_000) });
      ctx.to('in_progress', 'responded');
    },
  }),
  complete: act({
    roles: DESK,
    states: ['dispatched', 'in_progress'],
    step: 'complete',
    payload: z.object({ workDone: Text, notes: Notes }),
    defaults: (_s, data) => (data.deviceNormalAt ? { workDone: '' } : {}),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      if (!ctx.isDone('respond')) {
        // finished on the first visit: the response is the visit itself
        d.respondedAt = ctx.now;
        const lateR = checkLate(ctx, 'response');
        ctx.cancelTimer('response');
        ctx.done('respond', { data: { late: lateR, withCompletion: true } });
      }
      d.completedAt = ctx.now;
      d.workDone = p.workDone;
      const late = checkLate(ctx, 'completion');
      ctx.cancelTimer('completion');
      ctx.done('complete', { redo: true, notes: p.notes, data: { workDone: p.workDone, late } });
      if (late) ctx.flag('completion_late', null, { hours: Math.round((ctx.now - ctx.s.openedAt) / 3_600_000) });
      ctx.to('awaiting_acceptance', said(p.workDone));
    },
  }),
  accept: act({
    roles: DESK,
    states: ['awaiting_acceptance'],
    step: 'accept',
    payload: z.object({
      signedBy: z.enum(['owner', 'staff']),
      signerName: z.string().trim().min(1).max(64),
      satisfied: z.boolean(),
      notes: Notes,
    }),
    defaults: (_s, data) => ({ signedBy: data.area === 'unit' ? 'owner' : 'staff', satisfied: true }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      // PROCEDURES.md §8 验收: the owner signs a unit's repair (recorded by the desk); staff sign common areas
      if (d.area === 'unit' && p.signedBy !== 'owner') ctx.fail('HUB_ERR_CONFLICT', 'owner_must_sign', { unit: d.unit });
      if (d.area === 'common' && p.signedBy !== 'staff') ctx.fail('HUB_ERR_CONFLICT', 'staff_must_sign');
      if (!p.satisfied) {
        // seed 002 §5.1.1 (四): not satisfied → the repairer comes back (返工); the 48 h target still stands
        d.rework++;
        ctx.log('outcome', { acceptance: 'rejected', signedBy: p.signedBy, rework: d.rework }, p.notes ? said(p.notes) : null);
        ctx.to('in_progress', 'rework');
        ctx.notify(['frontdesk'], 'rework', { number: d.rework });
        return;
      }
      d.acceptance = { signedBy: p.signedBy, signerName: p.signerName, recordedBy: ctx.by, at: ctx.now, satisfied: true };
      ctx.done('accept', { notes: p.notes, data: { signedBy: p.signedBy, signerName: p.signerName, recordedBy: ctx.by } });
      // 结单, then 回访 within 2 working days (seed 001 §五.2), counted on the settings' calendar
      const cfg = d.cfg;
      const dueAt = ctx.addWorkingDays(ctx.now, cfg.followupWorkingDays, cfg);
      d.followupDueAt = dueAt;
      ctx.followUp(dueAt);
      ctx.done('close', { by: 'system', data: { followupDueAt: dueAt, workingDays: cfg.followupWorkingDays } });
      ctx.close('closed', 'accepted');
      ctx.dutyLog('accepted', { signedBy: { key: `repair.value.signed_${p.signedBy}` } });
    },
  }),
  cancel: act({
    roles: [...DESK],
    states: OPEN,
    payload: z.object({ reason: Text }),
    run(ctx: Ctx, p) {
      // a duplicate or a report withdrawn by the resident: kept, never deleted
      ctx.close('cancelled', said(p.reason));
      ctx.dutyLog('cancelled', { reason: { text: p.reason } });
    },
  }),
};

/** Is this work order still owed (open and not cancelled)? */
export const isPending = (s: Pick<IncidentSnapshot, 'open' | 'state'>) => s.open && (OPEN as readonly string[]).includes(s.state);

export const repairProcedure = defineProcedure<RepairTypes>({
  kind: 'repair',
  states: REPAIR_STATES,
  finalStates: REPAIR_FINAL_STATES,
  steps: REPAIR_STEPS.map((key) => ({ key, required: true })),
  timers: REPAIR_TIMERS,
  unskippable: ['accept'],
  actions,
  config: RepairConfig,
  manual: { roles: DESK, payload: RepairReport },

  // one open work order per device: a fault that comes back adds to it (PROCEDURES.md §8 "opens (or adds to)")
  dedupKeyFor(t) {
    if (t.source === 'linked' && t.deviceId) return `device:${t.deviceId}`;
    // a cause found by an incident (a water leak §5.5, a weather inspection finding §7): one
    // open order per cause — recording it again adds to that order instead of opening another
    // (a complaint's hand-offs each open their own order: not deduplicated)
    if (t.source === 'linked' && (t.parentKind === 'water_leak' || t.parentKind === 'severe_weather')) {
      const ref = (t.payload as { ref?: unknown } | undefined)?.ref;
      return typeof ref === 'string' ? `incident:${t.parentId}:${ref}` : `incident:${t.parentId}`;
    }
    if (t.source === 'manual') {
      const id = (t.payload as { deviceId?: unknown } | undefined)?.deviceId;
      return typeof id === 'string' ? `device:${id}` : null;
    }
    return null;
  },
  // a device reporting normal again suggests the repair is done (PROCEDURES.md §8)
  wantsStatus(s, deviceId) {
    return s.deviceId === deviceId && (s.state === 'dispatched' || s.state === 'in_progress' || s.state === 'registered');
  },
  // Only until the device has said so once this fault episode (suggestCompletion): a car reports
  // `elevator.normal` over and over, and each routed event is a timeline entry and a write — an
  // open order took every one of them (issue 12: 130 events/s routed against 20k/s stored).
  wants(s, src, data) {
    if (src.deviceId !== s.deviceId || data.deviceNormalAt !== null) return false;
    return NORMAL_EVENTS.has(src.event.type);
  },

  open(ctx: Ctx, t) {
    const cfg = ctx.config;
    const c = t.context ?? {};
    const data: RepairData = {
      cfg,
      category: 'other',
      source: 'staff',
      area: 'common',
      unit: null,
      unitFloor: c.unitFloor ?? null,
      location: '',
      description: '',
      reporterName: '',
      faultIds: [],
      dispatches: [],
      respondedAt: null,
      completedAt: null,
      workDone: '',
      acceptance: null,
      rework: 0,
      overdue: { response: false, completion: false },
      followupDueAt: null,
      deviceNormalAt: null,
    };
    ctx.init(data);
    if (t.source === 'manual') {
      const p = t.payload as RepairReport;
      if (p.area === 'unit' && c.unitKnown === false) ctx.fail('HUB_ERR_BAD_REQUEST', 'unknown_unit', { unit: p.unit ?? '' });
      data.category = p.category;
      data.area = p.area;
      data.unit = p.area === 'unit' ? (p.unit ?? null) : null;
      data.location = p.location;
      data.description = p.description;
      data.source = p.source;
      data.reporterName = p.reporterName;
      if (p.deviceId) ctx.s.deviceId = p.deviceId;
      if (data.unitFloor !== null) ctx.s.floor = data.unitFloor;
    } else if (t.source === 'linked' && t.parentKind === 'complaint') {
      // from a complaint (services/complaint/machine.ts open_work_order, PROCEDURES.md §9 转交):
      // the complaint is the order's parent (linked both ways); its unit was checked when it was registered
      const p = t.payload as {
        category?: RepairCategory;
        area?: RepairArea;
        unit?: string | null;
        location?: string;
        description?: string;
      };
      data.source = 'complaint';
      data.category = p.category && (REPAIR_CATEGORIES as readonly string[]).includes(p.category) ? p.category : 'other';
      data.area = p.area === 'unit' && p.unit ? 'unit' : 'common';
      data.unit = data.area === 'unit' ? (p.unit ?? null) : null;
      data.location = p.location ?? '';
      data.description = p.description ?? '';
    } else if (t.source === 'linked' && !t.deviceId) {
      // a cause an incident found (water leak §5.5, severe-weather inspection §7): a staff
      // finding in a common area, linked under that incident (parentId)
      const p = t.payload as Partial<LinkedFinding>;
      data.source = 'staff';
      data.area = 'common';
      data.category = (REPAIR_CATEGORIES as readonly string[]).includes(p.category ?? '') ? (p.category as RepairCategory) : 'other';
      data.location = (p.location ?? '').slice(0, 200);
      data.description = (p.description ?? '').slice(0, 2000);
      if (typeof p.floor === 'number') ctx.s.floor = p.floor;
    } else if (t.source === 'linked') {
      // from a device fault (services/devices/machine.ts): a common-area repair of that device
      const p = t.payload as {
        cause?: string;
        code?: string | null;
        zone?: string | null;
        deviceClass?: string | null;
        description?: string;
      };
      data.source = 'device';
      data.area = 'common';
      data.category = categoryOfClass(p.deviceClass);
      data.location = p.zone ?? ''; // the device itself is named by its own fact and in the title
      data.description = p.description || [p.cause, p.code].filter(Boolean).join(' ');
      data.faultIds.push(t.parentId);
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    }
    // seed 002 §3.3 / §5.1.1 接单登记: the clock starts at registration
    ctx.done('register', { data: { category: data.category, area: data.area, unit: data.unit, source: data.source } });
    ctx.startTimer('response', cfg.responseMs);
    ctx.startTimer('completion', cfg.completionMs);
    setTitle(ctx);
    ctx.notify(['frontdesk', 'operator'], 'incident_opened', { kind: 'repair', category: { key: `repair.value.${data.category}` } });
  },

  onRepeat(ctx: Ctx, t) {
    // the same device faulted again while its order is open: one order, every fault linked
    if (t.source === 'linked' && !ctx.data.faultIds.includes(t.parentId)) ctx.data.faultIds.push(t.parentId);
    ctx.data.deviceNormalAt = null;
  },

  onStatus(ctx: Ctx, input) {
    if (input.state !== 'online') {
      ctx.data.deviceNormalAt = null;
      return;
    }
    suggestCompletion(ctx, 'back_online');
  },
  onEvent(ctx: Ctx, input) {
    suggestCompletion(ctx, 'device_normal', input.event.type);
  },

  onTimer(ctx: Ctx, key) {
    const d = ctx.data;
    if (key === 'response') {
      // seed 002 §3.3: no response within 24 h → escalate to the supervisor
      d.overdue.response = true;
      ctx.escalate('response_overdue', { hours: Math.round(d.cfg.responseMs / 3_600_000) });
    } else if (key === 'completion') {
      d.overdue.completion = true;
      ctx.escalate('completion_overdue', { hours: Math.round(d.cfg.completionMs / 3_600_000) });
    }
  },
});

function suggestCompletion(ctx: Ctx, why: 'back_online' | 'device_normal', event?: string): void {
  const d = ctx.data;
  if (d.deviceNormalAt !== null) return; // said once per fault episode
  d.deviceNormalAt = ctx.now;
  // PROCEDURES.md §8: the device reporting normal suggests the repair is done; a person confirms
  ctx.log('hint', { hint: 'completion_suggested', ...(event ? { event } : {}) }, why);
  ctx.notify(['frontdesk', 'operator'], 'completion_suggested', { deviceId: ctx.s.deviceId });
}
