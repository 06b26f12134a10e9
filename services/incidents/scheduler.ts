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

/** A due timer this instance claimed (scale-out), with the building whose lock it fires under. */
export interface ClaimedTimer {
  incidentId: string;
  key: string;
  buildingId: string;
}

/**
 * Scale-out (docs/scale-out.md): claim due timers so that each fires on one instance. `FOR
 * UPDATE SKIP LOCKED` lets every instance claim at once without waiting on each other; the
 * claim is a lease (`claimedUntil`): a timer claimed by an instance that died before firing it
 * is claimed again by another once the lease is over. Firing writes the timer row, which clears
 * the claim (store.ts timerRow); the firing itself re-checks, under the building's lock and
 * from the committed state, that the timer is still due — so a lease that ran out while a slow
 * instance was still firing cannot fire it twice.
 */
export async function claimDueTimers(
  db: { $queryRawUnsafe<T>(sql: string, ...values: unknown[]): Promise<T> },
  instanceId: string,
  now: number,
  leaseMs: number,
  limit = 100,
): Promise<ClaimedTimer[]> {
  return db.$queryRawUnsafe<ClaimedTimer[]>(
    `UPDATE "IncidentTimer" AS t
        SET "claimedBy" = $1, "claimedUntil" = $2
       FROM (SELECT id FROM "IncidentTimer"
              WHERE status = 'running' AND "dueAt" <= $3 AND ("claimedUntil" IS NULL OR "claimedUntil" < $3)
              ORDER BY "dueAt" LIMIT $4
              FOR UPDATE SKIP LOCKED) AS due,
            "Incident" AS i
      WHERE t.id = due.id AND i.id = t."incidentId"
  RETURNING t."incidentId" AS "incidentId", t.key AS key, i."buildingId" AS "buildingId"`,
    instanceId,
    new Date(now + leaseMs),
    new Date(now),
    limit,
  );
}
