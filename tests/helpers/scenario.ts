// Drills through the CLI (`simulate scenario … --hub`) against a test hub: the fleet file the CLI
// reads, and an in-process run that captures what it prints (tests/integration/scenarios*.test.ts).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { main } from '../../devices/cli.js';
import type { Provisioned, TestHub } from './hub.js';

export type FleetEntry = Provisioned & { floors?: number[]; meta?: Record<string, string | number> };

/** Write the provisioned devices as a fleet file in a new temp dir (remove `dir` afterwards). */
export async function writeFleetFile(entries: FleetEntry[]): Promise<{ dir: string; file: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-scenarios-'));
  const file = path.join(dir, 'fleet.json');
  await fs.writeFile(
    file,
    JSON.stringify(
      entries.map(({ id, secret, site, building, class: cls, floors, meta }) => ({
        id,
        secret,
        site,
        building,
        class: cls,
        ...(floors ? { floors } : {}),
        ...(meta ? { meta } : {}),
      })),
    ),
  );
  return { dir, file };
}

export const DEFAULT_LOGINS = [
  '--user',
  'op',
  '--password',
  'op-password',
  '--supervisor-user',
  'sup',
  '--supervisor-password',
  'sup-password',
];

/** Run `simulate scenario …` in-process against the test hub; returns the exit code and the printed log. */
export async function simulate(
  t: TestHub,
  fleetFile: string,
  args: string[],
  logins: string[] = DEFAULT_LOGINS,
): Promise<{ code: number; log: string }> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  let code: number;
  try {
    code = await main([
      'scenario',
      ...args,
      '--fleet',
      fleetFile,
      '--url',
      t.mqttUrl,
      '--hub',
      t.http,
      ...logins,
      '--no-traffic',
      '--interval',
      '1s',
      '--travel-ms',
      '20',
      '--door-ms',
      '40',
      '--quiet',
    ]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  if (process.env.SCENARIO_LOG) await fs.appendFile(process.env.SCENARIO_LOG, `\n=== ${args.join(' ')} → exit ${code}\n${lines.join('')}`);
  return { code, log: lines.join('') };
}
