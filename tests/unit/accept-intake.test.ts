// Accept pacing (broker/intake.ts): accepted sockets handed to aedes a bounded number per turn,
// held while the connect throttle's queue is full, the oldest let through past the bound.
// Turns are driven by hand: `soon` and `later` only record the callback.
import { describe, expect, it } from 'vitest';
import { Intake } from '../../broker/intake.js';

function harness(o: { perTurn: number; max: number }) {
  const handed: number[] = [];
  const soon: Array<() => void> = [];
  const later: Array<() => void> = [];
  let full = false;
  const intake = new Intake<number>({
    perTurn: o.perTurn,
    max: o.max,
    full: () => full,
    handOff: (n) => handed.push(n),
    soon: (fn) => soon.push(fn),
    later: (fn) => later.push(fn),
  });
  const turn = () => {
    const fns = [...soon.splice(0), ...later.splice(0)];
    for (const fn of fns) fn();
    return fns.length;
  };
  return { intake, handed, soon, later, turn, setFull: (f: boolean) => (full = f) };
}

describe('Intake', () => {
  it('hands on at most perTurn per turn, in arrival order, and nothing in the turn they arrived in', () => {
    const h = harness({ perTurn: 3, max: 100 });
    for (let i = 0; i < 8; i++) h.intake.push(i);
    expect(h.handed).toEqual([]);
    expect(h.soon).toHaveLength(1); // one scheduled pump for the whole burst
    h.turn();
    expect(h.handed).toEqual([0, 1, 2]);
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4, 5]);
    expect(h.intake.waiting()).toBe(2);
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(h.intake.waiting()).toBe(0);
    expect(h.turn()).toBe(0); // nothing left: no further pump scheduled
  });

  it('while the throttle is full it holds them (re-checking later, not every turn) and resumes when it has room', () => {
    const h = harness({ perTurn: 10, max: 100 });
    h.setFull(true);
    for (let i = 0; i < 5; i++) h.intake.push(i);
    h.turn();
    expect(h.handed).toEqual([]);
    expect(h.soon).toHaveLength(0);
    expect(h.later).toHaveLength(1);
    h.turn();
    expect(h.handed).toEqual([]);
    h.setFull(false);
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4]);
  });

  it('past `max` waiting, the oldest are handed on although the throttle is full (it will refuse them)', () => {
    const h = harness({ perTurn: 10, max: 3 });
    h.setFull(true);
    for (let i = 0; i < 7; i++) h.intake.push(i);
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3]); // down to max
    expect(h.intake.waiting()).toBe(3);
    h.intake.push(7);
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4]);
  });

  it('on stop returns what still waited and takes nothing more', () => {
    const h = harness({ perTurn: 2, max: 100 });
    for (let i = 0; i < 5; i++) h.intake.push(i);
    h.turn();
    expect(h.intake.stop()).toEqual([2, 3, 4]);
    expect(h.intake.push(9)).toBe(false);
    h.turn();
    expect(h.handed).toEqual([0, 1]);
  });
});
