// The zero-setup database: a real embedded PostgreSQL under HUB_DATA_DIR that starts from an
// empty directory, keeps its data across restarts, and recovers from a postgres orphaned by a
// hard-killed hub.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.js';
import { PG_MALLOC_ENV, startEmbeddedPostgres } from '../../services/core/db.js';
import { createLogger } from '../../services/core/logger.js';
import { Hub } from '../../services/hub/hub.js';

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

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-embedded-'));
  await fs.chmod(d, 0o755); // the postgres user must be able to traverse it
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const log = createLogger('error', 'test');

describe('embedded PostgreSQL', () => {
  it('starts a hub from an empty data dir, and again from the same dir with the data kept', async () => {
    const dataDir = await tempDir();
    const env = {
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: '0',
      HUB_MQTT_PORT: '0',
      HUB_DATA_DIR: dataDir,
      HUB_EMBEDDED_PG_PORT: String(await freePort()),
      HUB_ADMIN_PASSWORD: 'first-start-pw',
      HUB_LOG_LEVEL: 'error',
    };
    let hub = await Hub.start(loadConfig(env), { log });
    try {
      expect((await hub.health()).db).toEqual({ ok: true, embedded: true });
      expect(hub.adminPassword).toBe('first-start-pw');
      await hub.db.site.create({ data: { id: 'kept', name: 'survives restarts' } });
    } finally {
      await hub.stop();
    }
    await expect(fs.stat(path.join(dataDir, 'pg', 'PG_VERSION'))).resolves.toBeTruthy();
    hub = await Hub.start(loadConfig({ ...env, HUB_ADMIN_PASSWORD: 'ignored-second-time' }), { log });
    try {
      expect(await hub.db.site.findUnique({ where: { id: 'kept' } })).toMatchObject({ name: 'survives restarts' });
      expect(hub.adminPassword).toBeNull(); // admin exists: not recreated, not printed again
      const r = await fetch(`http://127.0.0.1:${hub.httpPort}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'first-start-pw' }),
      });
      expect(r.status).toBe(200);
    } finally {
      await hub.stop();
    }
  });

  it("runs postgres with its own malloc settings, not the hub's", async () => {
    // npm start gives the hub MALLOC_MMAP_THRESHOLD_=4194304; inherited, it left the backends
    // trimming their heap after every statement (services/core/db.ts PG_MALLOC_ENV)
    const saved = process.env.MALLOC_MMAP_THRESHOLD_;
    process.env.MALLOC_MMAP_THRESHOLD_ = '4194304';
    const dataDir = await tempDir();
    const epg = await startEmbeddedPostgres(dataDir, await freePort(), log).finally(() => {
      if (saved === undefined) delete process.env.MALLOC_MMAP_THRESHOLD_;
      else process.env.MALLOC_MMAP_THRESHOLD_ = saved;
    });
    try {
      const environ = (await fs.readFile(`/proc/${epg.pid}/environ`, 'utf8')).split('\0');
      expect(environ.filter((kv) => kv.startsWith('MALLOC_')).sort()).toEqual(
        Object.entries(PG_MALLOC_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .sort(),
      );
    } finally {
      await epg.stop();
    }
  });

  it('stops a postgres left running by a hard-killed hub and starts cleanly', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const first = await startEmbeddedPostgres(dataDir, port, log);
    const pid = Number((await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    // simulate the crash: the hub is gone, its lock file is stale, postgres still runs
    await fs.writeFile(path.join(dataDir, 'hub.lock'), '999999\n');
    const second = await startEmbeddedPostgres(dataDir, port, log);
    try {
      const newPid = Number((await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      expect(newPid).not.toBe(pid);
      const c = new pg.Client({ connectionString: second.url });
      await c.connect();
      expect((await c.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
      await c.end();
    } finally {
      await second.stop();
      void first; // its postgres was stopped by the second start
    }
  });

  it('refuses a second hub on a data dir that a live hub holds', async () => {
    const dataDir = await tempDir();
    await fs.writeFile(path.join(dataDir, 'hub.lock'), `${process.ppid}\n`); // a live process that is not us
    await expect(startEmbeddedPostgres(dataDir, await freePort(), log)).rejects.toThrow(/another hub/);
  });
});
