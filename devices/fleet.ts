// Fleet description: which devices the simulator runs and with which credentials. A JSON
// file `[{id, secret, site, building, class, floors?}]` (or `{devices: [...]}`) and/or
// `--device id:secret:site:building:class` arguments. Optional `meta` carries class specifics
// ({feeder} for a power meter, {car, lobbyFloor} for an elevator), like the hub's Device.meta.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DeviceClass, Id } from '../contracts/domain.js';
import type { DeviceIdentity } from './sdk.js';

const Floors = z.union([
  z.array(z.number().int().min(-10).max(300)).max(300),
  // A count is accepted as shorthand for floors 1..n.
  z
    .number()
    .int()
    .min(1)
    .max(300)
    .transform((n) => Array.from({ length: n }, (_, i) => i + 1)),
]);

export const FleetEntry = z.looseObject({
  id: Id,
  secret: z.string().min(1),
  site: Id,
  building: Id,
  class: DeviceClass,
  floors: Floors.optional(),
  meta: z
    .looseObject({
      feeder: z.string().min(1).max(64).optional(),
      car: z.string().min(1).max(32).optional(),
      lobbyFloor: z.number().int().min(-10).max(300).optional(),
      // water: sump pit or leak node, the zone watched and its floor, the pit's name, what is nearby
      role: z.enum(['sump', 'leak']).optional(),
      zone: z.string().min(1).max(64).optional(),
      floor: z.number().int().min(-10).max(300).optional(),
      pit: z.string().min(1).max(64).optional(),
      near: z.string().min(1).max(256).optional(),
    })
    .optional(),
});
export const FleetFile = z.union([
  z.array(FleetEntry),
  z.looseObject({ devices: z.array(FleetEntry) }).transform((f) => f.devices),
  // the hub's demo credentials file (HUB_DATA_DIR/demo-credentials.json): {users, fleet}
  z.looseObject({ fleet: z.array(FleetEntry) }).transform((f) => f.fleet),
]);

function toIdentity(e: z.infer<typeof FleetEntry>): DeviceIdentity {
  const meta = e.meta
    ? Object.fromEntries(
        (['feeder', 'car', 'lobbyFloor', 'role', 'zone', 'floor', 'pit', 'near'] as const)
          .filter((k) => e.meta![k] !== undefined)
          .map((k) => [k, e.meta![k]]),
      )
    : undefined;
  return {
    id: e.id,
    secret: e.secret,
    site: e.site,
    building: e.building,
    class: e.class,
    ...(e.floors ? { floors: e.floors } : {}),
    ...(meta ? { meta } : {}),
  };
}

export class FleetError extends Error {
  override name = 'FleetError';
}

export function parseFleet(json: unknown, source = 'fleet'): DeviceIdentity[] {
  const r = FleetFile.safeParse(json);
  if (!r.success) throw new FleetError(`${source}: not a valid fleet:\n${z.prettifyError(r.error)}`);
  const list = r.data.map(toIdentity);
  const seen = new Set<string>();
  for (const d of list) {
    if (seen.has(d.id)) throw new FleetError(`${source}: device ${d.id} listed twice`);
    seen.add(d.id);
  }
  return list;
}

export async function loadFleetFile(path: string): Promise<DeviceIdentity[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FleetError(`cannot read fleet file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FleetError(`fleet file ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseFleet(json, path);
}

/**
 * `id:secret:site:building:class`. The secret may itself contain ':' (id is the first field,
 * site/building/class the last three).
 */
export function parseDeviceArg(arg: string): DeviceIdentity {
  const parts = arg.split(':');
  if (parts.length < 5) throw new FleetError(`--device ${JSON.stringify(arg)}: expected id:secret:site:building:class`);
  const id = parts[0] as string;
  const [site, building, cls] = parts.slice(-3) as [string, string, string];
  const secret = parts.slice(1, -3).join(':');
  const r = FleetEntry.safeParse({ id, secret, site, building, class: cls });
  if (!r.success) throw new FleetError(`--device ${JSON.stringify(arg)}: ${z.prettifyError(r.error)}`);
  return toIdentity(r.data);
}

export interface FleetFilter {
  site?: string;
  building?: string;
  prefix?: string;
}

export function filterFleet(list: DeviceIdentity[], f: FleetFilter): DeviceIdentity[] {
  return list.filter(
    (d) => (!f.site || d.site === f.site) && (!f.building || d.building === f.building) && (!f.prefix || d.id.startsWith(f.prefix)),
  );
}
