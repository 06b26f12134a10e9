// On-call rota 值班表 (pure): who is on call for a duty role in a building at a given time.
// A shift may repeat every N days (a rotation, e.g. 24 h on / 48 h off = every 3 days); an
// override (顶班, swap or cover) replaces the regular shifts of that role and building while
// it lasts.
import type { OnCallRole } from '../../contracts/notifications.js';

export interface Shift {
  id: string;
  userId: string;
  role: OnCallRole;
  from: number;
  to: number;
  buildings: string[];
  repeatEveryDays: number | null;
  until: number | null;
  override: boolean;
}

const DAY = 86_400_000;

/** The occurrence of `s` that covers `t`, if any. */
export function occurrenceAt(s: Shift, t: number): { from: number; to: number } | null {
  if (!s.repeatEveryDays) return t >= s.from && t < s.to ? { from: s.from, to: s.to } : null;
  if (t < s.from || (s.until !== null && t >= s.until)) return null;
  const period = s.repeatEveryDays * DAY;
  const k = Math.floor((t - s.from) / period);
  const from = s.from + k * period;
  const to = from + (s.to - s.from);
  if (t >= to) return null;
  if (s.until !== null && from >= s.until) return null;
  return { from, to };
}

/** Occurrence starts in (after, upTo] — for the "your shift starts now" message. */
export function startsBetween(s: Shift, after: number, upTo: number): number[] {
  const out: number[] = [];
  if (!s.repeatEveryDays) {
    if (s.from > after && s.from <= upTo) out.push(s.from);
    return out;
  }
  const period = s.repeatEveryDays * DAY;
  let k = Math.max(0, Math.ceil((after + 1 - s.from) / period));
  for (let from = s.from + k * period; from <= upTo && out.length < 100; from = s.from + ++k * period) {
    if (s.until !== null && from >= s.until) break;
    if (from > after) out.push(from);
  }
  return out;
}

const covers = (s: Shift, building: string | null) => building === null || s.buildings.length === 0 || s.buildings.includes(building);

/** Everyone on call for `role` (every role when null) in `building` (any when null) at `t`; overrides win. */
export function onCallAt(
  shifts: readonly Shift[],
  t: number,
  role: OnCallRole | null,
  building: string | null,
): Array<{ shift: Shift; from: number; to: number }> {
  const active = shifts
    .filter((s) => (role === null || s.role === role) && covers(s, building))
    .map((s) => ({ shift: s, occ: occurrenceAt(s, t) }))
    .filter((x): x is { shift: Shift; occ: { from: number; to: number } } => x.occ !== null);
  const out: Array<{ shift: Shift; from: number; to: number }> = [];
  const roles = new Set(active.map((a) => a.shift.role));
  for (const r of roles) {
    const mine = active.filter((a) => a.shift.role === r);
    const overrides = mine.filter((a) => a.shift.override);
    for (const a of overrides.length ? overrides : mine) out.push({ shift: a.shift, from: a.occ.from, to: a.occ.to });
  }
  return out;
}
