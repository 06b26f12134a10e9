// Connect throttling (issue 12: "connect storms that do not stall the event loop > 100 ms").
//
// When a site's network comes back, every device reconnects within the same second. Each
// accepted CONNECT costs the hub a session set-up (aedes' connect pipeline, the registry, the
// device's status change on the bus, its dashboard push): thousands of them handled in the
// turn their bytes arrived in stall everything else the process does — health checks,
// dashboards, the PUBACKs of devices already connected. A token bucket admits at most
// `rate` CONNECTs per second and at most `burst` at once; the others wait, in arrival order,
// in a bounded queue, and are admitted as tokens come back. Past `queueMax` waiting, a CONNECT
// is answered CONNACK 3 "server unavailable" [MQTT-3.2.2-3, table 3.1], which a device takes as
// "try again later" — rather than the broker holding unbounded work.
//
// aedes 1.2 has no such option: `concurrency` bounds mqemitter's in-flight messages and
// `connectTimeout` only cuts a socket that sends no CONNECT; its documentation names
// `preConnect` as the place for connect rate limits (docs/Aedes.md "Handler: preConnect",
// "Use Cases: Rate Limit / Throttle"). This class is what that hook calls.

export interface ConnectThrottlePolicy {
  /** CONNECTs admitted per second (0: no throttle, every CONNECT is handled on arrival) */
  rate: number;
  /** at most this many admitted at once (the bucket's size) */
  burst: number;
  /** at most this many waiting; the next one is refused (CONNACK 3) */
  queueMax: number;
}

// Defaults (bench/connect-storm.ts, BENCHMARKS.md "npm run bench:storm"): a CONNECT costs the hub
// ~0.4–1 ms of its one JavaScript thread (mostly aedes' session set-up and the socket writes), so
// 1,000/s leaves about half the thread to everything else, and 20 at once is ≤ ~20 ms of one
// turn. 5,000 waiting is 5 s at that rate — inside the device SDK's 10 s CONNACK timeout
// (devices/sdk.ts), so a device that waits is admitted before it gives up.
export const DEFAULT_CONNECT_THROTTLE: ConnectThrottlePolicy = { rate: 1000, burst: 20, queueMax: 5000 };

interface Waiting {
  go: () => void;
  /** the connection closed while it waited: skipped, no token spent */
  gone: () => boolean;
}

export type Admission = 'now' | 'queued' | 'full';

export class ConnectThrottle {
  private tokens: number;
  private last: number;
  private queue: Waiting[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  /** CONNECTs that had to wait (a storm was throttled) */
  queued = 0;
  /** CONNECTs refused with CONNACK 3 because the queue was full */
  shed = 0;

  constructor(
    readonly policy: ConnectThrottlePolicy,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = policy.burst;
    this.last = this.now();
  }

  get enabled(): boolean {
    return this.policy.rate > 0;
  }

  /** CONNECTs waiting now */
  waiting(): number {
    return this.queue.length - this.head;
  }

  /**
   * A CONNECT arrived. 'now': go on at once (`go` is not called). 'queued': `go` is called once
   * a token is free (unless `gone()` by then). 'full': refuse it.
   */
  admit(go: () => void, gone: () => boolean): Admission {
    if (!this.enabled) return 'now';
    this.refill();
    // first come, first served: a newcomer does not overtake the queue when a token is free
    if (this.waiting() === 0 && this.tokens >= 1) {
      this.tokens--;
      return 'now';
    }
    if (this.waiting() >= this.policy.queueMax) {
      this.shed++;
      return 'full';
    }
    this.queue.push({ go, gone });
    this.queued++;
    this.schedule();
    return 'queued';
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.head = 0;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.policy.burst, this.tokens + ((t - this.last) * this.policy.rate) / 1000);
    this.last = t;
  }

  private schedule(): void {
    if (this.timer) return;
    // when the next token is due, but no sooner than 5 ms: admitting in small batches rather than
    // one per timer keeps the timer overhead negligible at thousands per second
    const ms = Math.max(5, Math.ceil(((1 - this.tokens) * 1000) / this.policy.rate));
    this.timer = setTimeout(() => this.drain(), ms);
  }

  private drain(): void {
    this.timer = null;
    this.refill();
    // at most `burst` per turn: what this turn admits is the bucket, never the queue
    while (this.tokens >= 1 && this.head < this.queue.length) {
      const w = this.queue[this.head++]!;
      if (w.gone()) continue;
      this.tokens--;
      w.go();
    }
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.waiting() > 0) this.schedule();
  }
}
