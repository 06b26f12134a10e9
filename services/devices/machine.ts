// Device fault 设备故障 — pure procedure + flapping guard (PROCEDURES.md "Device offline",
// §2 supervisory/trouble). A life-safety device (LIFE_SAFETY_CLASSES: fire panel, elevator
// controller) that stays offline past a debounce, or flaps repeatedly, opens a fault; a
// fire panel's `fire.supervisory` / `fire.trouble` opens a lower-severity fault per
// panel+zone. Back online / panel reset → `recovered` (suggests close).
// The guard functions are standalone and pure; services/devices/link-watcher.ts runs them.
import { z } from 'zod';
import { LIFE_SAFETY_CLASSES, type DeviceClass, type OnlineState } from '../../contracts/domain.js';
import {
  actionsOf,
  defineProcedure,
  said,
  type Ctx as EngineCtx,
  type EventSource,
  type ProcedureTypes,
  type Reason as EngineReason,
  Notes,
  CONTROL_ROLES,
} from '../core/procedure/index.js';
import type { labels } from './labels.js';

export const FAULT_STATES = ['open', 'acknowledged', 'recovered', 'closed'] as const;
export type FaultState = (typeof FAULT_STATES)[number];
export const FAULT_STEPS = ['acknowledge', 'dispatch_maintenance', 'resolve'] as const;
export type FaultStep = (typeof FAULT_STEPS)[number];
/**
 * No SLA timers are specified for faults (PROCEDURES.md); the debounce lives in the guard.
 * `settle`: a fault that recovered by itself before anyone acknowledged it closes once the
 * device has stayed well this long (review: drills that take devices up and down must not
 * leave a trail of open incidents on the board).
 */
export const FAULT_TIMERS = ['settle'] as const;
export type FaultTimer = (typeof FAULT_TIMERS)[number];
export const FAULT_ACTIONS = ['acknowledge', 'dispatch_maintenance', 'rule_cleared', 'close'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];
export const FAULT_CAUSES = [
  'offline',
  'flapping',
  /** connected but sent nothing for its class's heartbeat (PROCEDURES.md "Device health") */
  'silent',
  'trouble',
  'supervisory',
  /** `elevator.fault {code}` / `elevator.out_of_service` (PROCEDURES.md "Device health") */
  'elevator_fault',
  'out_of_service',
  /** a telemetry rule breached for its duration (PROCEDURES.md "Device health"; services/devices/rules.ts) */
  'rule',
  'manual',
] as const;
export type FaultCause = (typeof FAULT_CAUSES)[number];

export const FaultConfig = z.object({
  /** flapping guard: a re-trigger this soon after close is recorded on the closed incident, not reopened */
  reopenSuppressMs: z.number().int().nonnegative().default(120_000),
  /** close automatically when the device recovers after acknowledgement */
  autoCloseOnRecovery: z.boolean().default(false),
  /** recovered before anyone acknowledged it and stayed well this long → closed (`settle`) */
  settleCloseMs: z.number().int().positive().default(600_000),
  /** PROCEDURES.md §8: a device fault opens (or adds to) a repair work order someone is accountable for */
  openWorkOrder: z.boolean().default(true),
  /** the longest snooze (静音) a person may set on one fault (issue 14; an admin setting) */
  snoozeMaxMs: z
    .number()
    .int()
    .positive()
    .default(4 * 3_600_000),
});
export type FaultConfig = z.infer<typeof FaultConfig>;

/**
 * What a telemetry-rule fault records: the rule as it was when the breach was raised (a later
 * edit of the rule does not rewrite the incident) and the values seen.
 */
export const RuleBreach = z.object({
  ruleId: z.string(),
  name: z.string(),
  metric: z.string(),
  comparison: z.enum(['gt', 'gte', 'lt', 'lte', 'outside']),
  threshold: z.number().nullable(),
  low: z.number().nullable(),
  high: z.number().nullable(),
  durationSeconds: z.number(),
  hysteresis: z.number(),
  severity: z.enum(['low', 'medium', 'high']),
  /** the value when the breach was raised */
  value: z.number(),
});
export type RuleBreach = z.infer<typeof RuleBreach>;

/** A rule's severity on the board: around the device-fault level (contracts/domain.ts SEVERITY). */
export const RULE_SEVERITY: Record<RuleBreach['severity'], number> = { low: 35, medium: 40, high: 48 };

export interface FaultData {
  cfg: FaultConfig;
  cause: FaultCause;
  deviceClass: DeviceClass | null;
  zone: string | null;
  code: string | null;
  since: number;
  description: string;
  /** state to return to if the fault comes back while `recovered` */
  resumeState: 'open' | 'acknowledged' | null;
  recoveries: number;
  recurrences: number;
  /** cause `rule`: the rule and the breaching value (absent on faults opened before rules existed) */
  rule?: RuleBreach | null;
  /** cause `rule`: the value that cleared it last */
  clearedValue?: number | null;
}

export type FaultTypes = ProcedureTypes<
  { states: typeof FAULT_STATES; steps: typeof FAULT_STEPS; timers: typeof FAULT_TIMERS; actions: typeof FAULT_ACTIONS },
  typeof labels,
  FaultData
>;
type Ctx = EngineCtx<FaultTypes>;
const act = actionsOf<FaultTypes>();
type Reason = EngineReason<FaultTypes>;

const ManualReport = z.object({ deviceId: z.string().min(1).max(64), description: z.string().trim().min(1).max(2000) });

function setTitle(ctx: Ctx): void {
  ctx.title({
    device: ctx.s.deviceId ?? '?',
    cause: { key: `device_fault.value.${ctx.data.cause}` },
    zone: ctx.data.zone,
    rule: ctx.data.rule ? { text: ctx.data.rule.name } : null,
  });
}

/** causes that follow the device's link state (online → recovered, down again → back) */
const LINK_CAUSES: readonly FaultCause[] = ['offline', 'flapping', 'silent'];
type RecoverWhy = 'back_online' | 'panel_reset' | 'elevator_normal' | 'rule_cleared';

function recover(ctx: Ctx, why: RecoverWhy): void {
  const data = ctx.data;
  if (ctx.s.state === 'recovered') return;
  data.resumeState = ctx.s.state === 'acknowledged' ? 'acknowledged' : 'open';
  data.recoveries++;
  if (ctx.step('dispatch_maintenance').status === 'pending') ctx.setRequired('dispatch_maintenance', false, 'recovered_itself');
  ctx.to('recovered', why);
  // PROCEDURES.md "Device offline": back online resolves → suggest close to the operator
  ctx.log('hint', { hint: 'close_suggested' }, why);
  ctx.notify(['operator'], 'fault_recovered', { deviceId: ctx.s.deviceId });
  // nobody has taken it on: if the device stays well, the fault closes itself (no trail)
  if (!ctx.isDone('acknowledge')) ctx.startTimer('settle', data.cfg.settleCloseMs);
  if (data.cfg.autoCloseOnRecovery && ctx.isDone('acknowledge')) {
    ctx.done('resolve', { by: 'system', data: { auto: why } });
    ctx.close('closed', { key: 'auto_closed', params: { why: { key: `device_fault.reason.${why}` } } });
    ctx.dutyLog('closed', { resolution: { key: `device_fault.reason.${why}` } });
  }
}

function recur(ctx: Ctx, why: Reason): void {
  const data = ctx.data;
  if (ctx.s.state !== 'recovered') return;
  data.recurrences++;
  ctx.cancelTimer('settle');
  if (ctx.step('dispatch_maintenance').status === 'pending') ctx.setRequired('dispatch_maintenance', true, 'fault_back');
  ctx.to(data.resumeState ?? 'open', why);
}

/**
 * PROCEDURES.md §8: every device fault ends in a repair someone is accountable for — open (or
 * add to: one open order per device, services/repair/machine.ts dedupKeyFor) a `repair` work
 * order linked under this fault. The engine logs `linked_incident` here; the order keeps
 * this fault's id (linked both ways).
 */
function openWorkOrder(ctx: Ctx): void {
  const data = ctx.data;
  const deviceId = ctx.s.deviceId;
  if (!data.cfg.openWorkOrder || !deviceId) return;
  ctx.effect({
    type: 'open_linked_incident',
    kind: 'repair',
    dedupKey: `device:${deviceId}`,
    parentId: ctx.s.id,
    trigger: {
      source: 'linked',
      siteId: ctx.s.siteId,
      buildingId: ctx.s.buildingId,
      parentId: ctx.s.id,
      parentKind: 'device_fault',
      deviceId,
      payload: { cause: data.cause, code: data.code, zone: data.zone, deviceClass: data.deviceClass, description: data.description },
    },
  });
}

const actions: Record<FaultAction, ReturnType<typeof act>> = {
  acknowledge: act({
    roles: CONTROL_ROLES,
    states: ['open', 'recovered'],
    step: 'acknowledge',
    available: (s) => s.steps.find((x) => x.key === 'acknowledge')?.status === 'pending',
    payload: z.object({ notes: Notes }),
    run(ctx: Ctx, p) {
      ctx.done('acknowledge', { notes: p.notes });
      ctx.cancelTimer('settle');
      if (ctx.s.state === 'open') ctx.to('acknowledged', 'acknowledged');
      else ctx.data.resumeState = 'acknowledged';
    },
  }),
  dispatch_maintenance: act({
    roles: CONTROL_ROLES,
    states: ['open', 'acknowledged', 'recovered'],
    step: 'dispatch_maintenance',
    available: (s) => s.steps.find((x) => x.key === 'dispatch_maintenance')?.status === 'pending',
    payload: z.object({
      party: z.enum(['contractor', 'engineering', 'vendor']),
      person: z.string().trim().max(120).optional(),
      reference: z.string().trim().max(120).optional(),
      notes: Notes,
    }),
    run(ctx: Ctx, p) {
      ctx.done('dispatch_maintenance', {
        notes: p.notes,
        data: { party: p.party, person: p.person ?? null, reference: p.reference ?? null },
      });
    },
  }),
  /**
   * The hub's rule evaluator saw the value back inside by the hysteresis margin (PROCEDURES.md
   * "Device health"): recovered, close suggested — as a device back online. No person does this.
   */
  rule_cleared: act({
    roles: [],
    system: true,
    states: ['open', 'acknowledged'],
    available: (_s, data) => data.cause === 'rule',
    payload: z.object({ value: z.number() }),
    run(ctx: Ctx, p) {
      ctx.data.clearedValue = p.value;
      recover(ctx, 'rule_cleared');
    },
  }),
  close: act({
    roles: CONTROL_ROLES,
    states: ['acknowledged', 'recovered'],
    payload: z.object({ resolution: z.string().trim().min(1).max(2000) }),
    run(ctx: Ctx, p) {
      if (!ctx.isDone('acknowledge')) ctx.fail('HUB_ERR_CONFLICT', 'acknowledge_first');
      ctx.done('resolve', { notes: p.resolution });
      const missing = ctx.pendingRequired();
      if (missing.length) ctx.fail('HUB_ERR_CONFLICT', 'steps_pending', { steps: missing });
      ctx.close('closed', said(p.resolution));
      ctx.dutyLog('closed', { resolution: { text: p.resolution } });
    },
  }),
};

export const deviceFaultProcedure = defineProcedure<FaultTypes>({
  kind: 'device_fault',
  states: FAULT_STATES,
  finalStates: ['closed'],
  steps: FAULT_STEPS.map((key) => ({ key, required: true })),
  timers: FAULT_TIMERS,
  unskippable: ['acknowledge', 'resolve'],
  actions,
  config: FaultConfig,
  // a fault has no SLA target (PROCEDURES.md "Device health"): the control room may mute one
  // while the contractor is on the way (issue 14; life-safety kinds never: core/procedure/snooze.ts)
  snoozable: true,
  manual: { roles: CONTROL_ROLES, payload: ManualReport },

  triggerFor(src: EventSource) {
    return eventDedupKey(src.deviceId, src.event);
  },
  // one fault per device for its link health (offline, flapping and silent share it), one per
  // panel+zone for trouble/supervisory, one per car+code for elevator faults
  dedupKeyFor(t) {
    if (t.source === 'link') return `${t.deviceId}/link`;
    // one fault per device and rule: a breach of another rule is another condition
    if (t.source === 'rule') return `${t.deviceId}/rule/${t.ruleId}`;
    if (t.source === 'device') {
      const k = eventDedupKey(t.deviceId, t.event);
      if (k) return k;
    }
    if (t.source === 'manual') {
      const id = (t.payload as { deviceId?: unknown } | undefined)?.deviceId;
      return typeof id === 'string' ? `${id}/manual` : null;
    }
    return null;
  },
  reopenSuppressMs(_s, data) {
    return data.cfg?.reopenSuppressMs ?? 0;
  },
  // a link fault follows its device's link state: back online → recovered
  wantsStatus(s, deviceId, data) {
    return s.deviceId === deviceId && LINK_CAUSES.includes(data.cause);
  },
  wants(s, src, data) {
    if (src.deviceId !== s.deviceId) return false;
    // a panel reset clears its trouble/supervisory conditions
    if (src.event.type === 'fire.reset') return data.cause === 'trouble' || data.cause === 'supervisory';
    // the car reports normal operation again: its fault / out-of-service is cleared (recorded) —
    // once: a recovered fault does not take the car's further normal reports (each would be a
    // timeline entry and a write; a car sends them over and over, issue 12); a recurrence
    // (repeat_trigger → recur) reopens it and the next one counts again
    if (src.event.type === 'elevator.normal')
      return s.state !== 'recovered' && (data.cause === 'elevator_fault' || data.cause === 'out_of_service');
    return false;
  },

  open(ctx: Ctx, t) {
    const cfg = ctx.config;
    const data: FaultData = {
      cfg,
      cause: 'manual',
      deviceClass: null,
      zone: null,
      code: null,
      since: ctx.now,
      description: '',
      resumeState: null,
      recoveries: 0,
      recurrences: 0,
    };
    if (t.source === 'link') {
      data.cause = t.cause;
      data.deviceClass = t.deviceClass;
      data.since = t.since;
    } else if (t.source === 'rule') {
      const rule = RuleBreach.safeParse(t.payload);
      if (!rule.success) ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
      data.cause = 'rule';
      data.deviceClass = t.deviceClass;
      data.since = t.since;
      data.rule = rule.data;
      ctx.s.severity = RULE_SEVERITY[rule.data.severity];
    } else if (t.source === 'device') {
      const e = t.event;
      data.deviceClass = t.deviceClass;
      if (e.type === 'fire.trouble') {
        data.cause = 'trouble';
        data.zone = e.data.zone;
        data.code = e.data.code;
      } else if (e.type === 'fire.supervisory') {
        data.cause = 'supervisory';
        data.zone = e.data.zone;
      } else if (e.type === 'elevator.fault') {
        data.cause = 'elevator_fault';
        data.code = e.data.code;
      } else if (e.type === 'elevator.out_of_service') {
        data.cause = 'out_of_service';
      } else ctx.fail('HUB_ERR_BAD_REQUEST', 'not_fault_event', { event: e.type });
    } else if (t.source === 'manual') {
      const p = t.payload as z.infer<typeof ManualReport>;
      ctx.s.deviceId = p.deviceId;
      data.description = p.description;
    } else {
      ctx.fail('HUB_ERR_BAD_REQUEST', 'cannot_open');
    }
    ctx.init(data);
    setTitle(ctx);
    ctx.notify(['operator'], 'incident_opened', { kind: 'device_fault', deviceId: ctx.s.deviceId, cause: data.cause });
    openWorkOrder(ctx);
  },

  onStatus(ctx: Ctx, input) {
    if (input.state === 'online') recover(ctx, 'back_online');
    else recur(ctx, { key: 'link_again', params: { state: { key: `online.${input.state}` } } });
  },
  onEvent(ctx: Ctx, input) {
    if (input.event.type === 'fire.reset') recover(ctx, 'panel_reset');
    else if (input.event.type === 'elevator.normal') recover(ctx, 'elevator_normal');
  },
  onTimer(ctx: Ctx, key) {
    if (key !== 'settle' || ctx.s.state !== 'recovered' || ctx.isDone('acknowledge')) return;
    // recovered by itself and stayed well, nobody took it on: closed, the record kept
    const minutes = Math.round(ctx.data.cfg.settleCloseMs / 60_000);
    ctx.skip('acknowledge', { key: 'recovered_unattended', params: { minutes } });
    if (ctx.step('dispatch_maintenance').status === 'pending') ctx.skip('dispatch_maintenance', 'recovered_itself');
    ctx.done('resolve', { by: 'system', data: { auto: 'settled' } });
    ctx.close('closed', { key: 'recovered_unattended', params: { minutes } });
    ctx.dutyLog('closed', { resolution: { key: 'device_fault.reason.recovered_unattended', params: { minutes } } });
  },
  onRepeat(ctx: Ctx, t) {
    if (t.source === 'rule') {
      // the rule breached again (after clearing): the fault is back with the new value
      const rule = RuleBreach.safeParse(t.payload);
      if (rule.success) ctx.data.rule = rule.data;
      recur(ctx, 'rule_again');
      return;
    }
    recur(ctx, t.source === 'device' ? { key: 'event_again', params: { event: { key: `event.${t.event.type}` } } } : 'signalled_again');
  },
});

/** The dedup key of a device event that opens a fault, or null when it opens none. */
function eventDedupKey(deviceId: string, e: EventSource['event']): string | null {
  if (e.type === 'fire.trouble') return `${deviceId}/trouble/${e.data.zone}`;
  if (e.type === 'fire.supervisory') return `${deviceId}/supervisory/${e.data.zone}`;
  if (e.type === 'elevator.fault') return `${deviceId}/elevator_fault/${e.data.code}`;
  if (e.type === 'elevator.out_of_service') return `${deviceId}/out_of_service`;
  return null;
}

// ---------------------------------------------------------------------------------------
// Link flapping guard (pure, time-based; state kept per device by the caller)
// ---------------------------------------------------------------------------------------

export interface LinkPolicy {
  /** offline/lost must persist this long before a fault opens (keep-alive blips are absorbed) */
  offlineDebounceMs: number;
  /** this many drops within flapWindowMs open a `flapping` fault even if each blip is short */
  flapThreshold: number;
  flapWindowMs: number;
}
export const DEFAULT_LINK_POLICY: LinkPolicy = { offlineDebounceMs: 30_000, flapThreshold: 5, flapWindowMs: 10 * 60_000 };

export interface LinkGuard {
  deviceId: string;
  deviceClass: DeviceClass;
  online: boolean;
  offlineSince: number | null;
  /** when the caller must call linkTick (debounce deadline) */
  checkAt: number | null;
  /** recent drop times within the flap window */
  drops: number[];
  /** a fault was reported and the device has not recovered since */
  faultOpen: boolean;
}

export type LinkDecision =
  | { op: 'none'; reason: 'not_life_safety' | 'unchanged' | 'debounced' | 'waiting' | 'fault_already_open' }
  /** call linkTick at `at` (no setTimeout here: the caller schedules its own check) */
  | { op: 'check_at'; at: number }
  /** open (or dedup into) a device_fault with a `{source:'link', cause, since}` trigger */
  | { op: 'open_fault'; cause: 'offline' | 'flapping'; since: number }
  /** route `{type:'device_status', state:'online'}` to the open fault (routeDeviceStatus) */
  | { op: 'recovered'; downMs: number };

export function linkGuardInit(deviceId: string, deviceClass: DeviceClass, online = true): LinkGuard {
  return { deviceId, deviceClass, online, offlineSince: null, checkAt: null, drops: [], faultOpen: false };
}

export function isLifeSafety(cls: DeviceClass): boolean {
  return LIFE_SAFETY_CLASSES.includes(cls);
}

/** A status change (`status` channel, last will `lost`, keep-alive timeout → offline). */
export function onLinkStatus(
  g: LinkGuard,
  state: OnlineState,
  now: number,
  policy: LinkPolicy = DEFAULT_LINK_POLICY,
): { guard: LinkGuard; decision: LinkDecision } {
  const online = state === 'online';
  if (!isLifeSafety(g.deviceClass))
    return {
      guard: { ...g, online, offlineSince: online ? null : (g.offlineSince ?? now) },
      decision: { op: 'none', reason: 'not_life_safety' },
    };
  if (!online) {
    if (!g.online)
      return { guard: g, decision: g.checkAt !== null ? { op: 'check_at', at: g.checkAt } : { op: 'none', reason: 'unchanged' } };
    const drops = [...g.drops.filter((t) => now - t < policy.flapWindowMs), now];
    const base: LinkGuard = { ...g, online: false, offlineSince: now, drops };
    if (g.faultOpen) return { guard: { ...base, checkAt: null }, decision: { op: 'none', reason: 'fault_already_open' } };
    if (drops.length >= policy.flapThreshold) {
      return { guard: { ...base, checkAt: null, faultOpen: true }, decision: { op: 'open_fault', cause: 'flapping', since: drops[0]! } };
    }
    const at = now + policy.offlineDebounceMs;
    return { guard: { ...base, checkAt: at }, decision: { op: 'check_at', at } };
  }
  if (g.online) return { guard: g, decision: { op: 'none', reason: 'unchanged' } };
  const downMs = now - (g.offlineSince ?? now);
  const next: LinkGuard = { ...g, online: true, offlineSince: null, checkAt: null, faultOpen: false };
  return { guard: next, decision: g.faultOpen ? { op: 'recovered', downMs } : { op: 'none', reason: 'debounced' } };
}

/** The debounce deadline passed: still offline → open a fault. */
export function onLinkTick(g: LinkGuard, now: number): { guard: LinkGuard; decision: LinkDecision } {
  if (g.online || g.faultOpen || g.checkAt === null) return { guard: g, decision: { op: 'none', reason: 'unchanged' } };
  if (now < g.checkAt) return { guard: g, decision: { op: 'check_at', at: g.checkAt } };
  return {
    guard: { ...g, checkAt: null, faultOpen: true },
    decision: { op: 'open_fault', cause: 'offline', since: g.offlineSince ?? now },
  };
}
