// Accept pacing (issue 12: "connect storms that do not stall the event loop > 100 ms").
//
// The connect throttle (./throttle.ts) bounds the CONNECTs the hub admits per second, but not the
// work before it: libuv accepts every pending connection of the listen queue in one poll phase,
// each socket handed to aedes gets a client object and a parser, and libuv reads every socket
// that has data in the next poll phase — so a storm's CONNECTs were parsed, queued or refused
// (CONNACK 3 and a tear-down) thousands per turn. In a 15,000-device storm that was 0.4–1.2 s
// of one turn (bench:storm with a stall watcher in the hub: the main thread's CPU ≈ the stall;
// the CPU profile at those moments: aedes' connect and close paths, the CONNACK writes, error
// stack traces).
//
// So accepted sockets are not handed to aedes at once: they wait here, unread (the listener
// uses `pauseOnConnect`; the CONNECT stays in the kernel's buffer), and at most `inFlight` of
// them are with aedes with their CONNECT not yet seen by the throttle (`settled`) — what one
// poll phase can find to read is bounded by that. While the throttle's own queue is full,
// hand-off pauses instead of shedding: a device that waits here costs a file descriptor, not a
// client and a refusal it would retry. Past `max` waiting, the oldest are handed on anyway (the
// throttle answers them CONNACK 3 and they retry): they are the nearest to their own CONNACK
// timeout, and the bound keeps a storm larger than the hub can take from piling up here.

// Defaults (BENCHMARKS.md "npm run bench:storm"): a CONNECT costs ~0.1 ms between being read and
// the throttle's decision (a refusal ~0.15 ms with its tear-down), so 64 at a time is a few ms of
// a turn, and hand-off still runs at many times the throttle's default 1,000 admitted per second.
// 4,000 waiting here behind the throttle's 5,000 is ≤ 9 s at that rate: inside the device SDK's
// 10 s CONNACK timeout (devices/sdk.ts).
export const DEFAULT_ACCEPT = { inFlight: 64, queueMax: 4000 };

export interface IntakeOptions<T> {
  /** at most this many handed on and not yet settled (HUB_MQTT_ACCEPT_IN_FLIGHT) */
  inFlight: number;
  /** sockets that may wait here while the throttle is full (HUB_MQTT_ACCEPT_QUEUE) */
  max: number;
  /** the connect throttle's queue is full (counting what is in flight): handing on would only shed */
  full: (inFlight: number) => boolean;
  handOff: (item: T) => void;
  /** the next turn (setImmediate) */
  soon?: (fn: () => void) => void;
  /** re-check a full throttle a little later (setTimeout, 5 ms: the throttle's own tick) */
  later?: (fn: () => void) => void;
}

export class Intake<T> {
  private q: T[] = [];
  private head = 0;
  private scheduled = false;
  private stopped = false;
  /** handed on, not yet settled */
  private flying = 0;
  private readonly soon: (fn: () => void) => void;
  private readonly later: (fn: () => void) => void;

  constructor(private readonly o: IntakeOptions<T>) {
    this.soon = o.soon ?? ((fn) => void setImmediate(fn));
    this.later = o.later ?? ((fn) => void setTimeout(fn, 5).unref());
  }

  /** waiting to be handed on */
  waiting(): number {
    return this.q.length - this.head;
  }

  /** handed on, CONNECT not yet decided */
  inFlight(): number {
    return this.flying;
  }

  /** false once stopped: the caller closes the socket */
  push(item: T): boolean {
    if (this.stopped) return false;
    this.q.push(item);
    this.wake(this.soon);
    return true;
  }

  /** A handed-on socket's CONNECT reached the throttle, or it closed without one. */
  settled(): void {
    this.flying--;
    if (this.waiting() > 0) this.wake(this.soon);
  }

  /** Shutdown: nothing more is handed on; returns what was still waiting (to be closed). */
  stop(): T[] {
    this.stopped = true;
    const left = this.q.slice(this.head);
    this.q = [];
    this.head = 0;
    return left;
  }

  private wake(when: (fn: () => void) => void): void {
    if (this.scheduled) return;
    this.scheduled = true;
    when(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    let blocked = false;
    while (this.head < this.q.length && this.flying < this.o.inFlight) {
      if (this.o.full(this.flying) && this.waiting() <= this.o.max) {
        blocked = true;
        break;
      }
      this.flying++;
      this.o.handOff(this.q[this.head++]!);
    }
    if (this.head === this.q.length) {
      this.q = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    // in-flight ones wake it when they settle; a full throttle is re-checked on a timer
    if (blocked) this.wake(this.later);
  }
}
