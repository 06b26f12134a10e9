// Facts a fire incident needs when it opens: the address told to 119 (seed 000 §2.1.2.5 d),
// the recall floor, and the building's elevators (消防联动 recalls every car, PROCEDURES.md §2.5).
import type { ProcedureDeps } from '../incidents/module.js';
import type { FireContext } from './machine.js';

export async function fireContext(deps: ProcedureDeps, at: { buildingId: string }): Promise<FireContext> {
  const b = await deps.db.building.findUnique({ where: { id: at.buildingId } });
  const elevators = deps.registry
    .inBuilding(at.buildingId, 'elevator')
    .sort((a, c) => a.deviceId.localeCompare(c.deviceId))
    .map((d) => ({
      deviceId: d.deviceId,
      buildingId: d.building,
      name: d.name,
      ...(typeof d.meta.car === 'string' ? { car: d.meta.car } : {}),
    }));
  return { address: b ? b.address || b.name : at.buildingId, lobbyFloor: b?.lobbyFloor ?? 1, elevators };
}
