// Scale-out (docs/scale-out.md): cluster-wide mutual exclusion with PostgreSQL advisory locks —
// the database every instance already shares, so no lock service of our own. A session-level
// lock is held on one pooled connection for the duration of `fn`; if the instance dies, its
// connection ends and PostgreSQL releases the lock, so a killed instance never leaves one held.
// Advisory locks take part in PostgreSQL's deadlock detection.
import pg from 'pg';
import { createPool } from './db.js';
import type { Logger } from './logger.js';

export class AdvisoryLocks {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string, log: Logger, max = 4) {
    this.pool = createPool('locks', { connectionString: databaseUrl, max, connectionTimeoutMillis: 10_000 }, log);
  }

  /** Run `fn` holding the lock named `name` (64-bit hash of the text). */
  async with<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [name]);
      try {
        return await fn();
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]).catch(() => {
          broken = true; // the lock dies with the connection: do not give it back to the pool
        });
      }
    } finally {
      c.release(broken);
    }
  }

  async stop(): Promise<void> {
    await this.pool.end();
  }
}
