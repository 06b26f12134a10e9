// A shift handover 交接班 in a real browser (PROCEDURES.md "Shifts, duty log, handover"; seed 004
// 篇3): the hub opens the handover when the day shift ends (fake hub clock), the outgoing operator
// stays on duty, fills the equipment check (√ / × with a note) and signs; the incoming operator
// accepts in a second browser and is then on duty; the supervisor signs the ended shift's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { HandoverResponse } from '../../contracts/records.js';
import { api } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, type Estate } from './helpers.js';

const cst = (iso: string) => Date.parse(`${iso}+08:00`);
let clock = cst('2026-11-30T17:55:00');
let estate: Estate;
let browser: Browser;
let outgoing: Page;
let incoming: Page;

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate({ now: () => clock }), launch()]);
  await estate.t.hub.auth.createUser('op2', 'op2-password-1', 'operator', '夜班值班员 赵强');
  ({ page: outgoing } = await newPage(browser, estate.t));
  ({ page: incoming } = await newPage(browser, estate.t));
  await loginAs(outgoing, 'operator');
  await incoming.goto('/login');
  await incoming.fill('#username', 'op2');
  await incoming.fill('#password', 'op2-password-1');
  await incoming.click('[data-testid=login-submit]');
  await incoming.waitForSelector('[data-testid=who][data-role=operator]');
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

describe('shift handover with the equipment check', () => {
  it('the hub opens the handover at 18:00; the outgoing operator is shown staying on duty', async () => {
    await outgoing.goto('/shift');
    await outgoing.waitForSelector('[data-testid=shift-name]:has-text("白班")');
    expect(await outgoing.$('[data-testid=overtime]')).toBeNull();
    clock = cst('2026-11-30T18:00:02');
    await estate.t.hub.shifts.tick();
    // the live push refetches the screen: the ended day shift waits for its handover
    await outgoing.waitForSelector('[data-testid=overtime]:has-text("交班人须留岗至接班人签收")');
    await outgoing.waitForSelector('[data-testid=shift-name]:has-text("夜班")');
    await outgoing.waitForSelector('[data-testid=handover-new]:has-text("交接班:2026-11-30T0800 白班")');
  });

  it('the outgoing operator ticks every item (one ×, with a note) and signs', async () => {
    const submit = '[data-testid=handover-submit]';
    await outgoing.fill('[data-testid=handover-new] textarea', '夜间注意 3 号摄像头');
    expect(await outgoing.isDisabled(submit)).toBe(true); // nothing checked yet
    const rows = await outgoing.$$('[data-testid=equipment-check] .check-row');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const row of rows) await (await row.$('input[type=radio]'))!.check();
    await outgoing.check('[data-testid=check-cctv] input[type=radio] >> nth=1');
    await outgoing.fill('[data-testid=check-cctv] input[aria-label="情况说明"]', '3 号摄像头黑屏');
    await outgoing.fill('[data-testid=handover-new] input[name=incoming]', 'op2');
    await screenshot(outgoing, 'shift-handover-check');
    await outgoing.click(submit);
    await outgoing.waitForSelector('[data-testid=handovers] .handover-open:has-text("× 监控录像系统运行正常(3 号摄像头黑屏)")');
    await outgoing.waitForSelector('[data-testid=overtime]:has-text("等待接班人签收")');
    expect(await outgoing.textContent('[data-testid=on-duty-name]')).toBe('监控中心值班员 王敏');
    // the outgoing operator cannot accept their own handover
    expect(await outgoing.$('[data-testid=handovers] .handover-open [data-testid=handover-accept]')).toBeNull();
  });

  it('the incoming operator accepts; the incoming one is on duty and nothing is pending', async () => {
    await incoming.goto('/shift');
    await incoming.waitForSelector('[data-testid=handovers] .handover-open:has-text("夜间注意 3 号摄像头")');
    await incoming.click('[data-testid=handovers] .handover-open [data-testid=handover-accept]');
    await incoming.waitForSelector('[data-testid=handovers] .handover-accepted');
    await incoming.waitForSelector('[data-testid=on-duty-name]:has-text("夜班值班员 赵强")');
    expect(await incoming.$('[data-testid=overtime]')).toBeNull();
    await screenshot(incoming, 'shift-handover-accepted');
    const list = await api<HandoverResponse[]>(estate.t, 'GET', '/api/handovers');
    const h = list.body[0]!;
    expect(h).toMatchObject({ state: 'accepted', shiftId: '2026-11-30T0800' });
    expect(h.checks.filter((c) => !c.ok)).toEqual([{ item: 'cctv', label: '监控录像系统运行正常', ok: false, note: '3 号摄像头黑屏' }]);
  });

  it('the supervisor signs the ended day shift’s log', async () => {
    const { page } = await newPage(browser, estate.t);
    await loginAs(page, 'supervisor');
    await page.goto('/supervisor?tab=duty');
    // the running night shift's log is shown first: not ended, so not signable
    await page.waitForSelector('[data-testid=signoff] p.muted');
    // the picked shift's log answers late (as on a busy hub): until it does, the night shift's
    // entries and sign-off state must not stand under the day shift's name
    await page.route('**/api/shift-log?shift=2026-11-30T0800', async (r) => {
      await new Promise((res) => setTimeout(res, 1000));
      await r.continue();
    });
    await page.selectOption('[data-testid=shift-pick]', '2026-11-30T0800');
    expect(await page.$$('[data-testid=duty-log] tbody tr')).toHaveLength(0);
    expect(await page.$$('[data-testid=signoff] p')).toHaveLength(0);
    await page.waitForSelector('[data-testid=duty-log] td:has-text("交接班检查异常(×)")');
    await page.fill('[data-testid=signoff] textarea', '白班记录已核对');
    await page.click('[data-testid=sign]');
    await page.waitForSelector('[data-testid=signoff] .ok:has-text("白班记录已核对")');
    await page.waitForSelector('[data-testid=month-counts]:has-text("已签字 1")');
    await screenshot(page, 'shift-duty-log-signed');
  });
});
