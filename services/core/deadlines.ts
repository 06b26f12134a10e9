// The earliest of many keyed deadlines, cheaply (issue 12: an incident storm). A site-wide
// outage leaves thousands of link guards with a debounce deadline and thousands of incidents
// with timers; the scheduler asks for the earliest one after every transition, and scanning
// every key for it made each transition O(N) (bench/incident-storm.ts). A binary min-heap with
// lazy deletion: `set` pushes a new entry and leaves the key's older one in the heap, where it
// is recognised as stale (its time is no longer the key's current one) and dropped when it
// reaches the top — so moving a deadline earlier, later or clearing it is O(log n), `next()` is
// O(1) amortised, and `takeDue(now)` visits only what is due. The heap is rebuilt from the
// current deadlines when stale entries outnumber live ones, so it stays O(keys) in size.

interface Entry<K> {
  at: number;
  key: K;
}

export class DeadlineHeap<K> {
  private heap: Entry<K>[] = [];
  /** each key's current deadline: the one heap entry of the key that counts */
  private readonly current = new Map<K, number>();

  /** keys with a deadline */
  get size(): number {
    return this.current.size;
  }

  /** The key's deadline, or undefined when it has none. */
  get(key: K): number | undefined {
    return this.current.get(key);
  }

  /** Set (null: clear) the key's deadline. */
  set(key: K, at: number | null): void {
    if (at === null || !Number.isFinite(at)) {
      this.current.delete(key);
      return;
    }
    if (this.current.get(key) === at) return;
    this.current.set(key, at);
    this.push({ at, key });
    if (this.heap.length > 2 * this.current.size + 64) this.rebuild();
  }

  delete(key: K): void {
    this.current.delete(key);
  }

  /** The earliest deadline (null: none). */
  next(): number | null {
    this.dropStale();
    return this.heap.length ? this.heap[0]!.at : null;
  }

  /**
   * Remove and return the keys due at `now` (deadline ≤ now), earliest first — at most `max`
   * of them; the rest stay due. A caller that still needs a key later sets its deadline again.
   */
  takeDue(now: number, max = Infinity): K[] {
    const out: K[] = [];
    while (out.length < max) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) return out;
      this.pop();
      this.current.delete(top.key);
      out.push(top.key);
    }
    return out;
  }

  private stale(e: Entry<K>): boolean {
    return this.current.get(e.key) !== e.at;
  }

  private dropStale(): void {
    while (this.heap.length && this.stale(this.heap[0]!)) this.pop();
  }

  private rebuild(): void {
    this.heap = [...this.current].map(([key, at]) => ({ at, key }));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private push(e: Entry<K>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= e.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (!h.length) return;
    h[0] = last;
    this.down(0);
  }

  private down(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= e.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = e;
  }
}
