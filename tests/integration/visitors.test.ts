// Visitor approval drills through the real broker with simulated door panels (PROCEDURES.md §4):
// approve (unlock + door confirmation), owner's in-unit station, deny, owner unreachable,
// unlock not confirmed (fail closed), pre-authorised walk-in, overstay reminder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { IntercomSim } from '../../devices/simulators/intercom.js';
import type { IncidentDetail, VisitView } from '../../contracts/incidents.js';
import { api, login, provision, seedPlace, startSims, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let offset = 0;
let t: TestHub;
let door: IntercomSim;
let deafDoor: IntercomSim;
let sims: StartedDevice[];
let deskToken: string;
const unlocks: string[] = [];

beforeAll(async () => {
  // a clock we can move forward for the overstay reminder; real time otherwise
  t = await startTestHub({
    now: () => Date.now() + offset,
    // unlock targets long enough for a round trip through the broker on a loaded machine (the
    // uncorrelated-door test must see its event while the visit is still approved)
    incidentConfig: { visitor_approval: { ownerAnswerMs: 400, unlockConfirmMs: 3000, unlockExpiryMs: 2500 } },
  });
  await seedPlace(t);
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '1203', floor: 12, ownerName: '陈建国', ownerPhone: '13800001234' } });
  const ic = await provision(t, 'ic-1', 'intercom');
  await t.hub.db.building.create({ data: { id: 'bldg-2', siteId: 'site-1', name: 'B', floors: 5 } });
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-2', number: '301', floor: 3, ownerName: '刘芳' } });
  const ic2 = await provision(t, 'ic-2', 'intercom', 'bldg-2');
  sims = [...(await startSims(t, [ic])), ...(await startSims(t, [ic2], { intercom: { neverConfirm: true } }))];
  door = sims[0]!.sim as IntercomSim;
  deafDoor = sims[1]!.sim as IntercomSim;
  for (const s of sims) s.client.on('command', (r: { name: string }) => void unlocks.push(`${s.identity.id}:${r.name}`));
  await t.hub.auth.createUser('desk', 'desk-password', 'frontdesk', '前台');
  deskToken = (await login(t, 'desk', 'desk-password')).token;
});
afterAll(async () => {
  await stopDevices(sims ?? []);
  await t?.close();
});

async function visitByName(name: string): Promise<VisitView> {
  return waitFor(
    async () => (await api<VisitView[]>(t, 'GET', '/api/visits?state=all', undefined, deskToken)).body.find((v) => v.visitorName === name),
    5000,
    `visit of ${name}`,
  );
}

async function state(id: string): Promise<IncidentDetail> {
  return (await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`, undefined, deskToken)).body;
}

describe('visitor approval', () => {
  it('front desk approves an intercom call → the door panel gets unlock, confirms, the visit is opened', async () => {
    await door.call('1203', '王五');
    const v = await visitByName('王五');
    expect(v).toMatchObject({ unit: '1203', state: 'requested', channel: 'intercom' });
    const r = await api<IncidentDetail>(t, 'POST', `/api/visits/${v.id}/approve`, { channel: 'phone', notes: '业主电话同意' }, deskToken);
    expect(r.status).toBe(200);
    const opened = await waitFor(async () => ((await state(v.id)).state === 'opened' ? state(v.id) : null), 5000, 'door opened');
    expect(unlocks).toContain('ic-1:unlock');
    expect(opened.commands.find((c) => c.name === 'unlock')?.state).toBe('confirmed');
    const row = await visitByName('王五');
    expect(row.state).toBe('opened');
    // the owner approved (by phone); the desk user who recorded it is kept with the approval
    expect(row.approvedBy).toBe('owner:1203');
    expect(row.approvalChannel).toBe('phone');
    expect((opened.data.approval as { recordedBy: string }).recordedBy).toMatch(/^user:/);
    expect(row.enteredAt).not.toBeNull();
  });

  it('the owner approves from the in-unit station: attributed to the owner', async () => {
    const call = await door.call('1203', '赵六');
    await door.ownerApprove(call.callId);
    const v = await waitFor(
      async () => {
        const x = await visitByName('赵六');
        return x.state === 'opened' ? x : null;
      },
      5000,
      'owner-approved visit opened',
    );
    expect(v.approvedBy).toBe('owner:1203');
    expect(v.approvalChannel).toBe('in_unit_station');
  });

  it('deny: the visitor is refused and the request closed', async () => {
    await door.call('1203', '推销员');
    const v = await visitByName('推销员');
    const before = unlocks.length;
    const r = await api<IncidentDetail>(t, 'POST', `/api/visits/${v.id}/deny`, { channel: 'phone', notes: '业主拒绝' }, deskToken);
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('denied');
    expect(r.body.open).toBe(false);
    expect(unlocks.length).toBe(before); // no unlock was sent
  });

  it('owner unreachable → keep trying / leave a message, each recorded', async () => {
    await door.call('1203', '快递员');
    const v = await visitByName('快递员');
    const un = await waitFor(async () => ((await state(v.id)).state === 'unreachable' ? state(v.id) : null), 5000, 'unreachable');
    expect(un.timeline.some((e) => e.type === 'timer_fired')).toBe(true);
    expect(
      (await api(t, 'POST', `/api/visits/${v.id}/actions/keep_trying`, { payload: { method: 'phone', notes: '再拨一次' } }, deskToken))
        .status,
    ).toBe(200);
    const msg = await api<IncidentDetail>(
      t,
      'POST',
      `/api/visits/${v.id}/actions/leave_message`,
      { payload: { message: '快递放前台' } },
      deskToken,
    );
    expect(msg.status).toBe(200);
    expect(msg.body.state).toBe('message_left');
  });

  it('unlock not confirmed → fails closed, visibly', async () => {
    await deafDoor.call('301', '李四');
    const v = await visitByName('李四');
    await api(t, 'POST', `/api/visits/${v.id}/approve`, { channel: 'phone' }, deskToken);
    // the door never confirms: the command expires unanswered and the request fails, visibly
    const failed = await waitFor(
      async () => {
        const d = await state(v.id);
        return d.state === 'failed' && d.commands.find((c) => c.name === 'unlock')?.state !== 'sent' ? d : null;
      },
      8000,
      'failed',
    );
    expect(failed.open).toBe(true); // stays on the desk's board until handled
    expect(failed.commands.find((c) => c.name === 'unlock')?.state).toBe('expired');
    expect((await visitByName('李四')).enteredAt).toBeNull();
  });

  it('a door_opened without the unlock’s correlation id is not the visitor’s entry (fail closed)', async () => {
    await deafDoor.call('301', '钱七');
    const v = await visitByName('钱七');
    await api(t, 'POST', `/api/visits/${v.id}/approve`, { channel: 'phone' }, deskToken);
    // someone opens the door (a key, the exit button): the panel reports it without a corr
    await deafDoor.openLocally();
    const hinted = await waitFor(
      async () => {
        const d = await state(v.id);
        return d.timeline.some((e) => e.type === 'hint' && e.data.hint === 'door_opened_uncorrelated') ? d : null;
      },
      5000,
      'uncorrelated door flagged',
    );
    expect(hinted.state).not.toBe('opened');
    const failed = await waitFor(async () => ((await state(v.id)).state === 'failed' ? state(v.id) : null), 8000, 'failed');
    expect(failed.steps.find((s) => s.key === 'unlock')?.status).toBe('pending');
    expect((await visitByName('钱七')).enteredAt).toBeNull();
  });

  it('a pre-authorised walk-in is approved on the strength of the owner’s notice', async () => {
    const pre = await api<{ id: string }>(
      t,
      'POST',
      '/api/preauthorizations',
      {
        building: 'bldg-1',
        unit: '1203',
        visitorName: '钱七',
        idNumber: '110101199001011234',
        validFrom: Date.now() - 60_000,
        validTo: Date.now() + 3_600_000,
      },
      deskToken,
    );
    expect(pre.status).toBe(201);
    const reg = await api<IncidentDetail>(
      t,
      'POST',
      '/api/visits',
      {
        building: 'bldg-1',
        unit: '1203',
        visitorName: '钱七',
        idNumber: '110101199001011234',
        plannedMinutes: 30,
        preAuthId: pre.body.id,
        idVerified: true,
      },
      deskToken,
    );
    expect(reg.status).toBe(201);
    const v = await waitFor(
      async () => {
        const x = await visitByName('钱七');
        return x.approvedBy ? x : null;
      },
      5000,
      'pre-authorised approval',
    );
    expect(v.approvedBy).toBe(`preauth:${pre.body.id}`);
    expect(v.idMasked).toBe('110***********1234'); // seed 002 §3.1.2: first 3 + last 4 only
    const stored = JSON.stringify(await t.hub.db.incident.findUnique({ where: { id: v.id } }));
    expect(stored).not.toContain('110101199001011234');
    // every staff read of the visitor's record is logged, with the reason the person gave
    await api(t, 'GET', `/api/incidents/${v.id}?reason=${encodeURIComponent('核对预授权')}`, undefined, deskToken);
    const reads = await t.hub.db.personalDataAccess.findMany({ where: { subject: `visit:${v.id}` }, orderBy: { seq: 'asc' } });
    expect(reads.at(-1)).toMatchObject({ reason: '核对预授权' });
  });

  it('a visitor still inside past the planned duration raises an overstay reminder', async () => {
    await door.call('1203', '孙八');
    const v = await visitByName('孙八');
    await api(t, 'POST', `/api/visits/${v.id}/approve`, { channel: 'phone' }, deskToken);
    await waitFor(async () => ((await state(v.id)).state === 'opened' ? true : null), 5000, 'opened');
    offset += 61 * 60_000; // an hour later (default planned duration 60 min)
    await t.hub.incidents.tick();
    const after = await state(v.id);
    expect(after.timeline.some((e) => e.type === 'reminder' && e.data.reminder === 'overstay')).toBe(true);
    expect((await visitByName('孙八')).overstay).toBe(true);
    const left = await api<IncidentDetail>(
      t,
      'POST',
      `/api/visits/${v.id}/actions/record_departure`,
      { payload: { notes: '已离开' } },
      deskToken,
    );
    expect(left.body.state).toBe('left');
  });
});
