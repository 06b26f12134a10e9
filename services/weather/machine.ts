// Severe weather 特殊天气 — pure procedure (PROCEDURES.md §7; seed 000 §2.3.7; seed 004
// §5.2–5.4). A supervisor declares a warning (typhoon / rainstorm / cold wave, level, window)
// for a site or some of its buildings; its level may change while it is in force; the
// checklist is worked; the all-clear starts an inspection round whose findings become repair
// work orders. While it is open, water incidents in its buildings open one severity higher
// (services/water/context.ts reads `data.level` and `data.buildingIds`).
// Imports only types from the engine.
import { z } from 'zod';
import {
  actionsOf,
  defineProcedure,
  said,
  type Ctx as EngineCtx,
  type IncidentSnapshot,
  type ProcedureTypes,
  Notes,
  CONTROL_ROLES,
  MANAGER_ROLES,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';
import { WORK_ORDER_CATEGORIES } from '../../contracts/workorders.js';
import type { LinkedFinding } from '../repair/machine.js';

export const WEATHER_STATES = ['active', 'inspection', 'closed'] as const;
export type WeatherState = (typeof WEATHER_STATES)[number];

export const WEATHER_STEPS = [
  'sandbags',
  'drains_pumps',
  'outdoor_secured',
  'patrols_doubled',
  'residents_notified',
  'all_clear',
  'inspection_round',
] as const;
export type WeatherStep = (typeof WEATHER_STEPS)[number];

export const WEATHER_TIMERS = ['checklist', 'window_end'] as const;
export type WeatherTimer = (typeof WEATHER_TIMERS)[number];

export const WEATHER_ACTIONS = ['record_check', 'change_level', 'declare_all_clear', 'record_inspection', 'close'] as const;
export type WeatherAction = (typeof WEATHER_ACTIONS)[number];

export const WEATHER_TYPES = ['typhoon', 'rainstorm', 'cold_wave'] as const;
/** China Meteorological Administration warning colours, lowest first (气象灾害预警信号). */
export const WEATHER_LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export type WeatherLevel = (typeof WEATHER_LEVELS)[number];
/** board order: a red warning ranks with a fire-level emergency's neighbours, blue below a device fault */
export const LEVEL_SEVERITY: Record<WeatherLevel, number> = { blue: 35, yellow: 45, orange: 55, red: 65 };

const CHECKLIST = ['sandbags', 'drains_pumps', 'outdoor_secured', 'patrols_doubled', 'residents_notified'] as const;

export const WeatherConfig = z.object({
  /** the preparation checklist (sandbags, drains and pumps, outdoor objects, patrols, residents) done within this time, else escalated */
  checklistMs: z
    .number()
    .int()
    .positive()
    .default(2 * 60 * 60_000),
});
export type WeatherConfig = z.infer<typeof WeatherConfig>;

export interface WeatherData {
  cfg: WeatherConfig;
  type: (typeof WEATHER_TYPES)[number];
  level: WeatherLevel;
  /** [] = every building of the site */
  buildingIds: string[];
  from: number;
  until: number | null;
  levels: { level: WeatherLevel; at: number; by: string }[];
  /** the site's buildings when the warning opened (a site-wide warning's inspection may find things in any of them) */
  siteBuildingIds?: string[];
  allClearAt?: number;
  findings?: WeatherFinding[];
}

/** One thing the all-clear inspection round found (PROCEDURES.md §7) and the work order it became. */
export interface WeatherFinding {
  location: string;
  issue: string;
  /** absent on findings recorded before findings opened their own orders */
  building?: string;
  category?: (typeof WORK_ORDER_CATEGORIES)[number];
  /** an order the desk had registered already (linked by number); null = the hub opened one */
  orderRef: string | null;
  /** `f1`, `f2`, …: tells this finding's order apart from the warning's other orders (dedup key) */
  ref?: string;
}

/** Facts the warning needs when it opens (services/weather/context.ts). */
export interface WeatherContext {
  siteBuildingIds?: string[];
}

export type WeatherTypes = ProcedureTypes<
  { states: typeof WEATHER_STATES; steps: typeof WEATHER_STEPS; timers: typeof WEATHER_TIMERS; actions: typeof WEATHER_ACTIONS },
  typeof labels,
  WeatherData,
  WeatherContext
>;
type Ctx = EngineCtx<WeatherTypes>;
const act = actionsOf<WeatherTypes>();
const pending = (s: IncidentSnapshot, key: WeatherStep) => s.steps.find((x) => x.key === key)?.status === 'pending';

const Time = z.number().int().nonnegative();

const Declare = z.object({
  type: z.enum(WEATHER_TYPES),
  level: z.enum(WEATHER_LEVELS),
  /** the buildings it covers; none = the whole site */
  buildingIds: z.array(z.string().min(1).max(64)).max(100).default([]),
  from: Time.optional(),
  until: Time.optional(),
  notes: Notes,
});

function setLevel(ctx: Ctx, level: WeatherLevel): void {
  ctx.data.level = level;
  ctx.data.levels.push({ level, at: ctx.now, by: ctx.by });
  ctx.s.severity = LEVEL_SEVERITY[level];
  ctx.title({ type: { key: `severe_weather.value.${ctx.data.type}` }, level: { key: `severe_weather.value.${level}` } });
}

function setWindow(ctx: Ctx, until: number | null): void {
  ctx.data.until = until;
  if (until !== null && until > ctx.now) ctx.startTimerAt('window_end', until);
  else ctx.cancelTimer('window_end');
}

/** The buildings the warning covers: those listed (and the one it was declared for), else the whole site. */
function coveredBuildings(s: IncidentSnapshot, d: WeatherData): string[] {
  if (d.buildingIds.length) return [...new Set([s.buildingId, ...d.buildingIds])];
  return [...new Set([s.buildingId, ...(d.siteBuildingIds ?? [])])];
}

/**
 * A finding becomes a repair work order linked under the warning, through the same
 * open_linked_incident path a device fault uses (services/devices/machine.ts openWorkOrder):
 * `linked_incident` on this timeline, the warning as the order's parent.
 */
function openRepairOrder(ctx: Ctx, buildingId: string, f: Omit<LinkedFinding, 'floor'>): void {
  ctx.effect({
    type: 'open_linked_incident',
    kind: 'repair',
    dedupKey: `incident:${ctx.s.id}:${f.ref}`,
    parentId: ctx.s.id,
    trigger: {
      source: 'linked',
      siteId: ctx.s.siteId,
      buildingId,
      parentId: ctx.s.id,
      parentKind: 'severe_weather',
      payload: { ...f, floor: null } satisfies LinkedFinding,
    },
  });
}

const actions: Record<WeatherAction, ReturnType<typeof act>> = {
  record_check: act({
    roles: CONTROL_ROLES,
    states: ['active'],
    available: (s) => CHECKLIST.some((k) => pending(s, k)),
    payload: z.object({ item: z.enum(CHECKLIST), notes: Notes }),
    run(ctx: Ctx, p) {
      // seed 004 §5.2–5.4: 防汛沙袋、排水沟及集水井水泵、室外物品加固、加强巡查、通知住户
      if (!pending(ctx.s, p.item)) ctx.fail('HUB_ERR_CONFLICT', 'already_checked');
      ctx.done(p.item, { notes: p.notes });
      if (CHECKLIST.every((k) => !pending(ctx.s, k))) ctx.cancelTimer('checklist');
    },
  }),
  change_level: act({
    roles: MANAGER_ROLES,
    states: ['active'],
    payload: z.object({ level: z.enum(WEATHER_LEVELS), until: Time.optional(), notes: Notes }),
    run(ctx: Ctx, p) {
      const was = ctx.data.level;
      if (p.level === was && p.until === undefined) ctx.fail('HUB_ERR_CONFLICT', 'same_level');
      setLevel(ctx, p.level);
      if (p.until !== undefined) setWindow(ctx, p.until);
      ctx.log('outcome', { level: p.level, was }, p.notes ? said(p.notes) : null);
      ctx.notify(['operator', 'frontdesk', 'supervisor'], 'level_changed', { level: { key: `severe_weather.value.${p.level}` } });
      ctx.dutyLog('level_changed', { level: { key: `severe_weather.value.${p.level}` }, was: { key: `severe_weather.value.${was}` } });
    },
  }),
  declare_all_clear: act({
    roles: MANAGER_ROLES,
    states: ['active'],
    step: 'all_clear',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.data.allClearAt = ctx.now;
      ctx.cancelTimer('window_end');
      ctx.cancelTimer('checklist');
      ctx.done('all_clear', { notes: p.notes });
      // seed 000 §2.3.7: after the weather, inspect the estate; findings become repair orders
      ctx.to('inspection', 'all_clear');
      ctx.notify(['operator', 'supervisor'], 'inspection_due', {});
      ctx.dutyLog('all_clear', {});
    },
  }),
  record_inspection: act({
    roles: CONTROL_ROLES,
    states: ['inspection'],
    step: 'inspection_round',
    payload: z.object({
      findings: z
        .array(
          z.object({
            location: z.string().trim().min(1).max(200),
            issue: z.string().trim().min(1).max(2000),
            category: z.enum(WORK_ORDER_CATEGORIES).default('other'),
            /** the building it is in, when the warning covers more than the one it was declared for */
            building: z.string().trim().min(1).max(64).optional(),
            /** a repair work order the desk already registered for it: linked by its number, none opened */
            orderRef: z.string().trim().max(64).optional(),
          }),
        )
        .max(100),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      const d = ctx.data;
      const covered = coveredBuildings(ctx.s, d);
      const stray = p.findings.find((f) => f.building && !covered.includes(f.building));
      if (stray) ctx.fail('HUB_ERR_BAD_REQUEST', 'finding_not_covered', { building: stray.building!, location: stray.location });
      const found = d.findings ?? [];
      const same = (a: WeatherFinding, b: { location: string; issue: string; building: string }) =>
        a.location === b.location && a.issue === b.issue && (a.building ?? ctx.s.buildingId) === b.building;
      let added = 0;
      for (const f of p.findings) {
        const building = f.building ?? ctx.s.buildingId;
        // the round recorded again: what was found before already has its order
        if (found.some((x) => same(x, { location: f.location, issue: f.issue, building }))) continue;
        const ref = `f${found.length + 1}`;
        found.push({ location: f.location, issue: f.issue, building, category: f.category, orderRef: f.orderRef ?? null, ref });
        added++;
        // PROCEDURES.md §7: the inspection's findings become repair work orders (§8)
        if (!f.orderRef) openRepairOrder(ctx, building, { category: f.category, location: f.location, description: f.issue, ref });
      }
      d.findings = found;
      ctx.done('inspection_round', { redo: true, notes: p.notes, data: { findings: found.length, added } });
      ctx.dutyLog('inspected', { findings: found.length });
    },
  }),
  close: act({
    roles: MANAGER_ROLES,
    states: ['inspection'],
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      const missing = ctx.pendingRequired();
      if (missing.length) ctx.fail('HUB_ERR_CONFLICT', 'steps_pending', { steps: missing });
      ctx.close('closed', p.notes ? said(p.notes) : 'complete');
      ctx.dutyLog('closed', { findings: ctx.data.findings?.length ?? 0 });
    },
  }),
};

export const weatherProcedure = defineProcedure<WeatherTypes>({
  kind: 'severe_weather',
  states: WEATHER_STATES,
  finalStates: ['closed'],
  steps: WEATHER_STEPS.map((key) => ({ key, required: true })),
  timers: WEATHER_TIMERS,
  unskippable: ['all_clear', 'inspection_round'],
  actions,
  config: WeatherConfig,
  // declared by a supervisor (PROCEDURES.md §7); an outside feed may come later
  manual: { roles: MANAGER_ROLES, payload: Declare },

  // one warning in force per site: declaring again changes it (level, window, buildings)
  dedupKeyFor(t) {
    return t.source === 'manual' ? t.siteId : null;
  },

  open(ctx: Ctx, t) {
    if (t.source !== 'manual') ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    const p = t.payload as z.infer<typeof Declare>;
    const from = p.from ?? ctx.now;
    if (p.until !== undefined && p.until <= from) ctx.fail('HUB_ERR_BAD_REQUEST', 'window_order');
    ctx.init({
      cfg: ctx.config,
      type: p.type,
      level: p.level,
      buildingIds: [...new Set(p.buildingIds)],
      from,
      until: null,
      levels: [],
      ...(t.context?.siteBuildingIds ? { siteBuildingIds: t.context.siteBuildingIds } : {}),
    });
    setLevel(ctx, p.level);
    setWindow(ctx, p.until ?? null);
    if (p.notes) ctx.log('note', {}, said(p.notes));
    ctx.notify(['operator', 'frontdesk', 'supervisor'], 'incident_opened', { kind: 'severe_weather' });
    ctx.startTimer('checklist', ctx.data.cfg.checklistMs);
  },

  onRepeat(ctx: Ctx, t) {
    if (t.source !== 'manual') return;
    const p = t.payload as z.infer<typeof Declare>;
    if (ctx.s.state !== 'active') return;
    const was = ctx.data.level;
    if (p.level !== was) {
      setLevel(ctx, p.level);
      ctx.log('outcome', { level: p.level, was }, p.notes ? said(p.notes) : null);
      ctx.notify(['operator', 'frontdesk', 'supervisor'], 'level_changed', { level: { key: `severe_weather.value.${p.level}` } });
      ctx.dutyLog('level_changed', { level: { key: `severe_weather.value.${p.level}` }, was: { key: `severe_weather.value.${was}` } });
    }
    if (p.buildingIds.length === 0) ctx.data.buildingIds = [];
    else if (ctx.data.buildingIds.length) ctx.data.buildingIds = [...new Set([...ctx.data.buildingIds, ...p.buildingIds])];
    if (p.until !== undefined) setWindow(ctx, p.until);
  },

  onTimer(ctx: Ctx, key) {
    if (key === 'checklist') {
      const left = CHECKLIST.filter((k) => pending(ctx.s, k));
      if (left.length) ctx.escalate('checklist_overdue', { steps: left });
    } else if (key === 'window_end') {
      // the warning's window has passed: a supervisor declares the all-clear (or extends it)
      ctx.notify(['supervisor'], 'window_ended', {});
    }
  },
});
