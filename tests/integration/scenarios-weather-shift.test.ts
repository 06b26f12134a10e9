// `simulate scenario … --hub` for the severe-weather warning (PROCEDURES.md §7) and the shift
// handover ("Shifts, duty log, handover"): the CLI plays the leak cable over MQTT and the people
// over HTTP against a real hub, exiting 0 only when the hub answered as the manual says, and 4
// (each failed check printed ✗) when it did not.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../contracts/incidents.js';
import type { WorkOrderView } from '../../contracts/workorders.js';
import { EXIT } from '../../devices/runtime.js';
import { simulate as runScenario, writeFleetFile, type FleetEntry } from '../helpers/scenario.js';
import { api, login, provision, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let dir: string;
let fleetFile: string;
let admin: string;

beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  const entries: FleetEntry[] = [];
  const add = async (id: string, building: string, meta: Record<string, string | number>) => {
    entries.push({ ...(await provision(t, id, 'water', building, 'site-1', { floors: [-1], meta })), floors: [-1], meta });
  };
  // a cable near nothing in each building (the drill prefers one that needs no protection)
  await add('wt-1', 'bldg-1', { role: 'leak', zone: 'b1-garage', floor: -1 });
  await add('wt-2', 'bldg-2', { role: 'leak', zone: 'b1-garage', floor: -1 });
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员 王敏');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管 张伟');
  await t.hub.auth.createUser('sup2', 'sup2-password', 'supervisor', '主管 李强');
  admin = (await login(t, 'admin', 'hub-test-pass-1')).token;
  ({ dir, file: fleetFile } = await writeFleetFile(entries));
});

afterAll(async () => {
  await t?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const simulate = (args: string[], logins?: string[]) => runScenario(t, fleetFile, args, logins);
const incidents = async (kind: string) =>
  (await api<IncidentView[]>(t, 'GET', `/api/incidents?state=all&kind=${kind}`, undefined, admin)).body;

describe('severe-weather drill (--hub)', () => {
  it('declared by the supervisor → a leak there opens one severity higher → checklist → all-clear → the finding becomes a work order', async () => {
    const { code, log } = await simulate(['severe-weather', '--building', 'bldg-1']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/✓ 核对 check: an operator cannot declare severe weather \(supervisor only\)/);
    expect(log).toMatch(/✓ 核对 check: the water incident opened one severity higher, tied to the warning — severity 60 \(normally 50\)/);
    expect(log).toMatch(/✓ 核对 check: water incident #\d+ closed, its cause a repair order/);
    expect(log).toMatch(/✓ 核对 check: an operator cannot declare the all-clear \(supervisor only\)/);
    expect(log).toMatch(/✓ 核对 check: the inspection finding became a repair work order linked under the warning/);
    expect(log).not.toMatch(/✗/);
    const [w] = await incidents('severe_weather');
    expect(w).toMatchObject({ state: 'closed', building: 'bldg-1', open: false });
    const [leak] = await incidents('water_leak');
    expect(leak).toMatchObject({ state: 'closed', building: 'bldg-1', severity: 60 });
    // the hub holds both work orders, each linked under the incident that found its cause
    const orders = (await api<WorkOrderView[]>(t, 'GET', '/api/work-orders?state=all', undefined, admin)).body;
    expect(orders.map((o) => o.parentId).sort()).toEqual([leak!.id, w!.id].sort());
  });

  it('exit 4 when the hub lets the --user login declare a warning (here a supervisor account stands in for the operator)', async () => {
    const { code, log } = await simulate(
      ['severe-weather', '--building', 'bldg-2'],
      ['--user', 'sup2', '--password', 'sup2-password', '--supervisor-user', 'sup', '--supervisor-password', 'sup-password'],
    );
    expect(code, log).toBe(4);
    expect(log).toMatch(/✗ 不符 FAILED: an operator cannot declare severe weather \(supervisor only\) — declared as #\d+/);
    expect(log).toMatch(/未完成 NOT completed/);
  });

  it('refuses to run while a warning is in force on the site (it would change a real one)', async () => {
    const leaksBefore = (await incidents('water_leak')).length;
    const declared = await api<IncidentView>(
      t,
      'POST',
      '/api/incidents',
      { kind: 'severe_weather', building: 'bldg-2', payload: { type: 'typhoon', level: 'blue' } },
      admin,
    );
    expect(declared.status).toBe(201);
    const { code, log } = await simulate(['severe-weather', '--building', 'bldg-2']);
    expect(code, log).toBe(EXIT.usage);
    expect(log).toMatch(/a severe-weather warning is in force on site-1/);
    expect(await incidents('water_leak')).toHaveLength(leaksBefore);
    // the warning is left as it was: still the blue one nobody changed
    const w = (await api<IncidentView>(t, 'GET', `/api/incidents/${declared.body.id}`, undefined, admin)).body;
    expect(w).toMatchObject({ open: true, severity: declared.body.severity, children: [] });
  });
});

describe('shift-handover drill (--hub)', () => {
  it('exit 4 when the hub has no equipment check list to hand over (seed 004 篇3 §2.1)', async () => {
    const cfg = (await api<{ equipment: unknown[] }>(t, 'GET', '/api/shifts/config', undefined, admin)).body;
    expect(cfg.equipment.length).toBeGreaterThan(0);
    try {
      expect((await api(t, 'PUT', '/api/shifts/config', { equipment: [] }, admin)).status).toBe(200);
      // the drill stops at the draft, before signing anything, and withdraws its work order
      const { code, log } = await simulate(['shift-handover', '--building', 'bldg-1']);
      expect(code, log).toBe(4);
      expect(log).toMatch(/✗ 不符 FAILED: the equipment check list is configured — 0 item\(s\)/);
      expect((await api<unknown[]>(t, 'GET', '/api/handovers', undefined, admin)).body).toHaveLength(0);
    } finally {
      await api(t, 'PUT', '/api/shifts/config', { equipment: cfg.equipment }, admin);
    }
  });

  it('closing log entry, pending work order, handover with the equipment check, accepted by the incoming person', async () => {
    const { code, log } = await simulate(['shift-handover', '--building', 'bldg-1']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/✓ 核对 check: the closing entry is in the current shift’s duty log/);
    expect(log).toMatch(/✓ 核对 check: a supervisor cannot sign a shift’s log before the shift ends/);
    expect(log).toMatch(/✓ 核对 check: the handover lists every open incident and the pending work order/);
    expect(log).toMatch(/✓ 核对 check: a handover whose equipment check leaves an item out is refused/);
    expect(log).toMatch(/✓ 核对 check: the handover keeps the equipment check with its × item — × /);
    expect(log).toMatch(/✓ 核对 check: the outgoing operator cannot accept their own handover/);
    expect(log).toMatch(/✓ 核对 check: accepted: the incoming person holds the desk/);
    expect(log).toMatch(/✓ 核对 check: the acceptance is in the handed-over shift’s duty log/);
    expect(log).not.toMatch(/✗/);
    const handovers = (await api<Array<{ state: string; openItems: unknown[] }>>(t, 'GET', '/api/handovers', undefined, admin)).body;
    expect(handovers.map((h) => h.state)).toEqual(['accepted']);
    const current = (await api<{ onDuty: { username: string } | null }>(t, 'GET', '/api/shifts/current', undefined, admin)).body;
    expect(current.onDuty?.username).toBe('sup');
    // the drill's work order was withdrawn, not left on the board
    const orders = (await api<WorkOrderView[]>(t, 'GET', '/api/work-orders?state=all', undefined, admin)).body;
    expect(orders.filter((o) => o.description.includes('交接班演练')).map((o) => o.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('refuses a second run in the same shift (it was handed over already)', async () => {
    const { code, log } = await simulate(['shift-handover', '--building', 'bldg-1']);
    expect(code, log).toBe(EXIT.usage);
    expect(log).toMatch(/was handed over already: run the drill in the next shift/);
  });
});
