// The telemetry rules screen in a real browser (PROCEDURES.md "Device health": rules are
// configured, not coded): an admin creates a rule in Chinese (no Latin words but units), sees
// a meter that breaches it listed as in breach (a device fault opened), edits, disables and
// deletes it — every change in the database and the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import type { IncidentView } from '../../contracts/incidents.js';
import { api, connectDevice, provision, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';
import { assertDashboardBuilt, launch, loginAs, newPage, screenshot } from './helpers.js';

let t: TestHub;
let browser: Browser;
let page: Page;
let pageErrors: string[];
let meter: MqttClient;

beforeAll(async () => {
  assertDashboardBuilt();
  [t, browser] = await Promise.all([startTestHub(), launch()]);
  await seedPlace(t);
  const d = await provision(t, 'pm-9', 'power', 'bldg-1', 'site-1', { name: '地下配电房电表' });
  meter = await connectDevice(t, d);
  ({ page, errors: pageErrors } = await newPage(browser, t));
  page.removeAllListeners('dialog');
  page.on('dialog', (x) => void x.accept());
  await loginAs(page, 'admin');
});
afterAll(async () => {
  meter?.end(true);
  await browser?.close();
  await t?.close();
});

const row = (name: string) => `[data-testid="rule-row-${name}"]`;

describe('telemetry rules screen', () => {
  it('creates a rule, shows the device in breach, edits, disables and deletes it (audited)', async () => {
    await page.click('[data-testid=nav-admin]');
    await page.click('[data-testid=admin-tab-rules]');
    await page.waitForSelector('[data-testid=admin-rules]');
    const form = page.locator('[data-testid=rule-create] [data-testid=rule-form]');
    await form.locator('input[name=name]').fill('电压越限');
    await form.locator('select[name=deviceClass]').selectOption('power');
    await form.locator('select[name=metric]').selectOption('voltage_v');
    await form.locator('select[name=comparison]').selectOption('outside');
    await form.locator('input[name=low]').fill('198');
    await form.locator('input[name=high]').fill('242');
    await form.locator('input[name=durationSeconds]').fill('0');
    await form.locator('input[name=hysteresis]').fill('3');
    await form.locator('select[name=severity]').selectOption('high');
    await form.locator('[data-testid=rule-submit]').click();
    await page.waitForSelector(row('电压越限'));
    const r = await t.hub.db.telemetryRule.findFirstOrThrow({ where: { name: '电压越限' } });
    expect(r).toMatchObject({
      deviceClass: 'power',
      deviceId: null,
      metric: 'voltage_v',
      comparison: 'outside',
      low: 198,
      high: 242,
      severity: 'high',
    });
    expect(await page.textContent(row('电压越限'))).toContain('198–242');

    // the meter breaches it: a device fault opens and the screen lists the meter by name
    meter.publish('bops/v1/site-1/bldg-1/power/pm-9/telemetry', JSON.stringify({ v: 1, ts: Date.now(), metrics: { voltage_v: 255 } }));
    await waitFor(
      async () => (await api<IncidentView[]>(t, 'GET', '/api/incidents?kind=device_fault')).body.find((i) => i.deviceId === 'pm-9'),
      5000,
      'fault',
    );
    await page.click('[data-testid=admin-rules] >> text=刷新');
    await page.waitForSelector('[data-testid="rule-breaches-电压越限"] >> text=地下配电房电表');
    expect(await page.textContent('[data-testid="rule-breaches-电压越限"]')).toContain('已报故障');
    // Chinese UI: no Latin words, only units (V, kW, Hz, A, cm, kg) and the switchgear's own
    // "ATS" (the power class's name, as tests/e2e/demo-estate.test.ts allows)
    const text = (await page.textContent('[data-testid=admin-rules]'))!.replace(/(?<![A-Za-z])(V|kW|Hz|A|cm|kg|ATS)(?![A-Za-z])/g, '');
    expect(text).not.toMatch(/[A-Za-z]/);
    await screenshot(page, 'admin-telemetry-rules');

    // edit: a wider range
    await page.locator(row('电压越限')).locator('button', { hasText: '修改' }).click();
    const edit = page.locator('[data-testid=admin-rules] [data-testid=rule-form]');
    await edit.locator('input[name=high]').fill('250');
    await edit.locator('[data-testid=rule-submit]').click();
    await page.waitForSelector(`${row('电压越限')} >> text=198–250`);
    expect((await t.hub.db.telemetryRule.findUniqueOrThrow({ where: { id: r.id } })).high).toBe(250);

    await page.click('[data-testid="rule-toggle-电压越限"]');
    await page.waitForSelector(`${row('电压越限')} >> text=已停用`);
    expect((await t.hub.db.telemetryRule.findUniqueOrThrow({ where: { id: r.id } })).enabled).toBe(false);

    await page.click('[data-testid="rule-delete-电压越限"]');
    await page.waitForSelector(row('电压越限'), { state: 'detached' });
    expect(await t.hub.db.telemetryRule.count()).toBe(0);
    const audit = await t.hub.db.auditLog.findMany({ where: { target: `telemetry_rule:${r.id}` }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual([
      'telemetry_rule.create',
      'telemetry_rule.update',
      'telemetry_rule.disable',
      'telemetry_rule.delete',
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('refuses a range whose high is below its low, in the reader’s language; the corrected rule is saved', async () => {
    const form = page.locator('[data-testid=rule-create] [data-testid=rule-form]');
    await form.locator('input[name=name]').fill('频率越限');
    await form.locator('select[name=metric]').selectOption('frequency_hz');
    await form.locator('select[name=comparison]').selectOption('outside');
    await form.locator('input[name=low]').fill('51');
    await form.locator('input[name=high]').fill('49');
    await form.locator('[data-testid=rule-submit]').click();
    const alert = form.locator('[data-testid=admin-error]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('上限必须大于下限');
    expect(await alert.textContent()).not.toMatch(/[A-Za-z]/);
    expect(await t.hub.db.telemetryRule.count({ where: { name: '频率越限' } })).toBe(0);
    await form.locator('input[name=low]').fill('49');
    await form.locator('input[name=high]').fill('51');
    await form.locator('[data-testid=rule-submit]').click();
    await page.waitForSelector(row('频率越限'));
    expect(await page.textContent(row('频率越限'))).toContain('49–51');
  });
});
