// The bounded, retrying write buffer in front of every telemetry backend. Pure logic over an
// injected scheduler (tests drive it with a fake clock), no IO of its own: `send` is the
// backend's write of one batch.
//
// Guarantees (the reason this exists instead of the influx client's own retry buffer, which
// drops lines after maxRetries / maxRetryTime / maxBufferLines with only a log line):
// - write() is synchronous, O(1), never throws, never waits for the backend.
// - A point leaves the buffer only as `written` (send resolved), `rejected` (the backend said
//   the point itself is invalid — retrying can never succeed) or `dropped` (evicted because the
//   buffer was full, or still buffered when stop() gave up). Every exit is counted, so
//   accepted == written + rejected + dropped + buffered at all times.
// - While the backend is down the batch is put back at the head of the queue and retried with
//   exponential backoff (jittered, capped) until it succeeds: nothing under the bound is lost.
// - Overflow policy: DROP OLDEST. When the bound is hit during a long outage, the newest
//   readings are the ones an operator needs (current load, voltage, floor when the backend
//   comes back and charts refill); the oldest ones are the least useful and — being the
//   oldest — are also the first that retention would remove anyway.
// - Delivery is at-least-once: a batch whose response was lost (backend died mid-request) is
//   re-sent. Both sinks are idempotent for that: InfluxDB overwrites a point with the same
//   series+timestamp, Postgres inserts use ON CONFLICT DO NOTHING.
// - One batch in flight at a time: keeps order, keeps the accounting trivial, and one
//   5000-line request at a time already carries >100k points/s into InfluxDB over loopback.

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Telemetry timers must never keep a process alive on their own (stop() flushes).
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What a send reports besides success: points the backend refused for good. */
export interface SendOutcome {
  /** points of this batch refused permanently (e.g. field type conflict); counted, not retried */
  rejected?: number;
}

export interface BatchBufferOptions<T> {
  /** bound on buffered points, in-flight batch included */
  max: number;
  batchSize: number;
  /** max age of a partial batch before it is sent */
  flushMs: number;
  /** first retry delay after a failure; doubles per consecutive failure */
  retryMinMs?: number;
  /** cap of the retry delay (also bounds how long recovery goes unnoticed) */
  retryMaxMs?: number;
  /** sends one batch; resolve = stored, reject = transient failure (will be retried) */
  send(batch: T[]): Promise<SendOutcome | void>;
  /** called on each failed attempt (attempt counts consecutive failures, from 1) */
  onFailure?(err: unknown, attempt: number, delayMs: number): void;
  /** called on the first success after failures */
  onRecovery?(failedAttempts: number, downForMs: number): void;
  scheduler?: Scheduler;
  /** [0,1) source for jitter; tests pass () => 0.5 for exact delays */
  random?: () => number;
}

export interface BufferStats {
  ok: boolean;
  buffered: number;
  dropped: number;
  written: number;
  rejected: number;
  failedBatches: number;
  lastError: string | null;
}

/** Fixed-capacity ring: O(1) push / drop-oldest, and a batch can be put back at the head. */
class Ring<T> {
  private buf: (T | undefined)[];
  private head = 0;
  length = 0;
  /**
   * Starts small and doubles up to `cap` as points queue up: allocating all `cap` slots up front
   * (500,000 by default) held ≈ 4 MB for the life of even an idle hub (BENCHMARKS.md "Idle memory").
   */
  constructor(private readonly cap: number) {
    this.buf = new Array<T | undefined>(Math.max(1, Math.min(cap, 1024)));
  }
  /** Make room for `n` more items (the caller keeps length + n ≤ cap). */
  private room(n: number): void {
    const size = this.buf.length;
    if (this.length + n <= size) return;
    let next = size;
    while (next < this.length + n) next *= 2;
    const buf = new Array<T | undefined>(Math.min(next, Math.max(this.cap, this.length + n)));
    for (let i = 0; i < this.length; i++) buf[i] = this.buf[(this.head + i) % size];
    this.buf = buf;
    this.head = 0;
  }
  push(x: T): void {
    this.room(1);
    this.buf[(this.head + this.length) % this.buf.length] = x;
    this.length++;
  }
  shift(): void {
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.length--;
  }
  take(n: number): T[] {
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.buf[this.head] as T;
      this.buf[this.head] = undefined;
      this.head = (this.head + 1) % this.buf.length;
    }
    this.length -= n;
    return out;
  }
  /** Put items back in front, in their original order. Caller guarantees room. */
  unshiftAll(items: T[]): void {
    const n = items.length;
    this.room(n);
    const size = this.buf.length;
    this.head = (this.head - n + size * 2) % size;
    for (let i = 0; i < n; i++) this.buf[(this.head + i) % size] = items[i];
    this.length += n;
  }
}

export class BatchBuffer<T> {
  private readonly ring: Ring<T>;
  private readonly max: number;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly sched: Scheduler;
  private readonly random: () => number;

  private inflight: T[] | null = null;
  private inflightDone: Promise<boolean> | null = null;
  private timer: unknown = null;
  private timerDue = Infinity;
  /** set while backing off: no send before this time (except an explicit flush()) */
  private retryAt: number | null = null;
  private attempt = 0;
  private downSince: number | null = null;
  private closed = false;

  // Accounting. `enqueued` counts points that entered the ring; `settled` counts points that
  // left it for good (written, rejected or evicted). Points leave in FIFO order, so "everything
  // enqueued before time t has settled" is exactly `settled >= enqueued(t)` — flush() uses that.
  private enqueued = 0;
  private settled = 0;
  private written = 0;
  private rejected = 0;
  private dropped = 0;
  private failedBatches = 0;
  private lastError: string | null = null;
  private ok = true;

  constructor(private readonly opts: BatchBufferOptions<T>) {
    this.max = Math.max(1, Math.floor(opts.max));
    // A batch larger than the bound could never be put back after a failure.
    this.batchSize = Math.max(1, Math.min(Math.floor(opts.batchSize), this.max));
    this.flushMs = opts.flushMs;
    this.retryMinMs = opts.retryMinMs ?? 250;
    this.retryMaxMs = Math.max(this.retryMinMs, opts.retryMaxMs ?? 10_000);
    this.sched = opts.scheduler ?? realScheduler;
    this.random = opts.random ?? Math.random;
    this.ring = new Ring<T>(this.max);
  }

  /** Enqueue one point. Never throws, never blocks. Returns false if the point was dropped. */
  push(item: T): boolean {
    if (this.closed) {
      this.dropped++;
      return false;
    }
    if (this.ring.length + (this.inflight?.length ?? 0) >= this.max) {
      if (this.ring.length === 0) {
        // Only possible when the in-flight batch alone fills the bound: nothing older to evict.
        this.dropped++;
        return false;
      }
      this.ring.shift(); // drop oldest (see header)
      this.dropped++;
      this.settled++;
    }
    this.ring.push(item);
    this.enqueued++;
    this.schedule();
    return true;
  }

  /** cheap read for the hot path (stats() allocates) */
  get droppedCount(): number {
    return this.dropped;
  }

  stats(): BufferStats {
    return {
      ok: this.ok,
      buffered: this.ring.length + (this.inflight?.length ?? 0),
      dropped: this.dropped,
      written: this.written,
      rejected: this.rejected,
      failedBatches: this.failedBatches,
      lastError: this.lastError,
    };
  }

  /**
   * Send everything buffered at call time, ignoring any backoff wait. Resolves once all of it
   * is written (or rejected/evicted); rejects with the backend's error if a send fails — the
   * points stay buffered and the normal retry schedule continues.
   */
  async flush(): Promise<void> {
    const target = this.enqueued;
    while (this.settled < target) {
      if (this.inflightDone) {
        await this.inflightDone;
        continue;
      }
      const ok = await this.sendOne();
      if (!ok && this.settled < target) throw new Error(this.lastError ?? 'telemetry write failed');
    }
  }

  /**
   * Stop: try to flush for up to `timeoutMs`, then give up. Points still buffered are counted
   * as dropped (and returned, so the caller can log the number). Later push() calls count as
   * dropped too.
   */
  async close(timeoutMs: number): Promise<number> {
    const deadline = this.sched.now() + timeoutMs;
    while (this.sched.now() < deadline && this.ring.length + (this.inflight?.length ?? 0) > 0) {
      if (this.inflightDone) {
        await raceTimeout(this.inflightDone, deadline - this.sched.now(), this.sched);
        continue;
      }
      const ok = await raceTimeout(this.sendOne(), deadline - this.sched.now(), this.sched);
      if (ok !== true) {
        // Backend down (or too slow): wait a little before the next try, within the deadline.
        const wait = Math.min(this.retryMinMs, deadline - this.sched.now());
        if (wait > 0) await new Promise<void>((r) => this.sched.setTimeout(r, wait));
      }
    }
    this.closed = true;
    this.clearTimer();
    // An in-flight batch that has not settled by now is abandoned and counted as dropped; if
    // its request still lands later, those points are stored although counted as lost (an
    // over-count of loss, never a silent one).
    const lost = this.ring.length + (this.inflight?.length ?? 0);
    this.dropped += lost;
    this.settled += lost;
    if (this.ring.length) this.ring.take(this.ring.length);
    this.inflight = null;
    return lost;
  }

  // --- internals ---------------------------------------------------------------------------

  private clearTimer(): void {
    if (this.timer !== null) this.sched.clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Infinity;
  }

  private arm(delayMs: number): void {
    const due = this.sched.now() + Math.max(0, delayMs);
    if (this.timer !== null && this.timerDue <= due) return;
    this.clearTimer();
    this.timerDue = due;
    this.timer = this.sched.setTimeout(
      () => {
        this.timer = null;
        this.timerDue = Infinity;
        void this.sendOne();
      },
      Math.max(0, delayMs),
    );
  }

  /** Decide when the next send happens. Called after every state change. */
  private schedule(): void {
    if (this.closed || this.inflight) return;
    if (this.ring.length === 0) {
      this.clearTimer();
      return;
    }
    if (this.retryAt !== null) {
      this.arm(this.retryAt - this.sched.now());
      return;
    }
    this.arm(this.ring.length >= this.batchSize ? 0 : this.flushMs);
  }

  /** Send one batch from the head. Resolves true on success (or nothing to send). */
  private sendOne(): Promise<boolean> {
    if (this.inflightDone) return this.inflightDone;
    if (this.closed || this.ring.length === 0) return Promise.resolve(true);
    // Any pending timer is superseded: schedule() re-arms from the outcome of this send.
    this.clearTimer();
    const batch = this.ring.take(Math.min(this.batchSize, this.ring.length));
    this.inflight = batch;
    this.retryAt = null;
    const attemptSend = async (): Promise<boolean> => {
      try {
        const outcome = await this.opts.send(batch);
        if (this.inflight !== batch) return true; // abandoned by close(); already counted there
        this.inflight = null;
        const rejected = Math.min(batch.length, Math.max(0, outcome?.rejected ?? 0));
        this.rejected += rejected;
        this.written += batch.length - rejected;
        this.settled += batch.length;
        if (this.attempt > 0) {
          const downFor = this.sched.now() - (this.downSince ?? this.sched.now());
          const failed = this.attempt;
          safely(() => this.opts.onRecovery?.(failed, downFor));
        }
        this.attempt = 0;
        this.downSince = null;
        this.ok = true;
        return true;
      } catch (err) {
        if (this.inflight !== batch) return false;
        this.inflight = null;
        this.failedBatches++;
        this.lastError = err instanceof Error ? err.message : String(err);
        this.ok = false;
        this.attempt++;
        this.downSince ??= this.sched.now();
        // Back in front, original order: nothing is lost, ordering is kept.
        this.ring.unshiftAll(batch);
        const delay = this.backoff(this.attempt);
        this.retryAt = this.sched.now() + delay;
        safely(() => this.opts.onFailure?.(err, this.attempt, delay));
        return false;
      }
    };
    // `.then` always runs after this assignment, even if send() threw synchronously.
    const done = attemptSend().then((ok) => {
      this.inflightDone = null;
      this.schedule();
      return ok;
    });
    this.inflightDone = done;
    return done;
  }

  /** min·2^(attempt-1), capped at max, then ±20 % jitter (so many hubs don't retry in step). */
  backoff(attempt: number): number {
    const base = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }
}

/** Hooks are for logging; one that throws must not corrupt the accounting. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    /* ignored on purpose */
  }
}

async function raceTimeout<T>(p: Promise<T>, ms: number, sched: Scheduler): Promise<T | 'timeout'> {
  let handle: unknown = null;
  const t = new Promise<'timeout'>((r) => {
    handle = sched.setTimeout(() => r('timeout'), Math.max(0, ms));
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    sched.clearTimeout(handle);
  }
}
