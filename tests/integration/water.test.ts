// Water leak drill through the real broker (PROCEDURES.md §5): a leak cable in the lift pit →
// incident with protection required, unanswered → escalated; a person takes the cars out of
// service → recall per car, confirmed by the cars → water stopped, owners told, cleared →
// cars back → the cause opens a repair work order, linked both ways → closed. A sump pit whose pump fails at high water escalates at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevices, stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { WaterSim } from '../../devices/simulators/water.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { WorkOrderView } from '../../contracts/workorders.js';
import { api, login, provision, seedPlace, startTestHub, waitFor, type Provisioned, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let devices: StartedDevice[];
let op: string;
let sup: string;
const commands: string[] = [];

const WATER_META: Record<string, Record<string, string | number>> = {
  'wt-lift': { role: 'leak', zone: 'b1-lift-pit', floor: -1, near: 'elevator' },
  'wt-pit': { role: 'sump', pit: 'b1-sump', zone: 'b1-sump', floor: -1, near: 'pump_room' },
};

beforeAll(async () => {
  t = await startTestHub({ incidentConfig: { water_leak: { ackMs: 300, recallConfirmMs: 5000 } } });
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  const floors = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const list: Array<Provisioned & { meta?: Record<string, string | number> }> = [
    {
      ...(await provision(t, 'wt-lift', 'water', 'bldg-1', 'site-1', { meta: WATER_META['wt-lift'], floors: [-1] })),
      meta: WATER_META['wt-lift'],
    },
    {
      ...(await provision(t, 'wt-pit', 'water', 'bldg-2', 'site-1', { meta: WATER_META['wt-pit'], floors: [-1] })),
      meta: WATER_META['wt-pit'],
    },
    await provision(t, 'el-1', 'elevator', 'bldg-1', 'site-1', { floors, meta: { car: '1' } }),
    await provision(t, 'el-2', 'elevator', 'bldg-1', 'site-1', { floors, meta: { car: '2' } }),
  ];
  devices = await startDevices(
    list.map((d) => ({
      id: d.id,
      secret: d.secret,
      site: d.site,
      building: d.building,
      class: d.class,
      floors: d.class === 'water' ? [-1] : floors,
      ...(d.meta ? { meta: d.meta } : {}),
    })),
    {
      url: t.mqttUrl,
      intervalMs: 60_000,
      keepalive: 5,
      traffic: false,
      simConfig: () => ({ elevator: { floorTravelMs: 40, doorMs: 40 }, water: { inflowCm: 0 } }),
    },
  );
  for (const d of devices)
    d.client.on(
      'command',
      (r: { name: string; data?: unknown }) => void commands.push(`${d.identity.id}:${r.name}:${JSON.stringify(r.data)}`),
    );
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管');
  op = (await login(t, 'op', 'op-password')).token;
  sup = (await login(t, 'sup', 'sup-password')).token;
});
afterAll(async () => {
  await stopDevices(devices ?? []);
  await t?.close();
});

const sim = (id: string) => devices.find((d) => d.identity.id === id)!.sim as WaterSim;
const detail = async (id: string) => (await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`, undefined, op)).body;
const act = async (id: string, action: string, payload: unknown = {}, token = op) => {
  const r = await api<IncidentDetail & { code?: string; message?: string }>(
    t,
    'POST',
    `/api/incidents/${id}/actions/${action}`,
    { payload },
    token,
  );
  if (r.status !== 200) throw new Error(`${action}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const incidents = async (q: string) =>
  (await api<IncidentView[]>(t, 'GET', `/api/incidents?state=all&kind=water_leak${q}`, undefined, op)).body;

describe('water leak drill', () => {
  it('lift-pit leak → escalated unanswered → cars parked and confirmed → cleared → cars back → closed', async () => {
    await sim('wt-lift').leak();
    const inc = await waitFor(async () => (await incidents('&building=bldg-1'))[0], 5000, 'water incident');
    expect(inc).toMatchObject({ kind: 'water_leak', state: 'awaiting_ack', severity: 50, floor: -1, deviceId: 'wt-lift' });
    const opened = await detail(inc.id);
    expect(opened.steps.find((s) => s.key === 'protect')).toMatchObject({ required: true, status: 'pending' });
    // the hub only proposes taking the cars out: nothing was sent to them yet
    expect(commands.filter((c) => c.includes(':recall:'))).toEqual([]);
    // 300 ms acknowledge target in this drill → escalated
    await waitFor(
      async () => (await detail(inc.id)).timeline.some((e) => e.type === 'escalated' && e.data.reason === 'ack_overdue'),
      5000,
      'ack escalation',
    );

    await act(inc.id, 'acknowledge');
    await act(inc.id, 'take_cars_out_of_service', { notes: '电梯底坑进水' });
    // both cars parked at the lobby (a floor above the water) and confirm over MQTT
    await waitFor(() => commands.filter((c) => c.includes(':recall:')).length === 2, 5000, 'recall commands');
    expect(commands.filter((c) => c.includes(':recall:')).sort()).toEqual(['el-1:recall:{"floor":1}', 'el-2:recall:{"floor":1}']);
    const parked = await waitFor(
      async () => {
        const d = await detail(inc.id);
        return d.steps.find((s) => s.key === 'protect')?.status === 'done' ? d : null;
      },
      5000,
      'cars confirmed',
    );
    expect(parked.timeline.filter((e) => e.type === 'confirmation' && e.data.what === 'recall')).toHaveLength(2);

    await act(inc.id, 'dispatch_engineering', { person: '工程部 老周' });
    await act(inc.id, 'record_engineering_on_site');
    await act(inc.id, 'record_water_stopped', { measure: 'pumps_started' });
    await act(inc.id, 'record_owners_notified', { floors: [], channel: 'phone', notes: '地下层无住户' });
    // the cable dries: a hint, the state stays until a person confirms
    await sim('wt-lift').clear();
    const hinted = await waitFor(
      async () => {
        const d = await detail(inc.id);
        return d.timeline.some((e) => e.type === 'hint' && e.data.hint === 'cleared_suggested') ? d : null;
      },
      5000,
      'cleared hint',
    );
    expect(hinted.state).toBe('responding');
    await act(inc.id, 'confirm_cleared', { propertyDamaged: false });
    await act(inc.id, 'return_elevator', { deviceId: 'el-1' });
    await act(inc.id, 'return_elevator', { deviceId: 'el-2' });
    // PROCEDURES.md §5.5: the cause opens a repair work order (§8), linked both ways
    const recorded = await act(inc.id, 'record_repair_order', { cause: '底坑排水管堵塞', location: '电梯底坑' });
    expect(recorded.children).toHaveLength(1);
    const orderId = recorded.children[0]!;
    const boardOrders = (await api<WorkOrderView[]>(t, 'GET', '/api/work-orders?building=bldg-1', undefined, op)).body;
    const order = boardOrders.find((o) => o.id === orderId);
    expect(order).toMatchObject({
      parentId: inc.id,
      category: 'plumbing',
      area: 'common',
      source: 'staff',
      state: 'registered',
      location: '电梯底坑',
      description: '底坑排水管堵塞',
      deviceId: null,
    });
    // recording the cause again adds to the same order
    const again = await act(inc.id, 'record_repair_order', { cause: '底坑排水管堵塞,止回阀失效', location: '电梯底坑' });
    expect(again.children).toEqual([orderId]);
    const orderDetail = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${orderId}`, undefined, op)).body;
    expect(orderDetail.timeline.filter((e) => e.type === 'repeat_trigger')).toHaveLength(1);
    const refused = await api<{ code: string }>(t, 'POST', `/api/incidents/${inc.id}/actions/close`, { payload: {} }, op);
    expect(refused.status).toBe(403);
    const closed = await act(inc.id, 'close', {}, sup);
    expect(closed).toMatchObject({ state: 'closed', open: false });
    // the cars are back in service on the board
    const devs = (await api<Array<{ id: string; meta: Record<string, unknown> }>>(t, 'GET', '/api/devices', undefined, op)).body;
    expect(devs.filter((d) => d.id.startsWith('el-')).map((d) => d.meta.outOfService ?? null)).toEqual([null, null]);
  });

  it('a sump pit whose pump fails and then floods escalates at once, in one incident', async () => {
    const pit = sim('wt-pit');
    await pit.failPump();
    const inc = await waitFor(async () => (await incidents('&building=bldg-2'))[0], 5000, 'pit incident');
    await act(inc.id, 'acknowledge');
    await pit.failPump();
    await pit.flood(70);
    const d = await waitFor(
      async () => {
        const x = await detail(inc.id);
        return x.timeline.some((e) => e.type === 'escalated' && e.data.reason === 'pump_failed_high_water') ? x : null;
      },
      5000,
      'pump emergency escalation',
    );
    expect(d.steps.find((s) => s.key === 'protect')?.required).toBe(true);
    expect((await incidents('&building=bldg-2')).filter((i) => i.open)).toHaveLength(1);
  });
});
