// Power outage drill through the real broker (PROCEDURES.md §3): mains lost, no standby power
// within the target → generator-failure escalation; the elevator sweep opens an entrapment
// linked to the outage for a car stuck with people; a planned outage is not an emergency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { ElevatorSim } from '../../devices/simulators/elevator.js';
import type { PowerSim } from '../../devices/simulators/power.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { api, provision, seedPlace, startSims, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let sims: StartedDevice[];

beforeAll(async () => {
  t = await startTestHub({ incidentConfig: { power_outage: { standbyMs: 300 } } });
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  const pm = await provision(t, 'pm-1', 'power', 'bldg-1', 'site-1', { meta: { feeder: 'f-1' } });
  const pm2 = await provision(t, 'pm-2', 'power', 'bldg-2', 'site-1', { meta: { feeder: 'f-2' } });
  const e1 = await provision(t, 'el-1', 'elevator', 'bldg-1', 'site-1', { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], meta: { car: '1' } });
  const e2 = await provision(t, 'el-2', 'elevator', 'bldg-1', 'site-1', { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], meta: { car: '2' } });
  sims = await startSims(t, [pm, pm2, e1, e2], { elevator: { floorTravelMs: 40, doorMs: 40 }, power: { atsDelayMs: 50 } });
});
afterAll(async () => {
  await stopDevices(sims ?? []);
  await t?.close();
});

const incidents = async (kind: string) => (await api<IncidentView[]>(t, 'GET', `/api/incidents?state=all&kind=${kind}`)).body;

describe('power outage', () => {
  it('mains lost, no ATS in time → escalated as generator failure; a stuck car → linked entrapment', async () => {
    const pm = sims[0]!.sim as PowerSim;
    const stuck = sims[2]!.sim as ElevatorSim;
    const fine = sims[3]!.sim as ElevatorSim;
    void fine;
    // a car travelling with passengers when the power goes
    void stuck.goTo(9);
    await new Promise((r) => setTimeout(r, 60));
    await stuck.powerLoss({ trap: true });
    await pm.loseMains({ feeder: 'f-1', floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ats: 'none' });
    const outage = await waitFor(async () => (await incidents('power_outage'))[0], 5000, 'outage incident');
    expect(outage).toMatchObject({ building: 'bldg-1', severity: 60, deviceId: 'pm-1' });
    const escalated = await waitFor(
      async () => {
        const d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${outage.id}`)).body;
        return d.timeline.some((e) => e.type === 'escalated' && e.data.reason === 'generator_failure') ? d : null;
      },
      5000,
      'generator failure escalation',
    );
    expect(escalated.timers.find((x) => x.key === 'standby_power')?.status).toBe('fired');
    const ent = await waitFor(
      async () => (await incidents('elevator_entrapment')).find((i) => i.deviceId === 'el-1'),
      5000,
      'linked entrapment',
    );
    expect(ent.parentId).toBe(outage.id);
    const parent = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${outage.id}`)).body;
    expect(parent.children).toContain(ent.id);
    // only one entrapment for that car even though both the car and the sweep reported it
    expect((await incidents('elevator_entrapment')).filter((i) => i.deviceId === 'el-1' && i.open)).toHaveLength(1);
  });

  it('standby power within the target is recorded, no escalation', async () => {
    const pm2 = sims[1]!.sim as PowerSim;
    await pm2.loseMains({ feeder: 'f-2', ats: 'transfer', atsDelayMs: 30 });
    const o = await waitFor(async () => (await incidents('power_outage')).find((i) => i.building === 'bldg-2'), 5000, 'outage bldg-2');
    const d = await waitFor(
      async () => {
        const x = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${o.id}`)).body;
        return x.steps.find((k) => k.key === 'standby_power')?.status === 'done' ? x : null;
      },
      5000,
      'standby recorded',
    );
    expect(d.timers.find((k) => k.key === 'standby_power')?.status).not.toBe('fired');
    expect(d.timeline.some((e) => e.type === 'escalated' && e.data.reason === 'generator_failure')).toBe(false);
  });

  it('a mains loss inside a registered planned outage is a low-severity record, not an emergency', async () => {
    const now = Date.now();
    await seedPlace(t, 'site-1', ['bldg-3']);
    const pm3 = await provision(t, 'pm-3', 'power', 'bldg-3', 'site-1', { meta: { feeder: 'f-3' } });
    const [sim3] = await startSims(t, [pm3]);
    sims.push(sim3!);
    await t.hub.db.plannedOutage.create({
      data: {
        buildingId: 'bldg-3',
        feeder: 'f-3',
        startsAt: new Date(now - 60_000),
        endsAt: new Date(now + 3_600_000),
        noticeAt: new Date(now - 3 * 86_400_000),
        reason: '变压器检修',
        createdBy: 'test',
      },
    });
    await (sim3!.sim as PowerSim).loseMains({ feeder: 'f-3', ats: 'none' });
    const planned = await waitFor(
      async () => (await incidents('power_outage')).find((i) => i.building === 'bldg-3'),
      5000,
      'planned outage record',
    );
    expect(planned.severity).toBeLessThan(60);
    expect(planned.state).toBe('planned_in_progress');
    await new Promise((r) => setTimeout(r, 500)); // past the 300 ms standby target
    const d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${planned.id}`)).body;
    expect(d.timeline.some((e) => e.type === 'escalated')).toBe(false);
  });

  it('an entrapment already open when the power goes is adopted by the outage, not opened twice', async () => {
    await seedPlace(t, 'site-1', ['bldg-4']);
    const pm = await provision(t, 'pm-4', 'power', 'bldg-4', 'site-1', { meta: { feeder: 'f-4' } });
    const el = await provision(t, 'el-4', 'elevator', 'bldg-4', 'site-1', { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], meta: { car: '1' } });
    const started = await startSims(t, [pm, el], { elevator: { floorTravelMs: 40, doorMs: 40 } });
    sims.push(...started);
    await (started[1]!.sim as ElevatorSim).trap({ passengers: 2 });
    const ent = await waitFor(
      async () => (await incidents('elevator_entrapment')).find((i) => i.deviceId === 'el-4'),
      5000,
      'entrapment first',
    );
    expect(ent.parentId).toBeNull();
    await (started[0]!.sim as PowerSim).loseMains({ feeder: 'f-4', ats: 'none' });
    const outage = await waitFor(async () => (await incidents('power_outage')).find((i) => i.building === 'bldg-4'), 5000, 'outage bldg-4');
    const adopted = await waitFor(
      async () => {
        const d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${ent.id}`)).body;
        return d.parentId === outage.id ? d : null;
      },
      5000,
      'entrapment adopted by the outage',
    );
    expect(adopted.timeline.some((e) => e.type === 'repeat_trigger' && e.data.parentId === outage.id)).toBe(true);
    expect((await incidents('elevator_entrapment')).filter((i) => i.deviceId === 'el-4')).toHaveLength(1);
  });

  it('the sweep ignores an offline car’s last telemetry and says so: no recall to it, an in-person check asked', async () => {
    await seedPlace(t, 'site-1', ['bldg-5']);
    const pm = await provision(t, 'pm-5', 'power', 'bldg-5', 'site-1', { meta: { feeder: 'f-5' } });
    const live = await provision(t, 'el-5a', 'elevator', 'bldg-5', 'site-1', { floors: [1, 2, 3, 4, 5], meta: { car: 'A' } });
    const dark = await provision(t, 'el-5b', 'elevator', 'bldg-5', 'site-1', { floors: [1, 2, 3, 4, 5], meta: { car: 'B' } });
    const started = await startSims(t, [pm, live, dark], { elevator: { floorTravelMs: 40, doorMs: 40 } });
    sims.push(...started);
    // the dark car reported "at level, doors closed" and then lost its link
    await (started[2]!.sim as ElevatorSim).sendTelemetry();
    await waitFor(() => t.hub.registry.get('el-5b')?.lastTelemetry, 5000, 'telemetry of el-5b');
    await stopDevices([started[2]!]);
    await waitFor(() => t.hub.registry.get('el-5b')?.state !== 'online', 5000, 'el-5b offline');
    await (started[0]!.sim as PowerSim).loseMains({ feeder: 'f-5', ats: 'transfer', atsDelayMs: 20 });
    const outage = await waitFor(async () => (await incidents('power_outage')).find((i) => i.building === 'bldg-5'), 5000, 'outage bldg-5');
    const d = await waitFor(
      async () => {
        const x = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${outage.id}`)).body;
        return x.steps.find((k) => k.key === 'elevator_sweep')?.status === 'done' ? x : null;
      },
      5000,
      'sweep recorded',
    );
    expect(d.steps.find((k) => k.key === 'elevator_sweep')?.data).toMatchObject({ unknown: [{ deviceId: 'el-5b', why: 'offline' }] });
    expect(d.timeline.some((e) => e.type === 'hint' && e.data.hint === 'check_car_in_person' && e.data.deviceId === 'el-5b')).toBe(true);
    // the live car is recalled to the lobby; once the lobby return is done, the dark one got no command
    await waitFor(
      async () =>
        (await api<IncidentDetail>(t, 'GET', `/api/incidents/${outage.id}`)).body.steps.find((k) => k.key === 'lobby_return')?.status ===
        'done',
      5000,
      'lobby return done',
    );
    expect(await t.hub.db.deviceCommand.count({ where: { deviceId: 'el-5a', incidentId: outage.id } })).toBe(1);
    expect(await t.hub.db.deviceCommand.count({ where: { deviceId: 'el-5b' } })).toBe(0);
  });
});
