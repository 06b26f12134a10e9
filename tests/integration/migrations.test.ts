// prisma/migrations ⇄ schema.prisma ⇄ the database: the migrations apply from empty, re-applying
// is a no-op, the history table is the one `prisma migrate` reads, and the migrations produce
// exactly what schema.prisma describes (Prisma's own differ, so a model change without a
// migration fails this file).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, diffMigrationsToSchema, MIGRATIONS_DIR, SCHEMA_PATH, withSchemaEngine } from '../../prisma/migrate.js';
import { adminUrl, createTestDatabase, type TestDatabase } from '../helpers/pg.js';

async function migrationFolders(dir = MIGRATIONS_DIR): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function copyMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-migrations-'));
  await fs.cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

/** The migrations folder the way `prisma migrate` hands it to its engine. */
async function prismaMigrationsList() {
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: {
      path: 'migration_lock.toml',
      content: await fs.readFile(path.join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8'),
    },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      (await migrationFolders()).map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok' as const, value: await fs.readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}
const noFilters = { externalTables: [], externalEnums: [] };

const dbs: TestDatabase[] = [];
const tmpDirs: string[] = [];
async function emptyDb(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false });
  dbs.push(db);
  return db;
}

afterAll(async () => {
  await Promise.all(dbs.map((d) => d.drop()));
  await Promise.all(tmpDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

describe('applyMigrations', () => {
  let db: TestDatabase;
  let firstRun: { applied: string[] };
  beforeAll(async () => {
    db = await emptyDb();
    firstRun = await applyMigrations(db.url);
  });

  it('applies every migration folder, in order, to an empty database', async () => {
    const folders = await migrationFolders();
    expect(folders.length).toBeGreaterThan(0);
    expect(firstRun.applied).toEqual(folders);
    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['_prisma_migrations', 'Site', 'Building', 'Device', 'Incident', 'TelemetryPoint']),
    );
  });

  it('is idempotent: a second run applies nothing and adds no rows', async () => {
    expect(await applyMigrations(db.url)).toEqual({ applied: [] });
    const rows = await query(db.url, 'SELECT 1 FROM _prisma_migrations');
    expect(rows).toHaveLength(firstRun.applied.length);
  });

  it("records _prisma_migrations exactly like Prisma's (table shape and row contents)", async () => {
    // Prisma's DDL (prisma-engines, postgres flavour): these columns, types and nullability.
    const cols = await query<{ column_name: string; data_type: string; is_nullable: string; len: number | null }>(
      db.url,
      `SELECT column_name, data_type, is_nullable, character_maximum_length AS len
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(cols).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO', len: 36 },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO', len: 64 },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO', len: 255 },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES', len: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO', len: null },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO', len: null },
    ]);

    const rows = await query<{
      id: string;
      checksum: string;
      finished_at: Date | null;
      migration_name: string;
      logs: string | null;
      rolled_back_at: Date | null;
      started_at: Date;
      applied_steps_count: number;
    }>(db.url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
    const folders = await migrationFolders();
    expect(rows.map((r) => r.migration_name)).toEqual(folders);
    for (const r of rows) {
      const file = await fs.readFile(path.join(MIGRATIONS_DIR, r.migration_name, 'migration.sql'));
      expect(r.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.finished_at).toBeInstanceOf(Date);
      expect(r.finished_at!.getTime()).toBeGreaterThanOrEqual(r.started_at.getTime());
      expect(r.logs).toBeNull();
      expect(r.rolled_back_at).toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
  });

  it("is read by Prisma's own migrate engine as fully applied (drop-in for `prisma migrate deploy`)", async () => {
    const schema = await fs.readFile(SCHEMA_PATH, 'utf8');
    const migrationsList = await prismaMigrationsList();
    const { diagnosis, deploy } = await withSchemaEngine(db.url, schema, async (engine) => ({
      diagnosis: await engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: noFilters }),
      deploy: await engine.applyMigrations({ migrationsList, filters: noFilters }),
    }));
    expect(diagnosis).toEqual({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
    expect(deploy.appliedMigrationNames).toEqual([]);
  });

  it("accepts a database that Prisma's own migrate engine migrated (and applies nothing)", async () => {
    const fresh = await emptyDb();
    const schema = await fs.readFile(SCHEMA_PATH, 'utf8');
    const migrationsList = await prismaMigrationsList();
    const deploy = await withSchemaEngine(fresh.url, schema, (engine) => engine.applyMigrations({ migrationsList, filters: noFilters }));
    expect(deploy.appliedMigrationNames).toEqual(await migrationFolders());
    expect(await applyMigrations(fresh.url)).toEqual({ applied: [] });
  });

  it('serialises concurrent appliers (two hubs starting at once): each migration is applied once', async () => {
    const fresh = await emptyDb();
    const [a, b] = await Promise.all([applyMigrations(fresh.url), applyMigrations(fresh.url)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(await migrationFolders());
    const rows = await query(fresh.url, 'SELECT 1 FROM _prisma_migrations');
    expect(rows).toHaveLength(a.applied.length + b.applied.length);
  });

  it('waits for the migration lock and gives up with a clear error when it is held too long', async () => {
    const fresh = await emptyDb();
    const holder = new pg.Client({ connectionString: fresh.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(72707369)'); // Prisma Migrate's lock key
      await expect(applyMigrations(fresh.url, { lockTimeoutMs: 300 })).rejects.toThrow(/timed out waiting for the migration lock/);
    } finally {
      await holder.end();
    }
    expect((await applyMigrations(fresh.url)).applied).toEqual(await migrationFolders());
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const fresh = await emptyDb();
    const dir = await copyMigrations();
    tmpDirs.push(dir);
    await applyMigrations(fresh.url, { migrationsDir: dir });
    const [first] = await migrationFolders(dir);
    await fs.appendFile(path.join(dir, first!, 'migration.sql'), '\n-- edited after the fact\n');
    await expect(applyMigrations(fresh.url, { migrationsDir: dir })).rejects.toThrow(/modified after they were applied.*_init/);
  });

  it('rolls a failing migration back completely and records nothing for it', async () => {
    const fresh = await emptyDb();
    const dir = await copyMigrations();
    tmpDirs.push(dir);
    await fs.mkdir(path.join(dir, '99991231235959_broken'));
    await fs.writeFile(
      path.join(dir, '99991231235959_broken', 'migration.sql'),
      'CREATE TABLE "HalfDone" (id INT);\nALTER TABLE "NoSuchTable" ADD COLUMN x INT;\n',
    );
    await expect(applyMigrations(fresh.url, { migrationsDir: dir })).rejects.toThrow(/99991231235959_broken.*rolled back/);
    const rows = await query<{ migration_name: string }>(fresh.url, 'SELECT migration_name FROM _prisma_migrations');
    expect(rows.map((r) => r.migration_name)).not.toContain('99991231235959_broken');
    expect(rows).toHaveLength((await migrationFolders()).length); // the good ones before it did apply
    const half = await query<{ t: string | null }>(fresh.url, `SELECT to_regclass('"HalfDone"')::text AS t`);
    expect(half[0]?.t).toBeNull();
  });
});

describe('data migration …_duty_entry_shift', () => {
  it("gives a handover's earlier lines to the shift whose handover was open; other lines keep their place by time", async () => {
    const db = await emptyDb();
    const before = await copyMigrations(); // every migration up to the one under test
    tmpDirs.push(before);
    const [target] = (await migrationFolders(before)).filter((n) => n.endsWith('_duty_entry_shift'));
    expect(target).toBeDefined();
    for (const n of await migrationFolders(before)) if (n >= target!) await fs.rm(path.join(before, n), { recursive: true });
    await applyMigrations(db.url, { migrationsDir: before });
    // the day shift ended 18:00 and its handover opened 18:00:02; the night one's never opened
    await query(
      db.url,
      `INSERT INTO "DutyShift" ("id", "defId", "name", "startsAt", "endsAt", "handoverOpenedAt") VALUES
         ('2026-11-30T0800', 'day', '["白班","Day shift"]', '2026-11-30T00:00:00Z', '2026-11-30T10:00:00Z', '2026-11-30T10:00:02Z'),
         ('2026-11-30T1800', 'night', '["夜班","Night shift"]', '2026-11-30T10:00:00Z', '2026-12-01T00:00:00Z', NULL)`,
    );
    await query(
      db.url,
      `INSERT INTO "DutyLogEntry" ("day", "at", "actor", "key") VALUES
         ('2026-11-30', '2026-11-30T09:00:00Z', 'user:a', 'records.duty.manual'),
         ('2026-11-30', '2026-11-30T10:00:02Z', 'hub', 'records.duty.handover_opened'),
         ('2026-11-30', '2026-11-30T10:05:00Z', 'user:a', 'records.duty.handover_checks_failed'),
         ('2026-11-30', '2026-11-30T10:09:00Z', 'user:b', 'records.duty.handover_accepted'),
         ('2026-11-30', '2026-11-30T10:10:00Z', 'user:b', 'records.duty.manual'),
         ('2026-11-29', '2026-11-29T09:00:00Z', 'user:a', 'records.duty.handover_created')`,
    );
    expect((await applyMigrations(db.url)).applied[0]).toBe(target);
    const rows = await query<{ key: string; shiftId: string | null }>(db.url, 'SELECT "key", "shiftId" FROM "DutyLogEntry" ORDER BY "seq"');
    expect(rows.map((r) => r.shiftId)).toEqual([
      null, // written during the day shift: found by its time
      '2026-11-30T0800',
      '2026-11-30T0800',
      '2026-11-30T0800',
      null, // the night shift's own line
      null, // a handover from before any shift row
    ]);
  });
});

describe('tests/helpers/pg createTestDatabase', () => {
  it('creates a migrated database by default and drop() removes it (idempotently)', async () => {
    const db = await createTestDatabase();
    const [row] = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM _prisma_migrations');
    expect(Number(row?.n)).toBe((await migrationFolders()).length);
    const open = new pg.Client({ connectionString: db.url }); // a connection left open by a test
    open.on('error', () => undefined);
    await open.connect();
    await db.drop();
    await db.drop();
    const left = await query(adminUrl(), 'SELECT 1 FROM pg_database WHERE datname = $1', [db.name]);
    expect(left).toHaveLength(0);
    await open.end().catch(() => undefined);
  });
});

describe('schema.prisma ⇄ migrations drift', () => {
  it('has none: the migrations produce exactly what schema.prisma describes', async () => {
    const diff = await diffMigrationsToSchema({ serverUrl: adminUrl() });
    // On failure the message shows the SQL a new migration needs (npm run db:migration:new -- <name>).
    expect(diff.sql).toBe('');
    expect(diff.empty).toBe(true);
  });

  it('would catch a field added to schema.prisma without a migration', async () => {
    const schema = await fs.readFile(SCHEMA_PATH, 'utf8');
    const modified = schema.replace(/(model User \{\n)/, '$1  nickname String?\n');
    expect(modified).not.toBe(schema);
    const diff = await diffMigrationsToSchema({ serverUrl: adminUrl(), schema: modified });
    expect(diff.empty).toBe(false);
    expect(diff.sql).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"nickname" TEXT/);
  });

  it('would catch a changed default or index too (not only new columns)', async () => {
    const schema = await fs.readFile(SCHEMA_PATH, 'utf8');
    const modified = schema
      .replace('locale       String    @default("zh-CN")', 'locale       String    @default("en")')
      .replace('  @@index([day])\n', '  @@index([day, at])\n');
    expect(modified).not.toBe(schema);
    const diff = await diffMigrationsToSchema({ serverUrl: adminUrl(), schema: modified });
    expect(diff.empty).toBe(false);
    expect(diff.sql).toContain(`ALTER COLUMN "locale" SET DEFAULT 'en'`);
    expect(diff.sql).toMatch(/CREATE INDEX "DutyLogEntry_day_at_idx"/);
  });
});
