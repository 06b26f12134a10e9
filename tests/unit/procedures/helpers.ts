// Test harness for the pure procedure engine: a fake clock (plain numbers) and a small
// simulator that feeds inputs, fires due timers and collects timeline + effects.
import { expect } from 'vitest';
import type { DeviceClass, IncidentKind, OnlineState, Role } from '../../../contracts/domain.js';
import type { DeviceEvent } from '../../../contracts/mqtt.js';
import {
  dueTimers,
  isFailure,
  ProcedureEngine,
  type EventSource,
  type RoutePlan,
  ProcedureRegistry,
  type Effect,
  type ErrorCode,
  type IncidentSnapshot,
  type Input,
  type OpenOptions,
  type Result,
  type Success,
  type TimelineItem,
  type Trigger,
} from '../../../services/core/procedure/index.js';
import { procedureModules } from '../../../services/hub/procedures.js';
import { recordsCatalog } from '../../../services/records/labels.js';

/** The engine with the procedures the hub runs (the composition root's list). */
export const registry = new ProcedureRegistry(procedureModules(), [recordsCatalog()]);
export const engine = new ProcedureEngine(registry);
export const open = (kind: IncidentKind, trigger: Trigger, now: number, opts: OpenOptions): Result => engine.open(kind, trigger, now, opts);
export const decide = (s: IncidentSnapshot, input: Input, now: number): Result => engine.decide(s, input, now);
export const allowedActions = (s: IncidentSnapshot, role: Role) => engine.allowedActions(s, role);
export const routeDeviceEvent = (src: EventSource, incidents: readonly IncidentSnapshot[], now: number) =>
  engine.routeDeviceEvent(src, incidents, now);
export const routeDeviceStatus = (deviceId: string, state: OnlineState, incidents: readonly IncidentSnapshot[]) =>
  engine.routeDeviceStatus(deviceId, state, incidents);
export const triggerKindFor = (src: EventSource) => engine.triggerKindFor(src);
/** Where a trigger goes (the plan; a refusal fails the test — use tryPlanTrigger to expect one). */
export function planTrigger(...args: Parameters<ProcedureEngine['planTrigger']>): RoutePlan {
  const p = engine.planTrigger(...args);
  if (isFailure(p)) throw new Error(`expected a plan, got ${p.code}: ${p.message}`);
  return p;
}
export const tryPlanTrigger = (...args: Parameters<ProcedureEngine['planTrigger']>) => engine.planTrigger(...args);
/** Facts a procedure's context loader would find (typed per procedure in its machine.ts). */
export type OpenContext = object;
/** A duty-log effect's key without its namespace (`fire_alarm.duty.call_119` → `call_119`). */
export const shortKey = (key: string) => key.split('.').pop()!;
/** A duty-log effect as a reader sees it. */
export const dutyText = (e: { key: string; params: Record<string, unknown> }, locale: 'zh-CN' | 'en' = 'zh-CN') =>
  registry.catalog.dutyText(e, locale);

/** Monday 2025-01-06 10:00 China Standard Time. */
export const T0 = Date.UTC(2025, 0, 6, 2, 0, 0);
export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;

export const operator = { id: 'op-1', role: 'operator' as Role };
export const frontdesk = { id: 'fd-1', role: 'frontdesk' as Role };
export const supervisor = { id: 'sup-1', role: 'supervisor' as Role };
export const admin = { id: 'adm-1', role: 'admin' as Role };

let evSeq = 0;
export function ev<T extends DeviceEvent['type']>(type: T, data: Extract<DeviceEvent, { type: T }>['data'], ts = T0): DeviceEvent {
  evSeq++;
  return { v: 1, id: `ev-${evSeq}`, ts, type, data } as DeviceEvent;
}

export function deviceTrigger(
  deviceId: string,
  deviceClass: DeviceClass,
  event: DeviceEvent,
  context?: OpenContext,
  buildingId = 'bldg-a',
): Trigger {
  return { source: 'device', siteId: 'site-1', buildingId, deviceId, deviceClass, event, ...(context ? { context } : {}) };
}

export function must(r: Result): Success {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r;
}

export function expectErr(r: Result, code: ErrorCode, msg?: RegExp): void {
  expect(r.ok, r.ok ? 'expected an error' : '').toBe(false);
  if (!r.ok) {
    expect(r.code).toBe(code);
    if (msg) expect(r.message).toMatch(msg);
  }
}

let idSeq = 0;

/** A running incident under a fake clock. */
export class Sim {
  s: IncidentSnapshot;
  now: number;
  timeline: TimelineItem[] = [];
  effects: Effect[] = [];
  /** effects/timeline of the last successful step only */
  last: Success;

  constructor(kind: IncidentKind, trigger: Trigger, now = T0, config?: Record<string, unknown>) {
    idSeq++;
    this.now = now;
    this.last = must(open(kind, trigger, now, { id: `inc-${idSeq}`, ...(config ? { config } : {}) }));
    this.s = this.last.next;
    this.timeline.push(...this.last.timeline);
    this.effects.push(...this.last.effects);
  }

  static manual(
    kind: IncidentKind,
    actor: { id: string; role: Role },
    payload: unknown,
    context?: OpenContext,
    config?: Record<string, unknown>,
  ): Sim {
    return new Sim(
      kind,
      { source: 'manual', siteId: 'site-1', buildingId: 'bldg-a', actor, payload, ...(context ? { context } : {}) },
      T0,
      config,
    );
  }

  try(input: Input): Result {
    return decide(this.s, input, this.now);
  }

  apply(input: Input): Success {
    const r = must(this.try(input));
    this.s = r.next;
    this.last = r;
    this.timeline.push(...r.timeline);
    this.effects.push(...r.effects);
    return r;
  }

  act(actor: { id: string; role: Role }, action: string, payload: unknown = {}): Success {
    return this.apply({ type: 'action', action, actor, payload });
  }

  tryAct(actor: { id: string; role: Role }, action: string, payload: unknown = {}): Result {
    return this.try({ type: 'action', action, actor, payload });
  }

  event(deviceId: string, event: DeviceEvent, deviceClass?: DeviceClass): Success {
    return this.apply({ type: 'device_event', deviceId, event, ...(deviceClass ? { deviceClass } : {}) });
  }

  /** Advance the fake clock, firing every timer that falls due on the way (in order). */
  advance(ms: number): Effect[] {
    const target = this.now + ms;
    const fired: Effect[] = [];
    for (;;) {
      const next = this.s.timers
        .filter((t) => t.status === 'running' && t.dueAt <= target && this.s.open)
        .sort((a, b) => a.dueAt - b.dueAt)[0];
      if (!next) break;
      this.now = Math.max(this.now, next.dueAt);
      for (const key of dueTimers(this.s, this.now)) {
        fired.push(...this.apply({ type: 'timer', key }).effects);
      }
    }
    this.now = target;
    return fired;
  }

  step(key: string) {
    const st = this.s.steps.find((x) => x.key === key);
    if (!st) throw new Error(`no step ${key}`);
    return st;
  }

  timer(key: string) {
    return this.s.timers.find((t) => t.key === key);
  }

  effectsOf<T extends Effect['type']>(type: T, from: Effect[] = this.effects): Extract<Effect, { type: T }>[] {
    return from.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
  }

  timelineOf(type: TimelineItem['type']): TimelineItem[] {
    return this.timeline.filter((t) => t.type === type);
  }
}
