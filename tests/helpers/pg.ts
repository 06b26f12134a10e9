// Throw-away PostgreSQL databases for integration tests. Every test file gets its own database
// (created here, migrated with the same code the hub runs at start-up, dropped by `drop()`), so
// files can run in parallel workers without seeing each other's rows.
//
// The server comes from TEST_PG_ADMIN_URL, which tests/helpers/global-setup.ts sets (the
// machine's PostgreSQL, CI's, or an embedded one it starts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { applyMigrations, dropDatabase, withDatabase } from '../../prisma/migrate.js';

/** Names are `<prefix><pid>_<random>`: global setup drops leftovers whose process is gone. */
export const TEST_DB_PREFIX = 'bops_test_';

export interface TestDatabase {
  /** Connection URL of the new database (same server and role as the admin URL). */
  url: string;
  name: string;
  /** Terminate its connections and drop it. Safe to call more than once. */
  drop(): Promise<void>;
}

/** The admin connection URL (a database on the test server whose role may CREATE DATABASE). */
export function adminUrl(): string {
  // Forked workers inherit the env global setup set; `inject` covers pools that do not.
  const url = process.env.TEST_PG_ADMIN_URL ?? inject('pgAdminUrl');
  if (!url) throw new Error('TEST_PG_ADMIN_URL is not set: run the tests through vitest (tests/helpers/global-setup.ts)');
  return url;
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Create a fresh, uniquely named database and (unless `migrate: false`) apply
 * prisma/migrations to it.
 */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `${TEST_DB_PREFIX}${process.pid}_${randomBytes(6).toString('hex')}`;
  // template0: immune to anything someone may have put into template1 on a shared server.
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8'`));
  const url = withDatabase(adminUrl(), name);
  let dropped = false;
  const db: TestDatabase = {
    url,
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin((admin) => dropDatabase(admin, name));
    },
  };
  if (opts.migrate !== false) {
    try {
      await applyMigrations(url);
    } catch (e) {
      await db.drop().catch(() => undefined);
      throw e;
    }
  }
  return db;
}
