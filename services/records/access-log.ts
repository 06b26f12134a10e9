// The personal-data access log (seed 000 §2.1.6.2; PROCEDURES.md "Privacy"): who read which
// owner's or visitor's record, why and when — one PersonalDataAccess row per record read.
// Reads through HTTP are written before the response goes out; deliveries over the live push
// (a visitor's name in `visit:requested`) are batched per recipient and written together at
// most every `flushMs`, so a burst of pushes does not become a burst of INSERTs.
import type { Db } from '../core/db.js';
import type { Logger } from '../core/logger.js';

export class AccessLog {
  private pending: Array<{ userId: string; subject: string; reason: string; at: Date }> = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly flushMs = 1000,
  ) {}

  /** Log a read now (one row per subject). */
  async record(userId: string, subjects: readonly string[], reason: string): Promise<void> {
    const at = new Date(this.now());
    const unique = [...new Set(subjects)];
    if (!unique.length) return;
    await this.db.personalDataAccess.createMany({ data: unique.map((subject) => ({ userId, subject, reason, at })) });
  }

  /** Log a delivery that cannot wait for the database (the live push); written within `flushMs`. */
  later(userId: string, subjects: readonly string[], reason: string): void {
    const at = new Date(this.now());
    for (const subject of new Set(subjects)) this.pending.push({ userId, subject, reason, at });
    if (!this.timer && this.pending.length) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Write what is pending (also on stop). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return this.flushing;
    this.flushing = this.flushing
      .then(() => this.db.personalDataAccess.createMany({ data: batch }))
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err, rows: batch.length }, 'personal-data access rows not written'));
    return this.flushing;
  }

  async stop(): Promise<void> {
    await this.flush();
  }
}
