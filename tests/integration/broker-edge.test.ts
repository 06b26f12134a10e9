// The MQTT edge under hostile and careless input (issue 7 items 1, 2, 7–10), for real: the hub's
// aedes broker over TCP, mqtt.js devices, raw packets from tests/helpers/mqtt-raw.ts, PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../contracts/mqtt.js';
import type { CommandUpdate } from '../../services/core/bus.js';
import { connectDevice, connectRaw, provision, seedPlace, startTestHub, waitFor, type Provisioned, type TestHub } from '../helpers/hub.js';
import { fixedHeader, rawConnect, rawSocket } from '../helpers/mqtt-raw.js';

let t: TestHub;
const clients: MqttClient[] = [];
const track = (c: MqttClient) => (clients.push(c), c);
const MB = 1024 * 1024;

beforeAll(async () => {
  t = await startTestHub({
    env: {
      // short bans so the test sees one expire; thresholds as configured in production
      HUB_MQTT_BAN_ADDRESS_FAILS: '10',
      HUB_MQTT_BAN_CLIENT_FAILS: '5',
      HUB_MQTT_BAN_WINDOW_S: '60',
      HUB_MQTT_BAN_S: '1.5',
      HUB_MQTT_BAN_MAX_S: '10',
    },
  });
  await seedPlace(t);
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await t?.close();
});

function publish(c: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 = 1, retain = false): Promise<void> {
  return new Promise((resolve, reject) => c.publish(topic, payload, { qos, retain }, (err) => (err ? reject(err) : resolve())));
}
/** A publish that must be acknowledged within `ms` (a missing PUBACK fails instead of hanging). */
function publishAcked(c: MqttClient, topic: string, payload: string | Buffer, ms = 5000): Promise<void> {
  return Promise.race([
    publish(c, topic, payload, 1),
    new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no PUBACK within ${ms} ms`)), ms)),
  ]);
}
const reasons = () => t.hub.rejections.reasons();
const delta = (before: Record<string, number>, r: string) => (reasons()[r] ?? 0) - (before[r] ?? 0);
const commandUpdates = () => {
  const seen: CommandUpdate[] = [];
  t.hub.bus.on('command.updated', seen, (u) => void seen.push(u));
  return seen;
};

describe('late commands (item 1)', () => {
  let ic: Provisioned;
  beforeAll(async () => {
    ic = await provision(t, 'ic-late', 'intercom');
  });

  it('a device asking for a persistent session gets a clean one: a command failed while it was away never arrives', async () => {
    const first = await connectDevice(t, ic, { clean: false });
    await first.subscribeAsync(topics.commandFilter(ic), { qos: 1 });
    await first.endAsync();
    await waitFor(() => t.hub.registry.get(ic.id)?.state === 'offline');

    const failed = await t.hub.commands.send(ic.id, 'unlock', { seconds: 5 }, { ttlMs: 60_000 });
    expect(failed).toMatchObject({ state: 'failed', result: { reason: 'device not connected' } });

    // the intercom comes back with clean session off, as the field unit in the report did
    const received: string[] = [];
    const [back, sessionPresent] = await new Promise<[MqttClient, boolean]>((resolve, reject) => {
      const c = mqtt.connect(t.mqttUrl, { clientId: ic.id, username: ic.id, password: ic.secret, clean: false, reconnectPeriod: 0 });
      c.on('message', (_topic, payload) => received.push((JSON.parse(payload.toString()) as { corr: string }).corr));
      c.once('connect', (ack) => resolve([c, ack.sessionPresent]));
      c.once('error', reject);
    });
    track(back);
    expect(sessionPresent).toBe(false); // told truthfully: nothing was kept
    await back.subscribeAsync(topics.commandFilter(ic), { qos: 1 });
    const sent = await t.hub.commands.send(ic.id, 'unlock', { seconds: 5 }, { ttlMs: 60_000 });
    expect(sent.state).toBe('sent');
    await waitFor(() => received.includes(sent.corr), 5000, 'the second unlock');
    expect(received).toEqual([sent.corr]); // never the one the front desk saw fail
    expect(t.hub.broker.stats().sessionsMadeClean).toBeGreaterThanOrEqual(2);
  });

  it('a late result for a failed or an expired command is recorded on the row and announced', async () => {
    const c = track(await connectDevice(t, ic));
    await c.subscribeAsync(topics.commandFilter(ic), { qos: 1 });
    const updates = commandUpdates();
    // expired: the device stays silent past exp, then answers
    const cmd = await t.hub.commands.send(ic.id, 'unlock', { seconds: 3 }, { ttlMs: 300 });
    await waitFor(() => updates.some((u) => u.corr === cmd.corr && u.state === 'expired'), 5000, 'expiry');
    const res = { v: 1, corr: cmd.corr, ok: true, ts: Date.now(), data: { opened: true } };
    await publish(c, topics.commandResult(ic, 'unlock'), JSON.stringify(res));
    const late = await waitFor(() => updates.find((u) => u.corr === cmd.corr && u.result?.lateResult), 5000, 'late result');
    expect(late.state).toBe('expired');
    expect(late.result).toMatchObject({ reason: 'no confirmation before expiry', lateResult: { ok: true, data: { opened: true } } });
    const row = await t.hub.db.deviceCommand.findUnique({ where: { corr: cmd.corr } });
    expect(row).toMatchObject({ state: 'expired', result: { lateResult: { ok: true, ts: res.ts } } });

    // failed (device was not connected when it was sent): a result arriving later is recorded too
    await c.endAsync();
    await waitFor(() => t.hub.registry.get(ic.id)?.state === 'offline');
    const failed = await t.hub.commands.send(ic.id, 'unlock', { seconds: 3 }, { ttlMs: 60_000 });
    expect(failed.state).toBe('failed');
    const again = track(await connectDevice(t, ic));
    await publish(again, topics.commandResult(ic, 'unlock'), JSON.stringify({ ...res, corr: failed.corr, ok: false }));
    await waitFor(() => updates.find((u) => u.corr === failed.corr && u.result?.lateResult), 5000, 'late result of a failed command');
    const failedRow = await t.hub.db.deviceCommand.findUnique({ where: { corr: failed.corr } });
    expect(failedRow).toMatchObject({ state: 'failed', result: { reason: 'device not connected', lateResult: { ok: false } } });
    t.hub.bus.removeListeners(updates);
  });
});

describe('poison payloads (item 2)', () => {
  it('NUL or a lone surrogate in an event: acknowledged, discarded, counted; the next event is stored; no reconnect', async () => {
    const ic = await provision(t, 'ic-poison', 'intercom');
    let reconnects = 0;
    const c = track(await connectDevice(t, ic, { reconnectPeriod: 500 }));
    c.on('close', () => reconnects++);
    const before = reasons();
    const call = (id: string, visitorName: string) =>
      JSON.stringify({ v: 1, id, ts: Date.now(), type: 'intercom.call', data: { unit: '1201', visitorName } });
    await publishAcked(c, topics.event(ic), call('bad-nul', '\u0000'));
    await publishAcked(c, topics.event(ic), call('bad-surrogate', 'Li\ud800'));
    await publishAcked(c, topics.event(ic), call('good-1', '王小明'));
    const rows = await waitFor(async () => {
      const r = await t.hub.db.deviceEvent.findMany({ where: { deviceId: ic.id } });
      return r.length > 0 ? r : null;
    });
    expect(rows.map((r) => r.eventId)).toEqual(['good-1']);
    expect(delta(before, 'bad_text')).toBe(2);
    expect(t.hub.rejections.device(ic.id).bad_text).toBe(2);
    expect(reconnects).toBe(0);
    expect(c.connected).toBe(true);
  });
});

describe('retain flags and result topics (item 10)', () => {
  const retainedOn = (topic: string) =>
    new Promise<unknown[]>((resolve) => {
      const found: unknown[] = [];
      const persistence = (
        t.hub.broker.aedes as unknown as { persistence: { createRetainedStreamCombi(p: string[]): NodeJS.ReadableStream } }
      ).persistence;
      const s = persistence.createRetainedStreamCombi([topic]);
      s.on('data', (p: unknown) => found.push(p));
      s.on('end', () => resolve(found));
    });

  it('keeps only status retained; event, telemetry and cmd/…/res lose their retain flag', async () => {
    const el = await provision(t, 'el-retain', 'elevator');
    const c = track(await connectDevice(t, el));
    const now = Date.now();
    await publish(c, topics.status(el), JSON.stringify({ v: 1, state: 'online', ts: now }), 1, true);
    await publish(c, topics.event(el), JSON.stringify({ v: 1, id: 'r1', ts: now, type: 'elevator.fault', data: { code: 'E1' } }), 1, true);
    await publish(c, topics.telemetry(el), JSON.stringify({ v: 1, ts: now, metrics: { floor: 3 } }), 1, true);
    await publish(c, topics.commandResult(el, 'recall'), JSON.stringify({ v: 1, corr: 'nope', ok: true, ts: now, data: {} }), 1, true);
    expect(await retainedOn(topics.status(el))).toHaveLength(1);
    expect(await retainedOn(topics.event(el))).toEqual([]);
    expect(await retainedOn(topics.telemetry(el))).toEqual([]);
    expect(await retainedOn(topics.commandResult(el, 'recall'))).toEqual([]);
  });

  it('refuses and counts a result for a command the device class does not have', async () => {
    const el = await provision(t, 'el-res', 'elevator');
    const c = track(await connectDevice(t, el));
    const res = JSON.stringify({ v: 1, corr: 'c1', ok: true, ts: Date.now(), data: {} });
    const results: string[] = [];
    t.hub.bus.on('device.command_result', results, (e) => void results.push(e.command));
    await publishAcked(c, topics.commandResult(el, 'frobnicate'), res);
    await publishAcked(c, topics.commandResult(el, 'unlock'), res); // an intercom command
    await publishAcked(c, topics.commandResult(el, 'constructor'), res);
    await publishAcked(c, topics.commandResult(el, 'recall'), res); // its own: passed on
    await waitFor(() => results.length === 1);
    expect(results).toEqual(['recall']);
    expect(t.hub.rejections.device(el.id).unknown_command).toBe(3);
    expect(c.connected).toBe(true);
    t.hub.bus.removeListeners(results);
  });
});

describe('protocol-level refusals are counted (item 9)', () => {
  it('wildcards and too many levels in a PUBLISH topic, garbage bytes, MQTT 5: connection closed, counted by reason', async () => {
    const d = await provision(t, 'el-proto', 'elevator');
    const before = reasons();
    const login = { clientId: d.id, username: d.id, password: d.secret };

    const a = await rawConnect(t.hub.mqttPort, login);
    expect(a.returnCode).toBe(0);
    a.conn.send({ cmd: 'publish', topic: `${topics.event(d)}/+`, payload: Buffer.from('{}'), qos: 0, retain: false, dup: false });
    await a.conn.whenClosed;

    const b = await rawConnect(t.hub.mqttPort, login);
    const deep = `${topics.event(d)}${'/x'.repeat(20)}`;
    b.conn.send({ cmd: 'publish', topic: deep, payload: Buffer.from('{}'), qos: 0, retain: false, dup: false });
    await b.conn.whenClosed;

    // someone points an HTTP client at the MQTT port
    const g = await rawSocket(t.hub.mqttPort);
    g.sock.write('GET / HTTP/1.1\r\nHost: hub\r\n\r\n');
    await g.whenClosed;

    // a current third-party client speaking MQTT 5 (aedes 1.2 speaks 3.1.1)
    await expect(connectRaw(t.mqttUrl, { ...login, protocolVersion: 5 })).rejects.toThrow();

    await waitFor(
      () =>
        delta(before, 'protocol_wildcard') === 1 &&
        delta(before, 'protocol_topic_levels') === 1 &&
        delta(before, 'protocol_garbage') === 1 &&
        delta(before, 'protocol_version') === 1,
      5000,
      `protocol refusals counted (${JSON.stringify(reasons())})`,
    );
    expect(t.hub.rejections.device(d.id)).toMatchObject({ protocol_wildcard: 1, protocol_topic_levels: 1 });
  });
});

describe('packet-size limit (item 7)', () => {
  it('a CONNECT whose header claims 100 MB is cut before its body is buffered, and counted', async () => {
    const before = reasons();
    const rss0 = process.memoryUsage().rss;
    const s = await rawSocket(t.hub.mqttPort);
    s.sock.write(fixedHeader(0x10, 100 * MB));
    const chunk = Buffer.alloc(MB, 0x41);
    let written = 0;
    const deadline = Date.now() + 15_000;
    while (!s.closed && written < 100 * MB && Date.now() < deadline) {
      if (!s.sock.write(chunk)) await Promise.race([new Promise((r) => s.sock.once('drain', r)), s.whenClosed]);
      written += chunk.length;
    }
    await Promise.race([s.whenClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('still open')), 5000))]);
    // what got out before the reset sat in kernel buffers, not in the hub
    expect(written).toBeLessThan(32 * MB);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(40 * MB);
    await waitFor(() => delta(before, 'packet_too_large') === 1);
  });

  it('after login, a packet over HUB_MQTT_MAX_PACKET closes the connection; one under it does not', async () => {
    const d = await provision(t, 'el-big', 'elevator');
    const before = reasons();
    const c = track(await connectDevice(t, d));
    // 100 KiB: within the packet limit, so only the contract's payload limit refuses it (acked)
    await publishAcked(c, topics.event(d), Buffer.alloc(100 * 1024, 0x20));
    expect(t.hub.rejections.device(d.id).oversize).toBe(1);
    expect(c.connected).toBe(true);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(topics.event(d), Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('connection kept')), 5000))]);
    await waitFor(() => t.hub.rejections.device(d.id).packet_too_large === 1);
    expect(delta(before, 'packet_too_large')).toBe(1);
  });
});

describe('failed CONNECTs back off (item 8)', () => {
  it('50 wrong secrets for one device: after 5 the id is refused unchecked; its own address still connects; the ban expires', async () => {
    const x = await provision(t, 'el-target', 'elevator');
    const ok = await rawConnect(t.hub.mqttPort, { clientId: x.id, username: x.id, password: x.secret }); // from 127.0.0.1
    expect(ok.returnCode).toBe(0);
    ok.conn.sock.destroy();

    const registry = t.hub.registry;
    const realAuth = registry.authenticate.bind(registry);
    let checked = 0;
    registry.authenticate = (...args) => (checked++, realAuth(...args));
    try {
      const before = reasons();
      const codes: Array<number | null> = [];
      for (let i = 0; i < 50; i++) {
        const r = await rawConnect(
          t.hub.mqttPort,
          { clientId: x.id, username: x.id, password: `guess-${i}` },
          { localAddress: '127.0.0.2' },
        );
        codes.push(r.returnCode);
        r.conn.sock.destroy();
      }
      expect(codes.slice(0, 5)).toEqual([4, 4, 4, 4, 4]); // bad user name or password
      expect(new Set(codes.slice(5))).toEqual(new Set([5])); // not authorized: banned
      expect(checked).toBe(5); // the other 45 never reached the secret check
      expect(delta(before, 'auth_bad_secret')).toBe(5);
      expect(delta(before, 'auth_banned')).toBe(45);

      // the device itself, from where it last connected, is not locked out by the attacker
      const own = await rawConnect(t.hub.mqttPort, { clientId: x.id, username: x.id, password: x.secret });
      expect(own.returnCode).toBe(0);
      own.conn.sock.destroy();

      // the ban ends (HUB_MQTT_BAN_S=1.5), then the right secret works from anywhere
      await waitFor(() => !t.hub.broker.guard.banned('127.0.0.2', x.id), 10_000, 'ban expiry');
      const later = await rawConnect(t.hub.mqttPort, { clientId: x.id, username: x.id, password: x.secret }, { localAddress: '127.0.0.2' });
      expect(later.returnCode).toBe(0);
      later.conn.sock.destroy();
    } finally {
      registry.authenticate = realAuth;
    }
  });

  it('an address spraying made-up ids is banned after 10 failures; devices elsewhere are unaffected', async () => {
    const y = await provision(t, 'el-bystander', 'elevator');
    const before = reasons();
    const codes: Array<number | null> = [];
    for (let i = 0; i < 30; i++) {
      const r = await rawConnect(
        t.hub.mqttPort,
        { clientId: `ghost-${i}`, username: `ghost-${i}`, password: 'x' },
        { localAddress: '127.0.0.3' },
      );
      codes.push(r.returnCode);
      r.conn.sock.destroy();
    }
    expect(codes.filter((c) => c === 4)).toHaveLength(10);
    expect(codes.slice(10).every((c) => c === 5)).toBe(true);
    expect(delta(before, 'auth_unknown_device')).toBe(10);
    expect(delta(before, 'auth_banned')).toBe(20);
    // a legit device on another address connects while the ban holds; behind the banned one it waits
    const elsewhere = track(await connectDevice(t, y));
    expect(elsewhere.connected).toBe(true);
    const behind = await rawConnect(t.hub.mqttPort, { clientId: y.id, username: y.id, password: y.secret }, { localAddress: '127.0.0.3' });
    expect(behind.returnCode).toBe(5);
    behind.conn.sock.destroy();
    expect(t.hub.broker.stats()).toMatchObject({ bannedAddresses: expect.any(Number) });
    expect(t.hub.broker.stats().bans).toBeGreaterThanOrEqual(2);
  });
});
