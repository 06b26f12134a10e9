// `simulate scenario device-health --hub` (PROCEDURES.md "Device health"): the CLI plays a
// power meter over MQTT and the control room over HTTP against a real hub that has the demo
// estate's voltage rule; it exits 0 only when the hub raised and recovered the silent fault and
// the rule fault as the manual says.
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../contracts/incidents.js';
import { DEMO_RULES } from '../../services/hub/demo.js';
import { SYSTEM_DEMO } from '../../services/admin/common.js';
import { simulate as runScenario, writeFleetFile } from '../helpers/scenario.js';
import { api, provision, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let dir: string;
let fleetFile: string;

beforeAll(async () => {
  // the drill's meter reports every second (--interval 1s): silent after 3 s without a report
  t = await startTestHub({ heartbeatMs: { power: 3000 } });
  await seedPlace(t, 'site-1', ['bldg-1']);
  // the demo's rule, with a 2 s duration so the drill needs not hold the sag for 10 s
  for (const r of DEMO_RULES) await t.hub.rules.create(SYSTEM_DEMO, { ...r, durationSeconds: 2 });
  const pm = await provision(t, 'pm-1', 'power', 'bldg-1', 'site-1', { floors: [1, 2, 3], meta: { feeder: 'feeder-a' } });
  await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员 王敏');
  await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管 张伟');
  ({ dir, file: fleetFile } = await writeFleetFile([{ ...pm, floors: [1, 2, 3], meta: { feeder: 'feeder-a' } }]));
});

afterAll(async () => {
  await t?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('device-health drill (--hub)', () => {
  it('silent → fault → recovered; voltage sag past the rule’s duration → fault with a work order → cleared by the hysteresis; both closed', async () => {
    const { code, log } = await runScenario(t, fleetFile, ['device-health', '--silent-wait', '30s', '--breach-wait', '30s']);
    expect(code, log).toBe(0);
    expect(log).toMatch(/✓ 核对 check: a connected meter that stopped reporting opened a silent device fault/);
    expect(log).toMatch(/✓ 核对 check: reporting again recovered the silent fault/);
    expect(log).toMatch(/✓ 核对 check: the lasting voltage breach opened a telemetry-rule device fault/);
    expect(log).toMatch(/✓ 核对 check: raised only once the breach had lasted the rule’s duration/);
    expect(log).toMatch(/✓ 核对 check: the fault opened a linked repair work order/);
    expect(log).toMatch(/✓ 核对 check: back inside the band by the hysteresis: recovered, close suggested/);
    expect(log).not.toMatch(/✗/);
    const faults = (await api<IncidentView[]>(t, 'GET', '/api/incidents?state=all&kind=device_fault')).body.filter(
      (i) => i.deviceId === 'pm-1',
    );
    expect(faults.map((f) => [f.data.cause, f.state]).sort()).toEqual([
      ['rule', 'closed'],
      ['silent', 'closed'],
    ]);
  });
});
