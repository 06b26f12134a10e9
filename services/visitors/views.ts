// The front desk's view of a visit (a visitor_approval incident's Visit row).
import type { z } from 'zod';
import type { VisitView } from '../../contracts/incidents.js';
import type { Db } from '../core/db.js';

type VisitRow = Awaited<ReturnType<Db['visit']['findMany']>>[number];

export function visitView(v: VisitRow, now: number): z.infer<typeof VisitView> {
  const inside = v.enteredAt !== null && v.leftAt === null;
  return {
    id: v.id,
    incidentId: v.incidentId,
    building: v.buildingId,
    unit: v.unitNumber,
    visitorName: v.visitorName,
    idMasked: v.idMasked,
    channel: v.channel,
    state: v.state,
    plannedMinutes: v.plannedMinutes,
    requestedAt: v.requestedAt.getTime(),
    decidedAt: v.decidedAt?.getTime() ?? null,
    approvedBy: v.approvedBy,
    approvalChannel: v.approvalChannel,
    enteredAt: v.enteredAt?.getTime() ?? null,
    leftAt: v.leftAt?.getTime() ?? null,
    // seed 000 §2.1.3 超时登记处理: still inside past the registered duration
    overstay: inside && now > v.enteredAt!.getTime() + v.plannedMinutes * 60_000,
  };
}
