// A PostgreSQL server of the test's own (the hub's embedded one: real PostgreSQL binaries, own
// data dir, a loopback port), for tests that stop and start the database under a running hub:
// "the dependency is down" for real, not simulated. The URL is known before the server first
// starts, so a hub can be pointed at it while it is still down.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../services/core/db.js';
import { createLogger } from '../../services/core/logger.js';
import { freePort } from './influx.js';

export interface PgServer {
  /** postgresql://…/bops (the database exists once the server has started once) */
  url: string;
  port: number;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** stop and delete the data */
  destroy(): Promise<void>;
}

export async function pgServer(): Promise<PgServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-pgserver-'));
  await fs.chmod(dir, 0o755);
  const password = 'test-pg-password';
  await fs.writeFile(path.join(dir, 'pg-password'), password, { mode: 0o600 });
  const port = await freePort();
  const log = createLogger(process.env.HUB_TEST_LOG ?? 'error', 'test-pg');
  let pg: EmbeddedPg | null = null;
  const stop = async () => {
    await pg?.stop();
    pg = null;
  };
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/bops`,
    port,
    running: () => pg !== null,
    async start() {
      pg ??= await startEmbeddedPostgres(dir, port, log);
    },
    stop,
    async destroy() {
      await stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
