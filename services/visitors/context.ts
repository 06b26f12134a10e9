// What a visit needs when it opens: the visited unit's floor (the visitor is told floor and
// unit, seed 000 §2.1.3.4) and, for a walk-in, the door panel the desk unlocks.
import type { ProcedureDeps } from '../incidents/module.js';
import type { Trigger } from '../core/procedure/index.js';
import type { VisitorContext } from './machine.js';

export async function visitorContext(deps: ProcedureDeps, at: { buildingId: string; trigger: Trigger }): Promise<VisitorContext> {
  const t = at.trigger;
  const unit =
    t.source === 'device' && t.event.type === 'intercom.call'
      ? t.event.data.unit
      : t.source === 'manual'
        ? (t.payload as { unit?: unknown } | null)?.unit
        : undefined;
  const ctx: VisitorContext = {};
  if (typeof unit === 'string') {
    const u = await deps.db.unit.findUnique({ where: { buildingId_number: { buildingId: at.buildingId, number: unit } } });
    if (u) ctx.unitFloor = u.floor;
  }
  const door = deps.registry.inBuilding(at.buildingId, 'intercom').sort((a, c) => a.deviceId.localeCompare(c.deviceId))[0];
  if (door) ctx.doorPanelId = door.deviceId;
  return ctx;
}
