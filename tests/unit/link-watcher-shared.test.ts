// Scale-out (docs/scale-out.md): the link guard and the heartbeat as two instances run them — a
// fake clock, an in-memory stand-in for the Redis store the hub gives them (hub.ts linkGuards),
// and the pure guard functions of services/devices/machine.ts underneath.
import { describe, expect, it } from 'vitest';
import type { BusEvents } from '../../services/core/bus.js';
import { heartbeatWatcher } from '../../services/devices/heartbeat.js';
import { linkWatcher, type SharedLinkGuards } from '../../services/devices/link-watcher.js';
import type { LinkGuard, LinkPolicy } from '../../services/devices/machine.js';
import type { WatcherApi } from '../../services/incidents/module.js';
import type { Trigger } from '../../services/core/procedure/types.js';

const POLICY: LinkPolicy = { offlineDebounceMs: 5000, flapThreshold: 3, flapWindowMs: 60_000 };
const device = { deviceId: 'fp-1', site: 's', building: 'b', class: 'fire-panel' as const };

function world() {
  let now = 1_000_000;
  const kv = new Map<string, string>();
  const shared: SharedLinkGuards = {
    load: async (id) => (kv.has(id) ? (JSON.parse(kv.get(id)!) as LinkGuard) : null),
    save: async (g) => void kv.set(g.deviceId, JSON.stringify(g)),
  };
  const opened: Array<{ on: string; trigger: Trigger }> = [];
  const statuses: Array<{ on: string; state: string }> = [];
  const lastSeen = new Map<string, number>();
  const api = (on: string): WatcherApi =>
    ({
      deps: {
        now: () => now,
        log: { warn: () => undefined, error: () => undefined },
        registry: {
          get: (id: string) => (id === device.deviceId ? device : undefined),
          all: () => [{ ...device, state: 'online', lastSeenAt: lastSeen.get(on) ?? null }],
        },
      },
      trigger: async (_kind: string, trigger: Trigger) => void opened.push({ on, trigger }),
      status: async (_id: string, state: string) => void statuses.push({ on, state }),
      reschedule: () => undefined,
    }) as unknown as WatcherApi;
  const status = (state: 'online' | 'offline' | 'lost'): BusEvents['device.status'] =>
    ({ device, state, ts: now, reason: 'test' }) as BusEvents['device.status'];
  return {
    shared,
    api,
    status,
    opened,
    statuses,
    lastSeen,
    advance: (ms: number) => (now += ms),
    get now() {
      return now;
    },
  };
}

describe('link guard shared between instances', () => {
  it('counts drops on every instance: three drops on three instances open one flapping fault', async () => {
    const w = world();
    const [a, b, c] = ['a', 'b', 'c'].map((n) => linkWatcher(w.api(n), POLICY, w.shared));
    for (const inst of [a, b, c]) {
      await inst!.onStatus!(w.status('online'));
      w.advance(1000);
      await inst!.onStatus!(w.status('lost'));
      w.advance(1000);
    }
    expect(w.opened.map((o) => [o.on, (o.trigger as { cause?: string }).cause])).toEqual([['c', 'flapping']]);
  });

  it('an offline deadline set where the device dropped is void once it came back on another instance', async () => {
    const w = world();
    const a = linkWatcher(w.api('a'), POLICY, w.shared);
    const b = linkWatcher(w.api('b'), POLICY, w.shared);
    await a.onStatus!(w.status('online'));
    await a.onStatus!(w.status('lost'));
    const due = a.nextCheckAt()!;
    w.advance(1000);
    await b.onStatus!(w.status('online')); // reconnected through the load balancer to B
    w.advance(due - w.now + 1);
    await a.tick(w.now);
    await b.tick(w.now);
    expect(w.opened).toEqual([]);
    expect(a.nextCheckAt()).toBeNull();
  });

  it('a device that is not life-safety keeps no guard: its statuses neither read nor write the shared store', async () => {
    const w = world();
    const calls: string[] = [];
    const counting: SharedLinkGuards = {
      load: (id) => (calls.push(`load ${id}`), w.shared.load(id)),
      save: (g, ttl) => (calls.push(`save ${g.deviceId}`), w.shared.save(g, ttl)),
    };
    const a = linkWatcher(w.api('a'), POLICY, counting);
    const intercom = { ...device, deviceId: 'ic-1', class: 'intercom' as const };
    for (const state of ['online', 'lost', 'online', 'lost', 'online', 'lost'] as const)
      await a.onStatus!({ device: intercom, state, ts: w.now, reason: 'test' } as BusEvents['device.status']);
    w.advance(POLICY.offlineDebounceMs + 1);
    await a.tick(w.now);
    expect(calls).toEqual([]);
    expect(a.nextCheckAt()).toBeNull();
    expect(w.opened).toEqual([]);
    // a fire panel's status still goes through the shared store
    await a.onStatus!(w.status('lost'));
    expect(calls).toEqual(['load fp-1', 'save fp-1']);
  });

  it('a device that stays down after dropping on A is reported by A, once', async () => {
    const w = world();
    const a = linkWatcher(w.api('a'), POLICY, w.shared);
    const b = linkWatcher(w.api('b'), POLICY, w.shared);
    await a.onStatus!(w.status('online'));
    await a.onStatus!(w.status('lost'));
    w.advance(POLICY.offlineDebounceMs + 1);
    await a.tick(w.now);
    await b.tick(w.now);
    expect(w.opened.map((o) => [o.on, (o.trigger as { cause?: string }).cause])).toEqual([['a', 'offline']]);
  });
});

describe('heartbeat judged by the instance holding the connection', () => {
  it('an instance that does not hold the device never calls it silent; the holder does', async () => {
    const w = world();
    let holder = 'a';
    const hb = (on: string) => heartbeatWatcher(w.api(on), { heartbeatMs: () => 10_000, owns: () => holder === on });
    const a = hb('a');
    const b = hb('b');
    // A sees the device's messages; B's registry copy only knows when it connected
    w.lastSeen.set('b', w.now);
    for (let i = 0; i < 6; i++) {
      w.advance(4000);
      w.lastSeen.set('a', w.now);
      await a.tick(w.now);
      await b.tick(w.now);
    }
    expect(w.opened).toEqual([]);
    // it moves to B and goes quiet there: B reports it, A (no longer the holder) does not
    holder = 'b';
    w.lastSeen.set('b', w.now);
    w.advance(11_000);
    await a.tick(w.now);
    await b.tick(w.now);
    expect(w.opened.map((o) => [o.on, (o.trigger as { cause?: string }).cause])).toEqual([['b', 'silent']]);
  });
});
