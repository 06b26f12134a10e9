// services/core/deadlines.ts: the keyed min-heap with lazy deletion behind the link guard's and
// the incident scheduler's "next deadline" (issue 12, incident storm). Checked against a plain
// scan of every key, under a fake clock.
import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../../services/core/deadlines.js';

/** The obvious O(n) answer the heap must agree with. */
class Scan {
  readonly m = new Map<string, number>();
  set(k: string, at: number | null) {
    if (at === null) this.m.delete(k);
    else this.m.set(k, at);
  }
  next() {
    let n: number | null = null;
    for (const v of this.m.values()) if (n === null || v < n) n = v;
    return n;
  }
  takeDue(now: number) {
    const due = [...this.m].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    for (const [k] of due) this.m.delete(k);
    return due;
  }
}

describe('DeadlineHeap', () => {
  it('is empty at first', () => {
    const h = new DeadlineHeap<string>();
    expect(h.next()).toBeNull();
    expect(h.takeDue(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(h.size).toBe(0);
  });

  it('a deadline moved earlier, moved later or cleared: next() follows, stale entries never surface', () => {
    const h = new DeadlineHeap<string>();
    h.set('a', 1000);
    h.set('b', 2000);
    expect(h.next()).toBe(1000);
    h.set('a', 3000); // later: b is now first
    expect(h.next()).toBe(2000);
    h.set('b', 500); // earlier
    expect(h.next()).toBe(500);
    h.set('b', null); // cleared
    expect(h.next()).toBe(3000);
    expect(h.get('b')).toBeUndefined();
    // the entries a had at 1000 and b at 500 and 2000 are stale: nothing is due before 3000
    expect(h.takeDue(2999)).toEqual([]);
    expect(h.takeDue(3000)).toEqual(['a']);
    expect(h.next()).toBeNull();
    expect(h.size).toBe(0);
  });

  it('takeDue returns only what is due, earliest first, and removes it; a key set again comes back', () => {
    const h = new DeadlineHeap<string>();
    h.set('c', 30);
    h.set('a', 10);
    h.set('b', 20);
    h.set('d', 40);
    expect(h.takeDue(25)).toEqual(['a', 'b']);
    expect(h.next()).toBe(30);
    h.set('a', 35);
    expect(h.takeDue(100)).toEqual(['c', 'a', 'd']);
  });

  it('moving one deadline back and forth many times keeps one answer (the stale entries are compacted)', () => {
    const h = new DeadlineHeap<string>();
    h.set('other', 5000);
    for (let i = 0; i < 10_000; i++) h.set('k', 10_000 + (i % 7) * 1000);
    expect(h.size).toBe(2);
    expect(h.next()).toBe(5000);
    expect(h.takeDue(100_000)).toEqual(['other', 'k']);
  });

  it('agrees with a scan of every key over a random run (fake clock)', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const h = new DeadlineHeap<string>();
    const ref = new Scan();
    let now = 0;
    for (let step = 0; step < 20_000; step++) {
      const k = `k${rnd(300)}`;
      const op = rnd(10);
      if (op < 6) {
        const at = now + rnd(5000);
        h.set(k, at);
        ref.set(k, at);
      } else if (op < 8) {
        h.set(k, null);
        ref.set(k, null);
      } else {
        now += rnd(400);
        const due = ref.takeDue(now);
        const got = h.takeDue(now);
        // same keys; in deadline order (ties in any order)
        expect([...got].sort()).toEqual(due.map(([key]) => key).sort());
        expect(got.map((key) => due.find(([x]) => x === key)![1])).toEqual(due.map(([, at]) => at));
      }
      expect(h.next()).toBe(ref.next());
      expect(h.size).toBe(ref.m.size);
    }
  });
});
