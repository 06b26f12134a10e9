// What a power outage needs when it opens, and its elevator sweep (PROCEDURES.md §3.3): the
// buildings the lost feeder serves, the recall floor, the registered planned outages there.
import type { Json } from '../core/procedure/index.js';
import type { ProcedureDeps } from '../incidents/module.js';
import type { PowerContext, SweepCar } from './machine.js';

const DAY = 86_400_000;

export async function powerContext(
  deps: ProcedureDeps,
  at: { buildingId: string; trigger: { source: string } & Record<string, unknown> },
): Promise<PowerContext> {
  const t = at.trigger;
  const feeder =
    t.source === 'device'
      ? ((t.event as { data?: { feeder?: unknown } } | undefined)?.data?.feeder ?? null)
      : t.source === 'manual'
        ? ((t.payload as { feeder?: unknown } | null)?.feeder ?? null)
        : null;
  const b = await deps.db.building.findUnique({ where: { id: at.buildingId } });
  const fed = deps.registry.all().filter((d) => d.class === 'power' && typeof feeder === 'string' && d.meta.feeder === feeder);
  const feederBuildings = [...new Set([at.buildingId, ...fed.map((d) => d.building)])];
  const planned = await deps.db.plannedOutage.findMany({
    where: { buildingId: { in: feederBuildings }, cancelled: false, endsAt: { gte: new Date(deps.now() - DAY) } },
  });
  return {
    lobbyFloor: b?.lobbyFloor ?? 1,
    feederBuildings,
    plannedOutages: planned.map((p) => ({
      id: p.id,
      buildingId: p.buildingId,
      feeder: p.feeder,
      startsAt: p.startsAt.getTime(),
      endsAt: p.endsAt.getTime(),
      cancelled: p.cancelled,
    })),
  };
}

/**
 * What the hub knows about each car of these buildings right now (telemetry + open entrapments).
 * A car that is offline, or whose last report is older than `params.staleMs`, is returned as
 * `unknown` without its telemetry: the machine then asks for an in-person check instead of
 * trusting a floor and door state from before the car went dark (review of §3.3).
 */
export function elevatorSweep(deps: ProcedureDeps, params: Json): { cars: SweepCar[] } {
  const buildingIds = Array.isArray(params.buildingIds) ? params.buildingIds.filter((b): b is string => typeof b === 'string') : [];
  const staleMs = typeof params.staleMs === 'number' ? params.staleMs : Infinity;
  const now = deps.now();
  const entrapped = new Set(
    deps
      .openIncidents()
      .filter((s) => s.kind === 'elevator_entrapment' && s.deviceId)
      .map((s) => s.deviceId!),
  );
  const cars = buildingIds.flatMap((b) =>
    deps.registry.inBuilding(b, 'elevator').map((d): SweepCar => {
      const who = {
        deviceId: d.deviceId,
        buildingId: d.building,
        ...(typeof d.meta.car === 'string' ? { car: d.meta.car } : {}),
      };
      const unknown = d.state !== 'online' ? 'offline' : d.lastSeenAt === null || now - d.lastSeenAt > staleMs ? 'stale' : null;
      if (unknown)
        return {
          ...who,
          atLevel: false,
          unknown,
          ...(d.lastSeenAt !== null ? { lastSeenAt: d.lastSeenAt } : {}),
          ...(entrapped.has(d.deviceId) ? { entrapment: true } : {}),
        };
      const t = d.lastTelemetry ?? {};
      const outOfLevel = t.out_of_level === true;
      return {
        ...who,
        ...(typeof t.floor === 'number' ? { floor: t.floor } : {}),
        atLevel: !outOfLevel,
        ...(typeof t.door_open === 'boolean' ? { doorsOpen: t.door_open } : {}),
        entrapment:
          entrapped.has(d.deviceId) || (outOfLevel && t.door_open === false && typeof t.passengers === 'number' && t.passengers > 0),
        ...(typeof t.passengers === 'number' ? { passengers: t.passengers } : {}),
      };
    }),
  );
  return { cars };
}
