// Facts a medical emergency needs when it opens: the building's cars and lobby floor, so a car
// can be held there for the stretcher (PROCEDURES.md §6.4).
import type { ProcedureDeps } from '../incidents/module.js';
import type { MedicalContext } from './machine.js';

export async function medicalContext(deps: ProcedureDeps, at: { buildingId: string }): Promise<MedicalContext> {
  const b = await deps.db.building.findUnique({ where: { id: at.buildingId } });
  const elevators = deps.registry
    .inBuilding(at.buildingId, 'elevator')
    .sort((a, c) => a.deviceId.localeCompare(c.deviceId))
    .map((d) => ({ deviceId: d.deviceId, ...(typeof d.meta.car === 'string' ? { car: d.meta.car } : {}) }));
  return { lobbyFloor: b?.lobbyFloor ?? 1, elevators };
}
