// Fire drill through the real broker (PROCEDURES.md §2): alarm → recall to every car of that
// building only → per-car confirmations → acknowledged → false alarm with its cause → panel
// reset → cars back one by one → closed. Plus the serious path's 119 approval rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { FirePanelSim } from '../../devices/simulators/fire-panel.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { api, login, provision, seedPlace, startSims, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let sims: StartedDevice[];
let op: string;
let sup: string;
const recalls: string[] = [];

beforeAll(async () => {
  // the 119 approval target short enough for a drill, long enough for the approving test's two calls
  t = await startTestHub({ incidentConfig: { fire_alarm: { approval119Ms: 6000 } } });
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2', 'bldg-3']);
  const floors = { floors: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] };
  const fp = await provision(t, 'fp-1', 'fire-panel');
  const a1 = await provision(t, 'a-el-1', 'elevator', 'bldg-1', 'site-1', { ...floors, meta: { car: '1' } });
  const a2 = await provision(t, 'a-el-2', 'elevator', 'bldg-1', 'site-1', { ...floors, meta: { car: '2' } });
  const b1 = await provision(t, 'b-el-1', 'elevator', 'bldg-2', 'site-1', floors);
  const fp2 = await provision(t, 'fp-2', 'fire-panel', 'bldg-2');
  const fp3 = await provision(t, 'fp-3', 'fire-panel', 'bldg-3');
  sims = await startSims(t, [fp, a1, a2, b1, fp2, fp3]);
  for (const s of sims) s.client.on('command', (r: { name: string }) => void recalls.push(`${s.identity.id}:${r.name}`));
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管');
  op = (await login(t, 'op', 'op-password')).token;
  sup = (await login(t, 'sup', 'sup-password')).token;
});
afterAll(async () => {
  await stopDevices(sims ?? []);
  await t?.close();
});

const detail = async (id: string) => (await api<IncidentDetail>(t, 'GET', `/api/incidents/${id}`, undefined, op)).body;
const act = (id: string, action: string, payload: unknown, token = op) =>
  api<IncidentDetail & { code?: string; message?: string }>(t, 'POST', `/api/incidents/${id}/actions/${action}`, { payload }, token);

describe('fire drill', () => {
  it('alarm → recall in that building only → confirmations → false alarm with cause → reset → cars back → closed', async () => {
    const panel = sims[0]!.sim as FirePanelSim;
    const t0 = Date.now();
    await panel.alarm('z5', 5, 'smoke');
    const inc = await waitFor(
      async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=fire_alarm', undefined, op)).body[0],
      5000,
      'fire incident',
    );
    // how fast it opens is a benchmark's business (BENCHMARKS.md), not a timed test's
    expect(inc).toMatchObject({ kind: 'fire_alarm', severity: 100, building: 'bldg-1', floor: 5, state: 'awaiting_ack' });
    expect(inc.openedAt).toBeGreaterThanOrEqual(t0);
    expect(inc.timers.find((x) => x.key === 'ack')?.dueAt).toBe(inc.openedAt + 15_000);
    // every car of bldg-1 recalled and confirmed; bldg-2's car untouched
    const confirmed = await waitFor(
      async () => {
        const d = await detail(inc.id);
        const recallCmds = d.commands.filter((c) => c.name === 'recall');
        const carsDone = ((d.data.recall as { cars?: Array<{ status: string }> } | undefined)?.cars ?? []).every(
          (c) => c.status === 'confirmed',
        );
        return recallCmds.length === 2 && recallCmds.every((c) => c.state === 'confirmed') && carsDone ? d : null;
      },
      5000,
      'both recalls confirmed',
    );
    expect(confirmed.commands.map((c) => c.deviceId).sort()).toEqual(['a-el-1', 'a-el-2']);
    expect(recalls.filter((r) => r.endsWith(':recall')).sort()).toEqual(['a-el-1:recall', 'a-el-2:recall']);
    const cars = (confirmed.data.recall as { cars: Array<{ deviceId: string; status: string }> }).cars;
    expect(cars.map((c) => c.status)).toEqual(['confirmed', 'confirmed']);

    // acknowledge (stops the 15 s countdown), then the false-alarm verdict needs a cause
    const acked = await act(inc.id, 'acknowledge', { notes: '已接警' });
    expect(acked.status).toBe(200);
    expect(acked.body.timers.find((x) => x.key === 'ack')?.status).toBe('cancelled');
    expect(acked.body.timers.find((x) => x.key === 'verify')?.status).toBe('running');
    const noCause = await act(inc.id, 'verify', { outcome: 'false_alarm' });
    expect(noCause.status).toBe(400);
    // the refusal is a message key, rendered in the reader's language (the user's locale: zh-CN)
    expect(noCause.body).toMatchObject({ key: 'fire_alarm.error.false_alarm_cause', message: '误报须填写原因(GB 25201 §5.3)' });
    const inEnglish = await api<{ message: string }>(
      t,
      'POST',
      `/api/incidents/${inc.id}/actions/verify`,
      { payload: { outcome: 'false_alarm' } },
      op,
      {
        'accept-language': 'en-GB,en;q=0.9',
      },
    );
    expect(inEnglish.body.message).toBe('a false alarm needs its cause (GB 25201 §5.3)');
    expect(
      (await act(inc.id, 'verify', { outcome: 'false_alarm', cause: '厨房油烟触发烟感 cooking fumes', verifiedBy: '保安 小李' })).status,
    ).toBe(200);
    // cars go back only after the panel reset
    expect((await act(inc.id, 'return_elevator', { deviceId: 'a-el-1' })).status).toBe(409);
    await panel.reset();
    await waitFor(
      async () => (await detail(inc.id)).steps.find((s) => s.key === 'panel_reset')?.status === 'done',
      5000,
      'panel reset recorded',
    );
    expect((await act(inc.id, 'return_elevator', { deviceId: 'a-el-1', notes: '1 号梯恢复' })).status).toBe(200);
    const last = await act(inc.id, 'return_elevator', { deviceId: 'a-el-2', notes: '2 号梯恢复' });
    expect(last.status).toBe(200);
    const closed = await waitFor(
      async () => {
        const d = await detail(inc.id);
        return d.open ? null : d;
      },
      5000,
      'closed',
    );
    expect(closed.state).toBe('closed');
    expect(closed.data.cause ?? (closed.data as { outcome?: unknown }).outcome).toBeTruthy();
    const duty = await t.hub.db.dutyLogEntry.findMany({ where: { incidentId: inc.id } });
    expect(duty.length).toBeGreaterThanOrEqual(2);
  });

  it('serious fire: 119 only after a supervisor approves; the call details are recorded', async () => {
    const panel = sims[4]!.sim as FirePanelSim; // bldg-2
    await panel.alarm('z2', 2, 'heat');
    const inc = await waitFor(
      async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=fire_alarm&building=bldg-2', undefined, op)).body[0],
      5000,
      'fire incident bldg-2',
    );
    await act(inc.id, 'acknowledge', {});
    expect((await act(inc.id, 'verify', { outcome: 'serious_fire', location: '2F 配电间', verifiedBy: '保安' })).body.state).toBe(
      'general_alarm',
    );
    // seed 000 §2.1.2.5: 经管理处经理批准后拨打119 — the operator can neither approve nor call first
    expect((await act(inc.id, 'approve_119', {})).status).toBe(403);
    const early = await act(inc.id, 'record_119_call', {
      address: '示范路 88 号 B 栋',
      fireLocation: '2F 配电间',
      burning: '电缆',
      calledAt: Date.now(),
    });
    expect([400, 409]).toContain(early.status);
    expect((await act(inc.id, 'approve_119', { notes: '同意报警' }, sup)).status).toBe(200);
    const view = await detail(inc.id);
    const allowed = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${inc.id}`, undefined, op)).body.allowedActions!.map(
      (a) => a.action,
    );
    expect(allowed).toContain('record_119_call');
    expect(view.timeline.some((e) => e.type === 'approval')).toBe(true);
  });

  it('serious fire with no supervisor acting: the 119 approval escalates and stops holding the call', async () => {
    const panel = sims[5]!.sim as FirePanelSim; // bldg-3
    await panel.alarm('z3', 3, 'smoke');
    const inc = await waitFor(
      async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=fire_alarm&building=bldg-3', undefined, op)).body[0],
      5000,
      'fire incident bldg-3',
    );
    await act(inc.id, 'acknowledge', {});
    await act(inc.id, 'verify', { outcome: 'serious_fire', location: '3F 走廊', verifiedBy: '保安' });
    const call = { address: '示范路 88 号 C 栋', fireLocation: '3F 走廊', burning: '杂物' };
    expect((await act(inc.id, 'record_119_call', call)).status).toBe(409);
    // nobody approves: after the target the supervisor chain is escalated and the call is free
    const d = await waitFor(
      async () => {
        const x = await detail(inc.id);
        return x.steps.find((k) => k.key === 'approve_119')?.status === 'skipped' ? x : null;
      },
      15_000,
      '119 approval timed out',
    );
    expect(d.timeline.some((e) => e.type === 'escalated' && e.data.reason === 'approval_119_overdue')).toBe(true);
    expect(d.timers.find((k) => k.key === 'approval_119')?.status).toBe('fired');
    const r = await act(inc.id, 'record_119_call', call);
    expect(r.status).toBe(200);
    expect(r.body.steps.find((k) => k.key === 'call_119')).toMatchObject({
      status: 'done',
      data: expect.objectContaining({ approved: false }),
    });
  });
});
