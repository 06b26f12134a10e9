// Stored but not routed, single hub (docs/scale-out.md "Stored but not routed";
// services/devices/replay.ts): a run that stored and acknowledged an event and crashed before
// its incident queue routed it leaves the row marked with that run's id; the next start routes
// it, once. The scale-out test does the same across instances with a real SIGKILL.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IncidentView } from '../../contracts/incidents.js';
import { api, connectDevice, provision, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t);
});
afterAll(async () => {
  await t?.close();
});

const faults = async (deviceId: string) =>
  (await api<IncidentView[]>(t, 'GET', '/api/incidents?state=all&kind=device_fault')).body.filter((v) => v.deviceId === deviceId);

it('routes an event a crashed earlier run left unrouted, once; events it routed itself carry no mark', async () => {
  const fp = await provision(t, 'fp-replay', 'fire-panel');
  // a routed event: stored with this run's mark, cleared once the fault is open
  const c = await connectDevice(t, fp);
  await new Promise<void>((resolve, reject) =>
    c.publish(
      `bops/v1/site-1/bldg-1/fire-panel/${fp.id}/event`,
      JSON.stringify({ v: 1, id: 'live-1', ts: Date.now(), type: 'fire.trouble', data: { zone: 'z1', code: 'T1' } }),
      { qos: 1 },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
  c.end(true);
  await waitFor(async () => (await faults(fp.id)).length === 1, 10_000, 'fault from the live event');
  await waitFor(
    async () =>
      (await t.hub.db.deviceEvent.findUnique({ where: { deviceId_eventId: { deviceId: fp.id, eventId: 'live-1' } } }))?.pendingBy === null,
    10_000,
    'routed mark cleared',
  );
  // what a run killed between the PUBACK and the routing leaves behind (that run's id is not ours)
  await t.hub.db.deviceEvent.create({
    data: {
      deviceId: fp.id,
      eventId: 'crashed-1',
      type: 'fire.trouble',
      ts: new Date(),
      data: { zone: 'z2', code: 'T2' },
      pendingBy: 'local:1-deadbeef',
    },
  });
  await t.restart();
  const keys = await t.hub.db.incident.findMany({ where: { kind: 'device_fault', deviceId: fp.id }, select: { dedupKey: true } });
  expect(keys.map((k) => k.dedupKey).sort()).toEqual([`${fp.id}/trouble/z1`, `${fp.id}/trouble/z2`]);
  expect(t.hub.replay.replayed).toBe(1);
  const left = await t.hub.db.deviceEvent.count({ where: { deviceId: fp.id, pendingBy: { not: null } } });
  expect(left).toBe(0);
  // a further restart finds nothing to replay
  await t.restart();
  expect(t.hub.replay.replayed).toBe(0);
  expect(await faults(fp.id)).toHaveLength(2);
});
