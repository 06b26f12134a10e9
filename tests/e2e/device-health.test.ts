// Maintenance mode in a real browser (PROCEDURES.md "Device health"): an admin puts a car into
// maintenance from the device list (why, for how long); its tile on the control-room board says
// so (who, why, until when) in Chinese; a fault from that car opens nothing meanwhile; ending it
// early clears the tile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ElevatorSim } from '../../devices/simulators/elevator.js';
import type { IncidentView } from '../../contracts/incidents.js';
import { api, waitFor } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, type Estate } from './helpers.js';

let estate: Estate;
let browser: Browser;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate(), launch()]);
  ({ page, errors: pageErrors } = await newPage(browser, estate.t));
  await loginAs(page, 'admin');
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

describe('device maintenance mode', () => {
  it('set from the device list, shown on the car’s tile, suppresses its faults, ended early', async () => {
    await page.click('[data-testid=nav-devices]');
    await page.waitForSelector('[data-testid=device-row-el-1]');
    await page.fill('[data-testid=maintenance-reason-el-1]', '年度检验');
    await page.fill('[data-testid=maintenance-hours-el-1]', '3');
    await page.click('[data-testid=maintenance-start-el-1]');
    await page.waitForSelector('[data-testid=maintenance-end-el-1]');
    const row = await estate.t.hub.db.deviceMaintenance.findFirstOrThrow({ where: { deviceId: 'el-1' } });
    expect(row.reason).toBe('年度检验');
    // until = the browser's clock + 3 h, started = the hub's clock a moment later
    expect(Math.abs(row.until.getTime() - row.startedAt.getTime() - 3 * 3_600_000)).toBeLessThan(60_000);

    await page.click('[data-testid=nav-control]');
    const tile = page.locator('[data-testid=device-tile-el-1] [data-testid=maintenance]');
    await tile.waitFor();
    const text = (await tile.textContent()) ?? '';
    expect(text).toContain('维保中');
    expect(text).toContain('年度检验');
    expect(text).not.toMatch(/maintenance|until/i); // no English inside the Chinese UI
    expect(await page.locator('[data-testid=device-tile-el-2] [data-testid=maintenance]').count()).toBe(0);
    await screenshot(page, 'device-maintenance-tile');

    // a fault from the car in maintenance opens nothing; the other car's does (events are handled in order)
    await estate.sim<ElevatorSim>('el-1').fault('E-INSPECT');
    await estate.sim<ElevatorSim>('el-2').fault('E-DOOR');
    const faults = async () => (await api<IncidentView[]>(estate.t, 'GET', '/api/incidents?state=all&kind=device_fault')).body;
    await waitFor(async () => (await faults()).find((i) => i.deviceId === 'el-2'), 5000, 'fault of el-2');
    expect((await faults()).filter((i) => i.deviceId === 'el-1')).toHaveLength(0);

    await page.click('[data-testid=nav-devices]');
    await page.click('[data-testid=maintenance-end-el-1]');
    await page.waitForSelector('[data-testid=maintenance-start-el-1]');
    await page.click('[data-testid=nav-control]');
    await page.waitForSelector('[data-testid=device-tile-el-1]');
    expect(await page.locator('[data-testid=device-tile-el-1] [data-testid=maintenance]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
