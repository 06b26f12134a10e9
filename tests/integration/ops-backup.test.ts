// `npm run backup` / `npm run restore` (issue 15): the CLI scripts, run as an operator would,
// against a real hub on the embedded PostgreSQL. A backup taken while the hub runs, restored
// into a fresh data directory, gives a hub with the same incidents (and logins, and numbering);
// the same file restores into an external PostgreSQL (DATABASE_URL).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncidentView } from '../../contracts/incidents.js';
import { topics } from '../../contracts/mqtt.js';
import { loadConfig } from '../../services/core/config.js';
import { createLogger } from '../../services/core/logger.js';
import { Hub } from '../../services/hub/hub.js';
import { ADMIN_PASSWORD, api, connectDevice, login, provision, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';
import { createTestDatabase } from '../helpers/pg.js';

const run = promisify(execFile);

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

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-backup-'));
  await fs.chmod(d, 0o755); // the embedded postgres user must be able to traverse it (ENVIRONMENT-NOTES)
  cleanup.push(() => fs.rm(d, { recursive: true, force: true }));
  return d;
}

/** Run `npm run backup|restore` the way package.json does (tsx), with the hub's environment. */
async function cli(script: 'backup' | 'restore', args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
      env: { PATH: process.env.PATH ?? '', HUB_LOG_LEVEL: 'warn', ...env },
      timeout: 120_000,
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

async function embeddedHub(dataDir: string): Promise<TestHub> {
  const env = {
    HUB_HOST: '127.0.0.1',
    HUB_HTTP_PORT: '0',
    HUB_MQTT_PORT: '0',
    HUB_DATA_DIR: dataDir,
    HUB_EMBEDDED_PG_PORT: String(await freePort()),
    HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HUB_LOG_LEVEL: 'error',
  };
  const hub = await Hub.start(loadConfig(env), { log: createLogger('error', 'backup-test') });
  const t: TestHub = {
    hub,
    db: { url: hub.databaseUrl, name: 'bops', drop: async () => {} },
    env,
    http: `http://127.0.0.1:${hub.httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${hub.mqttPort}`,
    token: '',
    close: () => hub.stop(),
    restart: () => Promise.reject(new Error('not used')),
  };
  cleanup.push(() => hub.stop());
  t.token = (await login(t, 'admin', ADMIN_PASSWORD)).token;
  return t;
}

// not the state: the restored fire alarm's acknowledgement timer keeps running (and may escalate)
const board = async (t: TestHub) =>
  (await api<IncidentView[]>(t, 'GET', '/api/incidents?state=all')).body
    .map((i) => ({ id: i.id, number: i.number, kind: i.kind, title: i.title, open: i.open }))
    .sort((a, b) => a.number - b.number);

describe('backup and restore (embedded PostgreSQL)', () => {
  it('a backup of a running hub restores into a fresh data dir with the same incidents', async () => {
    const dirA = await tempDir();
    const dirB = await tempDir();
    const file = path.join(await tempDir(), 'hub.backup.gz');

    const a = await embeddedHub(dirA);
    await seedPlace(a);
    await a.hub.db.unit.create({ data: { buildingId: 'bldg-1', number: '801', floor: 8, ownerName: '林' } });
    const fp = await provision(a, 'fp-bk', 'fire-panel');
    const c = await connectDevice(a, fp);
    await c.publishAsync(
      topics.event(fp),
      JSON.stringify({ v: 1, id: 'bk-1', ts: Date.now(), type: 'fire.alarm', data: { zone: 'z2', floor: 8, detector: 'heat' } }),
      { qos: 1 },
    );
    await c.endAsync();
    const visit = await api<{ id: string }>(a, 'POST', '/api/visits', { building: 'bldg-1', unit: '801', visitorName: '备份测试' });
    expect(visit.status).toBe(201);
    expect((await api(a, 'POST', `/api/visits/${visit.body.id}/deny`, { channel: 'phone' })).status).toBe(200);
    const before = await board(a);
    expect(before.map((i) => i.kind).sort()).toEqual(['fire_alarm', 'visitor_approval']);

    // hot backup: the hub keeps running (a consistent snapshot through its own postgres)
    const b = await cli('backup', ['--out', file], { HUB_DATA_DIR: dirA });
    expect(b.out).toContain("running hub's embedded PostgreSQL");
    expect(b.code).toBe(0);
    expect((await fs.stat(file)).mode & 0o077).toBe(0); // personal data and password hashes: owner only
    // made after the backup: must not come back
    await api(a, 'POST', '/api/visits', { building: 'bldg-1', unit: '801', visitorName: '备份之后' });
    expect((await board(a)).length).toBe(3);
    await a.hub.stop();

    // the hub must be stopped for a restore; an empty fresh dir is initialised
    const r = await cli('restore', [file], { HUB_DATA_DIR: dirB });
    expect(r.out).toMatch(/restored \d+ rows/);
    expect(r.code).toBe(0);

    const restored = await embeddedHub(dirB);
    expect(await board(restored)).toEqual(before);
    // same logins (the admin password of hub A), numbering continues after the restored incidents
    expect((await login(restored, 'admin', ADMIN_PASSWORD)).status).toBe(200);
    const next = await api<{ number: number }>(restored, 'POST', '/api/visits', {
      building: 'bldg-1',
      unit: '801',
      visitorName: '恢复之后',
    });
    expect(next.body.number).toBe(Math.max(...before.map((i) => i.number)) + 1);

    // a restore into a data dir a hub is running on is refused
    const busy = await cli('restore', [file], { HUB_DATA_DIR: dirB });
    expect(busy.code).not.toBe(0);
    expect(busy.out).toMatch(/HUB_ERR_DATA_DIR_IN_USE.*stop it before restoring/);
    await restored.hub.stop();
    // and one into a database that has data needs --force (which replaces it)
    const refused = await cli('restore', [file], { HUB_DATA_DIR: dirB });
    expect(refused.code).not.toBe(0);
    expect(refused.out).toMatch(/HUB_ERR_RESTORE_NOT_EMPTY.*--force/);

    // a cold backup of the stopped hub A (postgres started for the job) has all three incidents
    const cold = path.join(path.dirname(file), 'cold.backup.gz');
    const cb = await cli('backup', ['--out', cold], { HUB_DATA_DIR: dirA });
    expect(cb.code).toBe(0);
    expect(cb.out).toContain(`embedded PostgreSQL in ${dirA}`);
    const forced = await cli('restore', [cold, '--force'], { HUB_DATA_DIR: dirB });
    expect(forced.code).toBe(0);
    const again = await embeddedHub(dirB);
    expect((await board(again)).map((i) => i.title)).toEqual(expect.arrayContaining([expect.stringContaining('备份之后')]));
    await again.hub.stop();

    // the way from the zero-setup start to production: the same file into an external PostgreSQL
    const external = await createTestDatabase({ migrate: false });
    cleanup.push(() => external.drop());
    const x = await cli('restore', [file], { DATABASE_URL: external.url, HUB_DATA_DIR: dirB });
    expect(x.code).toBe(0);
    const prod = await startTestHub({ db: external });
    cleanup.push(() => prod.close());
    expect(await board(prod)).toEqual(before);
  }, 240_000); // three embedded PostgreSQL starts and five CLI runs: ~30 s alone, more on a busy CI

  it('refuses a file that is not a complete backup', async () => {
    const dir = await tempDir();
    const bad = path.join(dir, 'bad.gz');
    const { gzipSync } = await import('node:zlib');
    await fs.writeFile(
      bad,
      gzipSync('-- bops-backup 1\n-- meta {"createdAt":1,"server":"18","migrations":[],"sequences":{},"skipped":[]}\n'),
    );
    const external = await createTestDatabase({ migrate: false });
    cleanup.push(() => external.drop());
    // a data dir without an embedded database is not backed up as an empty one made up for it
    const none = await cli('backup', ['--out', path.join(dir, 'x.gz')], { HUB_DATA_DIR: dir });
    expect(none.code).not.toBe(0);
    expect(none.out).toMatch(/no embedded database in .*set DATABASE_URL/);
    await expect(fs.stat(path.join(dir, 'pg'))).rejects.toThrow();
    const r = await cli('restore', [bad], { DATABASE_URL: external.url, HUB_DATA_DIR: dir });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/incomplete/);
    await fs.writeFile(bad, gzipSync('hello\n'));
    expect((await cli('restore', [bad], { DATABASE_URL: external.url, HUB_DATA_DIR: dir })).out).toMatch(/not a hub backup/);
  });
});
