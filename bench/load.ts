// Load generator of `npm run bench` (bench/run.ts): ONE process drives every target (the hub and
// the peer brokers) the same way, so the targets differ only in what they are. Driven through
// IPC; prints nothing itself.
//
//   connect   P publishers (mqtt.js, one TCP connection each) and, for the peers, one MQTT
//             subscriber on bops/v1/# — the stand-in for the hub's own consumer.
//   ceiling   closed loop: keep `window` messages outstanding (sent, not yet confirmed) for
//             `seconds`, then drain. Confirmed = received by the subscriber (peers), PUBACKed
//             (QoS1: the hub acknowledges an event only once stored), or counted written by
//             the hub's telemetry store (polled from /api/health; bench/run.ts then counts the
//             points back from the store itself).
//   latency   open loop at a fixed rate: event → dashboard socket.io client (hub) or → MQTT
//             subscriber (peers); per-event latency matched by event id, one clock. Also
//             publish → PUBACK: for the hub that is "stored" (its group commit).
//
// Every message has a unique timestamp per device (ts = max(now, previous + 1)), so no store
// merges two points of one series into one.
import mqtt, { type MqttClient } from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';
import { quantile } from './stats.js';

export interface Dev {
  id: string;
  secret: string;
  topicBase: string;
}
export type LoadMsg =
  | { cmd: 'connect'; target: string; url: string; devices: Dev[]; subscribe: 0 | 1 | null }
  | {
      cmd: 'ceiling';
      target: string;
      kind: 'telemetry' | 'event';
      window: number;
      seconds: number;
      confirm: 'sub' | 'puback' | 'health';
      health?: Health;
    }
  | {
      cmd: 'latency';
      target: string;
      rate: number;
      seconds: number;
      via: 'sub' | 'socket';
      socketUrl?: string;
      token?: string;
      browsers: number;
    }
  | { cmd: 'exit' };
interface Health {
  url: string;
  token: string;
}

const send = (m: unknown) => process.send!(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

interface Target {
  pubs: Array<{ c: MqttClient; d: Dev; lastTs: number }>;
  sub: MqttClient | null;
  /** messages the subscriber received, by kind */
  received: { telemetry: number; event: number };
  /** while a latency run listens on the subscriber: event id → handler */
  onSubEvent: ((id: string, at: number) => void) | null;
}
/** every target stays connected for the whole benchmark (device authentication is not measured) */
const targets = new Map<string, Target>();
const target = (name: string): Target =>
  targets.get(name) ??
  (() => {
    throw new Error(`not connected: ${name}`);
  })();
let runSeq = 0;
/** connections that closed (and were re-opened) since the start: reported with every result */
let closes = 0;

async function connectOne(url: string, clientId: string, username: string, password: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    // keepalive off: a target sits idle for minutes while the others are measured, and a client
    // that missed a PINGREQ deadline would silently stop counting; reconnect if anything drops anyway
    const c = mqtt.connect(url, { clientId, username, password, reconnectPeriod: 1000, keepalive: 0, protocolVersion: 4 });
    c.on('close', () => void closes++);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function connect(m: Extract<LoadMsg, { cmd: 'connect' }>): Promise<number> {
  const t: Target = { pubs: [], sub: null, received: { telemetry: 0, event: 0 }, onSubEvent: null };
  const { pubs, received } = t;
  // 20 at a time: a connect storm is not what this benchmark measures
  for (let i = 0; i < m.devices.length; i += 20) {
    const part = m.devices.slice(i, i + 20);
    pubs.push(...(await Promise.all(part.map(async (d) => ({ c: await connectOne(m.url, d.id, d.id, d.secret), d, lastTs: 0 })))));
  }
  if (m.subscribe !== null) {
    const sub = (t.sub = await connectOne(m.url, `bench-sub-${process.pid}`, 'bench-sub', 'x'));
    sub.on('message', (topic, payload) => {
      if (topic.endsWith('/telemetry')) received.telemetry++;
      else if (topic.endsWith('/event')) {
        received.event++;
        if (t.onSubEvent) {
          const at = now();
          // the id is the first string field the load generator wrote: cheap to find
          const s = payload.toString();
          const i = s.indexOf('"id":"') + 6;
          t.onSubEvent(s.slice(i, s.indexOf('"', i)), at);
        }
      }
    });
    await sub.subscribeAsync('bops/v1/#', { qos: m.subscribe });
  }
  targets.set(m.target, t);
  return pubs.length;
}

/** A unique, non-decreasing timestamp per device. */
function tsFor(p: { lastTs: number }): number {
  const t = Math.max(Date.now(), p.lastTs + 1);
  p.lastTs = t;
  return t;
}

function telemetryPayload(i: number, ts: number): string {
  return JSON.stringify({ v: 1, ts, metrics: { floor: i % 30, load_kg: 60 + (i % 900), moving: i % 2 === 0, door_open: i % 3 === 0 } });
}
function eventPayload(id: string, ts: number): string {
  return JSON.stringify({ v: 1, id, ts, type: 'elevator.normal', data: { floor: 1 + (ts % 20), doors: 'closed' } });
}

async function pollHealth(h: Health): Promise<number> {
  const r = await fetch(`${h.url}/api/health`, { headers: { authorization: `Bearer ${h.token}` } });
  const body = (await r.json()) as { telemetry?: { written?: number } };
  return body.telemetry?.written ?? NaN;
}

async function ceiling(m: Extract<LoadMsg, { cmd: 'ceiling' }>) {
  const { pubs, received } = target(m.target);
  const run = `c${(runSeq++).toString(36)}${Date.now().toString(36)}`;
  const qos = m.kind === 'event' ? 1 : 0;
  let acked = 0;
  let healthWritten = 0;
  let healthBase = 0;
  let polling = false;
  if (m.confirm === 'health') {
    healthBase = await pollHealth(m.health!);
    healthWritten = healthBase;
    polling = true;
  }
  const subBase = m.kind === 'event' ? received.event : received.telemetry;
  const confirmed = (): number =>
    m.confirm === 'puback'
      ? acked
      : m.confirm === 'sub'
        ? (m.kind === 'event' ? received.event : received.telemetry) - subBase
        : healthWritten - healthBase;
  const poller = (async () => {
    while (polling) {
      healthWritten = await pollHealth(m.health!).catch(() => healthWritten);
      await sleep(25);
    }
  })();
  const onAck = () => void acked++;

  const t0 = performance.now();
  const end = t0 + m.seconds * 1000;
  let sent = 0;
  let i = 0;
  while (performance.now() < end) {
    const room = m.window - (sent - confirmed());
    for (let k = 0; k < room; k++) {
      const p = pubs[i++ % pubs.length]!;
      const ts = tsFor(p);
      if (m.kind === 'telemetry') p.c.publish(`${p.d.topicBase}/telemetry`, telemetryPayload(sent, ts), { qos }, qos ? onAck : undefined);
      else p.c.publish(`${p.d.topicBase}/event`, eventPayload(`${run}-${sent}`, ts), { qos }, onAck);
      sent++;
      // let the sockets write (and acks arrive) every so often within a large window
      if (k % 256 === 255) await new Promise((r) => setImmediate(r));
    }
    // nothing to send: wait for confirmations without spinning the load generator's core
    if (room <= 0) await sleep(1);
    else await new Promise((r) => setImmediate(r));
  }
  const sendMs = performance.now() - t0;
  const sentAtEnd = sent;
  // drain: every sent message confirmed, or no progress for 10 s (loss)
  let last = confirmed();
  let lastMove = performance.now();
  let tLast = performance.now();
  while (confirmed() < sentAtEnd && performance.now() - lastMove < 10_000) {
    await sleep(m.confirm === 'health' ? 10 : 2);
    const c = confirmed();
    if (c !== last) {
      last = c;
      lastMove = tLast = performance.now();
    }
  }
  if (confirmed() >= sentAtEnd) tLast = performance.now();
  polling = false;
  await poller;
  const done = confirmed();
  const ms = tLast - t0;
  send({ cmd: 'ceiling-done', closes, sent: sentAtEnd, confirmed: done, lost: sentAtEnd - done, sendMs, ms, rate: done / (ms / 1000) });
}

function browsers(url: string, token: string | undefined, n: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = ioClient(url, { transports: ['websocket'], reconnection: false, ...(token ? { auth: { token } } : {}) });
          s.once('connect', () => resolve(s));
          s.once('connect_error', reject);
        }),
    ),
  );
}

async function latency(m: Extract<LoadMsg, { cmd: 'latency' }>) {
  const t = target(m.target);
  const { pubs } = t;
  const run = `l${(runSeq++).toString(36)}${Date.now().toString(36)}`;
  const sentAt = new Map<string, number>();
  const lat: number[] = [];
  /** hub only: publish → the hub accepted it (the push's receivedAt, ms): where the tail is spent */
  const inbound: number[] = [];
  /** publish → PUBACK (ms): for the hub, stored (its group commit); for a peer, received */
  const acked: number[] = [];
  const hit = (id: string, at: number, receivedAt?: number) => {
    const t = sentAt.get(id);
    if (t === undefined) return;
    lat.push(at - t);
    if (receivedAt !== undefined) inbound.push(receivedAt - t);
  };
  let sockets: Socket[] = [];
  if (m.via === 'socket') {
    sockets = await browsers(m.socketUrl!, m.token, m.browsers);
    for (const s of sockets) {
      s.on('device:event', (e: { id: string; receivedAt: number }) => hit(e.id, now(), e.receivedAt));
      s.on('device:events', (list: Array<{ id: string; receivedAt: number }>) => {
        const at = now();
        for (const e of list) hit(e.id, at, e.receivedAt);
      });
    }
  } else t.onSubEvent = hit;
  const receivers = m.via === 'socket' ? m.browsers : 1;

  // paced: every 1 ms timer tick, send what is due so far (round-robin over the publishers)
  const total = Math.round(m.rate * m.seconds);
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * m.rate));
      while (sent < due) {
        const p = pubs[sent % pubs.length]!;
        const id = `${run}-${sent}`;
        const ts = tsFor(p);
        const at = now();
        sentAt.set(id, at);
        p.c.publish(`${p.d.topicBase}/event`, eventPayload(id, ts), { qos: 1 }, (err) => {
          if (!err) acked.push(now() - at);
        });
        sent++;
      }
      if (sent >= total) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  const ms = performance.now() - t0;
  const expected = sent * receivers;
  const deadline = Date.now() + 10_000;
  while ((lat.length < expected || acked.length < sent) && Date.now() < deadline) await sleep(20);
  t.onSubEvent = null;
  for (const s of sockets) s.close();
  lat.sort((a, b) => a - b);
  inbound.sort((a, b) => a - b);
  acked.sort((a, b) => a - b);
  send({
    cmd: 'latency-done',
    closes,
    sent,
    ms,
    offered: sent / (ms / 1000),
    received: lat.length,
    expected,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    max: lat.at(-1) ?? NaN,
    inboundP99: inbound.length ? quantile(inbound, 0.99) : null,
    pubackP99: acked.length ? quantile(acked, 0.99) : null,
    pubackMax: acked.at(-1) ?? null,
    pubacks: acked.length,
  });
}

process.on('message', (m: LoadMsg) => {
  const fail = (err: unknown) => send({ cmd: 'error', message: String((err as Error)?.stack ?? err) });
  if (m.cmd === 'connect') connect(m).then((n) => send({ cmd: 'connected', n }), fail);
  else if (m.cmd === 'ceiling') ceiling(m).catch(fail);
  else if (m.cmd === 'latency') latency(m).catch(fail);
  else if (m.cmd === 'exit') {
    for (const t of targets.values()) {
      for (const { c } of t.pubs) c.end(true);
      t.sub?.end(true);
    }
    setTimeout(() => process.exit(0), 100);
  }
});
send({ cmd: 'ready' });
