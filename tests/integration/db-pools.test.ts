// The event path's and Prisma's database connections outlive a quiet spell (services/core/db.ts
// eventPoolConfig, prismaPoolConfig): pg-pool closes an idle connection with a timer
// (idleTimeoutMillis, 10 s by default), so the first alarm after a quiet spell had to open a new
// one. The timers are faked here; the connections are real.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPool, createPrisma, eventPoolConfig, prismaPoolConfig } from '../../services/core/db.js';
import type { Logger } from '../../services/core/logger.js';
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

describe("createPool: the hub's own pools", () => {
  it('are named in pg_stat_activity and survive the server dropping an idle connection', async () => {
    const warnings: Array<{ fields: unknown; msg: string }> = [];
    const log = { warn: (fields: unknown, msg: string) => void warnings.push({ fields, msg }) } as unknown as Logger;
    const pool = createPool('test-pool', { connectionString: db.url, max: 2 }, log);
    const other = new pg.Client({ connectionString: db.url });
    try {
      const c = await pool.connect();
      const { rows } = await c.query<{ pid: number; name: string }>('SELECT pg_backend_pid() AS pid, current_setting($1) AS name', [
        'application_name',
      ]);
      c.release();
      expect(rows[0]!.name).toBe('bops-test-pool');
      // the server ends the idle connection (a restart, an administrator): without the pool's
      // 'error' listener that would end the process; with it, one warning and a working pool
      await other.connect();
      await other.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 5000 });
      expect(warnings[0]!.msg).toBe('test-pool pg pool: idle connection lost');
      expect(warnings[0]!.fields).toMatchObject({ code: '57P01' }); // admin_shutdown, not the client object
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await other.end();
      await pool.end();
    }
  });

  it("Prisma's pool is named too", async () => {
    const prisma = createPrisma(db.url);
    try {
      const rows = await prisma.$queryRaw<Array<{ name: string }>>`SELECT current_setting('application_name') AS name`;
      expect(rows[0]!.name).toBe('bops-prisma');
    } finally {
      await prisma.$disconnect();
    }
  });
});
