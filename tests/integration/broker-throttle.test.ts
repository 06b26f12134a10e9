// Connect throttling (issue 12, broker/throttle.ts), for real: the hub's aedes broker over TCP,
// raw MQTT CONNECTs from tests/helpers/mqtt-raw.ts, devices provisioned in PostgreSQL, the
// counters read from GET /metrics. The rate is set low so that a burst of a few dozen CONNECTs
// is far beyond it; nothing here asserts how long anything took.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision, seedPlace, startTestHub, type Provisioned, type TestHub } from '../helpers/hub.js';
import { rawConnect, type RawConn } from '../helpers/mqtt-raw.js';
import { parseProm } from '../helpers/prom.js';

const RATE = 40; // CONNECTs per second
const BURST = 5;
const N = 60;

let t: TestHub;
let devices: Provisioned[] = [];
const conns: RawConn[] = [];

beforeAll(async () => {
  t = await startTestHub({
    env: { HUB_MQTT_CONNECT_RATE: String(RATE), HUB_MQTT_CONNECT_BURST: String(BURST), HUB_MQTT_CONNECT_QUEUE: '1000' },
  });
  await seedPlace(t);
  devices = [];
  for (let i = 0; i < N; i++) devices.push(await provision(t, `storm-${i}`, 'elevator'));
}, 60_000);
afterAll(async () => {
  for (const c of conns) c.sock.destroy();
  await t?.close();
});

async function counters() {
  const r = await fetch(`${t.http}/metrics`);
  expect(r.status).toBe(200);
  const m = parseProm(await r.text());
  return {
    throttled: m.value('bops_mqtt_connects_throttled_total') ?? NaN,
    shed: m.value('bops_mqtt_connects_shed_total') ?? NaN,
    queue: m.value('bops_mqtt_connect_queue') ?? NaN,
    connected: m.value('bops_mqtt_connections') ?? NaN,
  };
}

function closeAll(): void {
  for (const c of conns.splice(0)) c.sock.destroy();
}

describe('a connect storm beyond the rate', () => {
  it('every device of the burst is connected, none dropped, and the excess waited in the throttle', async () => {
    const before = await counters();
    const t0 = performance.now();
    // all N CONNECTs at once, from one address, as after a site's network came back
    const results = await Promise.all(
      devices.map((d) =>
        rawConnect(t.hub.mqttPort, { clientId: d.id, username: d.id, password: d.secret }).then((r) => (conns.push(r.conn), r)),
      ),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    expect(results.map((r) => r.returnCode)).toEqual(devices.map(() => 0));
    const after = await counters();
    expect(after.connected).toBe(N);
    expect(after.shed - before.shed).toBe(0);
    expect(after.queue).toBe(0);
    // the bucket let through at most BURST at once plus RATE per second of the whole burst;
    // every other CONNECT had to wait (a bound from the time the burst actually took, so a slow
    // machine weakens it but cannot fail it)
    const throttled = after.throttled - before.throttled;
    expect(throttled).toBeGreaterThan(0);
    expect(throttled).toBeGreaterThanOrEqual(N - BURST - Math.ceil(RATE * elapsedS));
    // and they are online for the hub, not just CONNACKed
    const online = devices.filter((d) => t.hub.registry.get(d.id)?.state === 'online').length;
    expect(online).toBe(N);
    closeAll();
  });

  it('past the queue bound a CONNECT gets CONNACK 3 (server unavailable), counted; the device retrying later connects', async () => {
    // HUB_MQTT_ACCEPT_QUEUE=0: no socket waits unread for the full throttle (next test), so the
    // throttle's own bound is what answers
    await t.restart({ HUB_MQTT_CONNECT_RATE: '5', HUB_MQTT_CONNECT_BURST: '2', HUB_MQTT_CONNECT_QUEUE: '5', HUB_MQTT_ACCEPT_QUEUE: '0' });
    const group = devices.slice(0, 30);
    const before = await counters();
    const results = await Promise.all(
      group.map((d) =>
        rawConnect(t.hub.mqttPort, { clientId: d.id, username: d.id, password: d.secret }).then((r) => (conns.push(r.conn), r)),
      ),
    );
    const codes = results.map((r) => r.returnCode);
    // only 0 (admitted, possibly after waiting) or 3 (queue full): never a silent close
    expect(codes.filter((c) => c !== 0 && c !== 3)).toEqual([]);
    const refused = group.filter((_, i) => codes[i] === 3);
    // 30 at once against 2 at once + 5 waiting: most are refused
    expect(refused.length).toBeGreaterThan(0);
    const after = await counters();
    expect(after.shed - before.shed).toBe(refused.length);
    expect(after.connected).toBe(group.length - refused.length);
    // a refused device was not left half-registered: it retries (one at a time, as a device's
    // back-off would spread them) and gets in
    for (const d of refused) {
      const r = await rawConnect(t.hub.mqttPort, { clientId: d.id, username: d.id, password: d.secret });
      conns.push(r.conn);
      expect(r.returnCode).toBe(0);
    }
    expect((await counters()).connected).toBe(group.length);
    closeAll();
  });

  it('while the throttle is full, further connections wait unread in the accept queue instead of being refused', async () => {
    await t.restart({
      HUB_MQTT_CONNECT_RATE: '15',
      HUB_MQTT_CONNECT_BURST: '2',
      HUB_MQTT_CONNECT_QUEUE: '5',
      HUB_MQTT_ACCEPT_QUEUE: '100',
    });
    const group = devices.slice(0, 30);
    const before = await counters();
    // watch the accept queue while the burst is admitted (a scrape per 50 ms; no timing asserted)
    let watching = true;
    let acceptQueueMax = 0;
    const watcher = (async () => {
      while (watching) {
        const r = await fetch(`${t.http}/metrics`);
        acceptQueueMax = Math.max(acceptQueueMax, parseProm(await r.text()).value('bops_mqtt_accept_queue') ?? 0);
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    const results = await Promise.all(
      group.map((d) =>
        rawConnect(t.hub.mqttPort, { clientId: d.id, username: d.id, password: d.secret }).then((r) => (conns.push(r.conn), r)),
      ),
    );
    watching = false;
    await watcher;
    // 30 at once against 2 at once + 5 waiting in the throttle: the rest waited in the accept
    // queue (unread), none was refused, and all are connected
    expect(results.map((r) => r.returnCode)).toEqual(group.map(() => 0));
    const after = await counters();
    expect(after.shed - before.shed).toBe(0);
    expect(after.connected).toBe(group.length);
    expect(acceptQueueMax).toBeGreaterThan(0);
    expect((await fetch(`${t.http}/metrics`).then(async (r) => parseProm(await r.text()))).value('bops_mqtt_accept_queue')).toBe(0);
    closeAll();
  });

  it('HUB_MQTT_CONNECT_RATE=0 turns the throttle off: a burst is never queued', async () => {
    await t.restart({ HUB_MQTT_CONNECT_RATE: '0' });
    const before = await counters();
    const results = await Promise.all(
      devices.map((d) =>
        rawConnect(t.hub.mqttPort, { clientId: d.id, username: d.id, password: d.secret }).then((r) => (conns.push(r.conn), r)),
      ),
    );
    expect(results.map((r) => r.returnCode)).toEqual(devices.map(() => 0));
    const after = await counters();
    expect(after.throttled - before.throttled).toBe(0);
    expect(after.connected).toBe(N);
    closeAll();
  });
});
