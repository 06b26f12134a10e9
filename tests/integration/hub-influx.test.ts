// Telemetry through the whole hub into a real InfluxDB 1.6.7 (INFLUX_API=1): device → MQTT →
// contract check → telemetry store → InfluxDB, read back with InfluxQL and through
// GET /api/telemetry; then InfluxDB stopped → points buffered (health shows it) → restarted →
// every point arrives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { topics } from '../../contracts/mqtt.js';
import { api, connectDevice, provision, seedPlace, startTestHub, waitFor, type Provisioned, type TestHub } from '../helpers/hub.js';
import { startInfluxd, type InfluxdHandle } from '../helpers/influx.js';

let influx: InfluxdHandle;
let t: TestHub;
let d: Provisioned;
let c: MqttClient;

beforeAll(async () => {
  influx = await startInfluxd({ db: 'hubtest' });
  t = await startTestHub({ env: { INFLUX_URL: influx.url, INFLUX_API: '1', INFLUX_DB: 'hubtest', TELEMETRY_FLUSH_MS: '50' } });
  await seedPlace(t);
  d = await provision(t, 'pm-tele', 'power');
  c = await connectDevice(t, d);
});
afterAll(async () => {
  c?.end(true);
  await t?.close();
  await influx?.stop();
});

const count = async () => {
  const r = await influx.influxql(`SELECT count(voltage_v) FROM telemetry WHERE "deviceId" = '${d.id}'`, 'hubtest');
  return Number(r[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
};

function publishBurst(from: number, n: number): Promise<void> {
  for (let i = 0; i < n - 1; i++) {
    c.publish(
      topics.telemetry(d),
      JSON.stringify({
        v: 1,
        ts: from + i * 1000,
        metrics: { voltage_v: 380 + (i % 5), current_a: 200, power_kw: 130, frequency_hz: 50, on_generator: false },
      }),
      { qos: 0 },
    );
  }
  // the last one QoS1: its PUBACK means the hub has taken all of them
  return new Promise((r) =>
    c.publish(
      topics.telemetry(d),
      JSON.stringify({
        v: 1,
        ts: from + (n - 1) * 1000,
        metrics: { voltage_v: 381, current_a: 200, power_kw: 130, frequency_hz: 50, on_generator: false },
      }),
      { qos: 1 },
      () => r(),
    ),
  );
}

describe('hub → InfluxDB 1.6.7', () => {
  it('stores telemetry published by a device and serves it for charts', async () => {
    const t0 = Date.now() - 10 * 60_000;
    await publishBurst(t0, 50);
    await waitFor(async () => (await count()) === 50, 10_000, '50 points in InfluxDB');
    const h = await api<{ telemetry: { backend: string; ok: boolean } }>(t, 'GET', '/api/health');
    expect(h.body.telemetry).toMatchObject({ backend: 'influx-v1', ok: true });
    const s = await api<{ points: Array<[number, number | null]> }>(
      t,
      'GET',
      `/api/telemetry?deviceId=${d.id}&metric=voltage_v&from=${t0 - 1000}&to=${t0 + 50_000}&step=1000`,
    );
    expect(s.status).toBe(200);
    expect(s.body.points.filter((p) => p[1] !== null)).toHaveLength(50);
  });

  it('keeps points while InfluxDB is down and delivers all of them after it restarts', async () => {
    await influx.terminate();
    const t1 = Date.now() - 5 * 60_000;
    await publishBurst(t1, 200);
    const down = await waitFor(
      async () => {
        const h = await api<{ telemetry: { ok: boolean; buffered: number; dropped: number } }>(t, 'GET', '/api/health');
        return !h.body.telemetry.ok && h.body.telemetry.buffered >= 200 ? h.body.telemetry : null;
      },
      10_000,
      'buffering while InfluxDB is down',
    );
    expect(down.dropped).toBe(0);
    await influx.restart();
    await waitFor(async () => (await count().catch(() => 0)) === 250, 15_000, 'all 250 points after the restart');
    const h = await api<{ telemetry: { ok: boolean; buffered: number; dropped: number } }>(t, 'GET', '/api/health');
    expect(h.body.telemetry).toMatchObject({ ok: true, buffered: 0, dropped: 0 });
  });
});
