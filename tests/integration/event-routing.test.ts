// How a stored device event reaches the incident procedures in one process (issue 12,
// IncidentService.routeStored): an event nothing wants is done at once when the incident queue
// is empty, without queueing a job; behind a queued job it waits its turn — that job may open
// the very incident it belongs to. Events are emitted as the hub emits a stored one (the bus's
// `device.event`), against a real hub and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ref } from '../../broker/index.js';
import type { EventType } from '../../contracts/mqtt.js';
import { provision, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let n = 0;

beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t);
  await provision(t, 'el-route-1', 'elevator');
  await provision(t, 'el-route-2', 'elevator');
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** emit a stored event as the hub does (accepted, then `device.event` once stored) */
function stored(deviceId: string, type: EventType, data: Record<string, unknown>) {
  const now = Date.now();
  const e = {
    device: ref(t.hub.registry.get(deviceId)!),
    event: { v: 1, id: `route-${++n}`, ts: now, type, data } as never,
    receivedAt: now,
  };
  t.hub.replay.accepted(e);
  t.hub.bus.emit('device.event', e);
}

const deviceEvents = async (id: string) => (await t.hub.incidents.get(id)).timeline.filter((x) => x.type === 'device_event').length;

describe('routing a stored device event', () => {
  it('an event right behind the one that opens its incident reaches that incident', async () => {
    // same tick: the entrapment's job (open) is queued, not run, when the next event arrives
    stored('el-route-1', 'elevator.entrapment', { car: '1', floor: 3 });
    stored('el-route-1', 'elevator.normal', { floor: 3, doors: 'open' });
    await t.hub.incidents.idle();
    const open = await t.hub.incidents.list({ state: 'open', kind: 'elevator_entrapment', limit: 10 });
    expect(open).toHaveLength(1);
    expect(await deviceEvents(open[0]!.id)).toBe(1);
    expect(t.hub.replay.unrouted).toBe(0);

    // the queue idle: an event the open incident wants is still routed to it
    stored('el-route-1', 'elevator.normal', { floor: 1, doors: 'closed' });
    await t.hub.incidents.idle();
    expect(await deviceEvents(open[0]!.id)).toBe(2);
    expect(t.hub.replay.unrouted).toBe(0);
  });

  it('with the queue idle, an event nothing wants is routed at once, not queued', async () => {
    await t.hub.incidents.idle();
    stored('el-route-2', 'elevator.normal', { floor: 2, doors: 'closed' });
    // routed during the emit: no job was queued for it
    expect(t.hub.replay.unrouted).toBe(0);
    const open = await t.hub.incidents.list({ state: 'open', limit: 50 });
    expect(open.filter((i) => i.kind === 'elevator_entrapment')).toHaveLength(1);
  });
});
