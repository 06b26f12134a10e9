// Stored but not routed, single hub (docs/scale-out.md "Stored but not routed";
// services/devices/replay.ts): a run that stored and acknowledged an event and crashed before
// its incident queue routed it leaves the row stored under that run's id, after that run's routed
// watermark (EventRouting); the next start routes it, once, and nothing the earlier run routed.
// The scale-out test does the same across instances with a real SIGKILL.
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

it('routes an event a crashed earlier run left unrouted, once; what a run routed itself is not routed again', async () => {
  const fp = await provision(t, 'fp-replay', 'fire-panel');
  // a routed event: stored under this run's id, before its watermark once the fault is open
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
  await waitFor(() => t.hub.replay.unrouted === 0, 10_000, 'live-1 routed');
  const live = await t.hub.db.deviceEvent.findUnique({ where: { deviceId_eventId: { deviceId: fp.id, eventId: 'live-1' } } });
  expect(live?.storedBy).toMatch(/^local:/);
  // what a run killed between the PUBACK and the routing leaves behind (that run's id is not
  // ours): its watermark row, and an event stored after the watermark, plus one before it
  const crashed = 'local:1-deadbeef';
  const mark = new Date(Date.now() - 60_000);
  await t.hub.db.eventRouting.create({ data: { storedBy: crashed, routedBefore: mark } });
  const row = (eventId: string, code: string, receivedAt: Date) => ({
    deviceId: fp.id,
    eventId,
    type: 'fire.trouble',
    ts: receivedAt,
    receivedAt,
    data: { zone: code === 'T2' ? 'z2' : 'z9', code },
    storedBy: crashed,
  });
  await t.hub.db.deviceEvent.create({ data: row('crashed-1', 'T2', new Date()) });
  await t.hub.db.deviceEvent.create({ data: row('routed-before-crash', 'T9', new Date(mark.getTime() - 1000)) });
  await t.restart();
  const keys = await t.hub.db.incident.findMany({ where: { kind: 'device_fault', deviceId: fp.id }, select: { dedupKey: true } });
  expect(keys.map((k) => k.dedupKey).sort()).toEqual([`${fp.id}/trouble/z1`, `${fp.id}/trouble/z2`]);
  expect(t.hub.replay.replayed).toBe(1);
  // the crashed run's watermark is gone (replayed), and so is the cleanly stopped run's
  const marks = await t.hub.db.eventRouting.findMany({ select: { storedBy: true } });
  expect(marks.map((m) => m.storedBy)).not.toContain(crashed);
  expect(marks).toHaveLength(1); // this run's own
  // a further restart finds nothing to replay
  await t.restart();
  expect(t.hub.replay.replayed).toBe(0);
  expect(await faults(fp.id)).toHaveLength(2);
});
