// Complaints 投诉 in a real browser (PROCEDURES.md §9): the front desk registers a resident's
// complaint on the complaint board, confirms it valid, replies with the next reply time agreed,
// hands it to a department, records the response and the solution, and the 回访 closes it; the
// board filters by state and category; the supervisor prints the monthly complaint report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ComplaintView } from '../../contracts/complaints.js';
import { api } from '../helpers/hub.js';
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

/** Open an action's form (rendered from the served payload schema), fill it and submit. */
async function run(action: string, fill: Record<string, string> = {}, select: Record<string, string> = {}): Promise<void> {
  await page.click(`[data-testid=action-${action}]`);
  const form = `[data-testid=action-form-${action}]`;
  await page.waitForSelector(form);
  for (const [name, v] of Object.entries(fill)) await page.fill(`${form} [name=${name}]`, v);
  for (const [name, v] of Object.entries(select)) await page.selectOption(`${form} select[name=${name}]`, v);
  await page.click(`${form} [data-testid=form-submit]`);
  // the page closes the form once the hub answered: the next step starts from the new state
  await page.waitForSelector(form, { state: 'detached' });
}
const atState = (state: string) => page.waitForSelector(`[data-testid=incident-detail][data-state=${state}]`);

describe('complaints 投诉', () => {
  let id = '';

  it('registers a resident complaint and walks it from registration to 回访 in the incident page', async () => {
    await page.click('[data-testid=nav-complaints]');
    await page.waitForSelector('[data-testid=cp-new]');
    await page.fill('[data-testid=cp-new] [name=unit]', '1203');
    await page.fill('[data-testid=cp-new] [name=complainantName]', '陈建国');
    await page.selectOption('[data-testid=cp-new] select[name=channel]', 'visit');
    await page.selectOption('[data-testid=cp-new] select[name=category]', 'environment');
    await page.fill('[data-testid=cp-new] [name=location]', '地下车库');
    await page.fill('[data-testid=cp-new] [name=description]', '车库积水有异味 <i>三天</i>');
    await page.click('[data-testid=cp-submit]');
    await atState('registered');
    id = (await page.getAttribute('[data-testid=incident-detail]', 'data-incident-id')) ?? '';
    expect(id).not.toBe('');
    expect(await page.textContent('[data-testid=incident-state]')).toBe('已登记 · 待核实');

    await run('accept_valid');
    await atState('handling');
    // the next reply time comes filled in (a day ahead): agree it with the complainant as it is
    await run('record_reply', { text: '已安排清理,明天回复处理结果' });
    await page.waitForSelector('[data-testid=incident-detail] >> text=已安排清理,明天回复处理结果');
    // the response waits for a hand-off: shown disabled with the reason until then
    expect(await page.textContent('[data-testid=blocked-record_response]')).toContain('请先转交责任部门');
    await run('hand_off', { party: '保洁班长' }, { department: 'cleaning' });
    await page.waitForSelector('[data-testid=action-record_response]');
    await run('record_response', { notes: '保洁已到场' });
    await page.waitForSelector('[data-testid=action-record_response]', { state: 'detached' });
    let v = (await api<ComplaintView>(estate.t, 'GET', `/api/complaints/${id}`)).body;
    expect(v).toMatchObject({ state: 'handling', valid: true, department: 'cleaning' });
    expect(v.nextReplyAt).toBeGreaterThan(Date.now());
    await run('record_solution', { solution: '已抽水清理并消毒' });
    await atState('awaiting_followup');
    expect(await page.textContent('[data-testid=incident-state]')).toBe('已回复处理结果 · 待回访');
    await run('record_followup', { notes: '业主表示满意' });
    await atState('closed');
    await screenshot(page, 'complaint-closed');
    v = (await api<ComplaintView>(estate.t, 'GET', `/api/complaints/${id}`)).body;
    expect(v).toMatchObject({ state: 'closed', open: false, overdue: { reply: false, response: false, solution: false, followup: false } });
    expect(v.followedUpAt).not.toBeNull();
  });

  it('the board filters by state and category; markup in a description stays text', async () => {
    const other = await api<{ id: string; number: number }>(estate.t, 'POST', '/api/complaints', {
      building: 'bldg-1',
      complainantType: 'outside',
      complainantName: '快递员',
      channel: 'phone',
      category: 'service',
      description: '门岗不让进',
    });
    expect(other.status).toBe(201);
    const mine = (await api<ComplaintView>(estate.t, 'GET', `/api/complaints/${id}`)).body;
    await page.click('[data-testid=nav-complaints]');
    await page.waitForSelector(`[data-testid=cp-row-${other.body.number}]`);
    // open complaints by default: the closed one is not on the board
    expect(await page.$(`[data-testid=cp-row-${mine.number}]`)).toBeNull();
    await page.selectOption('[data-testid=cp-board] select[name=state]', 'closed');
    await page.waitForSelector(`[data-testid=cp-row-${mine.number}]`);
    expect(await page.$(`[data-testid=cp-row-${other.body.number}]`)).toBeNull();
    expect(await page.textContent(`[data-testid=cp-row-${mine.number}]`)).toContain('车库积水有异味 <i>三天</i>');
    await page.selectOption('[data-testid=cp-board] select[name=state]', 'all');
    await page.selectOption('[data-testid=cp-board] select[name=category]', 'service');
    await page.waitForSelector(`[data-testid=cp-row-${mine.number}]`, { state: 'detached' });
    await page.waitForSelector(`[data-testid=cp-row-${other.body.number}]`);
    await page.check('[data-testid=cp-board] input[name=overdue]');
    await page.waitForSelector('[data-testid=cp-table]', { state: 'detached' });
    await screenshot(page, 'complaint-board');
    // the report is for supervisors: the desk has no link to it
    expect(await page.$('[data-testid=cp-report]')).toBeNull();
    expect(errors).toEqual([]);
  });

  it('the supervisor prints the monthly complaint report from the board', async () => {
    const sup = await newPage(browser, estate.t);
    await loginAs(sup.page, 'supervisor');
    await sup.page.goto('/complaints');
    await sup.page.waitForSelector('[data-testid=cp-report]');
    const href = (await sup.page.getAttribute('[data-testid=cp-report-print]', 'href')) ?? '';
    expect(href).toContain('format=html');
    const r = await sup.page.request.get(href);
    expect(r.status()).toBe(200);
    const html = await r.text();
    expect(html).toContain('投诉工作月报');
    // both complaints of this test were registered this month; one valid, followed up
    expect(html).toMatch(/登记投诉<\/th><td>2</);
    expect(html).toMatch(/已回访<\/th><td>1<\/td><td>100\.0%/);
    const csv = await sup.page.request.get((await sup.page.getAttribute('[data-testid=cp-report-csv]', 'href')) ?? '');
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect(sup.errors).toEqual([]);
    await sup.context.close();
  });
});
