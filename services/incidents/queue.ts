// One queue for every incident mutation: routing decisions (dedup, linking) read the set of
// open incidents, and two events must not both decide "nothing open yet". A failing job does
// not stop the queue; its caller gets the rejection.
//
// Two lanes, one worker (issue 12, an incident storm: bench/incident-storm.ts). A site-wide
// outage queues a link-status change for every device that dropped and, when they come back,
// one for every return — each a fault or work-order transition of ~10–17 ms, minutes of work
// for thousands of devices. In one FIFO, an elevator entrapment or a fire alarm reported during
// that outage (the most likely life-safety events then, PROCEDURES.md §1–§3) waited behind all
// of it, and so did the operators' own actions. So link-status routing runs in the `bulk` lane
// and everything else (device events, operator and system actions, timers) in the `now` lane,
// which the worker serves first — but never only: after BULK_EVERY `now` jobs in a row it runs
// one `bulk` job, so a hub under a steady stream of events still opens its device faults. Still
// one job at a time: the decisions stay serial. Status changes keep their order among
// themselves; only a status change and a later event of the same device can now be routed the
// other way round, and link status feeds nothing but the link watcher and the procedures that
// follow it (device fault, repair: ProcedureDef.wantsStatus).
export type Lane = 'now' | 'bulk';

/** `now` jobs run in a row, at most, while `bulk` jobs wait */
export const BULK_EVERY = 16;

type Job = () => Promise<void>;

/** A FIFO of jobs that stays O(1) per take with thousands queued (Array#shift is O(n)). */
class Fifo {
  private items: Job[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(j: Job): void {
    this.items.push(j);
  }

  take(): Job | undefined {
    if (this.head >= this.items.length) return undefined;
    const j = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Job; // let it be collected
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return j;
  }
}

export class SerialQueue {
  private readonly lanes: Record<Lane, Fifo> = { now: new Fifo(), bulk: new Fifo() };
  private running = false;
  private idlers: Array<() => void> = [];

  /** A job is queued or running (false: nothing would run before a job queued now). */
  get busy(): boolean {
    return this.running;
  }

  /** Jobs waiting (not the one running), per lane. */
  waiting(lane: Lane): number {
    return this.lanes[lane].size;
  }

  run<T>(fn: () => Promise<T>, lane: Lane = 'now'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // never rejects itself: a job's failure is its caller's, the queue goes on
      this.lanes[lane].push(() => Promise.resolve().then(fn).then(resolve, reject));
      // started from a microtask, as before: `run` returns before the job begins
      if (!this.running) {
        this.running = true;
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    let inRow = 0;
    for (;;) {
      let job = inRow < BULK_EVERY ? this.lanes.now.take() : undefined;
      if (job) inRow++;
      else {
        inRow = 0;
        job = this.lanes.bulk.take() ?? this.lanes.now.take();
      }
      if (!job) break;
      await job();
    }
    this.running = false;
    for (const wake of this.idlers.splice(0)) wake();
  }

  /** Resolves once the queue has nothing left to run (used on stop). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idlers.push(r));
  }
}
