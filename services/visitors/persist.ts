// The Visit row of a visitor incident (same id), written in the transition's own transaction
// so the front desk's list never disagrees with the procedure; a used pre-authorisation is
// marked in the same transaction. After the commit the desk's live view is pushed.
import type { Prisma } from '../../prisma/generated/client.js';
import type { IncidentSnapshot } from '../core/procedure/index.js';
import type { ProcedureDeps } from '../incidents/module.js';
import { visitRecord } from './machine.js';
import { visitView } from './views.js';

export async function persistVisit(
  deps: ProcedureDeps,
  tx: Prisma.TransactionClient,
  s: IncidentSnapshot,
  prev: IncidentSnapshot | null,
  now: number,
): Promise<() => void> {
  const v = visitRecord(s);
  const row = {
    buildingId: v.buildingId,
    unitNumber: v.unitNumber,
    visitorName: v.visitorName,
    idMasked: v.idMasked,
    channel: v.channel,
    state: v.state,
    callId: v.callId,
    intercomId: v.intercomId,
    plannedMinutes: v.plannedMinutes,
    requestedAt: new Date(v.requestedAt),
    decidedAt: v.decidedAt === null ? null : new Date(v.decidedAt),
    approvedBy: v.approvedBy,
    approvalChannel: v.approvalChannel,
    enteredAt: v.enteredAt === null ? null : new Date(v.enteredAt),
    leftAt: v.leftAt === null ? null : new Date(v.leftAt),
    preAuthId: v.preAuthId,
    incidentId: s.id,
  };
  const visit = await tx.visit.upsert({ where: { id: s.id }, create: { id: s.id, ...row }, update: { ...row, version: { increment: 1 } } });
  if (v.preAuthId && v.approvedBy?.startsWith('preauth:')) {
    await tx.preAuthorization.updateMany({ where: { id: v.preAuthId, usedAt: null }, data: { usedAt: new Date(now) } });
  }
  return () => deps.bus.emit(prev ? 'visit.updated' : 'visit.requested', visitView(visit, now));
}
