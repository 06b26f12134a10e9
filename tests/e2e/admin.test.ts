// Administration screens in a real browser (issue 8): from an empty hub, an admin creates a
// site and a building, imports owners (errors shown with line and column, then the fixed
// file), creates a staff account (password shown once) who logs in, and disabling that
// account while their dashboard is open logs them out at once. Settings show who set them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { SettingsView } from '../../contracts/admin.js';
import { api, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';
import { assertDashboardBuilt, launch, loginAs, newPage, screenshot } from './helpers.js';

let t: TestHub;
let browser: Browser;
let page: Page;
/** page errors and CSP violations of the admin's page (newPage collects them) */
let pageErrors: string[];

const HEADER = 'building,number,floor,ownerName,ownerPhone,altContact';

beforeAll(async () => {
  assertDashboardBuilt();
  [t, browser] = await Promise.all([startTestHub(), launch()]);
  ({ page, errors: pageErrors } = await newPage(browser, t));
  // the admin screens confirm disabling and role changes: accept (newPage's own handler dismisses)
  page.removeAllListeners('dialog');
  page.on('dialog', (d) => void d.accept());
  await loginAs(page, 'admin');
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function csvFile(p: Page, text: string): Promise<void> {
  await p.setInputFiles('[data-testid=import-file]', { name: 'units.csv', mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
}

describe('administration screens', () => {
  it('creates a site and a building from an empty hub', async () => {
    await page.click('[data-testid=nav-admin]');
    await page.waitForSelector('[data-testid=admin-sites]');
    const site = page.locator('[data-testid=site-form]');
    await site.locator('input[name=id]').fill('harbour');
    await site.locator('input[name=name]').fill('海港花园');
    await site.locator('input[name=address]').fill('上海市浦东新区海港路 9 号');
    await page.click('[data-testid=site-submit]');
    await page.waitForSelector('[data-testid=site-row-harbour]');
    const b = page.locator('[data-testid=building-form]');
    await b.locator('input[name=id]').fill('harbour-1');
    await b.locator('select[name=site]').selectOption('harbour');
    await b.locator('input[name=name]').fill('海港 1 号楼');
    await b.locator('input[name=floors]').fill('12');
    await b.locator('input[name=address]').fill('海港路 9 号 1 号楼');
    await page.click('[data-testid=building-submit]');
    await page.waitForSelector('[data-testid=building-row-harbour-1]');
    expect(await page.textContent('[data-testid=building-row-harbour-1]')).toContain('海港 1 号楼');
    const row = await t.hub.db.building.findUniqueOrThrow({ where: { id: 'harbour-1' } });
    expect(row).toMatchObject({ siteId: 'harbour', floors: 12, lobbyFloor: 1 });
  });

  it('imports owners: errors shown with line and column, nothing written; the fixed file imports', async () => {
    await page.click('[data-testid=admin-tab-units]');
    await csvFile(
      page,
      [HEADER, 'harbour-1,101,1,张三,13800000001,', 'harbour-1,102,1,李四,1380000,', 'harbour-9,103,1,王五,13800000003,'].join('\n'),
    );
    await page.click('[data-testid=import-check]');
    await page.waitForSelector('[data-testid=import-errors]');
    const rows = page.locator('[data-testid=import-error-row]');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-line')).toBe('3');
    expect(await rows.nth(0).textContent()).toContain('业主电话');
    expect(await rows.nth(1).getAttribute('data-code')).toBe('unknown_building');
    expect(await rows.nth(1).textContent()).toContain('楼栋 harbour-9 不存在');
    // no English half in the Chinese UI
    expect(await rows.nth(1).textContent()).not.toContain('does not exist');
    expect(await page.isDisabled('[data-testid=import-run]')).toBe(true);
    await screenshot(page, 'admin-import-errors');
    expect(await t.hub.db.unit.count()).toBe(0);

    await csvFile(
      page,
      [HEADER, 'harbour-1,101,1,张三,13800000001,', 'harbour-1,102,1,李四,13800000002,', 'harbour-1,103,1,王五,13800000003,'].join('\n'),
    );
    await page.click('[data-testid=import-check]');
    await page.waitForSelector('[data-testid=import-summary][data-dry-run=true]');
    expect(await page.textContent('[data-testid=import-summary]')).toContain('将新增 3');
    await page.click('[data-testid=import-run]');
    await page.waitForSelector('[data-testid=import-summary][data-dry-run=false]');
    expect(await t.hub.db.unit.count({ where: { buildingId: 'harbour-1' } })).toBe(3);
  });

  it('creates a staff account (password shown once); they log in; disabling them logs their open dashboard out', async () => {
    await page.click('[data-testid=admin-tab-users]');
    const f = page.locator('[data-testid=user-form]');
    await f.locator('input[name=username]').fill('zhou.op');
    await f.locator('input[name=displayName]').fill('值班员 周强');
    await f.locator('select[name=role]').selectOption('operator');
    await page.click('[data-testid=user-submit]');
    await page.waitForSelector('[data-testid=one-time-password]');
    const password = (await page.textContent('[data-testid=one-time-password-value]'))!.trim();
    expect(password).toHaveLength(16);
    await page.click('[data-testid=one-time-password-close]');
    await page.waitForSelector('[data-testid=user-row-zhou\\.op]');

    const other = await newPage(browser, t);
    const p2 = other.page;
    await p2.goto('/login');
    await p2.fill('#username', 'zhou.op');
    await p2.fill('#password', password);
    await p2.click('[data-testid=login-submit]');
    await p2.waitForSelector('[data-testid=who][data-role=operator]');
    await p2.waitForSelector('[data-testid=conn][data-state=online]', { timeout: 10_000 });

    await page.click('[data-testid=toggle-zhou\\.op]');
    await page.waitForSelector('[data-testid=user-row-zhou\\.op][data-disabled=true]');
    // their open dashboard is logged out at once (socket session:ended), no reload needed
    await p2.waitForSelector('[data-testid=login-form]', { timeout: 10_000 });
    expect(p2.url()).toContain('/login');
    expect(await p2.textContent('[data-testid=login-error]')).toContain('登录已过期');
    await other.context.close();
  });

  it('settings: a changed target shows who set it; the audit view lists the changes', async () => {
    await page.click('[data-testid=admin-tab-settings]');
    const input = page.locator('#set-elevator_entrapment\\.ackSeconds');
    await input.fill('45');
    await page.click('[data-testid=settings-save]');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="setting-source-elevator_entrapment.ackSeconds"]')?.textContent?.includes('设置'),
    );
    const s = await api<SettingsView>(t, 'GET', '/api/settings');
    expect(s.body.settings.find((x) => x.key === 'elevator_entrapment.ackSeconds')?.value).toBe(45);

    await page.click('[data-testid=admin-tab-audit]');
    await page.waitForSelector('[data-testid=audit-row]');
    await page.selectOption('[data-testid=audit-area]', 'user.');
    await waitFor(
      async () => {
        const actions = await page.locator('[data-testid=audit-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
        return actions.length > 0 && actions.every((a) => a?.startsWith('user.')) && actions.includes('user.disable');
      },
      10_000,
      'user.* audit rows',
    );
    await screenshot(page, 'admin-audit');
    // no script error or CSP violation on any admin screen
    expect(pageErrors).toEqual([]);
  });
});
