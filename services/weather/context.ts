// Facts a severe-weather warning needs when it opens: the buildings of its site, so that a
// site-wide warning's inspection round (PROCEDURES.md §7) can open a finding's work order in
// any of them, and nowhere else.
import type { ProcedureDeps } from '../incidents/module.js';
import type { WeatherContext } from './machine.js';

export async function weatherContext(deps: ProcedureDeps, at: { buildingId: string }): Promise<WeatherContext> {
  const own = await deps.db.building.findUnique({ where: { id: at.buildingId }, select: { siteId: true } });
  if (!own) return {};
  const rows = await deps.db.building.findMany({ where: { siteId: own.siteId }, select: { id: true }, orderBy: { id: 'asc' } });
  return { siteBuildingIds: rows.map((r) => r.id) };
}
