// Issue 14, what users of PagerDuty/ThingsBoard-style consoles expect, in a real browser on a
// real hub: keyboard shortcuts on the control room with their help overlay (never while typing),
// a phone-sized layout for supervisors (acknowledge, approve 119, the timeline — no horizontal
// scrolling), several telemetry series on one chart with always-visible legend values and a
// CSV export, and floor plans (upload, place devices by dragging, alarms and offline shown live).
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FirePanelSim } from '../../devices/simulators/fire-panel.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { ElevatorSim } from '../../devices/simulators/elevator.js';
import { api, login, waitFor } from '../helpers/hub.js';
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

const opToken = async () => (await login(estate.t, USERS.operator.username, USERS.operator.password)).token;

async function openIncident(kind: string, token: string): Promise<IncidentView> {
  return waitFor(
    async () => (await api<IncidentView[]>(estate.t, 'GET', '/api/incidents', undefined, token)).body.find((i) => i.kind === kind),
    5000,
    `${kind} incident`,
  );
}

/** Nothing on the page is wider than the window: no horizontal scrolling. */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** The elements sticking out on the right (the failure message names them). */
async function sticking(page: Page): Promise<string> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 12)
      .map((e) => `${e.tagName.toLowerCase()}.${String(e.className).replace(/ /g, '.')} ${Math.round(e.getBoundingClientRect().right)}`)
      .join(', '),
  );
}

/** The element is fully inside the window's width (reachable without scrolling sideways). */
async function insideWidth(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const width = page.viewportSize()!.width;
  return box !== null && box.x >= 0 && box.x + box.width <= width && box.width > 0;
}

describe('keyboard shortcuts on the control room', () => {
  let page: Page;
  let fire: IncidentView;
  let fault: { id: string };
  beforeAll(async () => {
    const op = await opToken();
    await estate.sim<FirePanelSim>('fp-1').alarm('zone-02', 2, 'smoke');
    fire = await openIncident('fire_alarm', op);
    fault = (
      await api<{ id: string }>(estate.t, 'POST', '/api/incidents', {
        kind: 'device_fault',
        building: 'bldg-1',
        payload: { deviceId: 'ic-1', description: '门口机读卡器损坏' },
      })
    ).body;
    ({ page } = await newPage(browser, estate.t));
    await loginAs(page, 'operator');
    await page.waitForSelector(`[data-testid=incident-card][data-incident-id="${fault.id}"]`);
  });
  afterAll(async () => page.context().close());

  it('? shows the list of shortcuts in Chinese and English; Esc closes it', async () => {
    await page.keyboard.press('?');
    const help = await page.waitForSelector('[data-testid=shortcut-help]');
    const zh = await help.textContent();
    for (const s of ['键盘快捷键', '选中下一条事件', '打开选中的事件', '确认最上方待确认的警报']) expect(zh).toContain(s);
    await screenshot(page, 'control-room-shortcuts');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=shortcut-help]', { state: 'detached' });
    // the button opens it too, and English labels it in English
    await page.click('[data-testid=lang]');
    await page.click('[data-testid=shortcut-help-open]');
    expect(await page.textContent('[data-testid=shortcut-help]')).toContain('Acknowledge the top alarm');
    await page.click('[data-testid=shortcut-help-close]');
    await page.click('[data-testid=lang]');
    await page.waitForSelector('[data-testid=shortcut-help-open]:text-is("快捷键")');
  });

  it('j / k move the selection over the board; Enter opens the selected incident', async () => {
    const selected = () => page.getAttribute('[data-testid=incident-card][data-selected=true]', 'data-incident-id');
    // keys go to the page, not to the language button clicked last
    await page.locator('[data-testid=board] h2').click();
    // the fire alarm is the most severe: on top, selected first
    expect(await selected()).toBe(fire.id);
    await page.keyboard.press('j');
    await page.waitForSelector(`[data-testid=incident-card][data-incident-id="${fault.id}"][data-selected=true]`);
    await page.keyboard.press('k');
    await page.waitForSelector(`[data-testid=incident-card][data-incident-id="${fire.id}"][data-selected=true]`);
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector(`[data-testid=incident-card][data-incident-id="${fault.id}"][data-selected=true]`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/incidents/${fault.id}`);
    await page.waitForSelector(`[data-testid=incident-detail][data-incident-id="${fault.id}"]`);
    await page.click('a.back');
    await page.waitForSelector('[data-testid=board]');
  });

  it('a typed into a field is text, not an acknowledgement; a on the page acknowledges the top alarm', async () => {
    const acks: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/actions/acknowledge')) acks.push(r.url());
    });
    await page.click('[data-testid=report-open]');
    const field = page.locator('[data-testid=report-form] textarea, [data-testid=report-form] input[type=text]').first();
    await field.click();
    await page.keyboard.type('a');
    expect(await field.inputValue()).toContain('a');
    await page.click('[data-testid=report-open]');
    await page.waitForSelector('[data-testid=report-form]', { state: 'detached' });
    // back on the board the selection starts at the top again: the fire alarm
    await page.locator('[data-testid=board] h2').click();
    expect(await page.getAttribute('[data-testid=incident-card][data-selected=true]', 'data-incident-id')).toBe(fire.id);
    const done = page.waitForResponse((r) => r.url().includes('/actions/acknowledge'));
    await page.keyboard.press('a');
    expect((await done).status()).toBe(200);
    // keydown handlers run at once: had the key typed into the field acknowledged anything, its
    // request would have gone out before this one
    expect(acks).toEqual([expect.stringContaining(`/api/incidents/${fire.id}/actions/acknowledge`)]);
    await page.waitForSelector('[data-testid=alarm-banner]', { state: 'detached' });
    const d = await api<IncidentDetail>(estate.t, 'GET', `/api/incidents/${fire.id}`);
    expect(d.body.steps.find((s) => s.key === 'acknowledge')?.status).toBe('done');
  });
});

describe('phone-sized layout (390×844) for a supervisor', () => {
  let page: Page;
  let fire: IncidentView;
  beforeAll(async () => {
    // the fire of the shortcut tests (acknowledged there), or a new one when run alone
    const op = await opToken();
    const open = (await api<IncidentView[]>(estate.t, 'GET', '/api/incidents', undefined, op)).body;
    if (!open.some((i) => i.kind === 'fire_alarm')) await estate.sim<FirePanelSim>('fp-1').alarm('zone-02', 2, 'smoke');
    fire = await openIncident('fire_alarm', op);
    if (fire.steps.find((s) => s.key === 'acknowledge')?.status === 'pending')
      await api(estate.t, 'POST', `/api/incidents/${fire.id}/actions/acknowledge`, { payload: { notes: '' } }, op);
    ({ page } = await newPage(browser, estate.t));
    await page.setViewportSize({ width: 390, height: 844 });
    await loginAs(page, 'supervisor');
  });
  afterAll(async () => page.context().close());

  it('the control room fits the phone: board and tiles without sideways scrolling', async () => {
    await page.goto('/control');
    await page.waitForSelector(`[data-testid=incident-card][data-incident-id="${fire.id}"]`);
    expect(await overflow(page), await sticking(page)).toBeLessThanOrEqual(0);
    expect(await insideWidth(page, '[data-testid=incident-card]')).toBe(true);
    expect(await insideWidth(page, 'nav.nav')).toBe(true);
    await screenshot(page, 'phone-control-room');
  });

  it('verifying and approving the 119 call fit the phone; the timeline reads without sideways scrolling', async () => {
    const op = await opToken();
    const v = await api<IncidentDetail>(
      estate.t,
      'POST',
      `/api/incidents/${fire.id}/actions/verify`,
      { payload: { outcome: 'serious_fire', verifiedBy: '秩序维护员 李强', notes: '2 楼走廊冒烟' } },
      op,
    );
    expect(v.body.state).toBe('general_alarm');
    await page.goto('/supervisor');
    const item = `[data-testid=approval][data-incident-id="${fire.id}"]`;
    await page.waitForSelector(`${item} [data-testid=approve-approve_119]`);
    expect(await overflow(page), await sticking(page)).toBeLessThanOrEqual(0);
    expect(await insideWidth(page, `${item} [data-testid=approve-approve_119]`)).toBe(true);
    await screenshot(page, 'phone-supervisor-approvals');
    await page.click(`${item} [data-testid=approve-approve_119]`);
    await page.fill(`${item} textarea[name=notes]`, '同意报警');
    expect(await insideWidth(page, `${item} [data-testid=form-submit]`)).toBe(true);
    await page.click(`${item} [data-testid=form-submit]`);
    await page.waitForSelector(`${item} [data-testid=approve-approve_119]`, { state: 'detached' });
    const d = await api<IncidentDetail>(estate.t, 'GET', `/api/incidents/${fire.id}`);
    expect(d.body.steps.find((s) => s.key === 'approve_119')?.status).toBe('done');

    await page.goto(`/incidents/${fire.id}`);
    await page.waitForSelector('[data-testid=timeline] li');
    expect(await overflow(page), await sticking(page)).toBeLessThanOrEqual(0);
    expect(await insideWidth(page, '[data-testid=timeline]')).toBe(true);
    expect(await page.textContent('[data-testid=timeline]')).toContain('立案');
    await screenshot(page, 'phone-incident-detail');
  });

  it('a new alarm is acknowledged from the phone banner', async () => {
    await estate.sim<ElevatorSim>('el-2').trap({ passengers: 1 });
    await page.goto('/control');
    await page.waitForSelector('[data-testid=alarm-banner] [data-testid=banner-ack]');
    expect(await overflow(page), await sticking(page)).toBeLessThanOrEqual(0);
    expect(await insideWidth(page, '[data-testid=banner-ack]')).toBe(true);
    await screenshot(page, 'phone-alarm-banner');
    await page.click('[data-testid=banner-ack]');
    await page.waitForSelector('[data-testid=alarm-banner]', { state: 'detached' });
  });
});

describe('telemetry: several series on one chart, legend values, CSV export', () => {
  let page: Page;
  beforeAll(async () => {
    // 15 minutes of history: the meter's voltage sweeps 300…450 V (beyond anything the live
    // simulator sends, ≈ 380 V), car 1's load 0…800 kg
    const now = Date.now();
    for (let i = 151; i > 0; i--) {
      const ts = now - i * 5000;
      const common = { site: 'site-1', building: 'bldg-1', ts };
      estate.t.hub.telemetry.write({ ...common, deviceId: 'pm-1', class: 'power', metrics: { voltage_v: 299 + i, power_kw: 100 + (i % 10) } });
      estate.t.hub.telemetry.write({ ...common, deviceId: 'el-1', class: 'elevator', metrics: { load_kg: (i % 9) * 100 } });
    }
    await estate.t.hub.telemetry.flush();
    ({ page } = await newPage(browser, estate.t));
    await loginAs(page, 'supervisor');
  });
  afterAll(async () => page.context().close());

  it('each chart shows latest, min and max in its legend without hovering', async () => {
    await page.goto('/telemetry?device=pm-1');
    const row = '[data-testid=chart-voltage_v] [data-testid=legend-pm-1-voltage_v]';
    await waitFor(async () => (await page.textContent(`${row} [data-testid=max]`)) === '450', 8000, 'legend max');
    expect(await page.textContent(`${row} [data-testid=min]`)).toBe('300');
    const latest = Number(await page.textContent(`${row} [data-testid=latest]`));
    expect(latest).toBeGreaterThanOrEqual(300);
    expect(latest).toBeLessThanOrEqual(450);
    expect(await page.textContent('[data-testid=chart-voltage_v] [data-testid=legend] thead')).toContain('最新');
  });

  it('puts this meter’s metrics and another device’s metric on one chart and exports what it shows as CSV', async () => {
    await page.click('label:has([data-testid=mode-together])');
    await page.waitForSelector('[data-testid=chart-combined] canvas');
    await page.selectOption('[data-testid=add-series-device]', 'el-1');
    await page.selectOption('[data-testid=add-series-metric]', 'load_kg');
    await page.click('[data-testid=add-series-add]');
    const chart = '[data-testid=chart-combined]';
    await page.waitForSelector(`${chart} [data-testid=legend-el-1-load_kg]`);
    // one chart with every series: voltage, power, frequency (ticked by default) and the car's load
    expect(await page.locator('[data-testid^=chart-]').count()).toBe(1);
    for (const r of ['pm-1-voltage_v', 'pm-1-power_kw', 'el-1-load_kg']) await page.waitForSelector(`${chart} [data-testid=legend-${r}]`);
    await waitFor(async () => (await page.textContent(`${chart} [data-testid=legend-el-1-load_kg] [data-testid=max]`)) === '800', 8000);
    expect(await page.textContent(`${chart} [data-testid=legend-el-1-load_kg] [data-testid=min]`)).toBe('0');
    expect(await page.textContent(`${chart} [data-testid=legend-pm-1-voltage_v] [data-testid=max]`)).toBe('450');
    await screenshot(page, 'telemetry-combined');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${chart} [data-testid=csv]`)]);
    expect(download.suggestedFilename()).toMatch(/^telemetry-\d{12}\.csv$/);
    const rows = parse(fs.readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '')) as string[][];
    expect(rows[0]).toEqual([
      '时间',
      '1 号楼配电/ATS · 电压 V',
      '1 号楼配电/ATS · 功率 kW',
      '1 号楼配电/ATS · 频率 Hz',
      '1 号楼 1 号梯 · 载重 kg',
    ]);
    const body = rows.slice(1);
    // every point drawn, one row per time; the history's extremes are there
    expect(body.length).toBeGreaterThanOrEqual(150);
    expect(body.map((r) => r[1])).toContain('450');
    expect(body.map((r) => r[1])).toContain('300');
    expect(body.map((r) => r[4])).toContain('800');
    expect(body[0]![0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});
