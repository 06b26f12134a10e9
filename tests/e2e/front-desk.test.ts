// Front desk in a real browser: an intercom call approved (the simulated door panel gets
// `unlock`, the visit shows as opened), a denial, a walk-in with the ID masked on entry, a
// visitor name with markup shown as text, and an overstay highlighted.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { IntercomSim } from '../../devices/simulators/intercom.js';
import type { VisitView } from '../../contracts/incidents.js';
import { api, waitFor } from '../helpers/hub.js';
import { launch, loginAs, newPage, ROOT, screenshot, startEstate, type Estate } from './helpers.js';

let offset = 0;
let estate: Estate;
let browser: Browser;
let page: Page;
let errors: string[];
let door: IntercomSim;
const commands: string[] = [];

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate({ now: () => Date.now() + offset }), launch()]);
  door = estate.sim<IntercomSim>('ic-1');
  estate.client('ic-1').client.on('command', (r: { name: string }) => void commands.push(r.name));
  ({ page, errors } = await newPage(browser, estate.t));
  await loginAs(page, 'frontdesk');
  await page.waitForSelector('[data-testid=conn][data-state=online]');
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

const visitRow = (name: string) => `[data-testid=visit]:has([data-testid=visitor-name]:text-is(${JSON.stringify(name)}))`;

async function visitByName(name: string): Promise<VisitView> {
  return waitFor(
    async () => (await api<VisitView[]>(estate.t, 'GET', '/api/visits?state=all')).body.find((v) => v.visitorName === name),
    5000,
    `visit of ${name}`,
  );
}

describe('front desk', () => {
  it('approves a waiting intercom call: the door panel receives unlock and the visit shows as opened', async () => {
    await door.call('1203', '王五');
    const row = `[data-testid=fd-waiting] ${visitRow('王五')}`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} [data-testid=visit-state]`)).toBe('等待业主确认');
    await screenshot(page, 'front-desk-call');
    await page.click(`${row} [data-testid=visit-approve]`);
    await waitFor(() => commands.includes('unlock'), 5000, 'unlock at the door panel');
    await page.waitForSelector(`[data-testid=fd-inside] ${visitRow('王五')}[data-state=opened]`);
    expect(await page.textContent(`[data-testid=fd-inside] ${visitRow('王五')} [data-testid=visit-state]`)).toBe('已进入');
    expect(door.openedBy).not.toBeNull();
    const v = await visitByName('王五');
    expect(v).toMatchObject({ state: 'opened', approvalChannel: 'phone', approvedBy: 'owner:1203' });
  });

  it('denies a call: the request is closed and listed as denied', async () => {
    const unlocksBefore = commands.length;
    await door.call('301', '赵六');
    const row = `[data-testid=fd-waiting] ${visitRow('赵六')}`;
    await page.waitForSelector(row);
    await page.click(`${row} [data-testid=visit-deny]`);
    await page.fill(`${row} [data-testid=deny-reason]`, '业主不在家');
    await page.click(`${row} [data-testid=visit-deny-confirm]`);
    await page.waitForSelector(row, { state: 'detached' });
    await page.waitForSelector(`[data-testid=fd-recent] ${visitRow('赵六')}[data-state=denied]`);
    expect((await visitByName('赵六')).state).toBe('denied');
    expect(commands.length).toBe(unlocksBefore);
  });

  it('shows a visitor name containing markup as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    await door.call('1203', evil);
    const row = `[data-testid=fd-waiting] ${visitRow(evil)}`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} [data-testid=visitor-name]`)).toBe(evil);
    expect(await page.$$eval('[data-testid=fd-waiting] img', (x) => x.length)).toBe(0);
    expect(await page.$$eval('img[src=x]', (x) => x.length)).toBe(0);
    // the control room's live event feed shows it as text too
    await page.click('[data-testid=nav-control]');
    await page.waitForSelector('[data-testid=events] .ev-data:has-text("<img src=x")');
    expect(await page.$$eval('img[src=x]', (x) => x.length)).toBe(0);
    await page.click('[data-testid=nav-front-desk]');
    expect(errors).toEqual([]);
  });

  it('the dashboard source never renders data as HTML', () => {
    const files = fs
      .readdirSync(path.join(ROOT, 'dashboard/src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(tsx?|css)$/.test(f));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files)
      expect(fs.readFileSync(path.join(ROOT, 'dashboard/src', f), 'utf8')).not.toMatch(
        /dangerouslySetInnerHTML|\.innerHTML|insertAdjacentHTML|document\.write/,
      );
  });

  it('registers a walk-in visitor with the ID number masked on entry', async () => {
    const raw = '110101199003071234';
    await page.fill('[data-testid=fd-walkin] input[name=unit]', '301');
    await page.fill('[data-testid=fd-walkin] input[name=visitorName]', '孙七');
    await page.fill('[data-testid=id-number]', raw);
    expect(await page.getAttribute('[data-testid=id-number]', 'type')).toBe('password');
    expect(await page.textContent('[data-testid=id-masked]')).toContain('110***********1234');
    expect(await page.innerText('body')).not.toContain(raw);
    await page.click('[data-testid=walkin-submit]');
    await page.waitForSelector(`[data-testid=fd-waiting] ${visitRow('孙七')}`);
    expect(await page.textContent(`[data-testid=fd-waiting] ${visitRow('孙七')}`)).toContain('110***********1234');
    const v = await visitByName('孙七');
    expect(v.idMasked).toBe('110***********1234');
    expect(v.channel).toBe('walk_in');
    expect(await page.innerText('body')).not.toContain(raw);
  });

  it('highlights a visitor still inside past the registered time', async () => {
    offset += 61 * 60_000;
    await estate.t.hub.incidents.tick();
    const row = `[data-testid=fd-inside] ${visitRow('王五')}`;
    await page.waitForSelector(`${row}.overstay [data-testid=overstay]`);
    await screenshot(page, 'front-desk');
    await page.click(`${row} [data-testid=visit-departure]`);
    await page.waitForSelector(row, { state: 'detached' });
    expect((await visitByName('王五')).state).toBe('left');
  });

  it('a reason given to open one visitor’s record does not open the next record the page goes to', async () => {
    const [first, second] = [await visitByName('王五'), await visitByName('赵六')];
    await page.goto(`/incidents/${first.id}`);
    await page.fill('[data-testid=reveal-reason]', '核对访客身份');
    await page.click('[data-testid=reveal-submit]');
    await page.waitForSelector('[data-testid=incident-detail]:has-text("王五")');
    // in-app navigation (no reload), as a link to another incident does
    await page.evaluate((to) => {
      history.pushState(null, '', to);
      dispatchEvent(new PopStateEvent('popstate'));
    }, `/incidents/${second.id}`);
    await page.waitForSelector('[data-testid=reveal]');
    expect(await page.textContent('[data-testid=incident-detail]')).not.toContain('赵六');
    const reads = await estate.t.hub.db.personalDataAccess.findMany({ where: { subject: `visit:${second.id}` } });
    expect(reads.map((r) => r.reason)).not.toContain('核对访客身份');
  });
});
