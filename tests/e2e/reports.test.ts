// The summary-report screen 汇总报表 in a real browser (issue 11 "Reports"): a supervisor picks a
// day, a week or a month and a building; every number on the screen must be the one
// GET /api/reports/summary answers for the same query (seeded incidents in two buildings, one
// acknowledged in time, work orders); the printable page and the CSV open with the session; a
// supervisor scoped to one building is offered only that building and sees only its numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type { SummaryReport } from '../../contracts/shifts.js';
import { api, login } from '../helpers/hub.js';
import { launch, loginAs, newPage, screenshot, startEstate, type Estate } from './helpers.js';

let estate: Estate;
let browser: Browser;
let page: Page;
let supToken: string;
const SCOPED = { username: 'sup.b2', password: 'sup-b2-password-1' };

async function post<T>(url: string, body: unknown): Promise<T> {
  const r = await api<T>(estate.t, 'POST', url, body);
  if (r.status !== 201 && r.status !== 200) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

beforeAll(async () => {
  [estate, browser] = await Promise.all([startEstate(), launch()]);
  const t = estate.t;
  await api(t, 'POST', '/api/buildings', { id: 'bldg-2', site: 'site-1', name: '2 号楼', floors: 12 });
  // bldg-1: two entrapments (one acknowledged in time), a water leak, a work order
  const e1 = await post<IncidentDetail>('/api/incidents', {
    kind: 'elevator_entrapment',
    building: 'bldg-1',
    payload: { floor: 4, car: '1' },
  });
  await post<IncidentDetail>('/api/incidents', { kind: 'elevator_entrapment', building: 'bldg-1', payload: { floor: 7, car: '2' } });
  await post(`/api/incidents/${e1.id}/actions/acknowledge`, { payload: {} });
  await post('/api/incidents', { kind: 'water_leak', building: 'bldg-1', payload: { floor: 3, location: '3 层茶水间' } });
  await post('/api/work-orders', {
    building: 'bldg-1',
    category: 'plumbing',
    area: 'common',
    description: '3 层茶水间水管渗漏',
    source: 'staff',
  });
  // bldg-2: one water leak and one work order
  await post('/api/incidents', { kind: 'water_leak', building: 'bldg-2', payload: { floor: -1, location: '地下车库' } });
  await post('/api/work-orders', { building: 'bldg-2', category: 'civil', area: 'common', description: '车库顶板渗水', source: 'staff' });
  const u = await api(t, 'POST', '/api/users', { ...SCOPED, displayName: '2 号楼主管 周杰', role: 'supervisor', buildings: ['bldg-2'] });
  if (u.status !== 201) throw new Error(`scoped user: ${u.status}`);
  supToken = (await login(t, 'boss', 'boss-password-1')).token;
  ({ page } = await newPage(browser, t));
  await loginAs(page, 'supervisor');
});
afterAll(async () => {
  await browser?.close();
  await estate?.close();
});

/** What the API says for a query, in the shape the screen is read into. */
async function fromApi(query: string, token = supToken): Promise<{ report: SummaryReport; shown: Shown }> {
  const r = await api<SummaryReport>(estate.t, 'GET', `/api/reports/summary?${query}`, undefined, token);
  expect(r.status).toBe(200);
  const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${Math.round(x * 1000) / 10}%`);
  const rep = r.body;
  return {
    report: rep,
    shown: {
      kinds: rep.incidents.map((k) => ({
        kind: k.kind,
        counts: [String(k.opened), String(k.closed), String(k.open)],
        targets: k.targets.map((x) => [x.target, `${x.onTime}/${x.total}`, pct(x.rate)]),
      })),
      sections: rep.sections.map((s) => ({
        source: s.source,
        values: s.rows.map((x) => [String(x.value), x.rate === undefined ? '' : pct(x.rate)]),
      })),
      visitors: [rep.visitors.requests, rep.visitors.admitted, rep.visitors.refused, rep.visitors.overstays].map(String),
      shifts: rep.shifts ? [rep.shifts.total, rep.shifts.signed, rep.shifts.handovers, rep.shifts.refused].map(String) : [],
    },
  };
}

interface Shown {
  kinds: Array<{ kind: string; counts: string[]; targets: string[][] }>;
  sections: Array<{ source: string; values: string[][] }>;
  visitors: string[];
  shifts: string[];
}

/** Every number the screen shows, read from the page. */
async function fromScreen(p: Page): Promise<Shown> {
  return p.$eval('[data-testid=summary-body]', (body) => {
    const txt = (el: Element | null) => (el?.textContent ?? '').trim();
    const kinds = [...body.querySelectorAll('tbody[data-testid^=report-kind-]')].map((tb) => ({
      kind: tb.getAttribute('data-testid')!.replace('report-kind-', ''),
      counts: ['opened', 'closed', 'open'].map((k) => txt(tb.querySelector(`[data-testid=${k}]`))),
      targets: [...tb.querySelectorAll('td[data-target]')].map((td) => {
        const key = td.getAttribute('data-target')!;
        return [key, txt(tb.querySelector(`[data-testid="target-${key}"]`)), txt(tb.querySelector(`[data-testid="rate-${key}"]`))];
      }),
    }));
    const sections = [...body.querySelectorAll('section[data-testid^=report-section-]')].map((s) => ({
      source: s.getAttribute('data-testid')!.replace('report-section-', ''),
      values: [...s.querySelectorAll('tbody tr')].map((tr) => [
        txt(tr.querySelector('[data-testid=value]')),
        txt(tr.querySelector('[data-testid=rate]')),
      ]),
    }));
    const col = (id: string) => [...body.querySelectorAll(`[data-testid=${id}] tr`)].map((tr) => txt(tr.querySelector('td:last-child')));
    return { kinds, sections, visitors: col('report-visitors'), shifts: col('report-shifts') };
  });
}

describe('summary reports screen', () => {
  it('the daily report shows the API’s numbers for the seeded day, in zh-CN', async () => {
    await page.click('[data-testid=nav-reports]');
    await page.waitForSelector('[data-testid=summary-body][data-period=day]');
    const { report, shown } = await fromApi('period=day');
    // the seeded data is there: 2 entrapments (1 acknowledged in time), 2 leaks, 2 work orders
    expect(report.incidents.find((k) => k.kind === 'elevator_entrapment')).toMatchObject({ opened: 2, open: 2 });
    expect(report.incidents.find((k) => k.kind === 'water_leak')).toMatchObject({ opened: 2 });
    expect(report.incidents.find((k) => k.kind === 'elevator_entrapment')!.targets.find((x) => x.target === 'ack')).toMatchObject({
      onTime: 1,
      total: 1,
      rate: 1,
    });
    expect(await fromScreen(page)).toEqual(shown);
    // labels in Chinese, from the hub's [zh-CN, en] pairs
    expect(await page.textContent('[data-testid=report-kind-elevator_entrapment] th')).toBe(
      report.incidents.find((k) => k.kind === 'elevator_entrapment')!.label[0],
    );
    expect(await page.textContent('[data-testid=report-kind-elevator_entrapment] [data-target=ack]')).toBe(
      report.incidents.find((k) => k.kind === 'elevator_entrapment')!.targets.find((x) => x.target === 'ack')!.label[0],
    );
    expect(await page.textContent('[data-testid=report-kind-elevator_entrapment] [data-testid=rate-ack]')).toBe('100%');
    await screenshot(page, 'reports-day');
  });

  it('weekly and monthly: the picker asks the API again and the screen follows', async () => {
    for (const period of ['week', 'month'] as const) {
      await page.check(`[data-testid=report-filters] input[name=period][value=${period}]`);
      await page.waitForSelector(`[data-testid=summary-body][data-period=${period}]`);
      const { report, shown } = await fromApi(`period=${period}`);
      expect(await page.getAttribute('[data-testid=summary-body]', 'data-label')).toBe(report.label);
      expect(await fromScreen(page)).toEqual(shown);
    }
  });

  it('a building filter narrows the numbers to that building', async () => {
    await page.check('[data-testid=report-filters] input[name=period][value=day]');
    await page.selectOption('[data-testid=report-filters] select[name=building]', 'bldg-2');
    await page.waitForSelector('[data-testid=summary-body][data-period=day][data-buildings=bldg-2]');
    const { report, shown } = await fromApi('period=day&buildings=bldg-2');
    expect(report.incidents.map((k) => [k.kind, k.opened])).toEqual(
      expect.arrayContaining([
        ['water_leak', 1],
        ['repair', 1],
      ]),
    );
    expect(report.incidents.find((k) => k.kind === 'elevator_entrapment')).toBeUndefined();
    expect(await fromScreen(page)).toEqual(shown);
    expect(await page.textContent('[data-testid=report-span]')).toContain('2 号楼');
  });

  it('the printable page and the CSV open with the session, for the same query and language', async () => {
    const print = (await page.getAttribute('[data-testid=report-print]', 'href'))!;
    const csv = (await page.getAttribute('[data-testid=report-csv]', 'href'))!;
    expect(print).toContain('format=html');
    expect(print).toContain('buildings=bldg-2');
    expect(print).toContain('lang=zh-CN');
    const html = await page.request.get(print);
    expect(html.status()).toBe(200);
    expect(html.headers()['content-type']).toMatch(/^text\/html/);
    expect(await html.text()).toContain('漏水');
    const file = await page.request.get(csv);
    expect(file.status()).toBe(200);
    expect(file.headers()['content-type']).toMatch(/^text\/csv/);
    expect(file.headers()['content-disposition']).toMatch(/attachment/);
  });

  it('in English the same numbers carry the English labels', async () => {
    await page.click('[data-testid=lang]');
    const { report, shown } = await fromApi('period=day&buildings=bldg-2');
    const leak = report.incidents.find((k) => k.kind === 'water_leak')!;
    await page.waitForSelector(`[data-testid=report-kind-water_leak] th:text-is("${leak.label[1]}")`);
    expect(await fromScreen(page)).toEqual(shown);
    expect(await page.getAttribute('[data-testid=report-print]', 'href')).toContain('lang=en');
    await page.click('[data-testid=lang]');
  });

  it('a supervisor scoped to one building is offered only it, and sees only its numbers', async () => {
    const { context, page: p } = await newPage(browser, estate.t);
    await p.goto('/login');
    await p.fill('#username', SCOPED.username);
    await p.fill('#password', SCOPED.password);
    await p.click('[data-testid=login-submit]');
    await p.waitForSelector('[data-testid=who][data-role=supervisor]');
    await p.goto('/reports');
    await p.waitForSelector('[data-testid=summary-body][data-period=day]');
    const options = await p.$$eval('[data-testid=report-filters] select[name=building] option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    expect(options).toEqual(['', 'bldg-2']);
    const token = (await login(estate.t, SCOPED.username, SCOPED.password)).token;
    const { report, shown } = await fromApi('period=day', token);
    expect(report.incidents.find((k) => k.kind === 'elevator_entrapment')).toBeUndefined();
    expect(await fromScreen(p)).toEqual(shown);
    await context.close();
  });
});
