// Device faults (PROCEDURES.md "Device offline", §2 trouble/supervisory): a life-safety device
// that drops off (last will) opens a fault after the debounce, a short blip does not, and
// panel trouble opens one fault per panel+zone however often it repeats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { FirePanelSim } from '../../devices/simulators/fire-panel.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { api, provision, seedPlace, startSims, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
const sims: StartedDevice[] = [];
beforeAll(async () => {
  t = await startTestHub({ linkPolicy: { offlineDebounceMs: 300, flapThreshold: 5, flapWindowMs: 60_000 } });
  await seedPlace(t);
});
afterAll(async () => {
  await stopDevices(sims);
  await t?.close();
});

const faults = async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?state=all&kind=device_fault')).body;

describe('device faults', () => {
  it('a life-safety device lost for longer than the debounce opens a fault; back online is recorded', async () => {
    const el = await provision(t, 'el-off', 'elevator');
    const [sim] = await startSims(t, [el]);
    sims.push(sim!);
    await waitFor(() => t.hub.registry.get(el.id)?.state === 'online');
    await sim!.client.kill(); // no DISCONNECT: the broker publishes the last will
    const f = await waitFor(async () => (await faults()).find((i) => i.deviceId === el.id), 5000, 'offline fault');
    expect(f).toMatchObject({ kind: 'device_fault', severity: 40, data: expect.objectContaining({ cause: 'offline' }) });
    const [again] = await startSims(t, [el]);
    sims.push(again!);
    await waitFor(
      async () => {
        const d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${f.id}`)).body;
        return d.timeline.some((e) => e.type === 'device_status' && e.data.state === 'online');
      },
      5000,
      'recovery recorded',
    );
  });

  it('a blip shorter than the debounce opens nothing; a non-life-safety device never does', async () => {
    const el = await provision(t, 'el-blip', 'elevator');
    const ic = await provision(t, 'ic-off', 'intercom');
    const started = await startSims(t, [el, ic]);
    sims.push(...started);
    await waitFor(() => t.hub.registry.get(el.id)?.state === 'online' && t.hub.registry.get(ic.id)?.state === 'online');
    await started[0]!.client.kill();
    await started[1]!.client.kill();
    await waitFor(() => t.hub.registry.get(el.id)?.state === 'lost');
    const [back] = await startSims(t, [el]);
    sims.push(back!);
    await new Promise((r) => setTimeout(r, 600));
    const list = await faults();
    expect(list.find((i) => i.deviceId === el.id)).toBeUndefined();
    expect(list.find((i) => i.deviceId === ic.id)).toBeUndefined();
  });

  it('fire-panel trouble opens one fault per panel+zone, repeats append', async () => {
    const fp = await provision(t, 'fp-t', 'fire-panel');
    const [sim] = await startSims(t, [fp]);
    sims.push(sim!);
    const panel = sim!.sim as FirePanelSim;
    await panel.trouble('z3', 'T-BATT');
    await panel.trouble('z3', 'T-BATT');
    await panel.trouble('z4', 'T-LOOP');
    await waitFor(async () => (await faults()).filter((i) => i.deviceId === fp.id).length === 2, 5000, 'two zone faults');
    await new Promise((r) => setTimeout(r, 200));
    const mine = (await faults()).filter((i) => i.deviceId === fp.id);
    expect(mine).toHaveLength(2);
    const z3 = mine.find((i) => i.data.zone === 'z3')!;
    const d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${z3.id}`)).body;
    expect(d.timeline.filter((e) => e.type === 'repeat_trigger')).toHaveLength(1);
  });
});
