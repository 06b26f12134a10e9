// Settings 参数设置 (issue 8 §5; PROCEDURES.md: "Timers named here are defaults that an admin
// can change, never constants buried in code"): every procedure target, the offline debounce,
// the heartbeat per device class and the working-day calendar (holidays and 调休 make-up
// days, so 回访 due dates skip 春节). Stored in PostgreSQL (Setting: one row per changed key),
// validated by contracts/admin.ts (zod, sane ranges), audited with old and new value.
//
// The procedures read them through `procedureConfig(kind)` when an incident opens (the
// incident service is handed a provider); an incident keeps the targets it opened with
// (data.cfg), so a change applies to incidents opened afterwards.
import {
  NON_PROCEDURE_DEFAULTS,
  SETTING_DEFS,
  type Calendar,
  type SettingDef,
  type SettingsPatch,
  type SettingsView,
} from '../../contracts/admin.js';
import { INCIDENT_KINDS, type DeviceClass, type IncidentKind } from '../../contracts/domain.js';
import type { Prisma } from '../../prisma/generated/client.js';
import type { z } from 'zod';
import type { Db } from '../core/db.js';
import type { LinkPolicy } from '../devices/machine.js';
import { audit, requireUnscoped, type AdminActor } from './common.js';

type Value = number | boolean;
interface Stored {
  value: Value;
  updatedAt: number;
  updatedBy: string;
}
const CALENDAR_KEY = 'calendar';

const isKind = (g: string): g is IncidentKind => (INCIDENT_KINDS as readonly string[]).includes(g);

/** A procedure's config schema (its machine's zod object with defaults), from the registry. */
export type ConfigSchemaOf = (kind: IncidentKind) => z.ZodType;

/** The machine's own default for a procedure setting, in the setting's unit. */
function procedureDefault(d: SettingDef, configOf: ConfigSchemaOf): Value {
  const cfg = configOf(d.group as IncidentKind).parse({}) as Record<string, unknown>;
  const v = cfg[d.config!];
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'number') throw new Error(`setting ${d.key}: ${d.group} config has no numeric ${d.config}`);
  return v / (d.factor ?? 1);
}

export class SettingsService {
  private readonly defaults = new Map<string, Value>();
  private readonly stored = new Map<string, Stored>();
  private cal: Calendar & { updatedAt: number | null; updatedBy: string | null } = {
    holidays: [],
    workdays: [],
    updatedAt: null,
    updatedBy: null,
  };

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    /** the procedures' config schemas (the composition root's registry: services/hub/procedures.ts) */
    private readonly configOf: ConfigSchemaOf,
  ) {
    for (const d of SETTING_DEFS) {
      const def = isKind(d.group) && d.config ? procedureDefault(d, configOf) : NON_PROCEDURE_DEFAULTS[d.key];
      if (def === undefined) throw new Error(`setting ${d.key} has no default`);
      this.defaults.set(d.key, def);
    }
  }

  private readonly changeListeners: Array<() => void> = [];

  /** Called after a change through this instance is committed (scale-out: the others re-read). */
  onChanged(fn: () => void): void {
    this.changeListeners.push(fn);
  }

  /** Load what is stored (at start, and when another instance changed it; PATCH keeps the copy current). */
  async start(): Promise<void> {
    this.stored.clear();
    for (const r of await this.db.setting.findMany()) {
      if (r.key === CALENDAR_KEY) {
        const c = r.value as unknown as Calendar;
        this.cal = { holidays: c.holidays ?? [], workdays: c.workdays ?? [], updatedAt: r.updatedAt.getTime(), updatedBy: r.updatedBy };
      } else if (this.defaults.has(r.key)) {
        this.stored.set(r.key, { value: r.value as unknown as Value, updatedAt: r.updatedAt.getTime(), updatedBy: r.updatedBy });
      }
    }
  }

  value(key: string): Value {
    const s = this.stored.get(key);
    if (s) return s.value;
    const d = this.defaults.get(key);
    if (d === undefined) throw new Error(`unknown setting ${key}`);
    return d;
  }

  /** The working-day calendar (holidays, 调休 make-up working days), local YYYY-MM-DD. */
  calendar(): Calendar {
    return { holidays: [...this.cal.holidays], workdays: [...this.cal.workdays] };
  }

  /**
   * The configured targets of one procedure, as its machine config expects them (ms etc.),
   * with the calendar for procedures that count working days. Pass it as the `config` of a
   * new incident: the machine's zod schema fills the rest.
   */
  procedureConfig(kind: IncidentKind): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const d of SETTING_DEFS) {
      if (d.group !== kind || !d.config) continue;
      const v = this.value(d.key);
      out[d.config] = typeof v === 'number' ? v * (d.factor ?? 1) : v;
    }
    const shape = (this.configOf(kind) as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    if ('holidays' in shape) out.holidays = [...this.cal.holidays];
    if ('extraWorkdays' in shape) out.extraWorkdays = [...this.cal.workdays];
    return out;
  }

  /** Where a procedure's current targets came from: key → who set it and when (null = default). */
  provenance(kind: IncidentKind): Record<string, { value: Value; updatedBy: string | null; updatedAt: number | null }> {
    const out: Record<string, { value: Value; updatedBy: string | null; updatedAt: number | null }> = {};
    for (const d of SETTING_DEFS) {
      if (d.group !== kind || !d.config) continue;
      const s = this.stored.get(d.key);
      out[d.config] = { value: this.value(d.key), updatedBy: s?.updatedBy ?? null, updatedAt: s?.updatedAt ?? null };
    }
    return out;
  }

  /** Silent for longer than this → device fault (PROCEDURES.md "Device health"). */
  heartbeatMs(cls: DeviceClass | 'water'): number {
    return (this.value(`heartbeat.${cls}`) as number) * 1000;
  }

  linkPolicy(): LinkPolicy {
    return {
      offlineDebounceMs: (this.value('device_link.offlineDebounceSeconds') as number) * 1000,
      flapThreshold: this.value('device_link.flapThreshold') as number,
      flapWindowMs: (this.value('device_link.flapWindowMinutes') as number) * 60_000,
    };
  }

  view(names: ReadonlyMap<string, string> = new Map()): SettingsView {
    return {
      settings: SETTING_DEFS.map((d) => {
        const s = this.stored.get(d.key);
        return {
          key: d.key,
          group: d.group,
          unit: d.unit,
          min: d.min,
          max: d.max,
          default: this.defaults.get(d.key)!,
          value: this.value(d.key),
          updatedAt: s?.updatedAt ?? null,
          updatedBy: s?.updatedBy ?? null,
          updatedByName: s ? (names.get(s.updatedBy) ?? null) : null,
        };
      }),
      calendar: {
        ...this.calendar(),
        updatedAt: this.cal.updatedAt,
        updatedBy: this.cal.updatedBy,
        updatedByName: this.cal.updatedBy ? (names.get(this.cal.updatedBy) ?? null) : null,
      },
    };
  }

  /** Who set what (for view names). */
  actors(): string[] {
    return [...[...this.stored.values()].map((s) => s.updatedBy), ...(this.cal.updatedBy ? [this.cal.updatedBy] : [])];
  }

  /** Apply a validated patch: one audit row per changed key, old and new value, one transaction. */
  async patch(actor: AdminActor, body: SettingsPatch): Promise<number> {
    requireUnscoped(actor);
    const at = new Date(this.now());
    const changed: Array<{ key: string; next: Value | null }> = [];
    for (const [key, next] of Object.entries(body.values ?? {})) {
      if (next === undefined) continue;
      const cur = this.stored.get(key)?.value;
      if (next === null ? cur !== undefined : cur !== next) changed.push({ key, next });
    }
    const sortDays = (a: readonly string[]) => [...a].sort();
    const cal = body.calendar ? { holidays: sortDays(body.calendar.holidays), workdays: sortDays(body.calendar.workdays) } : null;
    const calChanged =
      cal !== null &&
      (JSON.stringify(cal.holidays) !== JSON.stringify(this.cal.holidays) ||
        JSON.stringify(cal.workdays) !== JSON.stringify(this.cal.workdays));
    if (!changed.length && !calChanged) return 0;
    await this.db.$transaction(async (tx) => {
      for (const { key, next } of changed) {
        const before = this.value(key);
        if (next === null) await tx.setting.deleteMany({ where: { key } });
        else
          await tx.setting.upsert({
            where: { key },
            update: { value: next, updatedAt: at, updatedBy: actor.ref },
            create: { key, value: next, updatedAt: at, updatedBy: actor.ref },
          });
        await audit(tx, actor, 'setting.update', `setting:${key}`, {
          before,
          after: next ?? this.defaults.get(key)!,
          ...(next === null ? { reset: true } : {}),
        });
      }
      if (calChanged && cal) {
        const value = cal as unknown as Prisma.InputJsonValue;
        await tx.setting.upsert({
          where: { key: CALENDAR_KEY },
          update: { value, updatedAt: at, updatedBy: actor.ref },
          create: { key: CALENDAR_KEY, value, updatedAt: at, updatedBy: actor.ref },
        });
        const diff = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));
        await audit(tx, actor, 'setting.calendar', `setting:${CALENDAR_KEY}`, {
          before: { holidays: this.cal.holidays, workdays: this.cal.workdays },
          after: cal,
          added: { holidays: diff(cal.holidays, this.cal.holidays), workdays: diff(cal.workdays, this.cal.workdays) },
          removed: { holidays: diff(this.cal.holidays, cal.holidays), workdays: diff(this.cal.workdays, cal.workdays) },
        });
      }
    });
    // the in-memory copy changes only after the commit
    for (const { key, next } of changed) {
      if (next === null) this.stored.delete(key);
      else this.stored.set(key, { value: next, updatedAt: at.getTime(), updatedBy: actor.ref });
    }
    if (calChanged && cal) this.cal = { ...cal, updatedAt: at.getTime(), updatedBy: actor.ref };
    for (const fn of this.changeListeners) fn();
    return changed.length + (calChanged ? 1 : 0);
  }
}
