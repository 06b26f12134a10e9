// Time source for the device SDK and the simulators. Everything that depends on "now" or on a
// delay goes through a Clock so unit tests can drive simulated time deterministically
// (ManualClock) instead of sleeping, and command expiry can be tested at exact boundaries.

/** Opaque timer handle (a Node Timeout or a ManualClock entry). */
export type TimerHandle = object;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined | null): void;
}

/** Wall clock backed by Date.now and the Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (h) => {
    if (h) clearTimeout(h as NodeJS.Timeout);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. Timers fire in (due time, creation order) so runs are
 * reproducible; a timer scheduled by a callback inside the advanced window also fires.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle | undefined | null): void {
    if (handle) (handle as ManualTimer).cancelled = true;
  }

  /** Number of timers still waiting to fire. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private nextDue(until: number): ManualTimer | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.at > until) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }

  /** Advance synchronously, firing due timers. Promise continuations do not run in between. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.t = next.at;
      next.cancelled = true;
      next.fn();
    }
    this.t = until;
  }

  /**
   * Advance and let pending promise chains settle after every timer, so async code
   * (`await publishEvent(...)` then schedule the next step) behaves as with real time.
   */
  async advanceAsync(ms: number): Promise<void> {
    const until = this.t + ms;
    await settle();
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.t = next.at;
      next.cancelled = true;
      next.fn();
      await settle();
    }
    this.t = until;
    await settle();
  }
}

/** Let queued microtasks and immediates run (a few rounds, for chained awaits). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Promise that resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(h);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
