// The link watcher's debounce deadlines (services/devices/link-watcher.ts) under a fake clock:
// with many guards pending — a site-wide outage — `nextCheckAt` is the earliest live deadline,
// a deadline that moves earlier or later or is cleared is followed, and `tick` opens faults
// for the due guards only, TICK_MAX at a time (issue 12, incident storm).
import { describe, expect, it } from 'vitest';
import type { BusEvents } from '../../services/core/bus.js';
import type { Trigger } from '../../services/core/procedure/types.js';
import { TICK_MAX, linkWatcher } from '../../services/devices/link-watcher.js';
import type { LinkPolicy } from '../../services/devices/machine.js';
import type { Watcher, WatcherApi } from '../../services/incidents/module.js';

function world(policy: LinkPolicy) {
  let now = 1_000_000;
  const opened: Array<{ deviceId: string; cause: string; at: number }> = [];
  const api = {
    deps: {
      now: () => now,
      log: { warn: () => undefined, error: () => undefined },
      registry: { get: (id: string) => ({ deviceId: id, site: 's', building: 'b', class: 'elevator' }) },
    },
    trigger: async (_kind: string, t: Trigger) => {
      if (t.source === 'link') opened.push({ deviceId: t.deviceId, cause: t.cause, at: now });
    },
    status: async () => undefined,
    system: async () => undefined,
    reschedule: () => undefined,
  } as unknown as WatcherApi;
  const w: Watcher = linkWatcher(api, policy);
  const status = (deviceId: string, state: 'online' | 'lost') =>
    w.onStatus!({
      device: { deviceId, site: 's', building: 'b', class: 'elevator' },
      state,
      ts: now,
      reason: 'test',
    } as BusEvents['device.status']);
  return {
    w,
    status,
    opened,
    advance: (ms: number) => (now += ms),
    get now() {
      return now;
    },
  };
}

describe('link watcher deadlines', () => {
  it('many devices drop: the next check is the earliest deadline, and a tick opens only the due ones', async () => {
    const policy: LinkPolicy = { offlineDebounceMs: 10_000, flapThreshold: 5, flapWindowMs: 600_000 };
    const t = world(policy);
    const t0 = t.now;
    for (let i = 0; i < 1000; i++) {
      await t.status(`el-${i}`, 'online');
      await t.status(`el-${i}`, 'lost');
      t.advance(10); // el-i's deadline is t0 + 10·i + 10 s
    }
    expect(t.w.nextCheckAt()).toBe(t0 + 10_000);
    // half-way through the deadlines: only the first 500 are due, opened TICK_MAX per tick
    // (each tick is its own job in the incident queue), earliest first
    t.advance(t0 + 10_000 + 4995 - t.now);
    await t.w.tick(t.now);
    expect(t.opened).toHaveLength(TICK_MAX);
    expect(t.w.nextCheckAt()).toBe(t0 + 10_000 + 10 * TICK_MAX); // the rest stay due: the next tick comes at once
    let ticks = 1;
    while ((t.w.nextCheckAt() ?? Infinity) <= t.now) {
      await t.w.tick(t.now);
      ticks++;
    }
    expect(ticks).toBe(Math.ceil(500 / TICK_MAX));
    expect(t.opened.map((o) => o.deviceId)).toEqual(Array.from({ length: 500 }, (_, i) => `el-${i}`));
    expect(t.opened.every((o) => o.cause === 'offline')).toBe(true);
    expect(t.w.nextCheckAt()).toBe(t0 + 10_000 + 5000);
    // a further tick at the same time opens nothing again
    await t.w.tick(t.now);
    expect(t.opened).toHaveLength(500);
  });

  it('a device back within the debounce clears its deadline; the next one takes its place', async () => {
    const t = world({ offlineDebounceMs: 10_000, flapThreshold: 5, flapWindowMs: 600_000 });
    await t.status('a', 'online');
    await t.status('b', 'online');
    await t.status('a', 'lost');
    const dueA = t.now + 10_000;
    t.advance(1000);
    await t.status('b', 'lost');
    const dueB = t.now + 10_000;
    expect(t.w.nextCheckAt()).toBe(dueA);
    await t.status('a', 'online'); // cleared
    expect(t.w.nextCheckAt()).toBe(dueB);
    await t.status('b', 'online');
    expect(t.w.nextCheckAt()).toBeNull();
    t.advance(60_000);
    await t.w.tick(t.now);
    expect(t.opened).toEqual([]);
  });

  it('a deadline moved later (dropped again after coming back) opens at the new time, not the old', async () => {
    const t = world({ offlineDebounceMs: 10_000, flapThreshold: 5, flapWindowMs: 600_000 });
    await t.status('a', 'online');
    await t.status('a', 'lost');
    const first = t.now + 10_000;
    t.advance(5000);
    await t.status('a', 'online');
    t.advance(1000);
    await t.status('a', 'lost');
    const later = t.now + 10_000;
    expect(t.w.nextCheckAt()).toBe(later);
    t.advance(first - t.now);
    await t.w.tick(t.now); // the old deadline: nothing (the device has been down 4 s only)
    expect(t.opened).toEqual([]);
    t.advance(later - t.now);
    await t.w.tick(t.now);
    expect(t.opened).toEqual([{ deviceId: 'a', cause: 'offline', at: later }]);
    expect(t.w.nextCheckAt()).toBeNull();
  });

  it('a deadline moved earlier (the debounce setting shortened meanwhile) opens at the earlier time, once', async () => {
    const policy: LinkPolicy = { offlineDebounceMs: 60_000, flapThreshold: 5, flapWindowMs: 600_000 };
    const t = world(policy);
    await t.status('a', 'online');
    await t.status('a', 'lost');
    const old = t.now + 60_000;
    t.advance(1000);
    await t.status('a', 'online');
    policy.offlineDebounceMs = 5000; // an admin shortens the debounce (settings are read live)
    await t.status('a', 'lost');
    const earlier = t.now + 5000;
    expect(earlier).toBeLessThan(old);
    expect(t.w.nextCheckAt()).toBe(earlier);
    t.advance(earlier - t.now);
    await t.w.tick(t.now);
    expect(t.opened).toEqual([{ deviceId: 'a', cause: 'offline', at: earlier }]);
    // the stale entry of the first drop opens nothing more when its time comes
    t.advance(old - t.now);
    expect(t.w.nextCheckAt()).toBeNull();
    await t.w.tick(t.now);
    expect(t.opened).toHaveLength(1);
  });
});
