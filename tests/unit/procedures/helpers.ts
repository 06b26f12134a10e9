// Test harness for the pure procedure engine: a fake clock (plain numbers) and a small
// simulator that feeds inputs, fires due timers and collects timeline + effects.
import { expect } from 'vitest';
import type { DeviceClass, IncidentKind, Role } from '../../../contracts/domain.js';
import type { DeviceEvent } from '../../../contracts/mqtt.js';
import {
  decide,
  dueTimers,
  open,
  type Effect,
  type ErrorCode,
  type IncidentSnapshot,
  type Input,
  type OpenContext,
  type Result,
  type Success,
  type TimelineItem,
  type Trigger,
} from '../../../services/core/procedure.js';

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
