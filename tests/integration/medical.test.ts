// Medical emergency through the real broker and HTTP (PROCEDURES.md §6): an entrapment whose
// passenger is injured opens a linked medical emergency; the family is contacted after a
// logged read of the owner file; a second car is held at the lobby for the stretcher and
// confirms over MQTT; one statement approved by the supervisor; closed with a follow-up.
// And a phoned-in report by the front desk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { ElevatorSim } from '../../devices/simulators/elevator.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { api, login, provision, seedPlace, startSims, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let sims: StartedDevice[];
let op: string;
let desk: string;
let sup: string;
let unitId: string;

beforeAll(async () => {
  t = await startTestHub({ incidentConfig: { medical_emergency: { ackMs: 60_000 } } });
  await seedPlace(t, 'site-1', ['bldg-1']);
  const floors = { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };
  const e1 = await provision(t, 'el-1', 'elevator', 'bldg-1', 'site-1', { ...floors, meta: { car: '1' } });
  const e2 = await provision(t, 'el-2', 'elevator', 'bldg-1', 'site-1', { ...floors, meta: { car: '2' } });
  sims = await startSims(t, [e1, e2]);
  unitId = (
    await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '701', floor: 7, ownerName: '陈建国', ownerPhone: '13800001000' } })
  ).id;
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员');
  await t.hub.auth.createUser('desk', 'desk-password', 'frontdesk', '前台');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管');
  op = (await login(t, 'op', 'op-password')).token;
  desk = (await login(t, 'desk', 'desk-password')).token;
  sup = (await login(t, 'sup', 'sup-password')).token;
});
afterAll(async () => {
  await stopDevices(sims ?? []);
  await t?.close();
});

const detail = async (id: string) => (await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`, undefined, op)).body;
const act = async (id: string, action: string, payload: unknown = {}, token = op) => {
  const r = await api<IncidentDetail>(t, 'POST', `/api/incidents/${id}/actions/${action}`, { payload }, token);
  if (r.status !== 200) throw new Error(`${action}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const list = async (kind: string) => (await api<IncidentView[]>(t, 'GET', `/api/incidents?state=all&kind=${kind}`, undefined, op)).body;

describe('medical emergency', () => {
  it('an injured passenger in an entrapment opens a linked medical emergency, worked to close', async () => {
    const car = sims[0]!.sim as ElevatorSim;
    void car.goTo(7);
    await new Promise((r) => setTimeout(r, 80));
    await car.trap({ passengers: 2 });
    const ent = await waitFor(async () => (await list('elevator_entrapment'))[0], 5000, 'entrapment');
    await act(ent.id, 'acknowledge');
    await act(ent.id, 'record_passengers', { count: 2, vulnerable: [{ category: 'injured', note: '手臂出血' }] });
    const med = await waitFor(async () => (await list('medical_emergency'))[0], 5000, 'linked medical emergency');
    expect(med).toMatchObject({ parentId: ent.id, deviceId: 'el-1', severity: 70, state: 'awaiting_ack' });
    expect((await detail(ent.id)).children).toContain(med.id);

    await act(med.id, 'acknowledge', {}, desk);
    await act(med.id, 'record_120_call', { told: 'A栋电梯困人,一人手臂出血,意识清醒' }, desk);
    await act(med.id, 'dispatch_first_aid', { person: '秩序维护员 小刘', firstAider: true });
    await act(med.id, 'record_zone_secured', { zone: 'A 栋 7 层电梯厅' });
    // the family: the owner file is read with a reason (logged), the step names that read
    const read = await api<{ ownerPhone: string; access: { seq: number } }>(
      t,
      'GET',
      `/api/units/${unitId}?reason=${encodeURIComponent(`意外事件 #${med.number} 联系家属`)}`,
      undefined,
      desk,
    );
    expect(read.status).toBe(200);
    expect(read.body.ownerPhone).toBe('13800001000');
    await act(med.id, 'record_family_contacted', { unitId, accessSeq: read.body.access.seq, reached: true }, desk);
    const logged = await t.hub.db.personalDataAccess.findMany({ where: { subject: `unit:${unitId}` } });
    expect(logged.map((l) => l.reason)).toEqual([`意外事件 #${med.number} 联系家属`]);

    // the other car waits at the lobby for the stretcher; it confirms the recall over MQTT
    await act(med.id, 'hold_elevator', { deviceId: 'el-2' });
    const held = await waitFor(
      async () => {
        const d = await detail(med.id);
        return d.steps.find((s) => s.key === 'hold_elevator')?.status === 'done' ? d : null;
      },
      5000,
      'car held',
    );
    expect(held.timeline.some((e) => e.type === 'confirmation' && e.data.what === 'elevator_held' && e.data.deviceId === 'el-2')).toBe(
      true,
    );
    await act(med.id, 'record_ambulance_met', { gate: '南大门', person: '前台 李娜' }, desk);
    await act(med.id, 'record_handover', { outcome: 'ambulance', hospital: '仁济医院' }, desk);
    const refused = await api(t, 'POST', `/api/incidents/${med.id}/actions/approve_statement`, { payload: { text: 'x' } }, op);
    expect(refused.status).toBe(403);
    await act(med.id, 'approve_statement', { text: '一位乘客受轻伤,已送医。' }, sup);
    await act(med.id, 'release_elevator');
    await act(med.id, 'file_report', { summary: '困人时手臂擦伤,已送仁济医院' });
    const closed = await act(med.id, 'close', {}, sup);
    expect(closed).toMatchObject({ state: 'closed', open: false });
    expect(closed.steps.find((s) => s.key === 'schedule_followup')?.status).toBe('done');
  });

  it('the front desk reports an accident by phone', async () => {
    const r = await api<IncidentView>(
      t,
      'POST',
      '/api/incidents',
      { kind: 'medical_emergency', building: 'bldg-1', payload: { floor: 1, location: '大堂台阶', category: 'fall', people: 1 } },
      desk,
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'medical_emergency', parentId: null, floor: 1, state: 'awaiting_ack' });
    const bad = await api<{ code: string }>(
      t,
      'POST',
      '/api/incidents',
      { kind: 'medical_emergency', building: 'bldg-1', payload: {} },
      desk,
    );
    expect(bad.status).toBe(400);
  });
});
