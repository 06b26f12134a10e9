// Supervisor, admin and telemetry screens in a real browser: the approval queue (approve_119
// of a general alarm), duty-log sign-off, shift handover, the printable report, English UI;
// device provisioning with the secret shown once and disabling; uPlot history charts that keep
// updating live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FirePanelSim } from '../../devices/simulators/fire-panel.js';
import type { PowerSim } from '../../devices/simulators/power.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { api, connectDevice, login, waitFor } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, USERS, type Estate } from './helpers.js';

let estate: Estate;
let browser: Browser;

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate(), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

describe('supervisor', () => {
  let page: Page;
  let fireId: string;
  beforeAll(async () => {
    // a confirmed serious fire: general alarm, the 119 call waits for the manager's approval
    const op = (await login(estate.t, USERS.operator.username, USERS.operator.password)).token;
    await estate.sim<FirePanelSim>('fp-1').alarm('zone-05', 5, 'heat');
    const fire = await waitFor(
      async () => (await api<IncidentView[]>(estate.t, 'GET', '/api/incidents', undefined, op)).body.find((i) => i.kind === 'fire_alarm'),
      5000,
      'fire incident',
    );
    fireId = fire.id;
    expect((await api(estate.t, 'POST', `/api/incidents/${fireId}/actions/acknowledge`, { payload: { notes: '' } }, op)).status).toBe(200);
    const v = await api<IncidentDetail>(
      estate.t,
      'POST',
      `/api/incidents/${fireId}/actions/verify`,
      { payload: { outcome: 'serious_fire', verifiedBy: '秩序维护员 李强', notes: '5 楼配电间冒烟' } },
      op,
    );
    expect(v.body.state).toBe('general_alarm');
    ({ page } = await newPage(browser, estate.t));
    await loginAs(page, 'supervisor');
  });

  it('approves the 119 call from the approval queue', async () => {
    // one row per incident, holding every approval it waits for
    const item = `[data-testid=approval][data-incident-id="${fireId}"]`;
    await page.waitForSelector(`${item} [data-testid=approve-approve_119]`);
    expect(await page.locator(item).count()).toBe(1);
    await screenshot(page, 'supervisor-approvals');
    await page.click(`${item} [data-testid=approve-approve_119]`);
    await page.fill(`${item} textarea[name=notes]`, '同意报警');
    await page.click(`${item} [data-testid=form-submit]`);
    await page.waitForSelector(`${item} [data-testid=approve-approve_119]`, { state: 'detached' });
    const d = await api<IncidentDetail>(estate.t, 'GET', `/api/incidents/${fireId}`);
    expect(d.body.steps.find((s) => s.key === 'approve_119')?.status).toBe('done');
  });

  it('shows the current shift’s duty log, signed only once the shift has ended (tests/e2e/shift-handover.test.ts signs one)', async () => {
    await page.click('[data-testid=tab-duty]');
    await page.waitForSelector('[data-testid=duty-log] td:has-text("全面火警")');
    await page.waitForSelector('[data-testid=signoff] :text("班次未结束,结束后方可签字")');
    expect(await page.$('[data-testid=sign]')).toBeNull();
    await screenshot(page, 'supervisor-duty-log');
  });

  it('hands over the shift with the open items listed', async () => {
    await page.click('[data-testid=tab-handover]');
    await page.waitForSelector('[data-testid=equipment-check] .check-row');
    for (const row of await page.$$('[data-testid=equipment-check] .check-row')) await (await row.$('input[type=radio]'))!.check();
    await page.fill('[data-testid=handover-new] textarea', '5 楼火情处置中,119 已批准');
    await page.click('[data-testid=handover-submit]');
    await page.waitForSelector('[data-testid=handovers] .handover-open:has-text("5 楼火情处置中")');
    expect(await page.textContent('[data-testid=handovers] .handover-open .open-items')).toContain('火警');
    await screenshot(page, 'supervisor-handover');
  });

  it('opens the printable special incident report', async () => {
    await page.goto(`/incidents/${fireId}`);
    // a deep link survives a reload (session restored, client-side route served by the hub)
    await page.reload();
    await page.waitForSelector(`[data-testid=incident-detail][data-incident-id="${fireId}"]`);
    const href = await page.getAttribute('a.button[href$="/report"]', 'href');
    expect(href).toBe(`/api/incidents/${fireId}/report`);
    const r = await page.request.get(href!);
    expect(r.status()).toBe(200);
    expect(r.headers()['content-type']).toContain('text/html');
    expect(await r.text()).toContain('特别事件报告');
  });

  it('switches the whole UI to English', async () => {
    await page.goto('/supervisor');
    await page.click('[data-testid=lang]');
    await page.waitForSelector('nav.nav a:text-is("Supervisor")');
    await page.waitForSelector('[data-testid=tab-approvals]:text-is("Pending approvals")');
    await page.goto(`/incidents/${fireId}`);
    await page.waitForSelector('[data-testid=incident-state]:text-is("General alarm")');
    await page.waitForSelector('[data-testid=step-approve_119]:has-text("Manager approves calling 119")');
    await screenshot(page, 'incident-detail-en');
    await page.click('[data-testid=lang]');
    await page.waitForSelector('[data-testid=incident-state]:text-is("全面火警")');
  });
});

describe('admin', () => {
  let page: Page;
  beforeAll(async () => {
    ({ page } = await newPage(browser, estate.t));
    await loginAs(page, 'admin');
  });

  it('provisions a device: the secret is shown once and works', async () => {
    await page.click('[data-testid=nav-devices]');
    await page.fill('[data-testid=provision] input[name=id]', 'el-3');
    await page.fill('[data-testid=provision] input[name=name]', '1 号楼 3 号梯');
    await page.fill('[data-testid=provision] input[name=building]', 'bldg-1');
    await page.fill('[data-testid=provision] input[name=floors]', '1-10');
    await page.fill('[data-testid=provision] input[name=car]', '3');
    await page.click('[data-testid=provision-submit]');
    const secret = (await page.textContent('[data-testid=secret]'))!.trim();
    expect(secret.length).toBeGreaterThan(10);
    await page.waitForSelector('[data-testid=device-row-el-3]');
    const c = await connectDevice(estate.t, {
      id: 'el-3',
      deviceId: 'el-3',
      secret,
      site: 'site-1',
      building: 'bldg-1',
      class: 'elevator',
    });
    await page.waitForSelector('[data-testid=device-row-el-3][data-state=online]');
    await c.endAsync();
    await page.click('[data-testid=secret-close]');
    await page.waitForSelector('[data-testid=secret-box]', { state: 'detached' });
    expect(await page.content()).not.toContain(secret);
  });

  it('disables a device', async () => {
    await page.click('[data-testid=toggle-el-3]');
    await page.waitForSelector('[data-testid=device-row-el-3][data-enabled=false]');
    expect((await api<{ enabled: boolean }>(estate.t, 'GET', '/api/devices/el-3')).body.enabled).toBe(false);
    await screenshot(page, 'devices');
  });

  it('charts telemetry history with uPlot and keeps it updating live', async () => {
    // 15 minutes of history for the power meter
    const now = Date.now();
    for (let i = 180; i > 0; i--) {
      const ts = now - i * 5000;
      estate.t.hub.telemetry.write({
        deviceId: 'pm-1',
        site: 'site-1',
        building: 'bldg-1',
        class: 'power',
        ts,
        metrics: {
          voltage_v: 380 + 4 * Math.sin(i / 9),
          power_kw: 140 + 12 * Math.sin(i / 23) + (i % 7),
          frequency_hz: 50 + 0.03 * Math.sin(i / 5),
        },
      });
    }
    await estate.t.hub.telemetry.flush();
    await page.goto('/telemetry?device=pm-1');
    for (const m of ['voltage_v', 'power_kw', 'frequency_hz']) await page.waitForSelector(`[data-testid=chart-${m}] canvas`);
    const points = () => page.getAttribute('[data-testid=chart-voltage_v]', 'data-points').then(Number);
    await waitFor(async () => (await points()) > 50, 5000, 'history points');
    const before = await points();
    await estate.sim<PowerSim>('pm-1').sendTelemetry();
    await waitFor(async () => (await points()) > before, 5000, 'a live point');
    await screenshot(page, 'telemetry');
    // another range reloads from the store
    await page.click('label.chip:has-text("1 小时")');
    await page.waitForSelector('[data-testid=chart-voltage_v] canvas');
  });
});

describe('login screen', () => {
  it('is translated and keyboard usable', async () => {
    const { context, page } = await newPage(browser, estate.t);
    await page.goto('/');
    await page.waitForSelector('[data-testid=login-form]');
    await screenshot(page, 'login');
    await page.keyboard.type(USERS.operator.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(USERS.operator.password);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=who][data-role=operator]');
    await context.close();
  });
});
