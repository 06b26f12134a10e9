// Incident procedures through the real hub: persistence, timers across a restart, and the
// elevator-entrapment drill end to end with a simulated car over MQTT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { ElevatorSim } from '../../devices/simulators/elevator.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { api, login, provision, seedPlace, startSims, startTestHub, waitFor, type Provisioned, type TestHub } from '../helpers/hub.js';

describe('timers survive a restart', () => {
  let t: TestHub;
  let clock = Date.now();
  beforeAll(async () => {
    t = await startTestHub({ now: () => clock });
    await seedPlace(t);
  });
  afterAll(async () => t?.close());

  it('an ack timer that expired while the hub was down escalates once on start', async () => {
    const opened = await api<IncidentDetail>(t, 'POST', '/api/incidents', {
      kind: 'elevator_entrapment',
      building: 'bldg-1',
      payload: { floor: 5, car: '1', passengers: 2, callerPhone: '13800000000' },
    });
    expect(opened.status).toBe(201);
    const id = opened.body.id;
    expect(opened.body.timers.find((x) => x.key === 'ack')).toMatchObject({ status: 'running', dueAt: clock + 30_000 });
    await t.hub.stop();
    clock += 45_000; // the hub was down across the 30 s ack deadline (A17.1: 30 s roll-over)
    await t.restart();
    const after = await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`);
    const escalations = after.body.timeline.filter((e) => e.type === 'escalated');
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.data).toMatchObject({ reason: 'ack_overdue' });
    expect(after.body.timers.find((x) => x.key === 'ack')?.status).toBe('fired');
    // a second restart does not fire it again
    await t.restart();
    const again = await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`);
    expect(again.body.timeline.filter((e) => e.type === 'escalated')).toHaveLength(1);
    const audit = await t.hub.db.auditLog.count({ where: { target: `incident:${id}` } });
    expect(audit).toBeGreaterThanOrEqual(2);
  });
});

describe('elevator entrapment drill (real broker, simulated car)', () => {
  let t: TestHub;
  let el: Provisioned;
  let sims: StartedDevice[];
  let opToken: string;
  let supToken: string;
  beforeAll(async () => {
    t = await startTestHub();
    await seedPlace(t);
    el = await provision(t, 'el-a1', 'elevator', 'bldg-1', 'site-1', { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], meta: { car: '1' } });
    sims = await startSims(t, [el]);
    await t.hub.auth.createUser('op', 'op-password', 'operator', 'Operator');
    await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', 'Supervisor');
    opToken = (await login(t, 'op', 'op-password')).token;
    supToken = (await login(t, 'sup', 'sup-password')).token;
  });
  afterAll(async () => {
    await stopDevices(sims ?? []);
    await t?.close();
  });

  it('entrapment → ack → passengers → contractor → release → fit → close, with follow-up and duty log', async () => {
    const car = sims[0]!.sim as ElevatorSim;
    const pushed: IncidentView[] = [];
    t.hub.bus.on('incident.opened', pushed, (v) => void pushed.push(v as unknown as IncidentView));
    await car.trap({ passengers: 3 });
    const inc = await waitFor(
      async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=elevator_entrapment', undefined, opToken)).body[0],
      5000,
      'entrapment incident',
    );
    expect(inc).toMatchObject({ kind: 'elevator_entrapment', state: 'awaiting_ack', deviceId: el.id, building: 'bldg-1', severity: 80 });
    expect(pushed.map((p) => p.id)).toContain(inc.id);
    // a repeated entrapment signal from the same car appends, does not open a second incident
    await car.pressAlarmButton();
    await new Promise((r) => setTimeout(r, 200));
    expect((await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=elevator_entrapment', undefined, opToken)).body).toHaveLength(1);

    const act = (action: string, payload: unknown, token = opToken) =>
      api<IncidentDetail & { code?: string }>(t, 'POST', `/api/incidents/${inc.id}/actions/${action}`, { payload }, token);
    expect((await act('acknowledge', { notes: '已安抚乘客 reassured' })).status).toBe(200);
    expect((await act('record_passengers', { count: 3, vulnerable: [{ category: 'elderly' }] })).status).toBe(200);
    expect((await act('dispatch_contractor', { company: '奥的斯维保', person: '刘师傅' })).status).toBe(200);
    expect((await act('dispatch_security', { person: '保安 小赵' })).status).toBe(200);
    // the frontdesk role may not run control-room steps
    const fd = await t.hub.auth.createUser('fd', 'fd-password', 'frontdesk', 'Desk');
    void fd;
    const fdToken = (await login(t, 'fd', 'fd-password')).token;
    expect((await act('record_contractor_arrival', {}, fdToken)).status).toBe(403);
    expect((await act('record_contractor_arrival', {})).status).toBe(200);
    // the car reports normal with doors open: only a hint, a person confirms the release
    await car.release();
    const hinted = await waitFor(
      async () => {
        const d = await api<IncidentDetail>(t, 'GET', `/api/incidents/${inc.id}`, undefined, opToken);
        return d.body.timeline.some((e) => e.type === 'hint') ? d.body : null;
      },
      5000,
      'release hint',
    );
    expect(hinted.state).toBe('in_progress');
    // headcount must match the recorded passengers
    expect((await act('confirm_release', { headcount: 2 })).status).toBe(400);
    const released = await act('confirm_release', { headcount: 3 });
    expect(released.status).toBe(200);
    expect(released.body.state).toBe('released');
    expect(t.hub.registry.get(el.id)?.meta.outOfService).toBeTruthy(); // out of service until signed fit
    // only a supervisor signs the car fit
    expect((await act('sign_fit', { contractorCompany: '奥的斯维保', contractorPerson: '刘师傅' })).status).toBe(403);
    expect((await act('sign_fit', { contractorCompany: '奥的斯维保', contractorPerson: '刘师傅' }, supToken)).status).toBe(200);
    expect(t.hub.registry.get(el.id)?.meta.outOfService).toBeUndefined();
    expect((await act('file_report', { summary: '3 人被困 12 分钟,维保到场解救,无人受伤' })).status).toBe(200);
    const closed = await act('close', { notes: '结案' }, supToken);
    expect(closed.status).toBe(200);
    expect(closed.body.open).toBe(false);

    const follow = await t.hub.db.followUp.findMany({ where: { incidentId: inc.id } });
    expect(follow).toHaveLength(1);
    expect(follow[0]!.dueAt.getTime()).toBeGreaterThan(Date.now() + 86_400_000); // ≥ 2 working days ahead
    const duty = await t.hub.db.dutyLogEntry.findMany({ where: { incidentId: inc.id } });
    expect(duty.length).toBeGreaterThanOrEqual(3); // opened, released, fit, closed …
    // staff appear by name, not id
    expect(Object.values(closed.body.people)).toEqual(expect.arrayContaining(['Operator', 'Supervisor']));
    const timelineTypes = closed.body.timeline.map((e) => e.type);
    for (const type of ['opened', 'repeat_trigger', 'step_done', 'hint', 'closed']) expect(timelineTypes).toContain(type);
    t.hub.bus.removeListeners(pushed);
  });
});

describe('manual reports are checked against the reporting roles before routing (issue 7 item 16)', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
    await seedPlace(t);
    await provision(t, 'el-b1', 'elevator');
    await t.hub.auth.createUser('desk', 'desk-password', 'frontdesk', 'Desk');
    await t.hub.auth.createUser('op', 'op-password', 'operator', 'Operator');
  });
  afterAll(async () => t?.close());

  it('a front-desk report of an entrapment is refused even when one is already open for that car', async () => {
    const desk = (await login(t, 'desk', 'desk-password')).token;
    const op = (await login(t, 'op', 'op-password')).token;
    const report = { kind: 'elevator_entrapment', building: 'bldg-1', payload: { deviceId: 'el-b1', floor: 4 } };
    const opened = await api<IncidentDetail>(t, 'POST', '/api/incidents', report, op);
    expect(opened.status).toBe(201);
    // the same report by the front desk would merge into the open incident: refused before routing
    const refused = await api<{ code: string; key: string; message: string }>(t, 'POST', '/api/incidents', report, desk);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: 'HUB_ERR_FORBIDDEN',
      key: 'engine.error.report_forbidden',
      message: '客服前台不能报告电梯困人',
    });
    const after = await api<IncidentDetail>(t, 'GET', `/api/incidents/${opened.body.id}`, undefined, op);
    expect(after.body.timeline.filter((e) => e.type === 'repeat_trigger')).toHaveLength(0);
    // the operator's second call about the same car is merged (not a second incident)
    const merged = await api<IncidentDetail>(t, 'POST', '/api/incidents', report, op);
    expect(merged.status).toBe(201);
    expect(merged.body.id).toBe(opened.body.id);
    expect(merged.body.timeline.filter((e) => e.type === 'repeat_trigger')).toHaveLength(1);
  });
});
