// Severe weather through HTTP and the real broker (PROCEDURES.md §7): a supervisor declares a
// rainstorm warning (an operator may not), changes its level while it is in force, a leak in a
// covered building opens one severity higher, the all-clear starts the inspection round whose
// findings become repair work orders linked under the warning, and the warning closes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevices, stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { WaterSim } from '../../devices/simulators/water.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { WorkOrderView } from '../../contracts/workorders.js';
import { SEVERITY } from '../../contracts/domain.js';
import { api, login, provision, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let devices: StartedDevice[];
let op: string;
let sup: string;

beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t, 'site-1', ['bldg-1']);
  const meta = { role: 'leak', zone: 'garage-ramp', floor: -1 };
  const d = await provision(t, 'wt-1', 'water', 'bldg-1', 'site-1', { meta, floors: [-1] });
  devices = await startDevices([{ id: d.id, secret: d.secret, site: d.site, building: d.building, class: 'water', floors: [-1], meta }], {
    url: t.mqttUrl,
    intervalMs: 0,
    traffic: false,
  });
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管');
  op = (await login(t, 'op', 'op-password')).token;
  sup = (await login(t, 'sup', 'sup-password')).token;
});
afterAll(async () => {
  await stopDevices(devices ?? []);
  await t?.close();
});

const act = async (id: string, action: string, payload: unknown = {}, token = op) => {
  const r = await api<IncidentDetail>(t, 'POST', `/api/incidents/${id}/actions/${action}`, { payload }, token);
  if (r.status !== 200) throw new Error(`${action}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

describe('severe weather', () => {
  it('declared by a supervisor, level changed while active, water one severity higher, all-clear inspection, closed', async () => {
    const body = {
      kind: 'severe_weather',
      building: 'bldg-1',
      payload: { type: 'rainstorm', level: 'yellow', until: Date.now() + 3_600_000 },
    };
    expect((await api(t, 'POST', '/api/incidents', body, op)).status).toBe(403);
    const declared = await api<IncidentView>(t, 'POST', '/api/incidents', body, sup);
    expect(declared.status).toBe(201);
    const w = declared.body;
    expect(w).toMatchObject({ kind: 'severe_weather', state: 'active', severity: 45 });
    const raised = await act(w.id, 'change_level', { level: 'red' }, sup);
    expect(raised.severity).toBe(65);

    await (devices[0]!.sim as WaterSim).leak();
    const leak = await waitFor(
      async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=water_leak', undefined, op)).body[0],
      5000,
      'water incident',
    );
    expect(leak.severity).toBe(SEVERITY.water_leak + 10);

    for (const item of ['sandbags', 'drains_pumps', 'outdoor_secured', 'patrols_doubled', 'residents_notified'])
      await act(w.id, 'record_check', { item });
    await act(w.id, 'declare_all_clear', {}, sup);
    // PROCEDURES.md §7 → §8: each finding of the all-clear inspection becomes a repair work order
    const refused = await api<{ code: string }>(
      t,
      'POST',
      `/api/incidents/${w.id}/actions/record_inspection`,
      { payload: { findings: [{ location: '3号楼', issue: '外墙渗水', building: 'bldg-elsewhere' }] } },
      op,
    );
    expect(refused.status).toBe(400);
    const inspected = await act(w.id, 'record_inspection', {
      findings: [
        { location: '车库坡道', issue: '挡水板变形', category: 'civil' },
        { location: '1号楼屋面', issue: '雨水斗堵塞', category: 'plumbing' },
      ],
    });
    expect(inspected.children).toHaveLength(2);
    const board = (await api<WorkOrderView[]>(t, 'GET', '/api/work-orders?building=bldg-1', undefined, op)).body;
    const orders = board.filter((o) => inspected.children.includes(o.id)).sort((a, b) => a.number - b.number);
    expect(orders.map((o) => [o.parentId, o.category, o.location, o.description, o.source, o.area, o.state])).toEqual([
      [w.id, 'civil', '车库坡道', '挡水板变形', 'staff', 'common', 'registered'],
      [w.id, 'plumbing', '1号楼屋面', '雨水斗堵塞', 'staff', 'common', 'registered'],
    ]);
    // the round recorded again with the same findings opens nothing more
    const again = await act(w.id, 'record_inspection', { findings: [{ location: '车库坡道', issue: '挡水板变形', category: 'civil' }] });
    expect(again.children.sort()).toEqual([...inspected.children].sort());
    const closed = await act(w.id, 'close', {}, sup);
    expect(closed).toMatchObject({ state: 'closed', open: false });
    expect(closed.timeline.filter((e) => e.type === 'outcome' && e.data.level === 'red')).toHaveLength(1);
  });
});
