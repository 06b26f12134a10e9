// Browser tests: a real hub (tests/helpers/hub.ts: fresh DB, ephemeral ports) serving the built
// dashboard (dashboard/dist — `npm run build:dashboard`, run by `pretest`), simulated devices
// over MQTT (devices/simulators) and headless Debian Chromium driven by playwright-core.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { stopDevices, type StartedDevice } from '../../devices/runtime.js';
import type { SimulatorConfig } from '../../devices/simulators/index.js';
import type { HubStartOptions } from '../../services/hub/hub.js';
import { provision, seedPlace, startSims, startTestHub, ADMIN_PASSWORD, type Provisioned, type TestHub } from '../helpers/hub.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
/**
 * Screenshots land in docs/screenshots (the README shows them) only when asked for with
 * UPDATE_SCREENSHOTS=1; an ordinary test run writes them under the OS temp dir, so running the
 * suite never dirties the checkout.
 */
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs/screenshots') : path.join(os.tmpdir(), 'bops-e2e-screenshots');

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export const USERS = {
  operator: { username: 'op', password: 'op-password-1', role: 'operator', displayName: '监控中心值班员 王敏' },
  frontdesk: { username: 'desk', password: 'desk-password-1', role: 'frontdesk', displayName: '客服前台 李娜' },
  supervisor: { username: 'boss', password: 'boss-password-1', role: 'supervisor', displayName: '客服主管 张伟' },
  admin: { username: 'admin', password: ADMIN_PASSWORD, role: 'admin', displayName: '' },
} as const;
export type UserKey = keyof typeof USERS;

export function assertDashboardBuilt(): void {
  if (!fs.existsSync(path.join(ROOT, 'dashboard/dist/index.html'))) {
    throw new Error('dashboard/dist is missing: run `npm run build:dashboard` (npm test does it in pretest)');
  }
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export interface Estate {
  t: TestHub;
  devices: Provisioned[];
  sims: StartedDevice[];
  sim<T>(id: string): T;
  client(id: string): StartedDevice;
  close(): Promise<void>;
}

/**
 * A hub with one building (bldg-1, 10 floors): fire panel, two elevators, a power meter and a
 * door intercom, all simulated; units 1203 and 301 with owners; one user per role.
 */
export async function startEstate(
  opts: { sims?: SimulatorConfig; incidentConfig?: HubStartOptions['incidentConfig']; now?: () => number } = {},
): Promise<Estate> {
  assertDashboardBuilt();
  const t = await startTestHub({
    ...(opts.incidentConfig ? { incidentConfig: opts.incidentConfig } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  await seedPlace(t);
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '1203', floor: 12, ownerName: '陈建国', ownerPhone: '13800001234' } });
  await t.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '301', floor: 3, ownerName: '刘芳', ownerPhone: '13800005678' } });
  const floors = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const devices = [
    await provision(t, 'fp-1', 'fire-panel', 'bldg-1', 'site-1', { name: '1 号楼消防主机', floors }),
    await provision(t, 'el-1', 'elevator', 'bldg-1', 'site-1', { name: '1 号楼 1 号梯', floors, meta: { car: '1' } }),
    await provision(t, 'el-2', 'elevator', 'bldg-1', 'site-1', { name: '1 号楼 2 号梯', floors, meta: { car: '2' } }),
    await provision(t, 'pm-1', 'power', 'bldg-1', 'site-1', { name: '1 号楼配电/ATS', floors, meta: { feeder: 'feeder-1' } }),
    await provision(t, 'ic-1', 'intercom', 'bldg-1', 'site-1', { name: '1 号楼门口机' }),
  ];
  for (const u of Object.values(USERS)) if (u.role !== 'admin') await t.hub.auth.createUser(u.username, u.password, u.role, u.displayName);
  const sims = await startSims(t, devices, opts.sims ?? { elevator: { floorTravelMs: 40, doorMs: 40 }, traffic: false });
  // one telemetry sample each, so tiles show values and the hub knows every car's floor
  await Promise.all(sims.map((s) => s.sim.sendTelemetry()));
  const byId = (id: string) => {
    const s = sims.find((x) => x.identity.id === id);
    if (!s) throw new Error(`no simulated device ${id}`);
    return s;
  };
  return {
    t,
    devices,
    sims,
    sim: <T>(id: string) => byId(id).sim as T,
    client: byId,
    async close() {
      await stopDevices(sims);
      await t.close();
    },
  };
}

export async function newPage(
  browser: Browser,
  t: TestHub,
  locale: 'zh-CN' | 'en' = 'zh-CN',
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1920, height: 1080 },
    locale,
    timezoneId: 'Asia/Shanghai',
    baseURL: t.http,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // anything the hub's Content-Security-Policy blocks is an error of the page (issue 7 item 13)
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(`csp: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return { context, page, errors };
}

/** Log in through the form; resolves once the role's landing screen is shown. */
export async function loginAs(page: Page, who: UserKey, password?: string): Promise<void> {
  const u = USERS[who];
  await page.goto('/login');
  await page.fill('#username', u.username);
  await page.fill('#password', password ?? u.password);
  await page.click('[data-testid=login-submit]');
  if (password === undefined) await page.waitForSelector(`[data-testid=who][data-role=${u.role}]`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}
