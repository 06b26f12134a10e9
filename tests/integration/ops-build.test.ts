// The compiled hub (issue 15: `npm start` and the image run JavaScript, not tsx) and upgrades:
// the esbuild bundle starts as a real process, serves the API and /metrics, and stops cleanly
// on SIGTERM; two hubs starting together on an empty database migrate it once; a hub started
// on a database from an older version applies the newer migrations and keeps the data.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, applyMigrations, readMigrations } from '../../prisma/migrate.js';
import { loadConfig } from '../../services/core/config.js';
import { createLogger } from '../../services/core/logger.js';
import { Hub } from '../../services/hub/hub.js';
import { ADMIN_PASSWORD } from '../helpers/hub.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { parseProm } from '../helpers/prom.js';

const run = promisify(execFile);
const outdir = `dist/test-build-${process.pid}`;
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
});

async function database(migrate: boolean): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate });
  cleanup.push(() => db.drop());
  return db;
}

function hubEnv(db: TestDatabase, dataDir: string): Record<string, string> {
  return {
    HUB_HOST: '127.0.0.1',
    HUB_HTTP_PORT: '0',
    HUB_MQTT_PORT: '0',
    HUB_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HUB_DEMO: '0',
    HUB_LOG_LEVEL: 'warn',
  };
}

describe('the compiled hub', () => {
  it('builds to one JavaScript bundle that starts, serves, and stops on SIGTERM', async () => {
    cleanup.push(() => fs.rm(outdir, { recursive: true, force: true }));
    const b = await run(process.execPath, ['scripts/build.mjs', '--server-only', '--outdir', outdir]);
    expect(b.stdout).toMatch(/built .*hub\.mjs/);
    const bundle = await fs.readFile(path.join(outdir, 'hub.mjs'), 'utf8');
    // our code is compiled in; packages stay external (they find files next to themselves)
    expect(bundle).toContain('// services/hub/hub.ts');
    expect(bundle).toMatch(/from "fastify"/);
    expect(bundle).not.toMatch(/from "tsx/);
    // code that finds files relative to itself gets its source location, not the bundle's
    expect(bundle).toContain('new URL("../../prisma/migrate.ts", import.meta.url)');
    const again = await run(process.execPath, ['scripts/build.mjs', '--server-only', '--if-stale', '--outdir', outdir]);
    expect(again.stdout).toMatch(/is up to date/);

    const db = await database(true);
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-compiled-'));
    cleanup.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', path.join(outdir, 'hub.mjs')], {
      env: { PATH: process.env.PATH ?? '', ...hubEnv(db, dataDir) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(async () => void (child.exitCode === null && child.kill('SIGKILL')));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${out}`)), 60_000);
      const check = () => {
        const m = /Dashboard 控制台:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`hub exited with ${code}:\n${out}`)));
    });
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const metrics = parseProm(await (await fetch(`${url}/metrics`)).text());
    expect(metrics.sum('bops_http_requests_total', { route: '/api/auth/login', status: '200' })).toBe(1);
    expect(metrics.samples.find((s) => s.name === 'bops_build_info')?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    // the API docs (swagger-ui serves files from its own package: why packages stay external)
    expect((await fetch(`${url}/api/docs/static/index.html`)).status).toBe(200);

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('upgrades', () => {
  const log = createLogger('error', 'upgrade-test');

  it('two hubs starting together on an empty database apply each migration once and both run', async () => {
    const db = await database(false);
    const dirs = await Promise.all([0, 1].map(() => fs.mkdtemp(path.join(os.tmpdir(), 'bops-twin-'))));
    for (const d of dirs) cleanup.push(() => fs.rm(d, { recursive: true, force: true }));
    const hubs = await Promise.all(dirs.map((d) => Hub.start(loadConfig(hubEnv(db, d)), { log })));
    for (const h of hubs) cleanup.push(() => h.stop());
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const rows = (await c.query<{ migration_name: string }>('SELECT migration_name FROM _prisma_migrations ORDER BY 1')).rows;
      expect(rows.map((r) => r.migration_name)).toEqual((await readMigrations()).map((m) => m.name));
      // one admin, created once
      expect(Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM "User" WHERE username = 'admin'`)).rows[0]!.n)).toBe(1);
    } finally {
      await c.end();
    }
    for (const h of hubs) {
      const res = await fetch(`http://127.0.0.1:${h.httpPort}/api/health`);
      expect({ status: res.status, detail: await h.health() }).toMatchObject({ status: 200 });
    }
  });

  it('a hub on a database from an older version applies the newer migrations and keeps the data', async () => {
    const all = await readMigrations();
    expect(all.length).toBeGreaterThan(1);
    const db = await database(false);
    // the "old version": only the first migration, with data in it
    const old = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-oldmig-'));
    cleanup.push(() => fs.rm(old, { recursive: true, force: true }));
    await fs.cp(path.join(MIGRATIONS_DIR, all[0]!.name), path.join(old, all[0]!.name), { recursive: true });
    await applyMigrations(db.url, { migrationsDir: old });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`INSERT INTO "Site" (id, name) VALUES ('old-site', '旧版本的小区')`);
    await c.end();

    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-upgrade-'));
    cleanup.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const hub = await Hub.start(loadConfig(hubEnv(db, dataDir)), { log });
    cleanup.push(() => hub.stop());
    expect(await hub.db.site.findUnique({ where: { id: 'old-site' } })).toMatchObject({ name: '旧版本的小区' });
    expect(await applyMigrations(db.url)).toEqual({ applied: [] }); // the hub applied the rest
  });
});
