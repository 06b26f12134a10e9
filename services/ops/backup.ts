// Backup and restore of the hub's database (`npm run backup` / `npm run restore`,
// docs/operations.md "Back up and restore").
//
// Why not pg_dump: the embedded PostgreSQL is version 18 and its npm package ships only
// initdb/pg_ctl/postgres; Debian's pg_dump is 15 and refuses a newer server (pg_dump must be at
// least the server's version). So the backup is logical and does what pg_dump's data section
// does, with COPY (pg-copy-streams), inside one REPEATABLE READ READ ONLY transaction (a
// consistent snapshot while the hub keeps running). The schema is not dumped: it is exactly
// what the migrations named in the backup produce, and those migration files ship with every
// later version of the hub. Restore applies them, loads the rows, sets the sequences, and the
// hub's own start applies whatever migrations came after (an upgrade on restore). The same file
// restores into the embedded database or any PostgreSQL (DATABASE_URL): the way from the
// zero-setup start to a production database.
//
// File: gzip of text —
//   -- bops-backup 1
//   -- meta {"createdAt":…,"server":"18.4","migrations":[…],"sequences":{…}}
//   COPY "Site" ("id","name",…) FROM stdin;      ← per table, parents before children
//   …rows in COPY text format (a row per line; `\.` cannot occur as data)…
//   \.
//   -- end {"rows":{"Site":2,…}}                   ← a file without it is incomplete
// Written to <file>.partial and renamed when complete, mode 0600 (it holds personal data and
// password hashes).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from '../../prisma/migrate.js';
import { HubError } from '../core/errors.js';

const MAGIC = '-- bops-backup 1';
const MIGRATIONS_TABLE = '_prisma_migrations';
/** the embedded telemetry table: can be most of the database, and is only history */
export const TELEMETRY_TABLE = 'TelemetryPoint';

export interface BackupMeta {
  createdAt: number;
  server: string;
  migrations: string[];
  /** sequence name → last value (null: never used) */
  sequences: Record<string, number | null>;
  /** tables whose rows were left out on purpose (--no-telemetry) */
  skipped: string[];
}

export interface BackupResult {
  file: string;
  bytes: number;
  rows: Record<string, number>;
  meta: BackupMeta;
}

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'bops-backup' });
  c.on('error', () => undefined); // surfaced by the failing query instead
  return c.connect().then(() => c);
}

/** Tables in FK order (parents first), with their columns. */
async function tablesInOrder(c: pg.Client): Promise<Array<{ name: string; columns: string[] }>> {
  const tables = (
    await c.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> $1 ORDER BY table_name`,
      [MIGRATIONS_TABLE],
    )
  ).rows.map((r) => r.name);
  const edges = (
    await c.query<{ child: string; parent: string }>(
      `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
        WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace`,
    )
  ).rows;
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string, trail: string[]) => {
    if (state.get(t) === 'done') return;
    if (state.get(t) === 'visiting') throw new Error(`foreign keys form a cycle (${[...trail, t].join(' → ')}): cannot order the copy`);
    state.set(t, 'visiting');
    for (const e of edges) if (e.child === t && e.parent !== t) visit(e.parent, [...trail, t]);
    state.set(t, 'done');
    order.push(t);
  };
  for (const t of tables) visit(t, []);
  const out = [];
  for (const name of order) {
    const cols = await c.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
      [name],
    );
    out.push({ name, columns: cols.rows.map((r) => r.column_name) });
  }
  return out;
}

function write(stream: NodeJS.WritableStream, text: string | Buffer): Promise<void> | void {
  if (!stream.write(text)) return once(stream as unknown as NodeJS.EventEmitter, 'drain').then(() => undefined);
}

/** Write a consistent backup of the database at `url` to `file` (gzip). */
export async function backupDatabase(url: string, file: string, opts: { telemetry?: boolean } = {}): Promise<BackupResult> {
  await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const partial = `${file}.partial`;
  const c = await connect(url);
  const gzip = zlib.createGzip({ level: 6 });
  const out = fs.createWriteStream(partial, { mode: 0o600 });
  const done = pipeline(gzip, out);
  const rows: Record<string, number> = {};
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const hasHistory = (await c.query(`SELECT to_regclass('public.${MIGRATIONS_TABLE}') AS t`)).rows[0]?.t;
    if (!hasHistory) throw new HubError('HUB_ERR_BACKUP', 'this database has no _prisma_migrations table: not a hub database', 400);
    const history = await c.query<{ migration_name: string; ok: boolean }>(
      `SELECT migration_name, (finished_at IS NOT NULL AND rolled_back_at IS NULL) AS ok FROM ${MIGRATIONS_TABLE} ORDER BY migration_name`,
    );
    const bad = history.rows.filter((r) => !r.ok).map((r) => r.migration_name);
    if (bad.length) throw new HubError('HUB_ERR_BACKUP', `migrations failed or unfinished in this database: ${bad.join(', ')}`, 409);
    const sequences = Object.fromEntries(
      (
        await c.query<{ name: string; last: string | null }>(
          `SELECT sequencename AS name, last_value::text AS last FROM pg_sequences WHERE schemaname = 'public'`,
        )
      ).rows.map((r) => [r.name, r.last === null ? null : Number(r.last)]),
    );
    const skipped = opts.telemetry === false ? [TELEMETRY_TABLE] : [];
    const meta: BackupMeta = {
      createdAt: Date.now(),
      server: (await c.query<{ v: string }>('SHOW server_version')).rows[0]!.v,
      migrations: history.rows.map((r) => r.migration_name),
      sequences,
      skipped,
    };
    await write(gzip, `${MAGIC}\n-- meta ${JSON.stringify(meta)}\n`);
    for (const t of await tablesInOrder(c)) {
      if (skipped.includes(t.name)) continue;
      const cols = t.columns.map(q).join(', ');
      await write(gzip, `COPY ${q(t.name)} (${cols}) FROM stdin;\n`);
      const stream = c.query(copyTo(`COPY ${q(t.name)} (${cols}) TO STDOUT`));
      // not pipeline(): it would leave a listener on gzip per table
      for await (const chunk of stream) await write(gzip, chunk as Buffer);
      rows[t.name] = stream.rowCount;
      await write(gzip, '\\.\n');
    }
    await c.query('COMMIT');
    await write(gzip, `-- end ${JSON.stringify({ rows })}\n`);
    gzip.end();
    await done;
    const fd = await fsp.open(partial, 'r');
    await fd.sync();
    await fd.close();
    await fsp.rename(partial, file);
    return { file, bytes: (await fsp.stat(file)).size, rows, meta };
  } catch (e) {
    gzip.destroy();
    await done.catch(() => undefined);
    await fsp.rm(partial, { force: true });
    throw e;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface RestoreOptions {
  /** replace what the target database holds (default: refuse a non-empty target) */
  force?: boolean;
  migrationsDir?: string;
  log?: (m: string) => void;
}

/** Restore a backup into the (empty) database at `url`. */
export async function restoreDatabase(
  url: string,
  file: string,
  opts: RestoreOptions = {},
): Promise<{ rows: Record<string, number>; meta: BackupMeta }> {
  const log = opts.log ?? (() => undefined);
  const lines = readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()), crlfDelay: Infinity });
  const it = lines[Symbol.asyncIterator]();
  const next = async () => {
    const r = await it.next();
    return r.done ? null : (r.value as string);
  };
  const c = await connect(url);
  try {
    if ((await next()) !== MAGIC) throw new HubError('HUB_ERR_RESTORE', `${file} is not a hub backup (npm run backup)`, 400);
    const metaLine = await next();
    if (!metaLine?.startsWith('-- meta ')) throw new HubError('HUB_ERR_RESTORE', `${file}: no meta line`, 400);
    const meta = JSON.parse(metaLine.slice(8)) as BackupMeta;

    const known = new Set((await readMigrations(opts.migrationsDir ?? MIGRATIONS_DIR)).map((m) => m.name));
    const unknown = meta.migrations.filter((m) => !known.has(m));
    if (unknown.length)
      throw new HubError(
        'HUB_ERR_RESTORE',
        `the backup was made by a newer hub (migrations ${unknown.join(', ')} are unknown here): restore it with that version`,
        409,
      );

    const existing = Number(
      (await c.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'`)).rows[0]!.n,
    );
    if (existing > 0) {
      if (!opts.force)
        throw new HubError(
          'HUB_ERR_RESTORE_NOT_EMPTY',
          `the target database already has ${existing} tables: restore with --force to replace them`,
          409,
        );
      log('target not empty: dropping schema public (--force)');
      await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    }

    // the schema the backup's data fits: exactly its migrations, applied the hub's way
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bops-restore-'));
    try {
      const src = opts.migrationsDir ?? MIGRATIONS_DIR;
      await fsp.copyFile(path.join(src, 'migration_lock.toml'), path.join(tmp, 'migration_lock.toml')).catch(() => undefined);
      for (const m of meta.migrations) await fsp.cp(path.join(src, m), path.join(tmp, m), { recursive: true });
      await applyMigrations(url, { migrationsDir: tmp, log });
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }

    const rows: Record<string, number> = {};
    let end: { rows: Record<string, number> } | null = null;
    await c.query('BEGIN');
    try {
      for (let line = await next(); line !== null; line = await next()) {
        if (line.startsWith('-- end ')) {
          end = JSON.parse(line.slice(7)) as { rows: Record<string, number> };
          break;
        }
        const m = /^COPY "((?:[^"]|"")+)" \((.*)\) FROM stdin;$/.exec(line);
        if (!m) throw new HubError('HUB_ERR_RESTORE', `${file}: unexpected line ${JSON.stringify(line.slice(0, 80))}`, 400);
        const table = m[1]!.replace(/""/g, '"');
        const sink = c.query(copyFrom(`COPY ${q(table)} (${m[2]}) FROM STDIN`));
        const finished = new Promise<void>((resolve, reject) => {
          sink.on('finish', resolve);
          sink.on('error', reject);
        });
        let batch: string[] = [];
        let complete = false;
        for (let row = await next(); row !== null; row = await next()) {
          if (row === '\\.') {
            complete = true;
            break;
          }
          batch.push(row);
          if (batch.length >= 2000) {
            await write(sink, batch.join('\n') + '\n');
            batch = [];
          }
        }
        if (batch.length) await write(sink, batch.join('\n') + '\n');
        sink.end();
        await finished;
        if (!complete) break; // the file ended inside a table: reported as incomplete below
        rows[table] = sink.rowCount;
      }
      if (!end) throw new HubError('HUB_ERR_RESTORE', `${file} is incomplete (no end marker): nothing restored`, 400);
      for (const [t, n] of Object.entries(end.rows)) {
        if (rows[t] !== n) throw new HubError('HUB_ERR_RESTORE', `${file}: table ${t} has ${rows[t] ?? 0} rows, the backup says ${n}`, 400);
      }
      for (const [seq, last] of Object.entries(meta.sequences)) {
        // is_called=false with 1 for a sequence never used: nextval() then returns 1, as before
        await c.query('SELECT setval($1::regclass, $2, $3)', [q(seq), last ?? 1, last !== null]);
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return { rows, meta };
  } finally {
    lines.close();
    await c.end().catch(() => undefined);
  }
}
