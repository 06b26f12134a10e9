// Timers are rows, not setTimeouts (ARCHITECTURE.md example 10): the scheduler sleeps until
// the earliest due time any incident (or watcher) has, then wakes the service, which fires
// what is due in its queue. The sleep is capped so a clock jump (NTP, a suspended VM) is
// noticed within a second; on start the service ticks once, firing what came due while the
// hub was down.
import type { Logger } from '../core/logger.js';

export interface SchedulerOptions {
  now: () => number;
  /** the earliest time something is due (null: nothing) */
  nextDue: () => number | null;
  wake: () => Promise<void>;
  log: Logger;
  /** longest sleep (default 1 s) */
  maxSleepMs?: number;
}

export class TimerScheduler {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: SchedulerOptions) {}

  /** (Re)plan the next wake-up from the current due times. */
  schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.o.nextDue();
    if (next === null) return;
    const wait = Math.min(Math.max(0, next - this.o.now()), this.o.maxSleepMs ?? 1000);
    this.timer = setTimeout(() => void this.o.wake().catch((err: unknown) => this.o.log.error({ err }, 'tick failed')), wait);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
