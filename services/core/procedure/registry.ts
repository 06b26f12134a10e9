// The set of procedures the hub runs, assembled in the composition root (services/hub/
// procedures.ts) and handed to the engine and the incident service. Nothing here knows which
// procedures exist; a procedure is its definition plus its labels, and the incident service's
// modules add their IO hooks on top (ProcedureModule, services/incidents/module.ts).
import type { IncidentKind } from '../../../contracts/domain.js';
import { vocabularyLabels } from '../../../contracts/labels.js';
import type { Label } from '../../../contracts/messages.js';
import { MessageCatalog, type Catalog, type RenderOptions } from '../messages.js';
import { engineCatalog } from './labels.js';
import type { ProcedureDef, ProcedureLabels, Types } from './types.js';

export interface Procedure<T extends Types = Types> {
  definition: ProcedureDef<T>;
  labels: ProcedureLabels<T>;
}

/** The flat catalog entries of one procedure, under `<kind>.` */
export function procedureCatalog(kind: string, l: ProcedureLabels): Record<string, Label> {
  const out: Record<string, Label> = { [`${kind}.kind`]: l.kind, [`${kind}.title`]: l.title };
  const add = (prefix: string, t: Record<string, Label>) => {
    for (const [k, v] of Object.entries(t)) out[`${kind}.${prefix}.${k}`] = v;
  };
  add('state', l.states);
  add('step', l.steps);
  add('action', l.actions);
  add('timer', l.timers);
  add('reason', l.reasons);
  add('error', l.errors);
  add('notify', l.notify);
  add('flag', l.flags);
  add('escalation', l.escalations);
  add('duty', l.duty);
  add('field', l.fields);
  add('value', l.values);
  add('fact', l.facts);
  return out;
}

export class ProcedureRegistry<M extends Procedure = Procedure> {
  private readonly byKind = new Map<IncidentKind, M>();
  readonly catalog: MessageCatalog;

  /**
   * @param procedures one per incident kind
   * @param extraLabels flat catalog entries of other areas (e.g. `records.*`)
   */
  constructor(procedures: readonly M[], extraLabels: Catalog[] = [], render: RenderOptions = {}) {
    const labels: Record<string, Label> = { ...vocabularyLabels(), ...engineCatalog() };
    for (const p of procedures) {
      const kind = p.definition.kind;
      if (this.byKind.has(kind)) throw new Error(`procedure ${kind} is registered twice`);
      checkLabels(p);
      this.byKind.set(kind, p);
      Object.assign(labels, procedureCatalog(kind, p.labels as ProcedureLabels));
    }
    for (const extra of extraLabels) Object.assign(labels, extra);
    this.catalog = new MessageCatalog(labels, render);
  }

  has(kind: string): kind is IncidentKind {
    return this.byKind.has(kind as IncidentKind);
  }

  get(kind: IncidentKind): M {
    const p = this.byKind.get(kind);
    if (!p) throw new Error(`no procedure for kind ${kind}`);
    return p;
  }

  def(kind: IncidentKind): ProcedureDef {
    return this.get(kind).definition as ProcedureDef;
  }

  all(): M[] {
    return [...this.byKind.values()];
  }

  kinds(): IncidentKind[] {
    return [...this.byKind.keys()];
  }
}

/** The types make a missing label a compile error; this catches a def built around the types. */
function checkLabels(p: Procedure): void {
  const d = p.definition as ProcedureDef;
  const l = p.labels as ProcedureLabels;
  const missing: string[] = [];
  const need = (table: Record<string, Label>, keys: readonly string[], what: string) => {
    for (const k of keys) if (!Object.hasOwn(table, k)) missing.push(`${what} ${k}`);
  };
  need(l.states, d.states, 'state');
  need(
    l.steps,
    d.steps.map((s) => s.key),
    'step',
  );
  need(l.timers, d.timers, 'timer');
  need(l.actions, Object.keys(d.actions), 'action');
  if (missing.length) throw new Error(`procedure ${d.kind} lacks labels: ${missing.join(', ')}`);
}
