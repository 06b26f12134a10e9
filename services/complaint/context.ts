// What a complaint needs when it opens: whether the resident's unit is in the owner file and its
// floor. Only existence and floor are read — no owner name or phone — so this lookup is not a
// personal-data read (the desk's owner-contact read is: services/complaint/service.ts).
import type { Trigger } from '../core/procedure/index.js';
import type { ProcedureDeps } from '../incidents/module.js';
import type { ComplaintContext } from './machine.js';

export async function complaintContext(deps: ProcedureDeps, at: { buildingId: string; trigger: Trigger }): Promise<ComplaintContext> {
  const t = at.trigger;
  if (t.source !== 'manual') return {};
  const p = t.payload as { complainantType?: unknown; unit?: unknown } | null;
  if (p?.complainantType !== 'resident' || typeof p.unit !== 'string') return { unitKnown: null };
  const u = await deps.db.unit.findUnique({
    where: { buildingId_number: { buildingId: at.buildingId, number: p.unit.trim() } },
    select: { floor: true },
  });
  return u ? { unitKnown: true, unitFloor: u.floor } : { unitKnown: false };
}
