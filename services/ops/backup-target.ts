// Which database `npm run backup` / `npm run restore` work on: DATABASE_URL when set, else the
// embedded PostgreSQL under HUB_DATA_DIR — the running hub's (backup only: a consistent snapshot
// while it runs), or one started just for the job when no hub holds the data directory.
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { startEmbeddedPostgres } from '../core/db.js';
import { HubError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

async function readFirstLines(file: string): Promise<string[] | null> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n');
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** pid of the live hub holding `dataDir` (services/core/db.ts hub.lock), or null */
export async function runningHub(dataDir: string): Promise<number | null> {
  const pid = Number((await readFirstLines(path.join(dataDir, 'hub.lock')))?.[0]);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
}

export interface Target {
  url: string;
  describe: string;
  close(): Promise<void>;
}

export async function openTarget(config: Config, log: Logger, mode: 'backup' | 'restore'): Promise<Target> {
  if (config.databaseUrl) {
    const u = new URL(config.databaseUrl);
    return { url: config.databaseUrl, describe: `DATABASE_URL (${u.hostname}:${u.port || 5432}${u.pathname})`, close: async () => {} };
  }
  const hub = await runningHub(config.dataDir);
  if (hub !== null) {
    if (mode === 'restore')
      throw new HubError('HUB_ERR_DATA_DIR_IN_USE', `a hub (pid ${hub}) is running on ${config.dataDir}: stop it before restoring`, 409);
    // postmaster.pid line 4 is the port the running embedded server listens on
    const lines = await readFirstLines(path.join(config.dataDir, 'pg', 'postmaster.pid'));
    const password = (await fs.readFile(path.join(config.dataDir, 'pg-password'), 'utf8')).trim();
    const port = Number(lines?.[3]);
    if (!port) throw new HubError('HUB_ERR_EMBEDDED_PG', `hub ${hub} runs on ${config.dataDir} but its PostgreSQL port is unknown`, 500);
    return {
      url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/bops`,
      describe: `the running hub's embedded PostgreSQL (pid ${hub}, ${config.dataDir})`,
      close: async () => {},
    };
  }
  // no hub: start the embedded server for the job (initialised on first use: restore into a fresh dir)
  const exists = await fs.stat(path.join(config.dataDir, 'pg', 'PG_VERSION')).catch(() => null);
  if (mode === 'backup' && !exists)
    // not an empty backup of a database made up for the occasion (the hub may use DATABASE_URL)
    throw new HubError('HUB_ERR_BACKUP', `no embedded database in ${config.dataDir}: set DATABASE_URL to back up an external one`, 400);
  const pg = await startEmbeddedPostgres(config.dataDir, await freePort(), log);
  return { url: pg.url, describe: `embedded PostgreSQL in ${config.dataDir}`, close: () => pg.stop() };
}
