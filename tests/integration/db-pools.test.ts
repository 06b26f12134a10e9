// The event path's and Prisma's database connections outlive a quiet spell (services/core/db.ts
// eventPoolConfig, prismaPoolConfig): pg-pool closes an idle connection with a timer
// (idleTimeoutMillis, 10 s by default), so the first alarm after a quiet spell had to open a new
// one. The timers are faked here; the connections are real.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventPoolConfig, prismaPoolConfig } from '../../services/core/db.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => db?.drop());

/** Opens `open` connections at once, gives them back, lets a minute pass: how many are left? */
async function leftAfterQuietSpell(config: pg.PoolConfig, open: number): Promise<number> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const pool = new pg.Pool(config);
  try {
    const clients = await Promise.all(Array.from({ length: open }, () => pool.connect()));
    for (const c of clients) c.release();
    expect(pool.totalCount).toBe(open);
    await vi.advanceTimersByTimeAsync(60_000);
    return pool.totalCount;
  } finally {
    vi.useRealTimers();
    await pool.end();
  }
}

describe('database pools through a quiet spell', () => {
  it("pg-pool's default closes idle connections (what the settings guard against)", async () => {
    expect(await leftAfterQuietSpell({ connectionString: db.url }, 4)).toBe(0);
  });

  it('the event path keeps all its connections', async () => {
    const config = eventPoolConfig(db.url);
    expect(await leftAfterQuietSpell(config, config.max!)).toBe(4);
  });

  it('Prisma keeps two and lets the rest go', async () => {
    expect(await leftAfterQuietSpell(prismaPoolConfig(db.url), 5)).toBe(2);
  });
});
