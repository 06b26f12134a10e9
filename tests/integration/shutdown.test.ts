// Ctrl-C in a terminal (issue 7 item 6): the terminal sends SIGINT to the whole foreground
// process group. The hub runs as `npm start` does it (tsx services/hub/main.ts) in a process
// group of its own, with the embedded PostgreSQL, and gets SIGINT *to the group*. Before, the
// embedded PostgreSQL (same group) died at the same moment and the final flush failed; now it
// must stop last: exit 0, every telemetry point and the devices' final state in the database.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/mqtt.js';
import { startEmbeddedPostgres } from '../../services/core/db.js';
import { createLogger } from '../../services/core/logger.js';
import { connectRaw, waitFor } from '../helpers/hub.js';
import { freePort } from '../helpers/influx.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let child: ChildProcess | null = null;
let dataDir = '';
let device: MqttClient | null = null;

afterAll(async () => {
  device?.end(true);
  if (child && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid!, 'SIGKILL');
  }
  if (dataDir) {
    // a postgres left behind by a failed run: the hub's own orphan handling stops it
    const pgAfter = await startEmbeddedPostgres(dataDir, await freePort(), createLogger('silent')).catch(() => null);
    await pgAfter?.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});

describe('Ctrl-C (SIGINT to the process group)', () => {
  it('stops in order: no point dropped, final device state written, exit 0', async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-sigint-'));
    await fs.chmod(dataDir, 0o755);
    const pgPort = await freePort();
    child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['services/hub/main.ts'], {
      cwd: ROOT,
      detached: true, // its own process group, like a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HUB_HOST: '127.0.0.1',
        HUB_HTTP_PORT: '0',
        HUB_MQTT_PORT: '0',
        HUB_EMBEDDED_PG_PORT: String(pgPort),
        HUB_DATA_DIR: dataDir,
        HUB_DEMO: '0',
        HUB_ADMIN_PASSWORD: 'sigint-test-pw',
        HUB_LOG_LEVEL: 'info',
        // points wait in the buffer until the shutdown's final flush
        TELEMETRY_FLUSH_MS: '60000',
      },
    });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      child!.once('exit', (code, signal) => r({ code, signal })),
    );

    const ports = await waitFor(
      () => {
        const http = /Dashboard 控制台:\s+http:\/\/[^:]+:(\d+)\//.exec(out)?.[1];
        const mqtt = /MQTT \(TCP\):\s+mqtt:\/\/[^:]+:(\d+)/.exec(out)?.[1];
        return http && mqtt ? { http: Number(http), mqtt: Number(mqtt) } : null;
      },
      90_000,
      'the start banner',
    );
    const base = `http://127.0.0.1:${ports.http}`;

    // a place and a device (the database is the hub's embedded one; its password is in the data dir)
    const password = (await fs.readFile(path.join(dataDir, 'pg-password'), 'utf8')).trim();
    const dbUrl = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/bops`;
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    await c.query(`INSERT INTO "Site" (id, name) VALUES ('s1', 'site')`);
    await c.query(`INSERT INTO "Building" (id, "siteId", name, floors) VALUES ('b1', 's1', 'building', 5)`);
    await c.end();
    const login = (await (
      await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'sigint-test-pw', token: true }),
      })
    ).json()) as { token: string };
    const created = await fetch(`${base}/api/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'pm-sigint', site: 's1', building: 'b1', class: 'power' }),
    });
    const { secret } = (await created.json()) as { secret: string };
    const d = { deviceId: 'pm-sigint', site: 's1', building: 'b1', class: 'power' as const };
    device = await connectRaw(`mqtt://127.0.0.1:${ports.mqtt}`, { clientId: d.deviceId, username: d.deviceId, password: secret });

    const n = 60;
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < n - 1; i++)
      device.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: t0 + i * 100, metrics: { voltage_v: 300 + i } }), { qos: 0 });
    await new Promise<void>((r) =>
      device!.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: t0 + (n - 1) * 100, metrics: { voltage_v: 999 } }), { qos: 1 }, () =>
        r(),
      ),
    );

    process.kill(-child.pid!, 'SIGINT'); // what Ctrl-C does: the whole group
    const { code } = await exited;
    device.end(true);
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).not.toContain('unsent points');
    expect(out).not.toMatch(/"level":50/); // no error logged during the stop

    // the database, started again on its own: every point, the final device state, no drop counted
    const pgAgain = await startEmbeddedPostgres(dataDir, pgPort, createLogger('silent'));
    try {
      const q = new pg.Client({ connectionString: dbUrl });
      q.on('error', () => undefined);
      await q.connect();
      const points = await q.query(`SELECT count(*)::int AS n FROM telemetry.msg WHERE device_id = 'pm-sigint'`);
      expect(points.rows[0].n).toBe(n);
      const dev = await q.query(`SELECT state, "lastTelemetry" FROM "Device" WHERE id = 'pm-sigint'`);
      // the last reading and the last transition (the hub's own stop ends the connection: not online)
      expect(dev.rows[0].lastTelemetry).toEqual({ voltage_v: 999 });
      expect(['offline', 'lost']).toContain(dev.rows[0].state);
      const dropped = await q.query(`SELECT value FROM "HubCounter" WHERE name = 'telemetry.dropped'`);
      expect(Number(dropped.rows[0]?.value ?? 0)).toBe(0);
      await q.end();
    } finally {
      await pgAgain.stop();
    }
  });
});
