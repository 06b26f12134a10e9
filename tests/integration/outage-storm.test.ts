// An alarm during an outage storm (issue 12; services/incidents/queue.ts, link-watcher.ts
// TICK_MAX, IncidentService.tick): when many elevators drop at once, their device faults (and
// work orders) open over many ticks of the incident queue, and an entrapment reported meanwhile
// is routed between two of them — not after the whole storm. Link states are driven as the
// broker drives them (registry.setState, then the bus's `device.status`), the entrapment as the
// hub routes a stored event (the bus's `device.event`), against a real hub and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ref } from '../../broker/index.js';
import type { OnlineState } from '../../contracts/domain.js';
import { TICK_MAX } from '../../services/devices/link-watcher.js';
import { provision, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

const N = 6 * TICK_MAX; // the storm: six ticks' worth of faults
const DEBOUNCE_MS = 200;
let t: TestHub;
// the hub's clock: held still while the storm's devices drop, so every fault falls due at once
let clock = Date.now();

beforeAll(async () => {
  t = await startTestHub({ now: () => clock, linkPolicy: { offlineDebounceMs: DEBOUNCE_MS, flapThreshold: 5, flapWindowMs: 60_000 } });
  await seedPlace(t);
  for (let i = 0; i < N + 1; i += 10)
    await Promise.all(Array.from({ length: Math.min(10, N + 1 - i) }, (_, k) => provision(t, `el-storm-${i + k}`, 'elevator')));
}, 120_000);
afterAll(async () => {
  await t?.close();
});

describe('an outage storm', () => {
  it('an entrapment reported while the faults are opening is routed before the rest of them', async () => {
    const h = t.hub;
    const status = (id: string, state: OnlineState) => {
      const d = h.registry.get(id)!;
      const ts = clock;
      if (h.registry.setState(id, state, ts)) h.bus.emit('device.status', { device: ref(d), state, ts, reason: 'test' });
    };
    const storm = Array.from({ length: N }, (_, i) => `el-storm-${i}`);
    const trapped = `el-storm-${N}`; // not in the storm
    let faults = 0;
    let faultsWhenTrapped = -1;
    const owner = {};
    h.bus.on('incident.opened', owner, (v) => {
      if (v.kind === 'device_fault') faults++;
      if (v.kind === 'elevator_entrapment') faultsWhenTrapped = faults;
    });
    for (const id of [...storm, trapped]) status(id, 'online');
    for (const id of storm) status(id, 'lost');
    await h.incidents.idle(); // every drop seen, all with the same deadline
    clock += DEBOUNCE_MS + 1; // now all N are due in the same tick
    await waitFor(() => faults >= 1, 20_000, 'the first fault of the storm');
    const now = clock;
    h.bus.emit('device.event', {
      device: ref(h.registry.get(trapped)!),
      event: { v: 1, id: `trap-${now}`, ts: now, type: 'elevator.entrapment', data: { car: 'A', floor: 3 } },
      receivedAt: now,
    });
    await waitFor(() => faultsWhenTrapped >= 0, 30_000, 'the entrapment incident');
    await waitFor(() => faults >= N, 60_000, `all ${N} faults`);
    h.bus.removeListeners(owner);
    // routed within a tick or two of faults, not behind the rest of the storm
    expect(faultsWhenTrapped).toBeLessThanOrEqual(3 * TICK_MAX);
    expect(faults).toBe(N);
  }, 120_000);
});
