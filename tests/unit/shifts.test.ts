// Shifts 班次, pure part (services/records/shifts.ts): boundaries in China Standard Time
// (Asia/Shanghai, UTC+8, no daylight saving), the overnight shift, a configuration change
// mid-shift, report periods, the ≥ 20 % spot-check rule and the reminder schedule, all with a
// fake clock (plain epoch numbers: nothing here reads the real time).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SHIFTS,
  dueReminders,
  monthSpan,
  periodSpan,
  shiftAfter,
  shiftAt,
  spotCheckCounts,
  type ReminderState,
} from '../../services/records/shifts.js';
import type { ShiftDef } from '../../contracts/shifts.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const TZ = 480;
/** an instant given as Beijing wall-clock time */
const cst = (iso: string) => Date.parse(`${iso}+08:00`);

describe('shift boundaries (default 08:00–18:00 白班, 18:00–08:00 夜班, Asia/Shanghai)', () => {
  it('a time in the day shift belongs to that day’s 08:00 shift', () => {
    const s = shiftAt(cst('2026-11-30T09:15:00'), DEFAULT_SHIFTS, TZ);
    expect(s).toMatchObject({ id: '2026-11-30T0800', defId: 'day', name: ['白班', 'Day shift'] });
    expect(s.startsAt).toBe(cst('2026-11-30T08:00:00'));
    expect(s.endsAt).toBe(cst('2026-11-30T18:00:00'));
  });

  it('the overnight shift runs past midnight: 03:00 belongs to the previous evening’s 18:00 shift', () => {
    const s = shiftAt(cst('2026-12-01T03:00:00'), DEFAULT_SHIFTS, TZ);
    expect(s.id).toBe('2026-11-30T1800');
    expect(s.defId).toBe('night');
    expect(s.startsAt).toBe(cst('2026-11-30T18:00:00'));
    expect(s.endsAt).toBe(cst('2026-12-01T08:00:00'));
    expect(s.endsAt - s.startsAt).toBe(14 * HOUR);
  });

  it('boundaries are half-open: 18:00:00.000 starts the night shift, 17:59:59.999 is still day', () => {
    expect(shiftAt(cst('2026-11-30T18:00:00') - 1, DEFAULT_SHIFTS, TZ).id).toBe('2026-11-30T0800');
    expect(shiftAt(cst('2026-11-30T18:00:00'), DEFAULT_SHIFTS, TZ).id).toBe('2026-11-30T1800');
    expect(shiftAt(cst('2026-12-01T08:00:00') - 1, DEFAULT_SHIFTS, TZ).id).toBe('2026-11-30T1800');
    expect(shiftAt(cst('2026-12-01T08:00:00'), DEFAULT_SHIFTS, TZ).id).toBe('2026-12-01T0800');
  });

  it('the night shift over a month and year end keeps its start date', () => {
    const s = shiftAt(cst('2027-01-01T06:59:00'), DEFAULT_SHIFTS, TZ);
    expect(s.id).toBe('2026-12-31T1800');
    expect(s.endsAt).toBe(cst('2027-01-01T08:00:00'));
  });

  it('no daylight saving in Asia/Shanghai: every day shift is 10 h and every night 14 h across a whole year', () => {
    let t = cst('2026-01-01T08:00:00');
    const end = cst('2027-01-01T08:00:00');
    let n = 0;
    while (t < end) {
      const s = shiftAt(t, DEFAULT_SHIFTS, TZ);
      expect(s.startsAt).toBe(t);
      expect(s.endsAt - s.startsAt).toBe(s.defId === 'day' ? 10 * HOUR : 14 * HOUR);
      t = s.endsAt;
      n++;
    }
    expect(n).toBe(365 * 2);
  });

  it('three shifts (00:00 / 08:00 / 16:00) in any order of configuration', () => {
    const defs: ShiftDef[] = [
      { id: 'b', name: ['中班', 'Middle'], start: '16:00' },
      { id: 'a', name: ['早班', 'Early'], start: '08:00' },
      { id: 'c', name: ['夜班', 'Night'], start: '00:00' },
    ];
    expect(shiftAt(cst('2026-11-30T00:00:00'), defs, TZ)).toMatchObject({ id: '2026-11-30T0000', defId: 'c' });
    expect(shiftAt(cst('2026-11-30T23:59:00'), defs, TZ)).toMatchObject({
      id: '2026-11-30T1600',
      defId: 'b',
      endsAt: cst('2026-12-01T00:00:00'),
    });
  });

  it('a single 24 h shift starting 08:30', () => {
    const s = shiftAt(cst('2026-11-30T08:00:00'), [{ id: 'all', name: ['全天', 'All day'], start: '08:30' }], TZ);
    expect(s.id).toBe('2026-11-29T0830');
    expect(s.endsAt - s.startsAt).toBe(24 * HOUR);
  });

  it('a configuration change mid-shift applies from the written shift’s end, not backwards', () => {
    // the day shift was written 08:00–18:00; the admin now says shifts start 07:00 and 19:00
    const changed: ShiftDef[] = [
      { id: 'day', name: ['白班', 'Day'], start: '07:00' },
      { id: 'night', name: ['夜班', 'Night'], start: '19:00' },
    ];
    const next = shiftAfter({ endsAt: cst('2026-11-30T18:00:00') }, changed, TZ);
    expect(next.startsAt).toBe(cst('2026-11-30T18:00:00'));
    expect(next.endsAt).toBe(cst('2026-11-30T19:00:00'));
    expect(next.id).toBe('2026-11-30T1800');
    // and from then on the new configuration
    expect(shiftAfter(next, changed, TZ)).toMatchObject({ id: '2026-11-30T1900', endsAt: cst('2026-12-01T07:00:00') });
  });
});

describe('report periods', () => {
  it('a day, an ISO week (Monday–Sunday) and a month in local time', () => {
    expect(periodSpan('day', '2026-11-30', TZ)).toEqual({
      from: cst('2026-11-30T00:00:00'),
      to: cst('2026-12-01T00:00:00'),
      label: '2026-11-30',
    });
    // 2026-12-03 is a Thursday: the week is Mon 11-30 … Sun 12-06
    expect(periodSpan('week', '2026-12-03', TZ)).toEqual({
      from: cst('2026-11-30T00:00:00'),
      to: cst('2026-12-07T00:00:00'),
      label: '2026-11-30~2026-12-06',
    });
    expect(periodSpan('week', '2026-12-06', TZ).from).toBe(cst('2026-11-30T00:00:00'));
    expect(periodSpan('month', '2026-12-15', TZ)).toEqual({
      from: cst('2026-12-01T00:00:00'),
      to: cst('2027-01-01T00:00:00'),
      label: '2026-12',
    });
    expect(monthSpan('2026-02', TZ).to - monthSpan('2026-02', TZ).from).toBe(28 * 24 * HOUR);
  });
});

describe('spot checks ≥ 20 % (seed 001 篇2 §二.2)', () => {
  it('required is the ceiling of a fifth; met only at or above it', () => {
    expect(spotCheckCounts(60, 11)).toMatchObject({ required: 12, met: false });
    expect(spotCheckCounts(60, 12)).toMatchObject({ required: 12, met: true, ratio: 0.2 });
    expect(spotCheckCounts(61, 12)).toMatchObject({ required: 13, met: false });
    expect(spotCheckCounts(0, 0)).toMatchObject({ required: 0, met: true, ratio: 0 });
  });
});

describe('reminders (fake clock)', () => {
  const times = { handoverAfterMs: 15 * MIN, unsignedAfterMs: 24 * HOUR, repeatMs: 60 * MIN };
  const end = cst('2026-11-30T18:00:00');
  const state: ReminderState = { unsigned: [], pendingHandovers: [{ shiftId: '2026-11-30T0800', endsAt: end, outgoingSigned: false }] };

  it('an unaccepted handover is reminded after the delay, then once per repeat interval', () => {
    const sent = new Set<string>();
    const at = (t: number) => {
      const r = dueReminders(state, t, times, sent);
      r.forEach((x) => sent.add(x.dedupe));
      return r;
    };
    expect(at(end + 14 * MIN)).toEqual([]);
    const first = at(end + 15 * MIN);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      key: 'handover_pending',
      to: ['operator', 'supervisor'],
      params: { shift: '2026-11-30T0800', minutes: 15 },
    });
    expect(at(end + 40 * MIN)).toEqual([]); // same round
    expect(at(end + 75 * MIN)).toHaveLength(1); // next round
    expect(at(end + 76 * MIN)).toEqual([]);
  });

  it('unsigned shift logs: one reminder for the whole backlog, to supervisors, after the delay', () => {
    const s: ReminderState = {
      pendingHandovers: [],
      unsigned: [
        { id: '2026-11-29T1800', endsAt: cst('2026-11-30T08:00:00') },
        { id: '2026-11-29T0800', endsAt: cst('2026-11-29T18:00:00') },
        { id: '2026-11-30T0800', endsAt: cst('2026-11-30T18:00:00') },
      ],
    };
    const sent = new Set<string>();
    const at = cst('2026-11-30T18:30:00'); // only the 11-29 day shift ended more than 24 h ago
    const r = dueReminders(s, at, times, sent);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ key: 'unsigned_logs', to: ['supervisor'], params: { count: 1, oldest: '2026-11-29T0800' } });
    r.forEach((x) => sent.add(x.dedupe));
    expect(dueReminders(s, at + 10 * MIN, times, sent)).toEqual([]);
    // a day later all three are late: one reminder naming three
    const later = dueReminders(s, cst('2026-12-01T18:30:00'), times, sent);
    expect(later).toHaveLength(1);
    expect(later[0]!.params).toEqual({ count: 3, oldest: '2026-11-29T0800' });
  });
});
