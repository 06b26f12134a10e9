// `simulate scenario … --hub`: the CLI plays the devices over MQTT *and* the control room over
// HTTP against a real hub, printing a step log and exiting 0 only when the hub did what the
// procedure says (issue #3 drills: fire, outage, entrapment, visitor flows).
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleetFile } from '../../devices/fleet.js';
import { startDevices, stopDevices, EXIT } from '../../devices/runtime.js';
import type { IncidentView } from '../../contracts/incidents.js';
import { simulate as runScenario, writeFleetFile } from '../helpers/scenario.js';
import { api, provision, seedPlace, startTestHub, waitFor, type Provisioned, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let dir: string;
let fleetFile: string;
const FLOORS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

beforeAll(async () => {
  t = await startTestHub({
    incidentConfig: {
      power_outage: { standbyMs: 500 },
      visitor_approval: { ownerAnswerMs: 500, unlockConfirmMs: 800, unlockExpiryMs: 600 },
    },
  });
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  const entries: Array<Provisioned & { floors?: number[]; meta?: Record<string, string> }> = [];
  const add = async (
    id: string,
    cls: Provisioned['class'],
    building: string,
    extra: { floors?: number[]; meta?: Record<string, string> } = {},
  ) => {
    entries.push({ ...(await provision(t, id, cls, building, 'site-1', extra)), ...extra });
  };
  await add('fp-1', 'fire-panel', 'bldg-1', { floors: FLOORS });
  await add('el-1', 'elevator', 'bldg-1', { floors: FLOORS, meta: { car: '1' } });
  await add('el-2', 'elevator', 'bldg-1', { floors: FLOORS, meta: { car: '2' } });
  await add('pm-1', 'power', 'bldg-1', { floors: FLOORS, meta: { feeder: 'f-1' } });
  await add('ic-1', 'intercom', 'bldg-1');
  // another building: its car must not be recalled by bldg-1's fire alarm
  await add('el-b1', 'elevator', 'bldg-2', { floors: FLOORS, meta: { car: '1' } });
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员 王敏');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管 张伟');
  await t.hub.auth.createUser('desk', 'desk-password', 'frontdesk', '前台 李娜');
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '1203', floor: 12, ownerName: '陈建国', ownerPhone: '13800001234' } });
  ({ dir, file: fleetFile } = await writeFleetFile(entries));
});

afterAll(async () => {
  await t?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const simulate = (args: string[], logins?: string[]) => runScenario(t, fleetFile, args, logins);

const incidents = async (kind: string) => (await api<IncidentView[]>(t, 'GET', `/api/incidents?state=all&kind=${kind}`)).body;

describe('simulate scenarios with the control room (--hub)', () => {
  it('fire-drill: alarm → recall of that building’s cars only → ack → false alarm with cause → reset → cars back → closed', async () => {
    const { code, log } = await simulate(['fire-drill', '--floor', '5', '--reset-after', '0ms']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/火警报警 fire alarm — zone zone-05, floor 5/);
    expect(log).toMatch(/◆ 接警 Acknowledge — 监控中心值班员 op/);
    expect(log).toMatch(/✓ 核对 check: recall sent to every car of building bldg-1 and only to them — recalled: el-1, el-2/);
    expect(log).toMatch(/✓ 核对 check: no car of another building was recalled — untouched: el-b1 \(bldg-2\)/);
    expect(log).toMatch(/✓ 核对 check: a false alarm without its cause is refused/);
    expect(log).toMatch(/◆ 确认结果 Record verification — .*误报 false alarm, cause: 厨房油烟/);
    expect(log).toMatch(/◆ 恢复一台电梯运行 Return one elevator to service — .*el-1 back in service/);
    expect(log).toMatch(/✓ 核对 check: fire incident #\d+ closed as a false alarm/);
    expect(log).not.toMatch(/✗/);
    const [fire] = await incidents('fire_alarm');
    expect(fire).toMatchObject({ state: 'closed', open: false, building: 'bldg-1' });
    expect(
      fire!.commands
        .filter((c) => c.name === 'recall')
        .map((c) => c.deviceId)
        .sort(),
    ).toEqual(['el-1', 'el-2']);
  });

  it('fire-drill --outcome serious_fire: 119 only after the supervisor approves; evacuation, report with photo; closed by the supervisor', async () => {
    const { code, log } = await simulate(['fire-drill', '--outcome', 'serious_fire', '--floor', '3', '--reset-after', '0ms']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/✓ 核对 check: 119 is not called before the supervisor approves/);
    expect(log).toMatch(/✓ 核对 check: an operator cannot approve the 119 call — .*403/);
    expect(log).toMatch(/◆ 批准拨打119 Approve 119 call — 客服主管\/值班主任 sup/);
    expect(log).toMatch(/◆ 记录119报警 Record 119 call — 监控中心值班员 op: 119: bldg-1 address, 3F zone-03/);
    expect(log).toMatch(/◆ 上传现场照片 attach a scene photo/);
    expect(log).toMatch(/✓ 核对 check: fire incident #\d+ closed after the serious-fire procedure/);
    expect(log).not.toMatch(/✗/);
  });

  it('entrapment end to end: ack, passengers, contractor + security, release with headcount, supervisor signs fit, report, close, follow-up', async () => {
    const { code, log } = await simulate(['entrapment', '--car', 'el-2', '--passengers', '3', '--release-after', '300ms']);
    expect(code, log).toBe(0);
    for (const action of [
      '接警 Acknowledge',
      '记录被困人员 Record passengers',
      '通知维保单位 Dispatch contractor',
      '派秩序维护员 Dispatch security',
      '记录维保到场 Record contractor arrival',
      '确认解救 Confirm release',
      '签字确认电梯可运行 Sign fit for service',
      '提交特别事件报告 File special report',
      '结案 Close',
    ]) {
      expect(log).toContain(`◆ ${action}`);
    }
    expect(log).toMatch(/◆ 签字确认电梯可运行 Sign fit for service — 客服主管\/值班主任 sup/);
    expect(log).toMatch(/✓ 核对 check: 回访 follow-up scheduled/);
    expect(log).toMatch(/✓ 核对 check: an operator cannot sign the car fit/);
    expect(log).toMatch(/✓ 核对 check: entrapment #\d+ closed/);
    const ent = (await incidents('elevator_entrapment')).find((i) => i.deviceId === 'el-2');
    expect(ent).toMatchObject({ state: 'closed', open: false });
  });

  it('outage --ats none: generator-failure escalation within the standby target; the trapped car → entrapment linked to the outage', async () => {
    const { code, log } = await simulate([
      'outage',
      '--ats',
      'none',
      '--trap-car',
      'el-1',
      '--release-after',
      '1s',
      '--restore-after',
      '2s',
    ]);
    expect(code, log).toBe(0);
    expect(log).toMatch(/市电中断 mains lost — feeder f-1/);
    expect(log).toMatch(
      /✓ 核对 check: generator_failure escalated within the standby target \(0\.5 s\) — escalated \d+\.\ds after opening/,
    );
    expect(log).toMatch(/· 中心 hub #\d+ — 已上报主管:备用电源未投入\(发电机故障\) \/ Escalated to supervisor: Generator failure/);
    expect(log).toMatch(/✓ 核对 check: the entrapment is linked to the outage \(parentId = the outage\)/);
    expect(log).toMatch(/✓ 核对 check: outage #\d+ closed/);
    const [outage] = await incidents('power_outage');
    const ent = (await incidents('elevator_entrapment')).find((i) => i.deviceId === 'el-1');
    expect(ent?.parentId).toBe(outage!.id);
    expect(outage).toMatchObject({ state: 'closed' });
  });

  it('visitor approve: the desk approves, the door panel receives unlock and confirms, the visitor leaves', async () => {
    const { code, log } = await simulate(
      ['visitor', '--flow', 'approve', '--visitor', '王五'],
      ['--user', 'op', '--password', 'op-password', '--desk-user', 'desk', '--desk-password', 'desk-password'],
    );
    expect(code, log).toBe(0);
    expect(log).toMatch(/访客呼叫 visitor calls — 王五 → unit 1203/);
    expect(log).toMatch(/◆ 记录业主意见 Record owner decision: 同意 approved — 客服前台 desk/);
    expect(log).toMatch(/开门 door opened — unlock \S+ for 5s confirmed/);
    expect(log).toMatch(/✓ 核对 check: approval attributed and entry recorded — approvedBy owner:1203 via phone/);
    expect(log).toMatch(/✓ 核对 check: visit #\d+ closed: visitor left/);
  });

  it('visitor never-confirm: the unlock is swallowed and the hub fails closed', async () => {
    const { code, log } = await simulate(['visitor', '--flow', 'never-confirm', '--visitor', '李四']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/门保持锁闭 door stays locked — unlock \S+ received; never-confirm drill/);
    expect(log).toMatch(/✓ 核对 check: fail-closed: no confirmation → the visit is marked failed, never opened/);
    expect(log).toMatch(/✓ 核对 check: no entry recorded/);
  });

  it('visitor deny, owner unreachable, owner’s in-unit station and pre-authorised flows', async () => {
    const deny = await simulate(['visitor', '--flow', 'deny', '--visitor', '推销员']);
    expect(deny.code, deny.log).toBe(0);
    expect(deny.log).toMatch(/✓ 核对 check: no unlock sent after the refusal/);
    const un = await simulate(['visitor', '--flow', 'unreachable', '--visitor', '快递员']);
    expect(un.code, un.log).toBe(0);
    expect(un.log).toMatch(/✓ 核对 check: owner unreachable after the answer time/);
    expect(un.log).toMatch(/✓ 核对 check: visit closed with a message left/);
    const station = await simulate(['visitor', '--flow', 'approve', '--owner', 'approve', '--owner-after', '0ms', '--visitor', '赵六']);
    expect(station.code, station.log).toBe(0);
    expect(station.log).toMatch(/业主同意 owner approves — from the in-unit station/);
    expect(station.log).toMatch(/approvedBy owner:1203 via in_unit_station/);
    const pre = await simulate(['visitor', '--flow', 'preauth', '--visitor', '钱七']);
    expect(pre.code, pre.log).toBe(0);
    expect(pre.log).toMatch(/✓ 核对 check: approval attributed to the owner’s pre-authorisation/);
    expect(pre.log).toMatch(/✓ 核对 check: ID number stored masked only \(first 3 \+ last 4\) — 110\*+1234/);
  });

  it('repair-order: a fire-panel trouble → device fault + linked work order; dispatch, response, reset suggests completion, staff accept, 回访', async () => {
    const { code, log } = await simulate(['repair-order', '--panel', 'fp-1', '--zone', 'Z9', '--reset-after', '300ms']);
    expect(code, log).toBe(0);
    for (const action of ['派单 Dispatch', '记录维修响应 Record response', '记录完工 Record completion', '验收 Record acceptance'])
      expect(log).toContain(`◆ ${action}`);
    expect(log).toMatch(/✓ 核对 check: the work order and the fault are linked both ways/);
    expect(log).toMatch(/✓ 核对 check: the panel reset suggested the repair is done/);
    expect(log).toMatch(/✓ 核对 check: work order #\d+ closed, 回访 follow-up scheduled/);
    expect(log).not.toMatch(/✗/);
  });

  it('complaint: registration → valid → reply → linked work order → response → solution → 回访; an invalid one explained; the monthly report counts them', async () => {
    const { code, log } = await simulate(['complaint', '--unit', '1203']);
    expect(code, log).toBe(0);
    for (const action of [
      '确认有效投诉 Confirm as valid',
      '记录回复并约定下次回复 Record reply and next reply time',
      '转报修工单 Open a repair work order',
      '记录回访 Record the follow-up',
      '确认无效投诉并说明 Mark invalid and explain',
    ])
      expect(log).toContain(`◆ ${action}`);
    expect(log).toMatch(/✓ 核对 check: the complaint and its repair work order are linked both ways/);
    expect(log).toMatch(/✓ 核对 check: nobody waives the 回访 of a valid complaint/);
    expect(log).toMatch(/✓ 核对 check: complaint #\d+ closed after 回访/);
    expect(log).toMatch(/✓ 核对 check: monthly complaint report \d{4}-\d{2}: \d+ registered, 1 valid, 1 invalid, 回访 1\/1/);
    expect(log).not.toMatch(/✗/);
    const closed = (await incidents('complaint')).filter((i) => i.state === 'closed');
    expect(closed).toHaveLength(1);
    expect((await incidents('repair')).some((r) => (r as { parentId?: string | null }).parentId === closed[0]!.id)).toBe(true);
  });

  it('exit code 4 when the hub refuses a step (pre-authorisation for a unit it does not know)', async () => {
    const { code, log } = await simulate(['visitor', '--flow', 'preauth', '--unit', '9999', '--visitor', '周九']);
    expect(code, log).toBe(4);
    expect(log).toMatch(/✗ 不符 FAILED: control-room step — .*9999/);
    expect(log).toMatch(/未完成 NOT completed/);
  });

  it('a wrong hub password is refused before any device connects (exit 3)', async () => {
    const { code, log } = await simulate(['fire-drill'], ['--user', 'op', '--password', 'nope']);
    expect(code, log).toBe(3);
    expect(log).toMatch(/refused the login/);
    expect(log).not.toMatch(/fire alarm/);
  });
});

describe('a drill against devices someone else already runs (issue 14)', () => {
  it('refuses (exit 5) when the hub sees its devices online — e.g. the hub’s own demo fleet — and leaves no incident behind', async () => {
    // another client plays the same devices (what `npm start` does with its demo fleet)
    const others = await startDevices(await loadFleetFile(fleetFile), { url: t.mqttUrl, intervalMs: 0 });
    try {
      const before = (await incidents('fire_alarm')).length;
      await waitFor(async () => {
        const list = (await api<{ id: string; state: string }[]>(t, 'GET', '/api/devices')).body;
        return list.find((d) => d.id === 'fp-1')?.state === 'online';
      });
      const { code, log } = await simulate(['fire-drill', '--floor', '4', '--reset-after', '0ms']);
      expect(code).toBe(EXIT.devicesBusy);
      expect(log).toContain('already connected to the hub');
      expect(log).toContain('HUB_DEMO_FLEET=0');
      expect((await incidents('fire_alarm')).length).toBe(before);
    } finally {
      await stopDevices(others);
    }
  });
});
