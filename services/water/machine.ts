// Water leak, pipe burst, flooding 漏水·水管爆裂·水浸 — pure procedure (PROCEDURES.md §5;
// seed 002 §3(三) 应急处理流程 and §5.2; seed 000 §2.1.7.2 b 风火水电). Triggered by a leak
// cable (`water.leak`), a sump pit's high level (`water.level_high`), a failed pump
// (`water.pump_failed`) or a phone call. Imports only types from the engine.
import { z } from 'zod';
import {
  actionsOf,
  defineProcedure,
  said,
  type Ctx as EngineCtx,
  type EventSource,
  type IncidentSnapshot,
  type ProcedureTypes,
  type Trigger,
  Notes,
  SpecialReportPayload,
  CONTROL_ROLES,
  MANAGER_ROLES,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';
import type { LinkedFinding } from '../repair/machine.js';

export const WATER_STATES = ['awaiting_ack', 'responding', 'cleared', 'closed'] as const;
export type WaterState = (typeof WATER_STATES)[number];

export const WATER_STEPS = [
  'acknowledge',
  'dispatch_engineering',
  'engineering_on_site',
  'stop_water',
  'protect',
  'notify_owners',
  'cleared',
  'elevators_returned',
  'repair_order',
  'special_report',
] as const;
export type WaterStep = (typeof WATER_STEPS)[number];

export const WATER_TIMERS = ['ack', 'engineering_arrival', 'recall_confirm'] as const;
export type WaterTimer = (typeof WATER_TIMERS)[number];

export const WATER_ACTIONS = [
  'acknowledge',
  'dispatch_engineering',
  'record_engineering_on_site',
  'record_water_stopped',
  'take_cars_out_of_service',
  'confirm_car_recalled',
  'record_protection',
  'record_owners_notified',
  'confirm_cleared',
  'return_elevator',
  'record_repair_order',
  'file_report',
  'close',
] as const;
export type WaterAction = (typeof WATER_ACTIONS)[number];

/** What a wet zone threatens (a leak detector's `meta.near`, comma separated): PROCEDURES.md §5.3. */
export const WATER_NEAR = ['elevator', 'electrical', 'pump_room'] as const;
export type WaterNear = (typeof WATER_NEAR)[number];

export const WATER_SOURCES = ['leak', 'burst_pipe', 'flooding', 'sump', 'other'] as const;

/**
 * What a leak's cause is repaired as (a subset of the work-order categories,
 * contracts/workorders.ts): pipes, waterproofing, windows, an air-conditioner drain.
 */
export const WATER_REPAIR_CATEGORIES = [
  'plumbing',
  'civil',
  'doors_windows',
  'hvac',
  'public_facilities',
  'other',
] as const satisfies readonly LinkedFinding['category'][];
export type WaterRepairCategory = (typeof WATER_REPAIR_CATEGORIES)[number];

/** Base severity (contracts/domain.ts SEVERITY) and the step a declared severe weather adds (§7). */
export const WEATHER_SEVERITY_STEP = 10;

export const WaterConfig = z.object({
  /** PROCEDURES.md §5.1: acknowledge within 60 s, else escalate */
  ackMs: z.number().int().positive().default(60_000),
  /** PROCEDURES.md §5.2: engineering (工程部) on site within 15 min, else escalate */
  engineeringArrivalMs: z
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  /** PROCEDURES.md §5.3 "as in fire §5": a car not confirming its recall in 60 s is flagged */
  recallConfirmMs: z.number().int().positive().default(60_000),
  /** CONTRACT.md: a command past exp is neither executed nor retried */
  recallExpiryMs: z.number().int().positive().default(60_000),
});
export type WaterConfig = z.infer<typeof WaterConfig>;

export type WaterCar = {
  deviceId: string;
  car: string | null;
  corr: string;
  status: 'sent' | 'confirmed' | 'flagged' | 'failed' | 'returned';
  confirmedAt: number | null;
};

export interface WaterData {
  cfg: WaterConfig;
  source: 'device' | 'manual';
  /** wet zones in the order they reported */
  zones: { zone: string; floor: number | null; near: WaterNear[]; at: number; cleared: boolean }[];
  location: string | null;
  /** sump pits: last reported level, and whether a pump has failed */
  pit: { name: string; levelCm: number | null; high: boolean; pumpsFailed: string[] } | null;
  /** the pump-failed-at-high-level escalation is raised once */
  pumpEmergency: boolean;
  /** declared severe weather in force when it opened (PROCEDURES.md §7) */
  weather: { incidentId: string; level: string | null } | null;
  lobbyFloor: number;
  /** every water zone of the building and what it is near (from the context at open: repeats carry none) */
  zoneMap: Record<string, { floor?: number; near: string[] }>;
  /** this building's cars (recall targets when water threatens them) */
  elevators: { deviceId: string; car: string | null }[];
  recall?: { sentAt: number; floor: number; cars: WaterCar[] };
  engineering?: { person: string; calledAt: number; dueAt: number; arrivedAt?: number; late?: boolean };
  stopped?: { measure: string; at: number };
  owners?: { floors: number[]; channel: string; noticeId: string | null; at: number };
  clearedAt?: number;
  propertyDamaged?: boolean;
  repair?: { cause: string; orderRef: string | null };
}

/** Facts the water procedure needs when it opens (services/water/context.ts). */
export interface WaterContext {
  lobbyFloor?: number;
  elevators?: { deviceId: string; car?: string }[];
  /** every water device's zone in the building with what it is near */
  zones?: Record<string, { floor?: number; near: string[] }>;
  /** an open severe-weather incident covering this building */
  weather?: { incidentId: string; level: string | null } | null;
}

export type WaterTypes = ProcedureTypes<
  { states: typeof WATER_STATES; steps: typeof WATER_STEPS; timers: typeof WATER_TIMERS; actions: typeof WATER_ACTIONS },
  typeof labels,
  WaterData,
  WaterContext
>;
type Ctx = EngineCtx<WaterTypes>;
const act = actionsOf<WaterTypes>();
const pending = (s: IncidentSnapshot, key: WaterStep) => s.steps.find((x) => x.key === key)?.status === 'pending';

const Name = z.string().trim().min(1).max(120);
const Floor = z.number().int().min(-10).max(300);
const LIVE = ['awaiting_ack', 'responding'] as const;

const ManualReport = z.object({
  floor: Floor,
  location: z.string().trim().min(1).max(500),
  source: z.enum(WATER_SOURCES).default('leak'),
  /** what the water is near (PROCEDURES.md §5.3): elevator shaft/pit, electrical room, pump room */
  near: z.array(z.enum(WATER_NEAR)).max(3).default([]),
  reportedBy: z.string().trim().max(120).optional(),
  notes: Notes,
});

const nearOf = (v: readonly string[] | undefined): WaterNear[] =>
  (v ?? []).filter((x): x is WaterNear => (WATER_NEAR as readonly string[]).includes(x));

function setTitle(ctx: Ctx): void {
  const z0 = ctx.data.zones[0];
  ctx.title(
    z0 ? { zone: z0.zone, floor: z0.floor } : ctx.data.pit ? { zone: ctx.data.pit.name, floor: null } : { location: ctx.data.location },
  );
}

/** Water threatens the cars or the electrics: the protect step becomes required (§5.3). */
function threatened(ctx: Ctx): WaterNear[] {
  return [...new Set(ctx.data.zones.flatMap((z) => z.near))];
}

function requireProtection(ctx: Ctx): void {
  const near = threatened(ctx);
  if (near.length === 0 || !pending(ctx.s, 'protect') || ctx.step('protect').required) return;
  ctx.setRequired('protect', true, { key: 'near_equipment', params: { near: near.map((n) => ({ key: `water_leak.value.${n}` })) } });
  // the hub proposes; a person decides (PROCEDURES.md §5.3 "a person confirms")
  if (near.includes('elevator') && ctx.data.elevators.length > 0)
    ctx.notify(['operator', 'supervisor'], 'propose_cars_out', { cars: ctx.data.elevators.length });
  ctx.log('hint', { hint: 'protect_equipment', near });
}

function addZone(ctx: Ctx, zone: string, floor: number | null, near: WaterNear[]): void {
  const z0 = ctx.data.zones.find((z) => z.zone === zone);
  if (z0) {
    z0.cleared = false;
    return;
  }
  ctx.data.zones.push({ zone, floor, near, at: ctx.now, cleared: false });
  if (floor !== null && (ctx.s.floor === null || floor < ctx.s.floor)) ctx.s.floor = floor;
}

/** PROCEDURES.md §5.3: a failed pump while a pit level is high escalates at once. */
function checkPumpEmergency(ctx: Ctx): void {
  const pit = ctx.data.pit;
  if (!pit || ctx.data.pumpEmergency || !pit.high || pit.pumpsFailed.length === 0) return;
  ctx.data.pumpEmergency = true;
  ctx.flag('pump_failed_high_water', ctx.s.deviceId, { pit: pit.name, levelCm: pit.levelCm });
  ctx.escalate('pump_failed_high_water', { pit: pit.name, levelCm: pit.levelCm, pumps: pit.pumpsFailed });
  ctx.notify(['operator', 'supervisor'], 'pump_failed_high_water', { pit: pit.name });
}

/** Apply one device event (opening or repeat) to the data. */
function applyEvent(ctx: Ctx, t: Extract<Trigger<WaterContext>, { source: 'device' }>, zones: WaterContext['zones']): void {
  const e = t.event;
  const data = ctx.data;
  if (e.type === 'water.leak') {
    addZone(ctx, e.data.zone, e.data.floor, nearOf(zones?.[e.data.zone]?.near));
  } else if (e.type === 'water.level_high') {
    data.pit ??= { name: e.data.pit, levelCm: null, high: false, pumpsFailed: [] };
    data.pit.levelCm = e.data.levelCm;
    data.pit.high = true;
    const z = zones?.[e.data.pit];
    if (z) addZone(ctx, e.data.pit, z.floor ?? null, nearOf(z.near));
    ctx.log('hint', { hint: 'pit_high', pit: e.data.pit, levelCm: e.data.levelCm });
    checkPumpEmergency(ctx);
  } else if (e.type === 'water.pump_failed') {
    data.pit ??= { name: t.deviceId, levelCm: null, high: false, pumpsFailed: [] };
    if (!data.pit.pumpsFailed.includes(e.data.pump)) data.pit.pumpsFailed.push(e.data.pump);
    ctx.flag('pump_failed', t.deviceId, { pump: e.data.pump });
    checkPumpEmergency(ctx);
  }
  requireProtection(ctx);
}

function sendRecall(ctx: Ctx): void {
  const data = ctx.data;
  const wet = data.zones.map((z) => z.floor).filter((f): f is number => f !== null);
  // "recall to a floor above the water" (PROCEDURES.md §5.3): the lobby unless the water is at or above it
  const top = wet.length ? Math.max(...wet) : null;
  const floor = top !== null && top >= data.lobbyFloor ? top + 1 : data.lobbyFloor;
  const expiryMs = data.cfg.recallExpiryMs;
  const cars: WaterCar[] = [];
  for (const e of data.elevators) {
    const corr = ctx.corr('wr');
    cars.push({ deviceId: e.deviceId, car: e.car, corr, status: 'sent', confirmedAt: null });
    ctx.effect({
      type: 'send_command',
      corr,
      target: { deviceId: e.deviceId },
      name: 'recall',
      data: { floor },
      expiresAt: ctx.now + expiryMs,
      expiryMs,
    });
    ctx.effect({ type: 'device_service', deviceId: e.deviceId, inService: false, reason: 'water leak: car parked above the water' });
  }
  data.recall = { sentAt: ctx.now, floor, cars };
  ctx.startTimer('recall_confirm', data.cfg.recallConfirmMs);
  ctx.setRequired('elevators_returned', true, 'cars_out');
}

function confirmCar(ctx: Ctx, car: WaterCar, how: string): void {
  if (car.status === 'confirmed' || car.status === 'returned') return;
  car.status = 'confirmed';
  car.confirmedAt = ctx.now;
  ctx.log('confirmation', { what: 'recall', deviceId: car.deviceId, how });
  const r = ctx.data.recall!;
  if (r.cars.every((c) => c.status === 'confirmed' || c.status === 'returned')) {
    ctx.cancelTimer('recall_confirm');
    if (pending(ctx.s, 'protect') && !threatened(ctx).some((n) => n !== 'elevator'))
      ctx.done('protect', { by: 'system', data: { cars: r.cars.map((c) => c.deviceId), floor: r.floor } });
  }
}

function maybeClose(ctx: Ctx, notes: string): void {
  const missing = ctx.pendingRequired();
  if (missing.length) ctx.fail('HUB_ERR_CONFLICT', 'steps_pending', { steps: missing });
  ctx.close('closed', notes ? said(notes) : 'complete');
  ctx.dutyLog('closed', { damaged: ctx.data.propertyDamaged ? 1 : 0 });
  // PROCEDURES.md §5.6: special report when property was damaged
  if (ctx.data.propertyDamaged) ctx.effect({ type: 'special_report', incidentId: ctx.s.id });
}

/** Where the cause is, for the work order: the caller's words, else the wet zones and floor. */
function repairLocation(s: IncidentSnapshot, data: WaterData): string {
  if (data.location) return data.location.slice(0, 200);
  const zones = data.zones.map((z) => z.zone).join(', ');
  return (s.floor !== null ? `${s.floor}F ${zones}` : zones).trim().slice(0, 200);
}

/**
 * PROCEDURES.md §5.5 → §8: the cause becomes a repair work order someone is accountable for,
 * linked both ways through the same path a device fault uses (services/devices/machine.ts
 * openWorkOrder): the engine logs `linked_incident` here, the order keeps this incident as
 * its parent. No device id travels with it — the leak cable only saw the water; the order is
 * for the pipe, and must not merge into the cable's own device work order. Recording the cause
 * again adds to the same open order (services/repair/machine.ts dedupKeyFor).
 */
function openRepairOrder(ctx: Ctx, cause: string, category: WaterRepairCategory, location: string): void {
  ctx.effect({
    type: 'open_linked_incident',
    kind: 'repair',
    dedupKey: `incident:${ctx.s.id}`,
    parentId: ctx.s.id,
    trigger: {
      source: 'linked',
      siteId: ctx.s.siteId,
      buildingId: ctx.s.buildingId,
      parentId: ctx.s.id,
      parentKind: 'water_leak',
      payload: { category, location, floor: ctx.s.floor, description: cause } satisfies LinkedFinding,
    },
  });
}

const actions: Record<WaterAction, ReturnType<typeof act>> = {
  acknowledge: act({
    roles: CONTROL_ROLES,
    states: ['awaiting_ack'],
    step: 'acknowledge',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.cancelTimer('ack');
      ctx.done('acknowledge', { notes: p.notes });
      ctx.to('responding', 'acknowledged');
    },
  }),
  dispatch_engineering: act({
    roles: CONTROL_ROLES,
    states: LIVE,
    step: 'dispatch_engineering',
    available: (s) => pending(s, 'dispatch_engineering'),
    payload: z.object({ person: Name, phone: z.string().max(32).optional(), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 002 §3(三): 通知工程部关闭阀门/启动水泵 — who, when; on site in 15 min (§5.2)
      const dueAt = ctx.now + ctx.data.cfg.engineeringArrivalMs;
      ctx.data.engineering = { person: p.person, calledAt: ctx.now, dueAt };
      ctx.done('dispatch_engineering', { notes: p.notes, data: { person: p.person, phone: p.phone ?? null, dueAt } });
      ctx.startTimerAt('engineering_arrival', dueAt);
    },
  }),
  record_engineering_on_site: act({
    roles: CONTROL_ROLES,
    states: LIVE,
    step: 'engineering_on_site',
    available: (s) => pending(s, 'engineering_on_site'),
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      const e = ctx.data.engineering;
      if (!e) ctx.fail('HUB_ERR_CONFLICT', 'dispatch_first');
      e.arrivedAt = ctx.now;
      e.late = ctx.now > e.dueAt;
      ctx.cancelTimer('engineering_arrival');
      const minutes = Math.round((ctx.now - e.calledAt) / 60_000);
      ctx.done('engineering_on_site', { notes: p.notes, data: { minutes, late: e.late } });
      if (e.late) ctx.flag('engineering_late', null, { minutes });
    },
  }),
  record_water_stopped: act({
    roles: CONTROL_ROLES,
    states: LIVE,
    step: 'stop_water',
    payload: z.object({
      measure: z.enum(['valve_closed', 'pumps_started', 'both', 'other']),
      location: z.string().trim().max(500).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      ctx.data.stopped = { measure: p.measure, at: ctx.now };
      ctx.done('stop_water', { redo: true, notes: p.notes, data: { measure: p.measure, location: p.location ?? null } });
    },
  }),
  take_cars_out_of_service: act({
    roles: CONTROL_ROLES,
    states: LIVE,
    step: 'protect',
    // the hub proposed it; a person confirms (PROCEDURES.md §5.3)
    available: (_s, data) => !data.recall && data.elevators.length > 0,
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      sendRecall(ctx);
      ctx.log('approval', { what: 'cars_out_of_service', floor: ctx.data.recall!.floor }, p.notes ? said(p.notes) : null);
      ctx.dutyLog('cars_out', { cars: ctx.data.recall!.cars.length, floor: ctx.data.recall!.floor });
    },
  }),
  confirm_car_recalled: act({
    roles: CONTROL_ROLES,
    states: LIVE,
    available: (_s, data) => Boolean(data.recall?.cars.some((c) => c.status !== 'confirmed' && c.status !== 'returned')),
    payload: z.object({ deviceId: z.string().min(1).max(64), notes: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      // a person saw the car parked (it never answered on MQTT)
      const car = ctx.data.recall?.cars.find((c) => c.deviceId === p.deviceId);
      if (!car) ctx.fail('HUB_ERR_BAD_REQUEST', 'not_recalled', { deviceId: p.deviceId });
      confirmCar(ctx, car, 'manual');
      ctx.log('note', { deviceId: p.deviceId }, said(p.notes));
    },
  }),
  record_protection: act({
    roles: CONTROL_ROLES,
    states: LIVE,
    step: 'protect',
    available: (s) => pending(s, 'protect'),
    payload: z.object({
      measures: z
        .array(z.enum(['power_isolated', 'sandbags', 'pumps_moved', 'cars_parked', 'other']))
        .min(1)
        .max(5),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      // cars still waiting for their recall are not protected yet
      if (ctx.data.recall?.cars.some((c) => c.status === 'sent')) ctx.fail('HUB_ERR_CONFLICT', 'cars_unconfirmed');
      ctx.done('protect', { notes: p.notes, data: { measures: p.measures } });
    },
  }),
  record_owners_notified: act({
    roles: [...CONTROL_ROLES, 'frontdesk'],
    states: [...LIVE, 'cleared'],
    step: 'notify_owners',
    available: (s) => pending(s, 'notify_owners'),
    // PROCEDURES.md §5.4: units on the wet floor and below
    defaults: (s) => ({ floors: s.floor !== null && s.floor >= 1 ? Array.from({ length: s.floor }, (_, i) => s.floor! - i) : [] }),
    payload: z.object({
      floors: z.array(Floor).max(300),
      channel: z.enum(['resident_notice', 'phone', 'in_person', 'group_chat']),
      /** the resident notice sent through the notification channels (POST /api/notices) */
      noticeId: z.string().min(1).max(64).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      if (p.channel === 'resident_notice' && !p.noticeId) ctx.fail('HUB_ERR_BAD_REQUEST', 'notice_id_needed');
      ctx.data.owners = { floors: p.floors, channel: p.channel, noticeId: p.noticeId ?? null, at: ctx.now };
      ctx.done('notify_owners', { notes: p.notes, data: { floors: p.floors, channel: p.channel, noticeId: p.noticeId ?? null } });
    },
  }),
  confirm_cleared: act({
    roles: CONTROL_ROLES,
    states: ['responding'],
    step: 'cleared',
    payload: z.object({ propertyDamaged: z.boolean(), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 002 §3(三): water stopped first — "cleared" with water still running would be false
      if (!ctx.isDone('stop_water')) ctx.fail('HUB_ERR_CONFLICT', 'stop_first');
      const data = ctx.data;
      data.clearedAt = ctx.now;
      data.propertyDamaged = p.propertyDamaged;
      for (const z of data.zones) z.cleared = true;
      ctx.cancelTimer('engineering_arrival');
      ctx.done('cleared', { notes: p.notes, data: { propertyDamaged: p.propertyDamaged } });
      // PROCEDURES.md §5.6: photos and a special report when property was damaged
      if (p.propertyDamaged) ctx.setRequired('special_report', true, 'property_damaged');
      ctx.to('cleared', 'cleared');
      ctx.dutyLog('cleared', { damaged: p.propertyDamaged ? 1 : 0 });
    },
  }),
  return_elevator: act({
    roles: CONTROL_ROLES,
    states: ['cleared'],
    step: 'elevators_returned',
    available: (_s, data) => Boolean(data.recall?.cars.some((c) => c.status !== 'returned')),
    payload: z.object({ deviceId: z.string().min(1).max(64), notes: Notes }),
    run(ctx: Ctx, p) {
      const car = ctx.data.recall?.cars.find((c) => c.deviceId === p.deviceId);
      if (!car) ctx.fail('HUB_ERR_BAD_REQUEST', 'not_recalled', { deviceId: p.deviceId });
      if (car.status === 'returned') ctx.fail('HUB_ERR_CONFLICT', 'already_returned', { deviceId: p.deviceId });
      car.status = 'returned';
      ctx.effect({ type: 'device_service', deviceId: car.deviceId, inService: true, reason: 'returned to service after water leak' });
      ctx.log('confirmation', { what: 'returned_to_service', deviceId: car.deviceId }, p.notes ? said(p.notes) : null);
      if (ctx.data.recall!.cars.every((c) => c.status === 'returned'))
        ctx.done('elevators_returned', { data: { cars: ctx.data.recall!.cars.map((c) => c.deviceId) } });
    },
  }),
  record_repair_order: act({
    roles: CONTROL_ROLES,
    states: ['cleared'],
    step: 'repair_order',
    // the operator sees (and may correct) where the cause is before the order opens
    defaults: (s, data) => ({ category: 'plumbing', location: repairLocation(s, data) }),
    payload: z.object({
      cause: z.string().trim().min(1).max(2000),
      /** what kind of repair the cause needs (the work-order board's category) */
      category: z.enum(WATER_REPAIR_CATEGORIES).default('plumbing'),
      location: z.string().trim().max(200).optional(),
      /** a repair work order the desk already registered for this cause: linked by its number, none opened */
      orderRef: z.string().trim().max(64).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      // PROCEDURES.md §5.5: a repair work order (§8) is opened for the cause
      const location = p.location || repairLocation(ctx.s, ctx.data);
      ctx.data.repair = { cause: p.cause, orderRef: p.orderRef ?? null };
      ctx.done('repair_order', {
        redo: true,
        notes: p.notes,
        data: { cause: p.cause, category: p.category, location, orderRef: p.orderRef ?? null, opened: !p.orderRef },
      });
      if (!p.orderRef) openRepairOrder(ctx, p.cause, p.category, location);
      ctx.dutyLog('repair', { cause: p.cause });
    },
  }),
  file_report: act({
    roles: CONTROL_ROLES,
    states: ['cleared'],
    step: 'special_report',
    payload: SpecialReportPayload,
    run(ctx: Ctx, p) {
      // PROCEDURES.md §5.6: photos when property was damaged
      if (ctx.data.propertyDamaged && p.attachmentIds.length === 0) ctx.fail('HUB_ERR_BAD_REQUEST', 'report_needs_photos');
      ctx.done('special_report', { redo: true, notes: p.summary, data: { attachmentIds: p.attachmentIds } });
    },
  }),
  close: act({
    roles: MANAGER_ROLES,
    states: ['cleared'],
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      maybeClose(ctx, p.notes);
    },
  }),
};

export const waterProcedure = defineProcedure<WaterTypes>({
  kind: 'water_leak',
  states: WATER_STATES,
  finalStates: ['closed'],
  steps: WATER_STEPS.map((key) => ({
    key,
    required: !(key === 'protect' || key === 'elevators_returned' || key === 'special_report'),
  })),
  timers: WATER_TIMERS,
  unskippable: ['acknowledge', 'stop_water', 'cleared'],
  actions,
  specialReport: true,
  config: WaterConfig,
  manual: { roles: CONTROL_ROLES, payload: ManualReport },

  triggerFor(src: EventSource) {
    const t = src.event.type;
    return t === 'water.leak' || t === 'water.level_high' || t === 'water.pump_failed' ? src.buildingId : null;
  },
  // one water incident per building: a burst pipe wets several cables at once; later zones append
  dedupKeyFor(t) {
    return t.source === 'device' ? t.buildingId : null;
  },
  wants(s, src, data) {
    if (src.event.type === 'water.cleared') return src.buildingId === s.buildingId;
    return src.event.type === 'elevator.recalled' && Boolean(data.recall?.cars.some((c) => c.deviceId === src.deviceId));
  },

  open(ctx: Ctx, t) {
    const c = t.context ?? {};
    const data: WaterData = {
      cfg: ctx.config,
      source: t.source === 'manual' ? 'manual' : 'device',
      zones: [],
      location: null,
      pit: null,
      pumpEmergency: false,
      weather: c.weather ?? null,
      lobbyFloor: c.lobbyFloor ?? 1,
      zoneMap: c.zones ?? {},
      elevators: (c.elevators ?? []).map((e) => ({ deviceId: e.deviceId, car: e.car ?? null })),
    };
    ctx.init(data);
    if (t.source === 'device') {
      applyEvent(ctx, t, data.zoneMap);
    } else if (t.source === 'manual') {
      const p = t.payload as z.infer<typeof ManualReport>;
      data.location = p.location;
      addZone(ctx, p.location.slice(0, 64), p.floor, p.near);
      ctx.log('note', { reportedBy: p.reportedBy ?? null, source: p.source }, p.notes ? said(p.notes) : null);
      requireProtection(ctx);
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    }
    // PROCEDURES.md §7: water incidents open one severity higher while a severe weather warning is in force
    if (data.weather) {
      ctx.s.severity += WEATHER_SEVERITY_STEP;
      ctx.log('hint', { hint: 'severe_weather', weatherIncidentId: data.weather.incidentId, level: data.weather.level });
    }
    setTitle(ctx);
    ctx.notify(['operator', 'supervisor'], 'incident_opened', { kind: 'water_leak', floor: ctx.s.floor });
    // PROCEDURES.md §5.1: acknowledge within 60 s
    ctx.startTimer('ack', data.cfg.ackMs);
  },

  onRepeat(ctx: Ctx, t) {
    if (t.source !== 'device') return;
    const before = ctx.data.zones.length;
    applyEvent(ctx, t, ctx.data.zoneMap);
    if (ctx.data.zones.length > before) {
      ctx.notify(['operator'], 'leak_spreading', { zones: ctx.data.zones.length });
      // water returning after "cleared" reopens the response
      if (ctx.s.state === 'cleared') {
        const st = ctx.step('cleared');
        st.status = 'pending';
        st.doneBy = null;
        st.doneAt = null;
        ctx.to('responding', 'water_again');
      }
    }
  },

  onEvent(ctx: Ctx, input) {
    const e = input.event;
    if (e.type === 'water.cleared') {
      const z = ctx.data.zones.find((x) => x.zone === e.data.zone);
      if (z) z.cleared = true;
      // PROCEDURES.md §5.5: the sensor only suggests it; a person confirms
      if (ctx.data.zones.every((x) => x.cleared) && ctx.s.state === 'responding') {
        ctx.log('hint', { hint: 'cleared_suggested', zone: e.data.zone });
        ctx.notify(['operator'], 'cleared_suggested', { zone: e.data.zone });
      }
    } else if (e.type === 'elevator.recalled') {
      const car = ctx.data.recall?.cars.find((c) => c.deviceId === input.deviceId);
      if (car) confirmCar(ctx, car, 'arrived');
    }
  },

  onCommandResult(ctx: Ctx, input) {
    const car = ctx.data.recall?.cars.find((c) => c.corr === input.corr);
    if (!car) return;
    if (input.ok) confirmCar(ctx, car, 'command_ok');
    else if (car.status === 'sent') {
      car.status = 'failed';
      ctx.flag('recall_failed', car.deviceId, { expired: input.expired ?? false });
    }
  },

  onTimer(ctx: Ctx, key) {
    const data = ctx.data;
    if (key === 'ack') {
      ctx.escalate('ack_overdue', { targetMs: data.cfg.ackMs });
    } else if (key === 'engineering_arrival') {
      ctx.escalate('engineering_overdue', { person: data.engineering?.person ?? null, targetMs: data.cfg.engineeringArrivalMs });
    } else if (key === 'recall_confirm') {
      const late = data.recall?.cars.filter((c) => c.status === 'sent') ?? [];
      for (const c of late) {
        c.status = 'flagged';
        ctx.flag('recall_unconfirmed', c.deviceId, { car: c.car });
      }
      if (late.length) ctx.notify(['operator', 'supervisor'], 'recall_unconfirmed', { cars: late.map((c) => c.deviceId) });
    }
  },
});
