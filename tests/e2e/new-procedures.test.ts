// The incident screens of the procedures added after the first release, in a real browser:
// a simulated leak cable by the lifts puts a water incident on the board with its steps in
// Chinese; acknowledging and parking the cars from the screen shows each car's confirmation;
// the front desk reports an accident by phone and records the 120 call from its form; a
// supervisor declares a rainstorm warning and raises its level.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startDevices, stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { WaterSim } from '../../devices/simulators/water.js';
import { provision } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, type Estate } from './helpers.js';

let estate: Estate;
let browser: Browser;
let water: StartedDevice[] = [];

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate(), launch()]);
  const meta = { role: 'leak', zone: 'b1-lift-pit', floor: -1, near: 'elevator' };
  const d = await provision(estate.t, 'wt-1', 'water', 'bldg-1', 'site-1', { name: '1 号楼电梯底坑漏水感应', floors: [-1], meta });
  water = await startDevices([{ id: d.id, secret: d.secret, site: d.site, building: d.building, class: 'water', floors: [-1], meta }], {
    url: estate.t.mqttUrl,
    intervalMs: 0,
    traffic: false,
  });
  await water[0]!.sim.sendTelemetry();
});
afterAll(async () => {
  await stopDevices(water);
  await browser?.close();
  await estate?.close();
});

describe('water leak screen', () => {
  it('a leak by the lifts is on the board; the detail reads in Chinese; parking the cars shows each car confirmed', async () => {
    const { context, page, errors } = await newPage(browser, estate.t);
    await loginAs(page, 'operator');
    await page.waitForSelector('[data-testid=device-tile-wt-1][data-state=online]');
    await (water[0]!.sim as WaterSim).leak();
    const card = '[data-testid=incident-card][data-kind=water_leak]';
    // (seen once in CI: no card after 30 s; the likely cause, the open list read before the push
    // replacing the store, is fixed in tests/dashboard/live-store.test.ts) — on a timeout, say
    // whether the hub had opened the incident, so a next occurrence tells the page from the hub
    await page.waitForSelector(`${card} [data-testid=timer-ack]`).catch(async (err: Error) => {
      const open = await estate.t.hub.incidents.list({ state: 'open', limit: 50 });
      throw new Error(`${err.message}\nopen at the hub: ${JSON.stringify(open.map((i) => [i.kind, i.id]))}`);
    });
    expect(await page.textContent(card)).toContain('漏水/水浸');
    await page.click(`${card} a`);
    await page.waitForSelector('[data-testid=incident-detail]');
    expect(await page.textContent('[data-testid=step-protect]')).toContain('保护电梯井道、配电房、水泵房');
    expect(await page.textContent('[data-testid=fact-zones]')).toContain('b1-lift-pit');

    await page.click('[data-testid=action-acknowledge]');
    await page.click('[data-testid=action-form-acknowledge] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=step-acknowledge][data-status=done]');
    await page.click('[data-testid=action-take_cars_out_of_service]');
    await page.click('[data-testid=action-form-take_cars_out_of_service] [data-testid=form-submit]');
    for (const car of ['el-1', 'el-2']) await page.waitForSelector(`[data-testid=recall-car-${car}][data-status=confirmed]`);
    await page.waitForSelector('[data-testid=step-protect][data-status=done]');
    // a refusal in the reader's language: cleared before the water is stopped
    await page.click('[data-testid=action-confirm_cleared]');
    await page.click('[data-testid=action-form-confirm_cleared] [data-testid=form-submit]');
    const err = await page.waitForSelector('[data-testid=action-form-confirm_cleared] [data-testid=error]');
    expect(await err.textContent()).toContain('请先记录止水');
    await screenshot(page, 'incident-detail-water');
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('medical emergency screen', () => {
  it('the front desk reports an accident by phone and records the 120 call', async () => {
    const { context, page, errors } = await newPage(browser, estate.t);
    await loginAs(page, 'frontdesk');
    await page.goto('/control');
    await page.click('[data-testid=report-open]');
    await page.selectOption('[data-testid=report-form] select >> nth=0', 'medical_emergency');
    await page.fill('[data-testid=report-form] [name=location]', '大堂东侧台阶');
    await page.click('[data-testid=report-form] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=incident-detail]');
    expect(await page.textContent('[data-testid=incident-detail] h1')).toContain('意外/急救');
    await page.click('[data-testid=action-acknowledge]');
    await page.click('[data-testid=action-form-acknowledge] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=step-acknowledge][data-status=done]');
    await page.click('[data-testid=action-record_120_call]');
    await page.fill('[data-testid=action-form-record_120_call] [name=told]', '老人摔倒,头部出血,意识清醒');
    await page.click('[data-testid=action-form-record_120_call] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=step-call_120][data-status=done]');
    expect(await page.textContent('[data-testid=timeline]')).toContain('拨打120');
    // the statement is a supervisor's: the front desk is not offered it
    expect(await page.$('[data-testid=action-approve_statement]')).toBeNull();
    await screenshot(page, 'incident-detail-medical');
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('severe weather screen', () => {
  it('a supervisor declares a rainstorm warning and raises it to red; the title follows', async () => {
    const { context, page, errors } = await newPage(browser, estate.t);
    await loginAs(page, 'supervisor');
    await page.goto('/control');
    await page.click('[data-testid=report-open]');
    await page.selectOption('[data-testid=report-form] select >> nth=0', 'severe_weather');
    await page.selectOption('[data-testid=report-form] select[name=type]', 'rainstorm');
    await page.selectOption('[data-testid=report-form] select[name=level]', 'yellow');
    await page.click('[data-testid=report-form] [data-testid=form-submit]');
    await page.waitForSelector('[data-testid=incident-detail][data-state=active]');
    expect(await page.textContent('[data-testid=incident-detail] h1')).toContain('暴雨');
    await page.click('[data-testid=action-change_level]');
    await page.selectOption('[data-testid=action-form-change_level] select[name=level]', 'red');
    await page.click('[data-testid=action-form-change_level] [data-testid=form-submit]');
    await page.waitForFunction(() => document.querySelector('[data-testid=incident-detail] h1')?.textContent?.includes('红色'));
    expect(await page.textContent('[data-testid=step-sandbags]')).toContain('车库坡道放置沙袋');
    await screenshot(page, 'incident-detail-weather');
    expect(errors).toEqual([]);
    await context.close();
  });
});
