// Device health through the real broker (PROCEDURES.md "Device health"): a connected device
// that goes silent past its class's heartbeat opens a fault and its recovery is recorded; a
// fault nobody acknowledged closes itself once the device stays well (no trail of open
// incidents from drills); elevator.fault / out_of_service open one fault per car + code,
// repeats append, elevator.normal records the clearing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { ElevatorSim } from '../../devices/simulators/elevator.js';
import type { PowerSim } from '../../devices/simulators/power.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { api, provision, seedPlace, startSims, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
const sims: StartedDevice[] = [];
beforeAll(async () => {
  t = await startTestHub({
    // power meters: silent after 600 ms (the simulators report once a minute); others at their defaults
    heartbeatMs: { power: 600 },
    incidentConfig: { device_fault: { settleCloseMs: 1500 } },
  });
  await seedPlace(t);
});
afterAll(async () => {
  await stopDevices(sims);
  await t?.close();
});

const faults = async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?state=all&kind=device_fault')).body;
const detail = async (id: string) => (await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`)).body;

describe('device health', () => {
  it('a connected meter silent past its heartbeat opens a fault; talking again recovers it; unattended, it closes itself', async () => {
    const pm = await provision(t, 'pm-quiet', 'power');
    const [sim] = await startSims(t, [pm]);
    sims.push(sim!);
    await waitFor(() => t.hub.registry.get(pm.id)?.state === 'online', 5000, 'online');
    const f = await waitFor(async () => (await faults()).find((i) => i.deviceId === pm.id), 5000, 'silent fault');
    expect(f).toMatchObject({ open: true, data: expect.objectContaining({ cause: 'silent', deviceClass: 'power' }) });
    expect(t.hub.registry.get(pm.id)?.state).toBe('online'); // connected all along: silent, not offline
    await (sim!.sim as PowerSim).sendTelemetry();
    const rec = await waitFor(
      async () => {
        const d = await detail(f.id);
        return d.state === 'recovered' ? d : null;
      },
      5000,
      'recovered',
    );
    expect(rec.timeline.some((e) => e.type === 'device_status' && e.data.state === 'online')).toBe(true);
    // it keeps talking (as a healthy meter would) until the settle time passes → closed by itself
    const talk = setInterval(() => void (sim!.sim as PowerSim).sendTelemetry(), 200);
    try {
      const closed = await waitFor(
        async () => {
          const d = await detail(f.id);
          return d.open ? null : d;
        },
        8000,
        'closed after settling',
      );
      expect(closed.state).toBe('closed');
      expect(closed.steps.find((s) => s.key === 'acknowledge')?.status).toBe('skipped');
    } finally {
      clearInterval(talk);
    }
    // one fault for the whole episode, none left open
    expect((await faults()).filter((i) => i.deviceId === pm.id)).toHaveLength(1);
  });

  it('elevator.fault opens one fault per car + code, repeats append; out_of_service its own; elevator.normal clears both', async () => {
    const el = await provision(t, 'el-flt', 'elevator');
    const [sim] = await startSims(t, [el]);
    sims.push(sim!);
    const car = sim!.sim as ElevatorSim;
    await car.fault('E-DOOR');
    await car.fault('E-DOOR');
    await car.fault('E-OVERSPEED');
    await car.outOfService();
    const mine = await waitFor(
      async () => {
        const l = (await faults()).filter((i) => i.deviceId === el.id);
        return l.length === 3 ? l : null;
      },
      5000,
      'three elevator faults',
    );
    expect(mine.map((i) => [i.data.cause, i.data.code]).sort()).toEqual([
      ['elevator_fault', 'E-DOOR'],
      ['elevator_fault', 'E-OVERSPEED'],
      ['out_of_service', null],
    ]);
    const door = mine.find((i) => i.data.code === 'E-DOOR')!;
    await waitFor(async () => (await detail(door.id)).timeline.some((e) => e.type === 'repeat_trigger'), 5000, 'repeat appended');
    await car.returnToService();
    await waitFor(
      async () => {
        const l = (await faults()).filter((i) => i.deviceId === el.id);
        return l.every((i) => i.state === 'recovered' || !i.open) ? l : null;
      },
      5000,
      'cleared by elevator.normal',
    );
    const d = await detail(door.id);
    expect(d.timeline.some((e) => e.type === 'state_changed' && e.data.to === 'recovered')).toBe(true);
  });
});
