// Issue 14 in a real browser against a real hub and simulated devices: the incident history
// (search, a closed incident found by its note, CSV download with names), bulk acknowledge of
// device faults with one reason from the control room, snooze offered for a device fault but
// never for a fire alarm, and the fire close-out state after the panel reset.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type { FirePanelSim } from '../../devices/simulators/fire-panel.js';
import { api, login, waitFor } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, USERS, type Estate } from './helpers.js';

let estate: Estate;
let browser: Browser;
let opTok = '';

beforeAll(async () => {
  // no linked work orders: the history below counts the incidents this file opens
  [estate, browser] = await Promise.all([startEstate({ incidentConfig: { device_fault: { openWorkOrder: false } } }), launch()]);
  opTok = (await login(estate.t, USERS.operator.username, USERS.operator.password)).token;
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

async function fault(deviceId: string, description: string): Promise<IncidentDetail> {
  const r = await api<IncidentDetail>(
    estate.t,
    'POST',
    '/api/incidents',
    { kind: 'device_fault', building: 'bldg-1', payload: { deviceId, description } },
    opTok,
  );
  expect(r.status).toBe(201);
  return r.body;
}
const act = (id: string, action: string, payload: unknown) =>
  api<IncidentDetail>(estate.t, 'POST', `/api/incidents/${id}/actions/${action}`, { payload }, opTok);

async function operatorPage(): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await newPage(browser, estate.t);
  await loginAs(page, 'operator');
  return { page, errors };
}

describe('incident history', () => {
  it('finds a closed incident by what was written on it, opens it, and downloads the search as CSV with names', async () => {
    const closed = await fault('el-1', '轿厢通讯中断');
    await act(closed.id, 'acknowledge', { notes: '已知悉' });
    await act(closed.id, 'dispatch_maintenance', { party: 'contractor', notes: '维保单位' });
    expect((await act(closed.id, 'close', { resolution: '更换通讯模块 甲十七' })).status).toBe(200);
    await fault('pm-1', '电表离线');

    const { page, errors } = await operatorPage();
    await page.click('[data-testid=nav-history]');
    await page.waitForSelector('[data-testid=history-page] [data-testid=history-total]');
    expect(Number(await page.getAttribute('[data-testid=history-total]', 'data-total'))).toBeGreaterThanOrEqual(2);

    await page.fill('[data-testid=history-q]', '甲十七');
    await page.selectOption('[data-testid=history-state]', 'closed');
    await page.click('[data-testid=history-search]');
    await page.waitForSelector('[data-testid=history-total][data-total="1"]');
    const row = `[data-testid=history-row][data-incident-id="${closed.id}"]`;
    expect(await page.getAttribute(row, 'data-open')).toBe('false');
    const text = (await page.textContent(row))!;
    expect(text).toContain('1 号楼 1 号梯');
    expect(text).toContain('已结案');
    expect(text).not.toContain('el-1');
    await screenshot(page, 'history');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=history-csv]')]);
    const bytes = await fs.readFile((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('编号,类型,标题,状态,处理中,楼栋,楼层,设备,发生时间,结案时间');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('1 号楼 1 号梯');
    expect(lines[1]).toContain('已结案');

    await page.click(`${row} a`);
    await page.waitForSelector(`[data-testid=incident-detail][data-incident-id="${closed.id}"]`);
    expect(await page.textContent('[data-testid=timeline]')).toContain('更换通讯模块 甲十七');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('device faults in the control room', () => {
  it('acknowledges several faults at once with one reason', async () => {
    const a = await fault('ic-1', '门口机离线');
    const b = await fault('el-2', '轿厢通讯中断');
    const { page, errors } = await operatorPage();
    const item = (id: string) => `[data-testid=fault-bulk] [data-testid=bulk-fault][data-incident-id="${id}"]`;
    await page.waitForSelector(item(a.id));
    await page.waitForSelector(item(b.id));
    await page.check(`${item(a.id)} [data-testid=bulk-check]`);
    await page.check(`${item(b.id)} [data-testid=bulk-check]`);
    // no reason, no bulk action
    expect(await page.isDisabled('[data-testid=bulk-ack]')).toBe(true);
    await page.fill('[data-testid=bulk-reason]', '维保单位已知悉,正在处理');
    await page.click('[data-testid=bulk-ack]');
    await page.waitForSelector('[data-testid=bulk-result][data-done="2"][data-failed="0"]');
    await screenshot(page, 'control-room-fault-bulk');
    await page.waitForSelector(`${item(a.id)}[data-state=acknowledged]`);
    await page.waitForSelector(`${item(b.id)}[data-state=acknowledged]`);
    for (const id of [a.id, b.id]) {
      const d = (await api<IncidentDetail>(estate.t, 'GET', `/api/incidents/${id}`, undefined, opTok)).body;
      expect(d.steps.find((s) => s.key === 'acknowledge')).toMatchObject({ status: 'done', notes: '维保单位已知悉,正在处理' });
    }
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('offers snooze for a device fault, and shows it until its limit', async () => {
    const f = await fault('ic-1', '门口机通讯异常');
    const { page, errors } = await operatorPage();
    await page.goto(`/incidents/${f.id}`);
    await page.waitForSelector('[data-testid=incident-detail]');
    await page.click('[data-testid=action-snooze]');
    await page.fill('[data-testid=action-form-snooze] [name=minutes]', '30');
    await page.fill('[data-testid=action-form-snooze] [name=reason]', '维保已在路上');
    await page.click('[data-testid=action-form-snooze] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=incident-detail] [data-testid=snooze-mark]');
    expect(await page.textContent('[data-testid=snooze-mark]')).toMatch(/^已静音至 \d\d:\d\d/);
    expect(await page.textContent('[data-testid=timeline]')).toContain('维保已在路上');
    await page.waitForSelector('[data-testid=action-unsnooze]');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('fire alarm', () => {
  it('never offers snooze; after the panel reset on a false alarm the state says so and only recalled cars not yet back are offered', async () => {
    const fp = estate.sim<FirePanelSim>('fp-1');
    await fp.alarm('zone-04', 4, 'smoke');
    const inc = await waitFor(
      async () =>
        (await api<IncidentDetail[]>(estate.t, 'GET', '/api/incidents?state=open&kind=fire_alarm', undefined, opTok)).body.find(
          (i) => i.deviceId === 'fp-1',
        ),
      15_000,
      'fire incident',
    );
    const { page, errors } = await operatorPage();
    await page.goto(`/incidents/${inc.id}`);
    await page.waitForSelector('[data-testid=incident-detail] [data-testid=action-acknowledge]');
    expect(await page.$('[data-testid=action-snooze]')).toBeNull();
    await page.click('[data-testid=action-acknowledge]');
    await page.click('[data-testid=action-form-acknowledge] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=step-acknowledge][data-status=done]');
    for (const car of ['el-1', 'el-2']) await page.waitForSelector(`[data-testid=recall-car-${car}][data-status=confirmed]`);
    await page.click('[data-testid=action-verify]');
    await page.selectOption('[data-testid=action-form-verify] select[name=outcome]', 'false_alarm');
    await page.fill('[data-testid=action-form-verify] [name=cause]', '厨房油烟');
    await page.click('[data-testid=action-form-verify] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=incident-detail][data-state=false_alarm]');
    expect(await page.textContent('[data-testid=incident-detail] [data-testid=incident-state]')).toBe('误报 · 待复位');
    expect(await page.$('[data-testid=action-snooze]')).toBeNull();

    await fp.reset();
    await page.waitForSelector('[data-testid=incident-detail][data-state=false_alarm_reset]');
    expect(await page.textContent('[data-testid=incident-detail] [data-testid=incident-state]')).toBe('误报 · 已复位 · 待电梯恢复运行');
    await page.waitForSelector('[data-testid=step-panel_reset][data-status=done]');

    const options = async () =>
      page.$$eval('[data-testid=action-form-return_elevator] select[name=deviceId] option', (os) =>
        os.map((o) => (o as HTMLOptionElement).value).filter(Boolean),
      );
    await page.click('[data-testid=action-return_elevator]');
    expect(await options()).toEqual(['el-1', 'el-2']);
    await page.selectOption('[data-testid=action-form-return_elevator] select[name=deviceId]', 'el-1');
    await page.click('[data-testid=action-form-return_elevator] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=recall-car-el-1][data-status=returned]');
    await page.click('[data-testid=action-return_elevator]');
    // the car already back in service is not offered again (issue 14)
    expect(await options()).toEqual(['el-2']);
    await page.selectOption('[data-testid=action-form-return_elevator] select[name=deviceId]', 'el-2');
    await page.click('[data-testid=action-form-return_elevator] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=incident-detail][data-state=closed]');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
