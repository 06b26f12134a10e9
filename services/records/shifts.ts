// Shifts 班次 — the pure part (PROCEDURES.md "Shifts, duty log, handover"; seed 000 §2.1.7,
// seed 004 篇3 §3.1–3.2: control room ↔ security hand over at 08:00 and 18:00). No clock, no
// database: everything takes `now` and the configuration, so the fake-clock tests pin it.
//
// Time zone: the estate's fixed UTC offset (`tzOffsetMinutes`, 480 = China Standard Time), the
// same one the duty-log day, the working-day calendar and printed times use. China has had no
// daylight saving since 1991, so a fixed offset is exact for Asia/Shanghai; a shift is always
// the configured length.
import type { Label } from '../../contracts/messages.js';
import { SHIFT_ID, type EquipmentItem, type ShiftDef } from '../../contracts/shifts.js';

export { SHIFT_ID };

const MIN = 60_000;
const DAY_MIN = 1440;

/** seed 000 §2.1.7 / seed 004 篇3 §3: 08:00 and 18:00 */
export const DEFAULT_SHIFTS: ShiftDef[] = [
  { id: 'day', name: ['白班', 'Day shift'], start: '08:00' },
  { id: 'night', name: ['夜班', 'Night shift'], start: '18:00' },
];

/**
 * The equipment check 交接班检查事项 (seed 004 篇3 §1.5 "检查设备运行情况", §2.1 √/×): what a
 * control room checks at every handover by default; the admin edits the list.
 */
export const DEFAULT_EQUIPMENT: EquipmentItem[] = [
  { id: 'fire_panel', label: ['消防报警主机运行正常', 'Fire alarm panel normal'] },
  { id: 'cctv', label: ['监控录像系统运行正常', 'CCTV recording normal'] },
  { id: 'elevator_monitor', label: ['电梯监控/五方对讲正常', 'Elevator monitor and intercom normal'] },
  { id: 'intercom', label: ['门禁对讲系统正常', 'Door intercom normal'] },
  { id: 'radios', label: ['对讲机数量及电量齐全', 'Radios all present and charged'] },
  { id: 'keys', label: ['钥匙箱钥匙齐全', 'Key cabinet complete'] },
  { id: 'logbook', label: ['值班记录填写完整', 'Duty log filled in'] },
];

export interface ShiftSpan {
  /** "YYYY-MM-DDTHHMM": local start date and time */
  id: string;
  defId: string;
  name: Label;
  startsAt: number;
  endsAt: number;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Local "YYYY-MM-DD" of an instant. */
export function localDay(t: number, tz: number): string {
  return new Date(t + tz * MIN).toISOString().slice(0, 10);
}

/** The configured shift containing `t`. */
export function shiftAt(t: number, defs: readonly ShiftDef[], tz: number): ShiftSpan {
  const sorted = [...defs].sort((a, b) => minutesOf(a.start) - minutesOf(b.start));
  const local = t + tz * MIN;
  const day = Math.floor(local / (DAY_MIN * MIN));
  const m = Math.floor((local - day * DAY_MIN * MIN) / MIN);
  let idx = -1;
  for (let i = 0; i < sorted.length; i++) if (minutesOf(sorted[i]!.start) <= m) idx = i;
  // before the first start of the day: the last shift that started yesterday (the overnight one)
  const startDay = idx === -1 ? day - 1 : day;
  if (idx === -1) idx = sorted.length - 1;
  const def = sorted[idx]!;
  const next = sorted[(idx + 1) % sorted.length]!;
  const startMin = startDay * DAY_MIN + minutesOf(def.start);
  let endMin = startDay * DAY_MIN + minutesOf(next.start);
  if (endMin <= startMin) endMin += DAY_MIN; // wraps past midnight (or a single 24 h shift)
  const startsAt = startMin * MIN - tz * MIN;
  return {
    id: `${new Date(startMin * MIN).toISOString().slice(0, 10)}T${def.start.replace(':', '')}`,
    defId: def.id,
    name: def.name,
    startsAt,
    endsAt: endMin * MIN - tz * MIN,
  };
}

/** The shift that follows `s` under the configuration (a change applies from the next boundary). */
export function shiftAfter(s: { endsAt: number }, defs: readonly ShiftDef[], tz: number): ShiftSpan {
  const n = shiftAt(s.endsAt, defs, tz);
  if (n.startsAt === s.endsAt) return n;
  // the configuration changed mid-shift: the next shift starts where this one ended
  const local = new Date(s.endsAt + tz * MIN).toISOString();
  return { ...n, id: `${local.slice(0, 10)}T${local.slice(11, 13)}${local.slice(14, 16)}`, startsAt: s.endsAt };
}

/** [from, to) of a local month "YYYY-MM". */
export function monthSpan(month: string, tz: number): { from: number; to: number } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return { from: Date.UTC(y, m - 1, 1) - tz * MIN, to: Date.UTC(y, m, 1) - tz * MIN };
}

/** [from, to) of a report period: a local day, the ISO week (Mon–Sun) containing a day, or a month. */
export function periodSpan(period: 'day' | 'week' | 'month', date: string, tz: number): { from: number; to: number; label: string } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  if (period === 'month') return { ...monthSpan(`${date.slice(0, 7)}`, tz), label: date.slice(0, 7) };
  const dayStart = Date.UTC(y, m - 1, d);
  if (period === 'day') return { from: dayStart - tz * MIN, to: dayStart + DAY_MIN * MIN - tz * MIN, label: date };
  const dow = (new Date(dayStart).getUTCDay() + 6) % 7; // Monday = 0 (GB/T 7408 / ISO 8601 weeks)
  const monday = dayStart - dow * DAY_MIN * MIN;
  const sunday = new Date(monday + 6 * DAY_MIN * MIN).toISOString().slice(0, 10);
  return {
    from: monday - tz * MIN,
    to: monday + 7 * DAY_MIN * MIN - tz * MIN,
    label: `${new Date(monday).toISOString().slice(0, 10)}~${sunday}`,
  };
}

/** seed 001 篇2 §二.2: the director spot-checks not less than 20 % of a month's duty logs. */
export const SPOT_CHECK_RATIO = 0.2;

export function spotCheckCounts(total: number, checked: number) {
  const required = Math.ceil(total * SPOT_CHECK_RATIO);
  return { total, checked, required, ratio: total ? checked / total : 0, met: checked >= required };
}

export interface ReminderState {
  /** shifts that ended without a supervisor signature */
  unsigned: Array<{ id: string; endsAt: number }>;
  /** ended shifts whose handover is not accepted: since when, and whether the outgoing signed */
  pendingHandovers: Array<{ shiftId: string; endsAt: number; outgoingSigned: boolean }>;
}
export interface ReminderTimes {
  unsignedAfterMs: number;
  handoverAfterMs: number;
  repeatMs: number;
}
export interface Reminder {
  key: 'unsigned_logs' | 'handover_pending';
  /** one reminder per shift and round (idempotent on restart) */
  dedupe: string;
  params: Record<string, unknown>;
  to: Array<'operator' | 'supervisor'>;
}

/**
 * Which reminders are due now. A reminder fires once the delay has passed and then again every
 * `repeatMs` ("round"); `sent` holds the dedupe keys already sent, so a restart does not repeat.
 */
export function dueReminders(s: ReminderState, now: number, t: ReminderTimes, sent: ReadonlySet<string>): Reminder[] {
  const out: Reminder[] = [];
  const round = (since: number) => Math.floor((now - since) / Math.max(t.repeatMs, MIN));
  for (const h of s.pendingHandovers) {
    const since = h.endsAt + t.handoverAfterMs;
    if (now < since) continue;
    const dedupe = `handover:${h.shiftId}:${round(since)}`;
    if (sent.has(dedupe)) continue;
    out.push({
      key: 'handover_pending',
      dedupe,
      params: { shift: h.shiftId, minutes: Math.floor((now - h.endsAt) / MIN), outgoingSigned: h.outgoingSigned },
      to: ['operator', 'supervisor'],
    });
  }
  const late = s.unsigned.filter((u) => now >= u.endsAt + t.unsignedAfterMs).sort((a, b) => a.endsAt - b.endsAt);
  if (late.length) {
    // one reminder for all of them (a backlog must not become a message storm)
    const since = late[0]!.endsAt + t.unsignedAfterMs;
    const dedupe = `unsigned:${late[0]!.id}:${late.length}:${round(since)}`;
    if (!sent.has(dedupe))
      out.push({ key: 'unsigned_logs', dedupe, params: { count: late.length, oldest: late[0]!.id }, to: ['supervisor'] });
  }
  return out;
}
