// Snooze 静音 (issue 14): a person mutes one incident for a limited time — its sound and banner
// in the control room and the repeats of its notification chain — and the mute ends by itself
// at the limit (a stored timer, so it survives a restart, services/incidents/scheduler.ts).
//
// Which kinds: never a life-safety alarm. PROCEDURES.md gives fire (§2: acknowledge in 15 s,
// NFPA 72 positive alarm sequence), elevator entrapment (§1: 30 s, A17.1) and medical emergency
// (§6: call 120 at once) second-level targets and the attention banner; water leak (§5: 60 s,
// water near shafts and electrical rooms, SMS/voice for life safety in "Reaching people"),
// power outage (§3: standby power within 10 s, entrapment sweep) and severe weather (§7) are
// emergencies with minute targets too. Muting any of these would hide what the manuals say must
// be answered now, so a procedure opts in (`snoozable`, today device faults: PROCEDURES.md
// "Device health" gives them no SLA) and the engine refuses every `attention` kind regardless.
import type { ProcedureDef } from './types.js';

/** The engine's own timer key for the end of a snooze (not a procedure timer: no procedure declares it). */
export const SNOOZE_TIMER = 'snooze';

/** What `data.snooze` holds while an incident is snoozed. */
export interface SnoozeState {
  until: number;
  by: string;
  at: number;
  reason: string;
}

/** May this kind be snoozed at all? Opt-in, and never a life-safety (`attention`) kind. */
export function snoozable(def: Pick<ProcedureDef, 'snoozable' | 'attention'>): boolean {
  return Boolean(def.snoozable) && !def.attention;
}

/** The snooze in force at `now` (its end in ms), or null: expired snoozes do not count. */
export function snoozedUntil(data: unknown, now: number): number | null {
  const z = (data as { snooze?: Partial<SnoozeState> | null } | null | undefined)?.snooze;
  return z && typeof z.until === 'number' && z.until > now ? z.until : null;
}

/** The longest snooze this incident allows (its config's `snoozeMaxMs`; 0 = none). */
export function snoozeMaxMs(data: unknown): number {
  const v = (data as { cfg?: { snoozeMaxMs?: unknown } } | null | undefined)?.cfg?.snoozeMaxMs;
  return typeof v === 'number' && v > 0 ? v : 0;
}
