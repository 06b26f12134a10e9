// `simulate scenario … --hub` for the procedures added after the first release (PROCEDURES.md
// §5 water leak, §6 medical emergency): the CLI plays the devices over MQTT and the control
// room over HTTP against a real hub, exiting 0 only when the hub did what the procedure says.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../contracts/incidents.js';
import { simulate as runScenario, writeFleetFile } from '../helpers/scenario.js';
import { api, provision, seedPlace, startTestHub, type Provisioned, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let dir: string;
let fleetFile: string;
const FLOORS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

beforeAll(async () => {
  t = await startTestHub({
    incidentConfig: { medical_emergency: { ackMs: 60_000 } },
  });
  await seedPlace(t, 'site-1', ['bldg-1', 'bldg-2']);
  const entries: Array<Provisioned & { floors?: number[]; meta?: Record<string, string | number> }> = [];
  const add = async (
    id: string,
    cls: Provisioned['class'],
    building: string,
    extra: { floors?: number[]; meta?: Record<string, string | number> } = {},
  ) => {
    entries.push({ ...(await provision(t, id, cls, building, 'site-1', extra)), ...extra });
  };
  await add('el-1', 'elevator', 'bldg-1', { floors: FLOORS, meta: { car: '1' } });
  await add('el-2', 'elevator', 'bldg-1', { floors: FLOORS, meta: { car: '2' } });
  await add('wt-lift', 'water', 'bldg-1', { floors: [-1], meta: { role: 'leak', zone: 'b1-lift-pit', floor: -1, near: 'elevator' } });
  await add('wt-pit', 'water', 'bldg-1', {
    floors: [-1],
    meta: { role: 'sump', pit: 'b1-sump', zone: 'b1-sump', floor: -1, near: 'pump_room' },
  });
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员 王敏');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管 张伟');
  ({ dir, file: fleetFile } = await writeFleetFile(entries));
});

afterAll(async () => {
  await t?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const simulate = (args: string[], logins?: string[]) => runScenario(t, fleetFile, args, logins);

const incidents = async (kind: string) => (await api<IncidentView[]>(t, 'GET', `/api/incidents?state=all&kind=${kind}`)).body;

describe('drills of the new procedures (--hub)', () => {
  it('water-leak: leak by the lifts → cars parked and confirmed → pump emergency escalated → dry is only a hint → closed', async () => {
    const { code, log } = await simulate(['water-leak']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/✓ 核对 check: the leak opened a water incident/);
    expect(log).toMatch(/✓ 核对 check: water near elevator: protection required/);
    expect(log).toMatch(/✓ 核对 check: every car confirmed its recall above the water/);
    expect(log).toMatch(/✓ 核对 check: a failed pump at high water escalates at once/);
    expect(log).toMatch(/✓ 核对 check: the dry sensor only suggests clearing/);
    expect(log).not.toMatch(/✗/);
    const [w] = await incidents('water_leak');
    expect(w).toMatchObject({ state: 'closed', building: 'bldg-1' });
  });

  it('medical: an injured passenger opens a linked medical emergency, worked to close with a follow-up', async () => {
    const { code, log } = await simulate(['medical']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/✓ 核对 check: an injured passenger opened a medical emergency linked to the entrapment/);
    expect(log).toMatch(/✓ 核对 check: el-2 confirmed it waits at the lobby for the stretcher/);
    expect(log).toMatch(/✓ 核对 check: 回访 follow-up scheduled/);
    expect(log).not.toMatch(/✗/);
    const [m] = await incidents('medical_emergency');
    expect(m).toMatchObject({ state: 'closed', open: false });
  });
});
