// `npm run simulate` without --hub against a hub running its own demo fleet (issue 14): the
// simulator connects the demo's device ids; the demo fleet hands each one over instead of
// reconnecting and taking it back (MQTT session takeover both ways, the drill's alarm lost on
// the panel tile), and takes it back once the simulator has gone. The CLI is run in-process
// with the demo credentials file the hub wrote, exactly as a user would.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../devices/cli.js';
import { seedDemo, type DemoCredentials } from '../../services/hub/demo.js';
import { startDemoFleet, type DemoFleet } from '../../services/hub/fleet.js';
import { startTestHub, waitFor, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let creds: DemoCredentials;
let fleet: DemoFleet;
let credsFile: string;

beforeAll(async () => {
  t = await startTestHub();
  creds = await seedDemo(t.hub);
  credsFile = path.join(t.hub.config.dataDir, 'demo-credentials.json');
  await fs.access(credsFile);
  fleet = await startDemoFleet(t.hub, creds.fleet, 60_000);
});
afterAll(async () => {
  await fleet?.stop();
  await t?.close();
});

async function simulate(args: string[]): Promise<{ code: number; log: string }> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const code = await main(args);
    return { code, log: lines.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('a drill without --hub against the running demo fleet', () => {
  it('takes the demo devices over for the drill (no fight), and the demo takes them back afterwards', async () => {
    const building = 'demo-a';
    const ids = creds.fleet.filter((d) => d.building === building).map((d) => d.id);
    expect(ids.length).toBeGreaterThan(2);
    for (const id of ids) expect(t.hub.registry.get(id)?.state).toBe('online');
    // every takeover of these ids while the drill runs: one each (the drill's), never the demo's retaking
    const takeovers: string[] = [];
    /** the demo devices handed over when the drill's fire alarm opened its incident */
    let awayAtAlarm: string[] | null = null;
    const owner = {};
    t.hub.bus.on('device.takeover', owner, ({ device }) => void takeovers.push(device.deviceId));
    t.hub.bus.on('incident.opened', owner, (i) => {
      if (i.kind === 'fire_alarm') awayAtAlarm ??= [...fleet.handedOver];
    });
    try {
      const r = await simulate([
        'scenario',
        'fire-drill',
        '--fleet',
        credsFile,
        '--url',
        t.mqttUrl,
        '--building',
        building,
        '--no-traffic',
        '--interval',
        '1s',
        '--travel-ms',
        '20',
        '--door-ms',
        '40',
        '--reset-after',
        '300ms',
        '--quiet',
      ]);
      expect(r.code, r.log).toBe(0);
      // every car of the building confirmed the recall to the drill's simulator
      expect(r.log).toMatch(/recall/i);
      expect([...takeovers].sort()).toEqual([...ids].sort());
      // during the alarm no demo device of the building was running beside the drill's (the
      // issue: the demo panel kept reporting 0 zones in alarm, recalls went to demo cars)
      expect([...(awayAtAlarm ?? [])].sort()).toEqual([...ids].sort());
      // the drill's devices said goodbye: the demo takes each id back
      await waitFor(() => fleet.handedOver.size === 0, 10_000, 'demo devices back');
      await waitFor(() => ids.every((id) => t.hub.registry.get(id)?.state === 'online'), 10_000, 'online again');
      for (const id of ids) expect(fleet.devices.find((d) => d.identity.id === id)?.client.connected).toBe(true);
      expect([...takeovers].sort()).toEqual([...ids].sort());
    } finally {
      t.hub.bus.removeListeners(owner);
    }
  });

  it('the help names the demo credentials file the hub writes, not a .data/fleet.json that does not exist', async () => {
    const r = await simulate(['help']);
    expect(r.log).toContain('.data/demo-credentials.json');
    expect(r.log).not.toContain('.data/fleet.json');
    expect(r.log).not.toMatch(/--fleet fleet\.json/);
  });
});
