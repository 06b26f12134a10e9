// Snapshot ⇄ database rows ⇄ API views for incidents. A view is made for one reader: its
// locale (titles and timeline lines rendered), its role (allowed actions, masking of personal
// data for roles that do not work the procedure) and whether it gave a reason to see them.
import type { IncidentKind, Role } from '../../contracts/domain.js';
import type { IncidentDetail, IncidentView } from '../../contracts/incidents.js';
import type { Locale, Text } from '../../contracts/messages.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { redact } from '../core/privacy.js';
import type { Scope } from '../auth/scope.js';
import type { IncidentSnapshot, ProcedureEngine, TimelineItem } from '../core/procedure/index.js';
import type { ProcedureModule } from './module.js';

/** An Incident row with its steps and timers, as Prisma returns it. */
type Row = Prisma.IncidentGetPayload<{ include: { steps: true; timers: true } }>;
type TimelineRow = Prisma.TimelineEntryGetPayload<object>;

/** Who a view is for. `personal`: may this reader see personal data unmasked (duty + reason)? */
export interface Reader {
  userId: string | null;
  role: Role | null;
  locale: Locale;
  /** the reader asked for personal data with a reason (or acts on the record: the action is the reason) */
  reason: string | null;
  /** the buildings this reader may see (services/auth/scope.ts); absent = every building (the hub itself) */
  scope?: Scope;
}

/** The zh-CN, role-less view the live push sends (per-recipient masking happens at delivery). */
export const PUSH_READER: Reader = { userId: null, role: null, locale: 'zh-CN', reason: 'live push' };

const asText = (v: unknown): Text => (v && typeof v === 'object' ? (v as Text) : { text: String(v ?? '') });

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
    title: asText(r.title),
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

/** A timeline item as stored: the reason as key + params, or what a person typed as `message`. */
export function timelineRow(incidentId: string, t: TimelineItem) {
  const said = t.reason && 'text' in t.reason ? t.reason.text : '';
  const msg = t.reason && 'key' in t.reason ? t.reason : null;
  return {
    incidentId,
    at: new Date(t.at),
    actorType: t.actorType,
    actor: t.actor,
    type: t.type,
    message: said,
    reasonKey: msg?.key ?? null,
    reasonParams: (msg?.params ?? null) as Prisma.InputJsonValue | null,
    data: t.data as Prisma.InputJsonValue,
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

export class IncidentViews {
  constructor(private readonly engine: ProcedureEngine<ProcedureModule>) {}

  private module(kind: IncidentKind): ProcedureModule {
    return this.engine.registry.get(kind);
  }

  /** The personal keys a reader must not see unmasked for this kind (empty: nothing to hide). */
  hidden(kind: IncidentKind, reader: Reader): ReadonlySet<string> {
    const p = this.module(kind).personal;
    if (!p) return new Set();
    return this.seesPersonal(kind, reader) ? new Set() : new Set(p.keys);
  }

  /** Personal data unmasked: a role that works this procedure, asking with a reason. */
  seesPersonal(kind: IncidentKind, reader: Reader): boolean {
    if (!this.module(kind).personal) return true;
    if (!reader.role || !reader.reason) return reader === PUSH_READER;
    const def = this.engine.registry.def(kind);
    return Object.values<{ roles: readonly Role[] }>(def.actions).some((a) => a.roles.includes(reader.role!));
  }

  toView(s: IncidentSnapshot, number: number, commands: CommandRow[], children: string[], reader: Reader): IncidentView {
    const hidden = this.hidden(s.kind, reader);
    const shown = redact(s, hidden);
    const { dedupKey: _dedup, siteId, buildingId, title, ...rest } = shown;
    const mod = this.module(s.kind);
    const catalog = this.engine.catalog;
    return {
      ...rest,
      number,
      site: siteId,
      building: buildingId,
      title: catalog.render(title, reader.locale),
      titleMsg: title,
      facts: redact(mod.facts?.(s, s.data as never) ?? [], hidden),
      masked: hidden.size > 0,
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
      ...(reader.role
        ? {
            allowedActions: this.engine.allowedActions(s, reader.role).map(({ withheld, ...a }) => {
              const defaults = this.engine.actionDefaults(s, a.action);
              const payload = withoutValues(this.engine.actionSchema(s.kind, a.action), withheld);
              return { ...a, payload, ...(defaults ? { defaults } : {}) };
            }),
          }
        : {}),
    };
  }

  timeline(kind: IncidentKind, rows: TimelineRow[], reader: Reader): IncidentDetail['timeline'] {
    const hidden = this.hidden(kind, reader);
    const catalog = this.engine.catalog;
    return rows.map((t) => {
      const data = redact((t.data ?? {}) as Record<string, unknown>, hidden);
      const reason: Text | null = t.reasonKey ? { key: t.reasonKey, params: (t.reasonParams ?? {}) as Record<string, unknown> } : null;
      return {
        seq: Number(t.seq),
        at: t.at.getTime(),
        actorType: t.actorType,
        actor: t.actor,
        type: t.type,
        message: t.message,
        reason,
        text: catalog.timelineText(kind, { type: t.type, data, reason, message: t.message }, reader.locale),
        data,
      };
    });
  }
}

/**
 * An action's JSON schema without the enum values this reader may not choose now (the
 * procedure's `withheld`): the form offers only what the hub would accept (issue 14).
 */
export function withoutValues(schema: unknown, withheld: Record<string, readonly string[]> | undefined): unknown {
  if (!withheld || typeof schema !== 'object' || schema === null) return schema;
  const props = (schema as { properties?: Record<string, { enum?: unknown[] }> }).properties;
  if (!props) return schema;
  const out: Record<string, unknown> = { ...props };
  for (const [field, values] of Object.entries(withheld)) {
    const p = props[field];
    if (p?.enum) out[field] = { ...p, enum: p.enum.filter((v) => !values.includes(v as string)) };
  }
  return { ...schema, properties: out };
}
