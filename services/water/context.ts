// Facts a water incident needs when it opens: the building's water zones and what each is
// near (PROCEDURES.md §5.3: a zone tagged elevator / electrical / pump_room needs protecting),
// the building's cars and recall floor, and a severe-weather warning in force there (§7).
import type { ProcedureDeps } from '../incidents/module.js';
import type { WaterContext } from './machine.js';

export async function waterContext(deps: ProcedureDeps, at: { buildingId: string }): Promise<WaterContext> {
  const b = await deps.db.building.findUnique({ where: { id: at.buildingId } });
  const elevators = deps.registry
    .inBuilding(at.buildingId, 'elevator')
    .sort((a, c) => a.deviceId.localeCompare(c.deviceId))
    .map((d) => ({ deviceId: d.deviceId, ...(typeof d.meta.car === 'string' ? { car: d.meta.car } : {}) }));
  const zones: NonNullable<WaterContext['zones']> = {};
  for (const d of deps.registry.inBuilding(at.buildingId, 'water')) {
    const near =
      typeof d.meta.near === 'string'
        ? d.meta.near
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
    const floor = typeof d.meta.floor === 'number' ? d.meta.floor : undefined;
    for (const key of [d.meta.zone, d.meta.pit])
      if (typeof key === 'string') zones[key] = { near, ...(floor === undefined ? {} : { floor }) };
  }
  const weather = deps
    .openIncidents()
    .filter((s) => s.kind === 'severe_weather' && s.siteId === b?.siteId && weatherCovers(s.data, s.buildingId, at.buildingId))
    .sort((a, c) => a.openedAt - c.openedAt)[0];
  return {
    lobbyFloor: b?.lobbyFloor ?? 1,
    elevators,
    zones,
    weather: weather ? { incidentId: weather.id, level: typeof weather.data.level === 'string' ? weather.data.level : null } : null,
  };
}

/** A warning covers the buildings it lists (all of its site when it lists none). */
function weatherCovers(data: Record<string, unknown>, own: string, buildingId: string): boolean {
  const list = Array.isArray(data.buildingIds) ? (data.buildingIds as unknown[]) : [];
  return list.length === 0 || list.includes(buildingId) || own === buildingId;
}
