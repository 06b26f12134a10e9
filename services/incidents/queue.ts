// One queue for every incident mutation: routing decisions (dedup, linking) read the set of
// open incidents, and two events must not both decide "nothing open yet". A failing job does
// not stop the queue; its caller gets the rejection.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const job = this.tail.then(fn, fn);
    this.tail = job.catch(() => undefined);
    return job;
  }

  /** Resolves once everything queued so far has finished (used on stop). */
  async idle(): Promise<void> {
    await this.tail.catch(() => undefined);
  }
}
