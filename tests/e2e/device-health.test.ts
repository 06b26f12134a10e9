// Maintenance mode in a real browser (PROCEDURES.md "Device health"): a supervisor (not only an
// admin) puts a car into maintenance from the device list with a reason and an end time; the
// car's tile on an operator's control room, open meanwhile, shows it at once (who, why, until
// when) in Chinese — a live push, no reload; a fault from that car opens nothing meanwhile; ending
// it early clears the operator's tile live too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ElevatorSim } from '../../devices/simulators/elevator.js';
import type { IncidentView } from '../../contracts/incidents.js';
import { api, waitFor } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, type Estate } from './helpers.js';

let estate: Estate;
let browser: Browser;
let page: Page;
let board: Page;
let pageErrors: string[];
let boardErrors: string[];

/** "YYYY-MM-DDTHH:mm" in China Standard Time (the browsers run in Asia/Shanghai). */
const cstInput = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16);

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate(), launch()]);
  ({ page, errors: pageErrors } = await newPage(browser, estate.t));
  ({ page: board, errors: boardErrors } = await newPage(browser, estate.t));
  await loginAs(page, 'supervisor');
  await loginAs(board, 'operator');
  await board.goto('/control');
  await board.waitForSelector('[data-testid=device-tile-el-1]');
  await board.waitForSelector('[data-testid=conn][data-state=online]');
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

describe('device maintenance mode', () => {
  it('a supervisor sets it from the device list (reason, until); every open board shows it live; faults suppressed; ended early', async () => {
    await page.click('[data-testid=nav-devices]');
    await page.waitForSelector('[data-testid=device-row-el-1]');
    // the supervisor's device view: maintenance only (provisioning, secrets and disabling are an admin's)
    expect(await page.$('[data-testid=toggle-el-1]')).toBeNull();
    expect(await page.$('[data-testid=rotate-el-1]')).toBeNull();
    expect(await page.isDisabled('[data-testid=maintenance-start-el-1]')).toBe(true); // no reason yet
    const untilText = cstInput(Date.now() + 3 * 3_600_000);
    const until = Date.parse(`${untilText}:00+08:00`);
    await page.fill('[data-testid=maintenance-reason-el-1]', '年度检验');
    await page.fill('[data-testid=maintenance-until-el-1]', untilText);
    await page.click('[data-testid=maintenance-start-el-1]');
    await page.waitForSelector('[data-testid=maintenance-end-el-1]');
    expect(await page.textContent('[data-testid=maintenance-window-el-1]')).toContain('年度检验');
    const row = await estate.t.hub.db.deviceMaintenance.findFirstOrThrow({ where: { deviceId: 'el-1' } });
    expect(row).toMatchObject({ reason: '年度检验', endedAt: null });
    expect(row.until.getTime()).toBe(until);

    // the operator's board, open all along, follows without a reload
    const tile = board.locator('[data-testid=device-tile-el-1] [data-testid=maintenance]');
    await tile.waitFor();
    const text = (await tile.textContent()) ?? '';
    expect(text).toContain('维保中');
    expect(text).toContain('年度检验');
    expect(text).toContain('客服主管 张伟');
    expect(text).toContain(untilText.slice(11, 16)); // the end time, HH:mm
    expect(text).not.toMatch(/maintenance|until/i); // no English inside the Chinese UI
    expect(await board.locator('[data-testid=device-tile-el-2] [data-testid=maintenance]').count()).toBe(0);
    await screenshot(board, 'device-maintenance-tile');

    // a fault from the car in maintenance opens nothing; the other car's does (events are handled in order)
    await estate.sim<ElevatorSim>('el-1').fault('E-INSPECT');
    await estate.sim<ElevatorSim>('el-2').fault('E-DOOR');
    const faults = async () => (await api<IncidentView[]>(estate.t, 'GET', '/api/incidents?state=all&kind=device_fault')).body;
    await waitFor(async () => (await faults()).find((i) => i.deviceId === 'el-2'), 5000, 'fault of el-2');
    expect((await faults()).filter((i) => i.deviceId === 'el-1')).toHaveLength(0);

    await page.click('[data-testid=maintenance-end-el-1]');
    await page.waitForSelector('[data-testid=maintenance-start-el-1]');
    // …and the board clears it live
    await tile.waitFor({ state: 'detached' });
    expect(await board.locator('[data-testid=device-tile-el-1]').count()).toBe(1);
    expect(pageErrors).toEqual([]);
    expect(boardErrors).toEqual([]);
  });
});
