// PostgreSQL down ≠ devices punished (issue 7 item 3), for real: the hub runs on an embedded
// PostgreSQL this test starts, stops in the middle of a QoS1 event stream and starts again.
// Expected: no event lost, no device disconnected, online state unchanged, one log line when the
// outage starts and one when it ends — not one per event.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/mqtt.js';
import { loadConfig } from '../../services/core/config.js';
import { startEmbeddedPostgres, type EmbeddedPg } from '../../services/core/db.js';
import { Hub } from '../../services/hub/hub.js';
import { waitFor } from '../helpers/hub.js';

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

interface Line {
  level: number;
  msg: string;
  mod?: string;
}
const lines: Line[] = [];
const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
const pgLog = pino({ level: 'silent' });

let dir = '';
let pgs: EmbeddedPg | null = null;
let hub: Hub | null = null;
const clients: MqttClient[] = [];
afterAll(async () => {
  for (const c of clients) c.end(true);
  await hub?.stop();
  await pgs?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('event ingest through a PostgreSQL outage', () => {
  it('holds PUBACKs while the database is down: 0 events lost, 0 reconnects, online throughout, one log line each way', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-outage-'));
    await fs.chmod(dir, 0o755); // as root, the embedded postgres runs as `postgres` and must reach it
    const pgPort = await freePort();
    pgs = await startEmbeddedPostgres(dir, pgPort, pgLog);
    const config = loadConfig({
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: '0',
      HUB_MQTT_PORT: '0',
      HUB_DATA_DIR: path.join(dir, 'hub'),
      DATABASE_URL: pgs.url,
      HUB_ADMIN_PASSWORD: 'outage-test-pw',
      HUB_EVENT_RETRY_MS: '400',
    });
    hub = await Hub.start(config, { log });
    const h = hub;
    await h.db.site.create({ data: { id: 's1', name: 's1' } });
    await h.db.building.create({ data: { id: 'b1', siteId: 's1', name: 'b1', floors: 10 } });

    // 10 intercoms with a 2 s keep-alive: a connection blocked for more than 3 s would be cut
    // by the broker (1.5 × keep-alive) and by mqtt.js (no PINGRESP) — either counts below
    const devices = [];
    for (let i = 0; i < 10; i++) {
      const id = `ic-${i}`;
      const { secret } = await h.registry.provision({ id, site: 's1', building: 'b1', class: 'intercom' });
      devices.push({ id, secret, site: 's1', building: 'b1', class: 'intercom' as const, deviceId: id });
    }
    let closes = 0;
    const notOnline: string[] = [];
    h.bus.on('device.status', notOnline, (e) => void (e.state !== 'online' && notOnline.push(`${e.device.deviceId}:${e.state}`)));
    for (const d of devices) {
      const c = await new Promise<MqttClient>((resolve, reject) => {
        const cl = mqtt.connect(`mqtt://127.0.0.1:${h.mqttPort}`, {
          clientId: d.id,
          username: d.id,
          password: d.secret,
          keepalive: 2,
          reconnectPeriod: 500,
        });
        cl.once('connect', () => resolve(cl));
        cl.once('error', reject);
      });
      c.on('close', () => closes++);
      clients.push(c);
    }

    const sent: string[] = [];
    let acked = 0;
    let publishing = true;
    const loops = devices.map(async (d, i) => {
      const c = clients[i]!;
      for (let n = 0; publishing; n++) {
        const id = `${d.id}-e${n}`;
        sent.push(id);
        c.publish(
          topics.event(d),
          JSON.stringify({ v: 1, id, ts: Date.now(), type: 'intercom.door_closed', data: {} }),
          { qos: 1 },
          (err) => {
            if (!err) acked++;
          },
        );
        c.publish(topics.telemetry(d), JSON.stringify({ v: 1, ts: Date.now(), metrics: { calls_waiting: n } }), { qos: 0 });
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    await waitFor(() => acked >= 50, 10_000, 'events flowing');
    await pgs.stop();
    const downAt = Date.now();
    const ackedAtStop = acked;
    // the outage lasts well beyond 1.5 × keep-alive
    await waitFor(() => h.events.holding && h.broker.stats().eventsHeld > 0, 10_000, 'events held');
    await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - downAt))));
    const heldDuringOutage = h.broker.stats().eventsHeld;
    const seenDuringOutage = Math.min(...devices.map((d) => h.registry.get(d.id)!.lastSeenAt ?? 0));
    expect(acked - ackedAtStop).toBeLessThan(60); // only batches already committed at the stop
    expect(seenDuringOutage).toBeGreaterThan(downAt + 3000); // telemetry kept flowing: not silent

    pgs = await startEmbeddedPostgres(dir, pgPort, pgLog);
    await new Promise((r) => setTimeout(r, 1000));
    publishing = false;
    await Promise.all(loops);
    await waitFor(() => acked === sent.length, 30_000, `all PUBACKs (${acked}/${sent.length})`);

    const rows = await h.db.deviceEvent.findMany({ select: { eventId: true } });
    const stored = new Set(rows.map((r) => r.eventId));
    expect(sent.filter((id) => !stored.has(id))).toEqual([]); // 0 lost
    expect(rows).toHaveLength(sent.length); // each once
    expect(heldDuringOutage).toBeGreaterThan(0);
    expect(h.broker.stats().eventsHeld).toBe(0);
    expect(closes).toBe(0); // 0 reconnects
    expect(notOnline).toEqual([]);
    expect(devices.every((d) => h.registry.get(d.id)!.state === 'online')).toBe(true);

    // one line when the outage starts, one when it ends; nothing per event from the edge
    const edge = lines.filter((l) => l.level >= 40 && ['events', 'broker', 'registry'].includes(l.mod ?? ''));
    expect(edge.filter((l) => l.msg.startsWith('database unreachable'))).toHaveLength(1);
    expect(edge.filter((l) => l.msg.startsWith('database reachable again'))).toHaveLength(1);
    expect(edge.length).toBeLessThanOrEqual(3); // + at most the registry's "flush failed" line
    expect(sent.length).toBeGreaterThan(500);
    // and the whole hub stays quiet: a few lines per outage (pool clients, telemetry), not per event
    expect(lines.filter((l) => l.level >= 40).length).toBeLessThan(20);
    h.bus.removeListeners(notOnline);
  });
});
