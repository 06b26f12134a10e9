// The embedded store creates its schema and partitions at run time (telemetry.msg and the
// rollup tables): hubs starting together on an empty database must all come up healthy. Before
// this, `CREATE TABLE IF NOT EXISTS` raced (42710 `type "rollup_hour" already exists` in 4 of 30
// tries with three stores), and the loser's /api/health said 503 until its next probe — which is
// how CI's "two hubs starting together" test failed once.
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../services/core/logger.js';
import { DDL_LOCK, EmbeddedPgBackend } from '../../services/telemetry/embedded.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'telemetry-schema-test');
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
});

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false });
  cleanup.push(() => db.drop());
  return db;
}

function backend(db: TestDatabase): EmbeddedPgBackend {
  const b = new EmbeddedPgBackend(db.url, log, 7 * 86_400_000, 10_000, { rollupEveryMs: 0 });
  cleanup.push(() => b.close());
  return b;
}

async function tables(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'telemetry' ORDER BY 1`);
  return r.rows.map((x) => x.t);
}

describe('embedded telemetry store — schema created at run time', () => {
  it('waits for the DDL lock another hub holds, then creates the schema', async () => {
    const db = await emptyDatabase();
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    cleanup.push(() => other.end());
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [DDL_LOCK]);
    // watched from a third connection: inside `other`'s transaction pg_stat_activity is a snapshot
    const watch = new pg.Client({ connectionString: db.url });
    await watch.connect();
    cleanup.push(() => watch.end());

    let started = false;
    const starting = backend(db)
      .start()
      .then(() => (started = true));
    // the store's connection is seen waiting on the advisory lock (not failing, not done)
    await expect
      .poll(
        async () =>
          (
            await watch.query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'bops-telemetry' AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
            )
          ).rows[0]!.n,
        { timeout: 10_000 },
      )
      .toBe('1');
    expect(started).toBe(false);
    expect(await tables(watch)).toEqual([]);

    await other.query('COMMIT');
    await starting;
    expect(await tables(watch)).toEqual(expect.arrayContaining(['msg', 'msg_1m', 'rollup_dirty', 'rollup_hour']));
  });

  it('a start on a database that has the schema locks nothing: not telemetry.msg, not the DDL lock', async () => {
    const db = await emptyDatabase();
    await backend(db).start();
    // an insert in flight on another hub, and another hub's DDL under way
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    cleanup.push(() => other.end());
    await other.query('BEGIN');
    await other.query('LOCK TABLE telemetry.msg IN ROW EXCLUSIVE MODE');
    await other.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [DDL_LOCK]);
    // `CREATE INDEX IF NOT EXISTS` at every start would wait here for a share lock on msg
    const outcome = await Promise.race([
      backend(db)
        .start()
        .then(() => 'started'),
      new Promise((r) => setTimeout(() => r('still waiting after 10 s'), 10_000)),
    ]);
    expect(outcome).toBe('started');
    await other.query('ROLLBACK');
  });

  it('three stores starting together on an empty database all start (five databases)', async () => {
    for (let i = 0; i < 5; i++) {
      const db = await emptyDatabase();
      const results = await Promise.allSettled([backend(db), backend(db), backend(db)].map((b) => b.start()));
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok']);
    }
  });
});
