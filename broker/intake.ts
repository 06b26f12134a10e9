// Accept pacing (issue 12: "connect storms that do not stall the event loop > 100 ms").
//
// The connect throttle (./throttle.ts) bounds the CONNECTs the hub admits per second, but not the
// work before it: libuv accepts every pending connection of the listen queue in one poll phase,
// and each socket handed to aedes gets a client object, a parser, its CONNECT read and — past the
// throttle's queue — a CONNACK 3 and a tear-down. In a 15,000-device storm that was 0.5–1.3 s of
// one turn (bench:storm, a stall watcher in the hub: user + sys CPU ≈ the stall, so busy, not
// descheduled; the CPU profile showed aedes' connect and close paths and error stack traces).
//
// So accepted sockets are not handed to aedes at once: they wait here, unread (the listener
// uses `pauseOnConnect`; the CONNECT stays in the kernel's buffer), and at most `perTurn` are
// handed on per event-loop turn. While the throttle's own queue is full, hand-off pauses
// instead of shedding: a device that waits here costs a file descriptor, not a client and a
// refusal it would retry. Past `max` waiting, the oldest are handed on anyway (the throttle
// then answers CONNACK 3 and the device retries): they are the nearest to their own CONNACK
// timeout, and the bound keeps a storm larger than the hub can take from piling up here.
// Defaults (BENCHMARKS.md "npm run bench:storm"): handing a socket to aedes and reading its CONNECT
// costs ~0.1 ms before the throttle decides, so 64 per turn is a few ms of a turn and still ~6× the
// throttle's default 1,000 admitted per second. 4,000 waiting here behind the throttle's 5,000 is
// ≤ 9 s at that rate: inside the device SDK's 10 s CONNACK timeout (devices/sdk.ts).
export const DEFAULT_ACCEPT = { perTurn: 64, queueMax: 4000 };

export interface IntakeOptions<T> {
  /** sockets handed to aedes per event-loop turn (HUB_MQTT_ACCEPT_PER_TURN) */
  perTurn: number;
  /** sockets that may wait while the throttle is full (HUB_MQTT_ACCEPT_QUEUE) */
  max: number;
  /** the connect throttle's queue is full: handing on now would only shed */
  full: () => boolean;
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

  /** false once stopped: the caller closes the socket */
  push(item: T): boolean {
    if (this.stopped) return false;
    this.q.push(item);
    this.wake(this.soon);
    return true;
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
    let n = 0;
    let blocked = false;
    while (this.head < this.q.length && n < this.o.perTurn) {
      if (this.o.full() && this.waiting() <= this.o.max) {
        blocked = true;
        break;
      }
      this.o.handOff(this.q[this.head++]!);
      n++;
    }
    if (this.head === this.q.length) {
      this.q = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    if (this.waiting() > 0) this.wake(blocked ? this.later : this.soon);
  }
}
