// Working days (seed 001 §五: 回访 ≤ 2 working days after the service).
import { z } from 'zod';
import type { Calendar } from './types.js';

/**
 * The 回访 part of a procedure's config, spread into its schema (`...followupCalendar`): how many
 * working days the follow-up may take (seed 001 §五.2: 2 个工作日) and the calendar those days
 * are counted on — the estate's time zone and the settings' holidays and 调休 make-up days
 * (services/admin/settings.ts fills `holidays` / `extraWorkdays` into any config that has them).
 */
export const followupCalendar = {
  followupWorkingDays: z.number().int().min(1).max(10).default(2),
  tzOffsetMinutes: z.number().int().min(-720).max(840).default(480),
  holidays: z.array(z.string()).default([]),
  extraWorkdays: z.array(z.string()).default([]),
};

const DAY = 86_400_000;

function localDate(t: number, off: number): { key: string; dow: number; dayStart: number } {
  const local = t + off * 60_000;
  const d = new Date(local);
  const key = d.toISOString().slice(0, 10);
  const dayStartLocal = Math.floor(local / DAY) * DAY;
  return { key, dow: d.getUTCDay(), dayStart: dayStartLocal - off * 60_000 };
}

export function isWorkingDay(t: number, cal: Calendar = {}): boolean {
  const { key, dow } = localDate(t, cal.tzOffsetMinutes ?? 480);
  if (cal.extraWorkdays?.includes(key)) return true;
  if (cal.holidays?.includes(key)) return false;
  return dow !== 0 && dow !== 6;
}

/**
 * The end (23:59:59.999 local) of the `days`-th working day after the day containing `t`.
 * Weekends and listed holidays do not count; 调休 make-up days do.
 * E.g. Friday 15:00 + 2 → Tuesday 23:59:59.999; Saturday + 2 → Tuesday end of day.
 */
export function addWorkingDays(t: number, days: number, cal: Calendar = {}): number {
  const off = cal.tzOffsetMinutes ?? 480;
  let dayStart = localDate(t, off).dayStart;
  let counted = 0;
  while (counted < days) {
    dayStart += DAY;
    if (isWorkingDay(dayStart + DAY / 2, cal)) counted++;
  }
  return dayStart + DAY - 1;
}
