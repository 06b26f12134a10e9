// The connect throttle's token bucket and queue (broker/throttle.ts) on vitest's fake clock and
// timers: which CONNECTs go at once, which wait and in what order, which are refused.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectThrottle } from '../../broker/throttle.js';

// the fake clock: Date.now() moves with the fake timers (advance), or alone (jump: the process
// was busy and no timer has run yet)
const now = () => Date.now();
const advance = (ms: number) => vi.advanceTimersByTime(ms);
const jump = (ms: number) => vi.setSystemTime(Date.now() + ms);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ConnectThrottle', () => {
  it('admits `burst` at once, queues the rest in arrival order, and lets them go at `rate` per second', () => {
    const th = new ConnectThrottle({ rate: 100, burst: 3, queueMax: 100 }, now);
    const went: number[] = [];
    const admissions = Array.from({ length: 10 }, (_, i) =>
      th.admit(
        () => went.push(i),
        () => false,
      ),
    );
    expect(admissions).toEqual(['now', 'now', 'now', ...Array(7).fill('queued')]);
    expect(th.queued).toBe(7);
    expect(th.waiting()).toBe(7);
    expect(went).toEqual([]);
    advance(20); // 100/s: two tokens
    expect(went).toEqual([3, 4]);
    advance(1000);
    expect(went).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(th.waiting()).toBe(0);
  });

  it('never releases more than `burst` in one turn, however long the queue waited', () => {
    const th = new ConnectThrottle({ rate: 1000, burst: 4, queueMax: 100 }, now);
    for (let i = 0; i < 4; i++)
      th.admit(
        () => undefined,
        () => false,
      ); // the bucket is empty
    let released = 0;
    for (let i = 0; i < 20; i++)
      th.admit(
        () => released++,
        () => false,
      );
    jump(10_000); // the process was stalled for 10 s: the bucket holds at most `burst`
    vi.advanceTimersToNextTimer();
    expect(released).toBe(4);
  });

  it('a newcomer does not overtake the queue when a token comes free', () => {
    const th = new ConnectThrottle({ rate: 10, burst: 1, queueMax: 10 }, now);
    const went: string[] = [];
    expect(
      th.admit(
        () => went.push('a'),
        () => false,
      ),
    ).toBe('now');
    expect(
      th.admit(
        () => went.push('b'),
        () => false,
      ),
    ).toBe('queued');
    jump(100); // a token is due, the timer has not run yet
    expect(
      th.admit(
        () => went.push('c'),
        () => false,
      ),
    ).toBe('queued');
    advance(200);
    expect(went).toEqual(['b', 'c']);
  });

  it('refuses past `queueMax` waiting and counts it', () => {
    const th = new ConnectThrottle({ rate: 1, burst: 1, queueMax: 2 }, now);
    const r = Array.from({ length: 5 }, () =>
      th.admit(
        () => undefined,
        () => false,
      ),
    );
    expect(r).toEqual(['now', 'queued', 'queued', 'full', 'full']);
    expect(th.shed).toBe(2);
  });

  it('skips a connection that closed while waiting, without spending a token on it', () => {
    const th = new ConnectThrottle({ rate: 10, burst: 1, queueMax: 10 }, now);
    const went: string[] = [];
    th.admit(
      () => undefined,
      () => false,
    );
    th.admit(
      () => went.push('gone'),
      () => true,
    );
    th.admit(
      () => went.push('b'),
      () => false,
    );
    advance(100); // one token
    expect(went).toEqual(['b']);
  });

  it('rate 0 is no throttle: everything goes at once, nothing is counted', () => {
    const th = new ConnectThrottle({ rate: 0, burst: 1, queueMax: 0 }, now);
    for (let i = 0; i < 1000; i++)
      expect(
        th.admit(
          () => undefined,
          () => false,
        ),
      ).toBe('now');
    expect(th.queued + th.shed).toBe(0);
  });

  it('stop() drops the queue and its timer', () => {
    const th = new ConnectThrottle({ rate: 10, burst: 1, queueMax: 10 }, now);
    let went = 0;
    th.admit(
      () => undefined,
      () => false,
    );
    th.admit(
      () => went++,
      () => false,
    );
    th.stop();
    advance(1000);
    expect(went).toBe(0);
    expect(th.waiting()).toBe(0);
  });
});
