// The live feed's duplicate filter (services/devices/ingest.ts RecentEventIds): a bounded window
// of event ids, oldest forgotten first.
import { describe, expect, it } from 'vitest';
import { RecentEventIds } from '../../services/devices/ingest.js';

describe('RecentEventIds', () => {
  it('answers true once per (device, event id) while it is in the window', () => {
    const r = new RecentEventIds(3);
    expect(r.firstTime('el-1', 'a')).toBe(true);
    expect(r.firstTime('el-1', 'a')).toBe(false);
    expect(r.firstTime('el-2', 'a')).toBe(true); // the same id from another device is another event
    expect(r.firstTime('el-1', 'b')).toBe(true);
    expect(r.firstTime('el-2', 'a')).toBe(false);
  });

  it('evicts the oldest id from its own device: ids of several devices share one window', () => {
    const r = new RecentEventIds(2);
    expect(r.firstTime('el-a', '1')).toBe(true);
    expect(r.firstTime('el-b', '1')).toBe(true);
    expect(r.firstTime('el-a', '2')).toBe(true); // the window is full: (el-a, 1) is forgotten
    expect(r.firstTime('el-b', '1')).toBe(false);
    expect(r.firstTime('el-a', '2')).toBe(false);
    expect(r.firstTime('el-a', '1')).toBe(true); // forgotten, so new again; (el-b, 1) goes
    expect(r.firstTime('el-b', '1')).toBe(true);
    expect(r.firstTime('el-a', '1')).toBe(false);
  });

  it('forgets exactly the oldest ids once full, across many turns of the window', () => {
    const max = 1000;
    const r = new RecentEventIds(max);
    for (let i = 0; i < 5 * max + 17; i++) expect(r.firstTime('el-1', `e${i}`)).toBe(true);
    const last = 5 * max + 16;
    // the newest `max` are remembered (checked newest first: a repeat does not move an id) …
    for (let i = last; i > last - max; i--) expect(r.firstTime('el-1', `e${i}`)).toBe(false);
    // … and the one just before them is forgotten: offering it again evicts the oldest remembered
    expect(r.firstTime('el-1', `e${last - max}`)).toBe(true);
    expect(r.firstTime('el-1', `e${last - max + 1}`)).toBe(true);
    expect(r.firstTime('el-1', `e${last}`)).toBe(false);
  });
});
