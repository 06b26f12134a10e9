// Snapshot ⇄ database rows ⇄ API views for incidents.
import type { IncidentKind, Role } from '../../contracts/domain.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import { z } from 'zod';
import type { Prisma } from '../../prisma/generated/client.js';
import { actionPayload, allowedActions, type IncidentSnapshot } from '../core/procedure.js';

/** An Incident row with its steps and timers, as Prisma returns it. */
type Row = Prisma.IncidentGetPayload<{ include: { steps: true; timers: true } }>;

export function snapshotFromRow(r: Row): IncidentSnapshot {
  return {
    id: r.id,
    kind: r.kind as IncidentKind,
    state: r.state,
    open: r.open,
    severity: r.severity,
    siteId: r.siteId,
    buildingId: r.buildingId,
    floor: r.floor,
    deviceId: r.deviceId,
    dedupKey: r.dedupKey,
    parentId: r.parentId,
    title: r.title,
    openedAt: r.openedAt.getTime(),
    closedAt: r.closedAt?.getTime() ?? null,
    steps: [...r.steps]
      .sort((a, b) => a.ord - b.ord)
      .map((s) => ({
        key: s.key,
        ord: s.ord,
        required: s.required,
        status: s.status as 'pending' | 'done' | 'skipped',
        doneBy: s.doneBy,
        doneAt: s.doneAt?.getTime() ?? null,
        notes: s.notes,
        data: (s.data ?? {}) as Record<string, unknown>,
      })),
    timers: r.timers.map((t) => ({
      key: t.key,
      dueAt: t.dueAt.getTime(),
      status: t.status as 'running' | 'fired' | 'cancelled',
      repeatMs: t.repeatMs,
      firedAt: t.firedAt?.getTime() ?? null,
    })),
    data: (r.data ?? {}) as Record<string, unknown>,
  };
}

export interface CommandRow {
  corr: string;
  deviceId: string;
  name: string;
  state: string;
  sentAt: Date;
  expiresAt: Date;
  resolvedAt: Date | null;
  result: unknown;
}

const payloadSchemas = new Map<string, unknown>();
/** JSON schema of an action's payload (for UI forms); cached per kind+action. */
function payloadSchema(kind: IncidentKind, action: string): unknown {
  const key = `${kind}:${action}`;
  if (!payloadSchemas.has(key)) {
    const payload = actionPayload(kind, action);
    let schema: unknown = undefined;
    try {
      schema = payload ? z.toJSONSchema(payload, { io: 'input', unrepresentable: 'any' }) : undefined;
    } catch {
      schema = undefined;
    }
    payloadSchemas.set(key, schema);
  }
  return payloadSchemas.get(key);
}

export function toView(s: IncidentSnapshot, number: number, commands: CommandRow[], children: string[], role?: Role): IncidentView {
  const { dedupKey: _dedup, siteId, buildingId, ...rest } = s;
  return {
    ...rest,
    number,
    site: siteId,
    building: buildingId,
    commands: commands.map((c) => ({
      corr: c.corr,
      deviceId: c.deviceId,
      name: c.name,
      state: c.state as 'sent' | 'confirmed' | 'failed' | 'expired',
      sentAt: c.sentAt.getTime(),
      expiresAt: c.expiresAt.getTime(),
      resolvedAt: c.resolvedAt?.getTime() ?? null,
      result: c.result ?? null,
    })),
    children,
    ...(role ? { allowedActions: allowedActions(s, role).map((a) => ({ ...a, payload: payloadSchema(s.kind, a.action) })) } : {}),
  };
}

export type { IncidentDetail };
