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
import { stopDevices } from '../../devices/runtime.js';
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
    // 12.5 minutes of history. The extremes are the two oldest points (300 V, 450 V), from
    // before the simulated devices started: their live points (≈ 380 V, every few seconds)
    // share the chart's buckets with the recent history and would average into it. Car 1's
    // load goes 0…800 kg.
    const now = Date.now();
    for (let i = 151; i > 0; i--) {
      const ts = now - i * 5000;
      const common = { site: 'site-1', building: 'bldg-1', ts };
      estate.t.hub.telemetry.write({
        ...common,
        deviceId: 'pm-1',
        class: 'power',
        metrics: { voltage_v: i === 151 ? 300 : i === 150 ? 450 : 360 + (i % 40), power_kw: 100 + (i % 10) },
      });
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

describe('floor plans', () => {
  let page: Page;
  /** A plan drawn in the browser (rooms, a corridor, labels) and exported as PNG bytes. */
  async function drawnPlan(p: Page): Promise<Buffer> {
    const b64 = await p.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 1200;
      c.height = 600;
      const g = c.getContext('2d')!;
      g.fillStyle = '#f8fafc';
      g.fillRect(0, 0, 1200, 600);
      g.strokeStyle = '#334155';
      g.lineWidth = 6;
      g.strokeRect(20, 20, 1160, 560);
      g.lineWidth = 3;
      for (const x of [300, 600, 900]) {
        g.strokeRect(x - 280, 20, 280, 240);
        g.strokeRect(x - 280, 340, 280, 240);
      }
      g.strokeRect(900, 20, 280, 560);
      g.fillStyle = '#475569';
      g.font = '28px sans-serif';
      for (const [t, x, y] of [
        ['301', 110, 140],
        ['302', 390, 140],
        ['303', 690, 140],
        ['电梯厅', 980, 300],
        ['走廊', 420, 310],
        ['配电间', 90, 470],
      ] as const)
        g.fillText(t, x, y);
      return c.toDataURL('image/png').split(',')[1]!;
    });
    return Buffer.from(b64, 'base64');
  }

  beforeAll(async () => {
    // a fault on the door intercom (another open one may exist from the shortcut tests)
    await api(estate.t, 'POST', '/api/incidents', {
      kind: 'device_fault',
      building: 'bldg-1',
      payload: { deviceId: 'ic-1', description: '门口机按键失灵' },
    });
    ({ page } = await newPage(browser, estate.t));
    await loginAs(page, 'supervisor');
  });
  afterAll(async () => page.context().close());

  it('a supervisor uploads a plan for a floor; an SVG is refused with a translated reason', async () => {
    await page.goto('/floor-plans');
    await page.waitForSelector('[data-testid=plan-empty]');
    await page.selectOption('[data-testid=plan-floor]', '3');
    await page.setInputFiles('[data-testid=plan-file]', {
      name: 'plan.svg',
      mimeType: 'image/svg+xml',
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    });
    expect(await (await page.waitForSelector('[data-testid=plan-error]')).textContent()).toContain('只接受 PNG 或 JPEG 图片');
    await page.setInputFiles('[data-testid=plan-file]', { name: '3F.png', mimeType: 'image/png', buffer: await drawnPlan(page) });
    await page.waitForSelector('[data-testid=plan-stage] img');
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=plan-stage] img') as HTMLImageElement | null)?.naturalWidth === 1200,
    );
    const plans = (await api<{ floor: number; mime: string }[]>(estate.t, 'GET', '/api/floor-plans?building=bldg-1')).body;
    expect(plans).toEqual([expect.objectContaining({ floor: 3, mime: 'image/png' })]);
  });

  it('devices are dragged (or tapped) onto the plan; positions are saved', async () => {
    const stage = page.locator('[data-testid=plan-stage]');
    const box = (await stage.boundingBox())!;
    await page.locator('[data-testid=plan-chip-el-1]').dragTo(stage, { targetPosition: { x: box.width * 0.85, y: box.height * 0.5 } });
    await page.waitForSelector('[data-testid=plan-device-el-1]');
    // on a phone: tap the device, then its place
    await page.click('[data-testid=plan-chip-pm-1]');
    await stage.locator('img').click({ position: { x: box.width * 0.1, y: box.height * 0.75 } });
    await page.waitForSelector('[data-testid=plan-device-pm-1]');
    await page.locator('[data-testid=plan-chip-ic-1]').dragTo(stage, { targetPosition: { x: box.width * 0.4, y: box.height * 0.5 } });
    await page.waitForSelector('[data-testid=plan-device-ic-1]');
    const saved = async () =>
      Object.fromEntries(
        (
          await api<{ placements: { deviceId: string; x: number; y: number }[] }[]>(estate.t, 'GET', '/api/floor-plans?building=bldg-1')
        ).body[0]!.placements.map((p) => [p.deviceId, p]),
      );
    const at = await waitFor(async () => {
      const s = await saved();
      return Object.keys(s).length === 3 ? s : null;
    });
    expect(at['el-1']!.x).toBeCloseTo(0.85, 1);
    expect(at['el-1']!.y).toBeCloseTo(0.5, 1);
    expect(at['pm-1']!.x).toBeCloseTo(0.1, 1);
    expect(at['pm-1']!.y).toBeCloseTo(0.75, 1);
    // moving a marker saves its new place; after a reload it is still there
    await page.locator('[data-testid=plan-device-el-1]').dragTo(stage, { targetPosition: { x: box.width * 0.7, y: box.height * 0.2 } });
    await waitFor(async () => Math.abs((await saved())['el-1']!.x - 0.7) < 0.05);
    await page.reload();
    await page.selectOption('[data-testid=plan-floor]', '3');
    const left = await page.locator('[data-testid=plan-device-el-1]').evaluate((e) => (e as HTMLElement).style.left);
    expect(parseFloat(left)).toBeCloseTo(70, -1);
  });

  it('alarms, faults and offline devices show on the plan live', async () => {
    await page.waitForSelector('[data-testid=plan-device-el-1][data-status=ok]');
    await page.waitForSelector('[data-testid=plan-device-pm-1][data-status=ok]');
    await page.waitForSelector('[data-testid=plan-device-ic-1][data-status=fault]');
    await estate.sim<ElevatorSim>('el-1').trap({ passengers: 2 });
    await page.waitForSelector('[data-testid=plan-device-el-1][data-status=alarm]');
    await stopDevices([estate.client('pm-1')], 'close');
    await page.waitForSelector('[data-testid=plan-device-pm-1][data-status=offline]');
    expect(await page.textContent('[data-testid=plan] .plan-legend')).toContain('警报');
    await screenshot(page, 'floor-plan');
  });

  it('an operator sees the plan and its live state but no upload or drag', async () => {
    const { context, page: op } = await newPage(browser, estate.t);
    await loginAs(op, 'operator');
    await op.goto('/floor-plans');
    await op.waitForSelector('[data-testid=plan-device-el-1][data-status=alarm]');
    expect(await op.$('[data-testid=plan-upload]')).toBeNull();
    expect(await op.$('[data-testid=plan-unplaced]')).toBeNull();
    expect(await op.getAttribute('[data-testid=plan-device-el-1]', 'draggable')).toBe('false');
    await context.close();
  });
});
