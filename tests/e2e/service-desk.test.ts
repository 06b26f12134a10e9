// The service desk in a real browser (PROCEDURES.md §8): the front desk registers a resident's
// repair on the work-order board, dispatches it, records the response and the completion, the
// owner's acceptance closes it; the board filters by category and state, and the printable
// sheet opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { WorkOrderView } from '../../contracts/workorders.js';
import { api, waitFor } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, type Estate } from './helpers.js';

let estate: Estate;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate(), launch()]);
  ({ page, errors } = await newPage(browser, estate.t));
  await loginAs(page, 'frontdesk');
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

async function run(action: string, fill: Record<string, string> = {}): Promise<void> {
  await page.click(`[data-testid=action-${action}]`);
  const form = `[data-testid=action-form-${action}]`;
  await page.waitForSelector(form);
  for (const [name, v] of Object.entries(fill)) await page.fill(`${form} [name=${name}]`, v);
  await page.click(`${form} [data-testid=form-submit]`);
}

describe('work-order board 报修工单', () => {
  let id = '';

  it('registers a resident repair and walks it to acceptance in the incident page', async () => {
    await page.click('[data-testid=nav-work-orders]');
    await page.waitForSelector('[data-testid=wo-new]');
    await page.fill('[data-testid=wo-new] [name=unit]', '1203');
    await page.fill('[data-testid=wo-new] [name=location]', '厨房');
    await page.fill('[data-testid=wo-new] [name=description]', '水龙头漏水 <b>急</b>');
    await page.fill('[data-testid=wo-new] [name=reporterName]', '陈建国');
    await page.click('[data-testid=wo-submit]');
    await page.waitForSelector('[data-testid=incident-detail][data-state=registered]');
    id = (await page.getAttribute('[data-testid=incident-detail]', 'data-incident-id')) ?? '';
    expect(id).not.toBe('');
    expect(await page.textContent('[data-testid=incident-state]')).toBe('已登记 · 待派单');

    await run('dispatch', { party: '工程部 李师傅' });
    await page.waitForSelector('[data-testid=incident-detail][data-state=dispatched]');
    await run('record_response');
    await page.waitForSelector('[data-testid=incident-detail][data-state=in_progress]');
    await run('complete', { workDone: '更换阀芯' });
    await page.waitForSelector('[data-testid=incident-detail][data-state=awaiting_acceptance]');
    await run('accept', { signerName: '陈建国' });
    await page.waitForSelector('[data-testid=incident-detail][data-state=closed]');
    await screenshot(page, 'work-order-closed');
    const v = (await api<WorkOrderView>(estate.t, 'GET', `/api/work-orders/${id}`)).body;
    expect(v).toMatchObject({ state: 'closed', dispatchedTo: '工程部 李师傅', acceptance: { signedBy: 'owner', signerName: '陈建国' } });
    expect(v.followupDueAt).not.toBeNull();
  });

  it('the board filters by state and category; markup in a description stays text; the sheet prints', async () => {
    const other = await api<{ id: string; number: number }>(estate.t, 'POST', '/api/work-orders', {
      building: 'bldg-1',
      category: 'elevator',
      area: 'common',
      location: '2 号梯',
      description: '轿厢照明不亮',
      source: 'staff',
    });
    expect(other.status).toBe(201);
    const mine = (await api<WorkOrderView>(estate.t, 'GET', `/api/work-orders/${id}`)).body;
    await page.click('[data-testid=nav-work-orders]');
    await page.waitForSelector(`[data-testid=wo-row-${other.body.number}]`);
    // open orders by default: the closed one is not on the board
    expect(await page.$(`[data-testid=wo-row-${mine.number}]`)).toBeNull();
    await page.selectOption('[data-testid=wo-board] select[name=state]', 'closed');
    await page.waitForSelector(`[data-testid=wo-row-${mine.number}]`);
    expect(await page.$(`[data-testid=wo-row-${other.body.number}]`)).toBeNull();
    expect(await page.textContent(`[data-testid=wo-row-${mine.number}]`)).toContain('水龙头漏水 <b>急</b>');
    await page.selectOption('[data-testid=wo-board] select[name=state]', 'all');
    await page.selectOption('[data-testid=wo-board] select[name=category]', 'elevator');
    await page.waitForSelector(`[data-testid=wo-row-${mine.number}]`, { state: 'detached' });
    await page.waitForSelector(`[data-testid=wo-row-${other.body.number}]`);
    await page.check('[data-testid=wo-board] input[name=overdue]');
    await page.waitForSelector('[data-testid=wo-table]', { state: 'detached' });
    await screenshot(page, 'work-order-board');
    const href = await waitFor(async () => {
      await page.uncheck('[data-testid=wo-board] input[name=overdue]');
      return page.getAttribute(`[data-testid=wo-row-${other.body.number}] [data-testid=wo-sheet]`, 'href');
    });
    const sheet = await page.request.get(href);
    expect(sheet.status()).toBe(200);
    const html = await sheet.text();
    expect(html).toContain('维修工单');
    expect(html).toContain('轿厢照明不亮');
    expect(errors).toEqual([]);
  });
});
