// Building scope in a real browser (issue 8 item 3): an operator confined to building a-1 sees
// only a-1 on the control room — its devices, its incidents, live — while the unscoped admin's
// board, open at the same time, shows both buildings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { IncidentDetail } from '../../contracts/incidents.js';
import { ADMIN_PASSWORD, api, provision, startTestHub, type TestHub } from '../helpers/hub.js';
import { assertDashboardBuilt, launch, newPage, screenshot } from './helpers.js';

let t: TestHub;
let browser: Browser;
const OPERATOR = { username: 'op.a', password: 'estate-a-pass-12' };
const SUPERVISOR = { username: 'sup.a', password: 'estate-a-sup-pass-12' };
/** what the detail page says for a 404 (dashboard/src/i18n.ts incident.notFound) */
const NOT_FOUND = '找不到该事件';

async function loginPage(username: string, password: string, role: string): Promise<Page> {
  const { page } = await newPage(browser, t);
  await page.goto('/login');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector(`[data-testid=who][data-role=${role}]`);
  await page.goto('/control');
  await page.waitForSelector('[data-testid=conn][data-state=online]');
  return page;
}

async function report(building: string): Promise<IncidentDetail> {
  const r = await api<IncidentDetail>(t, 'POST', '/api/incidents', {
    kind: 'elevator_entrapment',
    building,
    payload: { floor: 4, car: `car-${building}-${Math.random()}` },
  });
  if (r.status !== 201) throw new Error(`report in ${building}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  assertDashboardBuilt();
  [t, browser] = await Promise.all([startTestHub(), launch()]);
  await api(t, 'POST', '/api/sites', { id: 'site-a', name: 'A 苑' });
  await api(t, 'POST', '/api/sites', { id: 'site-b', name: 'B 苑' });
  await api(t, 'POST', '/api/buildings', { id: 'a-1', site: 'site-a', name: 'A 苑 1 号楼', floors: 12 });
  await api(t, 'POST', '/api/buildings', { id: 'b-1', site: 'site-b', name: 'B 苑 1 号楼', floors: 12 });
  await provision(t, 'el-a', 'elevator', 'a-1', 'site-a', { name: 'A 苑 1 号梯' });
  await provision(t, 'el-b', 'elevator', 'b-1', 'site-b', { name: 'B 苑 1 号梯' });
  const u = await api(t, 'POST', '/api/users', { ...OPERATOR, displayName: 'A 苑值班员', role: 'operator', buildings: ['a-1'] });
  if (u.status !== 201) throw new Error(`user: ${u.status} ${JSON.stringify(u.body)}`);
  const sup = await api(t, 'POST', '/api/users', { ...SUPERVISOR, displayName: 'A 苑主管', role: 'supervisor', buildings: ['a-1'] });
  if (sup.status !== 201) throw new Error(`supervisor: ${sup.status} ${JSON.stringify(sup.body)}`);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('a scoped operator’s control room', () => {
  let mine: Page;
  let admin: Page;
  beforeAll(async () => {
    mine = await loginPage(OPERATOR.username, OPERATOR.password, 'operator');
    admin = await loginPage('admin', ADMIN_PASSWORD, 'admin');
  });

  it('shows only its building and its devices; the admin’s shows both', async () => {
    await admin.waitForSelector('[data-testid=device-tile-el-b]');
    await admin.waitForSelector('[data-testid=device-tile-el-a]');
    await mine.waitForSelector('[data-testid=device-tile-el-a]');
    expect(await mine.locator('[data-testid=device-tile-el-b]').count()).toBe(0);
    expect(await mine.locator('[data-testid=building-b-1]').count()).toBe(0);
    expect(await admin.locator('[data-testid=building-b-1]').count()).toBe(1);
  });

  it('an incident of the other building never reaches its board; its own does, live', async () => {
    // the other building's first: the admin's board shows it, so it was pushed …
    const b = await report('b-1');
    await admin.waitForSelector(`[data-testid=incident-card][data-incident-id="${b.id}"]`);
    // … then the own building's: once it is on the operator's board, the earlier push would have been too
    const a = await report('a-1');
    await mine.waitForSelector(`[data-testid=incident-card][data-incident-id="${a.id}"]`);
    expect(await mine.locator(`[data-testid=incident-card][data-incident-id="${b.id}"]`).count()).toBe(0);
    expect(await mine.locator('[data-testid=incident-card]').count()).toBe(1);
    await screenshot(mine, 'control-room-scoped');
    // a reload (HTTP list + sync) agrees with the live board
    await mine.reload();
    await mine.waitForSelector(`[data-testid=incident-card][data-incident-id="${a.id}"]`);
    expect(await mine.locator(`[data-testid=incident-card][data-incident-id="${b.id}"]`).count()).toBe(0);
    // and the other building's incident cannot be opened by URL
    await mine.goto(`/incidents/${b.id}`);
    const shown = await mine.waitForSelector('p.error');
    expect(await shown.textContent()).toBe(NOT_FOUND);
    expect(await mine.locator('[data-testid=incident-detail]').count()).toBe(0);
  });
});

describe('a scoped supervisor', () => {
  it('is told that the day’s log is signed by an unscoped supervisor instead of being offered a sign button the hub refuses', async () => {
    const page = await loginPage(SUPERVISOR.username, SUPERVISOR.password, 'supervisor');
    await page.goto('/supervisor?tab=duty');
    const note = await page.waitForSelector('[data-testid=sign-unscoped]');
    expect(await note.textContent()).toContain('不限楼栋的主管签字');
    expect(await page.locator('[data-testid=sign]').count()).toBe(0);
  });
});
