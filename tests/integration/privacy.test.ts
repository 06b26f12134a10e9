// Personal-data audit (issue 7 item 15; PROCEDURES.md "Privacy"; seed 000 §2.1.6.2; seed 002
// §3.1.2): every read of a visitor's record by staff is logged with who, why and when — list
// reads name each record, handovers, the duty log, POST responses and socket.io pushes
// included — a person opening one record gives a reason, and operators (no visitor duties)
// see masked names only, everywhere. Real hub, real broker, socket.io-client.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedDevice } from '../../devices/runtime.js';
import { stopDevices } from '../../devices/runtime.js';
import type { IntercomSim } from '../../devices/simulators/intercom.js';
import type { IncidentDetail, IncidentView, VisitView } from '../../contracts/incidents.js';
import type { DutyLogResponse, HandoverResponse } from '../../contracts/records.js';
import { api, login, provision, seedPlace, socket, startSims, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let sims: StartedDevice[];
let door: IntercomSim;
const tok = { desk: '', op: '', sup: '' };
const uid = { desk: '', op: '', sup: '' };
let walkIn: IncidentDetail;
let call: VisitView;

const reads = (userId: string, subject?: string) =>
  t.hub.db.personalDataAccess.findMany({ where: { userId, ...(subject ? { subject } : {}) }, orderBy: { seq: 'asc' } });

beforeAll(async () => {
  t = await startTestHub();
  // bldg-1 has a door panel; bldg-2 has none (the desk shows walk-ins in: the visit opens at once)
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '1203', floor: 12, ownerName: '陈建国' } });
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-2', number: '301', floor: 3, ownerName: '刘芳' } });
  sims = await startSims(t, [await provision(t, 'ic-1', 'intercom')]);
  door = sims[0]!.sim as IntercomSim;
  for (const [name, role] of [
    ['desk', 'frontdesk'],
    ['op', 'operator'],
    ['sup', 'supervisor'],
  ] as const) {
    uid[name] = (await t.hub.auth.createUser(name, `${name}-password`, role, name)).id;
    tok[name] = (await login(t, name, `${name}-password`)).token;
  }
});
afterAll(async () => {
  await stopDevices(sims ?? []);
  await t?.close();
});

describe('HTTP reads of visitor data', () => {
  it('a POST that answers with the visit is itself a logged read', async () => {
    const r = await api<IncidentDetail>(
      t,
      'POST',
      '/api/visits',
      { building: 'bldg-2', unit: '301', visitorName: '钱七', plannedMinutes: 30 },
      tok.desk,
    );
    expect(r.status).toBe(201);
    expect(r.body.data.visitorName).toBe('钱七');
    expect(r.body.masked).toBe(false);
    expect((await reads(uid.desk, `visit:${r.body.id}`)).map((x) => x.reason)).toEqual(['visitor registration']);
    // the owner agrees by phone; no door panel in bldg-2: the desk shows the visitor in
    const approved = await api<IncidentDetail>(t, 'POST', `/api/visits/${r.body.id}/approve`, { channel: 'phone' }, tok.desk);
    walkIn = approved.body;
    expect(walkIn.state).toBe('opened');
    expect((await reads(uid.desk, `visit:${walkIn.id}`)).map((x) => x.reason)).toEqual(['visitor registration', 'action approve visit']);
  });

  it('operators get masked names in incident lists and are not logged; the desk’s list names every record read', async () => {
    await door.call('1203', '王小明');
    call = await waitFor(
      async () => (await api<VisitView[]>(t, 'GET', '/api/visits?state=all', undefined, tok.desk)).body.find((v) => v.unit === '1203'),
      5000,
      'the intercom call',
    );
    const asOperator = await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=visitor_approval', undefined, tok.op);
    const mine = asOperator.body.find((i) => i.id === call.id)!;
    expect(mine.masked).toBe(true);
    expect(mine.data.visitorName).toBe('王**');
    expect(mine.title).toBe('访客 · 1203 · 王**');
    expect(JSON.stringify(asOperator.body)).not.toContain('王小明');
    expect(JSON.stringify(asOperator.body)).not.toContain('钱七');
    expect(await reads(uid.op)).toEqual([]);

    const before = (await reads(uid.desk)).length;
    const asDesk = await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=visitor_approval', undefined, tok.desk);
    expect(asDesk.body.find((i) => i.id === call.id)?.data.visitorName).toBe('王小明');
    const listed = (await reads(uid.desk)).slice(before);
    // one row per record read, named
    expect(listed.map((x) => x.subject).sort()).toEqual([`visit:${call.id}`, `visit:${walkIn.id}`].sort());
    expect(new Set(listed.map((x) => x.reason))).toEqual(new Set(['incident board']));
  });

  it('opening one record needs a reason: without one it comes back masked and nothing is logged', async () => {
    const before = (await reads(uid.desk, `visit:${call.id}`)).length;
    const masked = await api<IncidentDetail>(t, 'GET', `/api/incidents/${call.id}`, undefined, tok.desk);
    expect(masked.body.masked).toBe(true);
    expect(JSON.stringify(masked.body)).not.toContain('王小明');
    expect((await reads(uid.desk, `visit:${call.id}`)).length).toBe(before);

    const why = '核对来访登记';
    const full = await api<IncidentDetail>(t, 'GET', `/api/incidents/${call.id}?reason=${encodeURIComponent(why)}`, undefined, tok.desk);
    expect(full.body.masked).toBe(false);
    expect(full.body.data.visitorName).toBe('王小明');
    const rows = await reads(uid.desk, `visit:${call.id}`);
    expect(rows.at(-1)).toMatchObject({ reason: why });
    expect(rows.length).toBe(before + 1);

    // an operator with a reason still sees a mask: the duty, not the reason, decides
    const op = await api<IncidentDetail>(t, 'GET', `/api/incidents/${call.id}?reason=${encodeURIComponent(why)}`, undefined, tok.op);
    expect(op.body.masked).toBe(true);
    expect(await reads(uid.op)).toEqual([]);
  });

  it('the visit API: a reason is required for one visit; operators see masked names in the list', async () => {
    expect((await api(t, 'GET', `/api/visits/${call.id}`, undefined, tok.desk)).status).toBe(400);
    // refusals read in the reader's language (no English fragment in the Chinese UI)
    const unknown = await api<{ message: string; key: string }>(
      t,
      'GET',
      `/api/visits/00000000-0000-4000-8000-000000000000?reason=${encodeURIComponent('核对')}`,
      undefined,
      tok.desk,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      key: 'visitor_approval.error.no_visit',
      message: '找不到来访记录 00000000-0000-4000-8000-000000000000',
    });
    const one = await api<VisitView>(t, 'GET', `/api/visits/${call.id}?reason=${encodeURIComponent('访客询问')}`, undefined, tok.desk);
    expect(one.body.visitorName).toBe('王小明');
    expect((await reads(uid.desk, `visit:${call.id}`)).at(-1)?.reason).toBe('访客询问');
    const list = await api<VisitView[]>(t, 'GET', '/api/visits?state=all', undefined, tok.op);
    expect(list.body.find((v) => v.id === call.id)?.visitorName).toBe('王**');
    expect(await reads(uid.op)).toEqual([]);
  });

  it('the duty log names the visitor only to the desk, and logs that read', async () => {
    const op = await api<DutyLogResponse>(t, 'GET', '/api/duty-log', undefined, tok.op);
    const opened = op.body.entries.filter((e) => e.incidentId === call.id);
    expect(opened.length).toBeGreaterThan(0);
    expect(JSON.stringify(op.body)).not.toContain('王小明');
    expect(opened[0]!.text).toContain('王**');
    expect(await reads(uid.op)).toEqual([]);
    const desk = await api<DutyLogResponse>(t, 'GET', '/api/duty-log', undefined, tok.desk);
    expect(desk.body.entries.find((e) => e.incidentId === call.id)?.text).toContain('王小明');
    expect((await reads(uid.desk, `visit:${call.id}`)).at(-1)?.reason).toBe('duty log');
  });

  it('a handover lists visitors inside: masked for the operator handing over, named and logged for the supervisor', async () => {
    const created = await api<HandoverResponse>(t, 'POST', '/api/handovers', { notes: '交班' }, tok.op);
    expect(created.status).toBe(201);
    const visit = created.body.openItems.find((o) => o.type === 'visit' && o.id === walkIn.id);
    expect(visit).toMatchObject({ visitorName: '钱*' });
    expect(JSON.stringify(created.body)).not.toContain('钱七');
    expect(await reads(uid.op)).toEqual([]);
    const list = await api<HandoverResponse[]>(t, 'GET', '/api/handovers', undefined, tok.sup);
    expect(list.body[0]!.openItems.find((o) => o.type === 'visit' && o.id === walkIn.id)).toMatchObject({ visitorName: '钱七' });
    expect((await reads(uid.sup, `visit:${walkIn.id}`)).map((x) => x.reason)).toContain('shift handover');
  });
});

describe('live pushes of visitor data', () => {
  let deskFd: Socket;
  let deskCr: Socket;
  let opCr: Socket;
  afterAll(() => {
    for (const s of [deskFd, deskCr, opCr]) s?.close();
  });

  it('the desk receives the name and each delivery is logged per recipient; the operator receives it masked', async () => {
    deskFd = await socket(t, '/front-desk', tok.desk);
    deskCr = await socket(t, '/control-room', tok.desk);
    opCr = await socket(t, '/control-room', tok.op);
    const got = {
      visit: [] as VisitView[],
      deskIncident: [] as IncidentView[],
      opIncident: [] as IncidentView[],
      opEvent: [] as unknown[],
      deskEvent: [] as unknown[],
    };
    deskFd.on('visit:requested', (v: VisitView) => got.visit.push(v));
    deskCr.on('incident:opened', (v: IncidentView) => got.deskIncident.push(v));
    opCr.on('incident:opened', (v: IncidentView) => got.opIncident.push(v));
    const events = (list: unknown[]) => (e: unknown) => list.push(...(Array.isArray(e) ? e : [e]));
    opCr.on('device:event', events(got.opEvent));
    opCr.on('device:events', events(got.opEvent));
    deskCr.on('device:event', events(got.deskEvent));
    deskCr.on('device:events', events(got.deskEvent));

    const deskBefore = (await reads(uid.desk)).length;
    // another unit: a second call for 1203 would merge into 王小明's visit, still waiting
    await door.call('1501', '赵子龙');
    await waitFor(
      () => got.visit.length > 0 && got.opIncident.length > 0 && got.deskIncident.length > 0 && got.opEvent.length > 0,
      5000,
      'pushes',
    );
    expect(got.visit[0]!.visitorName).toBe('赵子龙');
    expect(got.deskIncident[0]!.data.visitorName).toBe('赵子龙');
    const opView = got.opIncident[0]!;
    expect(opView).toMatchObject({ masked: true, title: '访客 · 1501 · 赵**', data: { visitorName: '赵**' } });
    expect(JSON.stringify(got.opIncident)).not.toContain('赵子龙');
    // the intercom's call event in the live feed names the visitor too
    expect(JSON.stringify(got.opEvent)).not.toContain('赵子龙');
    expect(JSON.stringify(got.opEvent)).toContain('赵**');
    await waitFor(() => got.deskEvent.length > 0, 5000, 'desk event feed');
    expect(JSON.stringify(got.deskEvent)).toContain('赵子龙');

    const id = got.visit[0]!.id;
    // deliveries are written in batches (within a second)
    const delivered = await waitFor(
      async () => {
        const rows = (await reads(uid.desk)).slice(deskBefore);
        return rows.some((r) => r.subject === `visit:${id}` && r.reason === 'live push visit:requested') &&
          rows.some((r) => r.subject === `visit:${id}` && r.reason === 'live push incident:opened') &&
          rows.some((r) => r.subject.startsWith('device-event:ic-1:'))
          ? rows
          : null;
      },
      5000,
      'delivery rows',
    );
    expect(delivered.every((r) => r.userId === uid.desk)).toBe(true);
    expect(await reads(uid.op)).toEqual([]);
  });

  it('a resync after a reconnect is masked and logged per recipient the same way', async () => {
    const op = await opCr.emitWithAck('sync');
    expect(op.ok).toBe(true);
    expect(JSON.stringify(op.incidents)).not.toContain('赵子龙');
    const before = (await reads(uid.desk)).length;
    const desk = await deskFd.emitWithAck('sync');
    expect(JSON.stringify(desk.visits)).toContain('赵子龙');
    await waitFor(
      async () => ((await reads(uid.desk)).slice(before).some((r) => r.reason === 'live push sync:visit') ? true : null),
      5000,
      'sync rows',
    );
    expect(await reads(uid.op)).toEqual([]);
  });
});
