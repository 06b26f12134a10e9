// Accept pacing (broker/intake.ts): accepted sockets handed to aedes while fewer than `inFlight`
// are undecided, held while the connect throttle's queue is full, the oldest let through past
// the bound. Turns are driven by hand: `soon` and `later` only record the callback.
import { describe, expect, it } from 'vitest';
import { Intake } from '../../broker/intake.js';

function harness(o: { inFlight: number; max: number; queueMax?: number }) {
  const handed: number[] = [];
  const soon: Array<() => void> = [];
  const later: Array<() => void> = [];
  let waitingInThrottle = 0;
  const intake = new Intake<number>({
    inFlight: o.inFlight,
    max: o.max,
    // as the broker does: the throttle's queue plus what is in flight against its bound
    full: (inFlight) => waitingInThrottle + inFlight >= (o.queueMax ?? Infinity),
    handOff: (n) => handed.push(n),
    soon: (fn) => soon.push(fn),
    later: (fn) => later.push(fn),
  });
  const turn = () => {
    const fns = [...soon.splice(0), ...later.splice(0)];
    for (const fn of fns) fn();
    return fns.length;
  };
  return { intake, handed, soon, later, turn, setWaiting: (n: number) => (waitingInThrottle = n) };
}

describe('Intake', () => {
  it('hands on at most inFlight undecided sockets, in arrival order, more only as they settle', () => {
    const h = harness({ inFlight: 3, max: 100 });
    for (let i = 0; i < 8; i++) h.intake.push(i);
    expect(h.handed).toEqual([]); // not in the turn they arrived in
    expect(h.soon).toHaveLength(1); // one scheduled pump for the whole burst
    h.turn();
    expect(h.handed).toEqual([0, 1, 2]);
    expect(h.intake.inFlight()).toBe(3);
    expect(h.turn()).toBe(0); // nothing settles: nothing more is handed on, nothing polls
    h.intake.settled();
    h.intake.settled();
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4]);
    for (let i = 0; i < 3; i++) h.intake.settled();
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(h.intake.waiting()).toBe(0);
  });

  it('while the throttle is full it holds them (re-checking later) and resumes when it has room', () => {
    const h = harness({ inFlight: 10, max: 100, queueMax: 5 });
    h.setWaiting(3);
    for (let i = 0; i < 6; i++) h.intake.push(i);
    h.turn();
    expect(h.handed).toEqual([0, 1]); // 3 waiting + 2 in flight fill the throttle's 5
    expect(h.later).toHaveLength(1);
    for (let i = 0; i < 2; i++) h.intake.settled(); // their CONNECTs queued in the throttle
    h.setWaiting(5);
    h.turn();
    expect(h.handed).toEqual([0, 1]);
    h.setWaiting(0); // the throttle admitted its queue
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('past `max` waiting, the oldest are handed on although the throttle is full (it will refuse them)', () => {
    const h = harness({ inFlight: 10, max: 3, queueMax: 5 });
    h.setWaiting(5);
    for (let i = 0; i < 7; i++) h.intake.push(i);
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3]); // down to max
    expect(h.intake.waiting()).toBe(3);
    h.intake.push(7);
    h.turn();
    expect(h.handed).toEqual([0, 1, 2, 3, 4]);
  });

  it('on stop returns what still waited and takes nothing more', () => {
    const h = harness({ inFlight: 2, max: 100 });
    for (let i = 0; i < 5; i++) h.intake.push(i);
    h.turn();
    expect(h.intake.stop()).toEqual([2, 3, 4]);
    expect(h.intake.push(9)).toBe(false);
    h.intake.settled();
    h.turn();
    expect(h.handed).toEqual([0, 1]);
  });
});
