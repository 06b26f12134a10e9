// Load generator child process (a second process so it gets its own core): connects N
// devices over real TCP and publishes telemetry or events at a fixed total rate, and — for the
// latency phase — also runs socket.io clients and measures publish → socket.io receipt.
// Driven by bench/run.ts through IPC; prints nothing itself.
import mqtt, { type MqttClient } from 'mqtt';
import { io as ioClient, type Socket } from 'socket.io-client';

interface Dev {
  id: string;
  secret: string;
  topicBase: string;
}
type Msg =
  | { cmd: 'connect'; url: string; devices: Dev[] }
  | { cmd: 'telemetry'; rate: number; seconds: number }
  | { cmd: 'events'; rate: number; seconds: number; socketUrl: string; token: string | null; browsers: number; eventName: string }
  | { cmd: 'incidents'; rate: number; socketUrl: string; token: string; browsers: number }
  | { cmd: 'exit' };

const send = (m: unknown) => process.send!(m);
let clients: Array<{ c: MqttClient; d: Dev }> = [];

async function connect(url: string, devices: Dev[]) {
  clients = await Promise.all(
    devices.map(
      (d) =>
        new Promise<{ c: MqttClient; d: Dev }>((resolve, reject) => {
          const c = mqtt.connect(url, { clientId: d.id, username: d.id, password: d.secret, reconnectPeriod: 0, keepalive: 60 });
          c.once('connect', () => resolve({ c, d }));
          c.once('error', reject);
        }),
    ),
  );
}

/** Paced publishing: every 5 ms send the messages due so far, round-robin over devices. */
async function pace(
  rate: number,
  seconds: number,
  publish: (i: number, client: { c: MqttClient; d: Dev }) => void,
): Promise<{ sent: number; ms: number }> {
  const start = performance.now();
  let sent = 0;
  const total = Math.round(rate * seconds);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due) {
        publish(sent, clients[sent % clients.length]!);
        sent++;
      }
      if (sent >= total) return resolve();
      setTimeout(tick, 5);
    };
    tick();
  });
  return { sent, ms: performance.now() - start };
}

/** `n` socket.io clients on the control-room namespace, as browsers would be. */
function browsers(url: string, token: string | null, n: number): Promise<Socket[]> {
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

/** Wait (10 s at most) for every expected receipt, close the clients, summarise the latencies. */
async function collect(sockets: Socket[], latencies: number[], expected: number) {
  const end = Date.now() + 10_000;
  while (latencies.length < expected && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
  for (const s of sockets) s.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { received: latencies.length, expected, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? NaN };
}

async function telemetry(rate: number, seconds: number) {
  const r = await pace(rate, seconds, (i, { c, d }) => {
    c.publish(
      `${d.topicBase}/telemetry`,
      JSON.stringify({
        v: 1,
        ts: Date.now(),
        metrics: { floor: i % 30, load_kg: 60 + (i % 900), moving: i % 2 === 0, door_open: i % 3 === 0 },
      }),
      { qos: 0 },
    );
  });
  // wait until the sockets flushed what was queued
  // one QoS1 message per device: its PUBACK proves everything queued before it has been sent
  await Promise.all(
    clients.map(
      ({ c, d }) =>
        new Promise<void>((res) =>
          c.publish(`${d.topicBase}/telemetry`, JSON.stringify({ v: 1, ts: Date.now(), metrics: { floor: 0 } }), { qos: 1 }, () => res()),
        ),
    ),
  );
  send({ cmd: 'telemetry-done', ...r, extra: clients.length });
}

async function events(m: Extract<Msg, { cmd: 'events' }>) {
  const sockets = await browsers(m.socketUrl, m.token, m.browsers);
  const latencies: number[] = [];
  for (const s of sockets) {
    // the hub strips data keys the contract does not define, so it carries the send time in `ts`
    const one = (e: { data?: { sentAt?: number }; ts?: number }, at: number) => {
      const sentAt = e.data?.sentAt ?? e.ts;
      if (typeof sentAt === 'number') latencies.push(at - sentAt);
    };
    s.on(m.eventName, (e: { data?: { sentAt?: number }; ts?: number }) => one(e, performance.timeOrigin + performance.now()));
    // the hub sends events accepted in the same instant as one frame
    s.on(`${m.eventName}s`, (list: Array<{ data?: { sentAt?: number }; ts?: number }>) => {
      const at = performance.timeOrigin + performance.now();
      for (const e of list) one(e, at);
    });
  }
  const run = `${Date.now().toString(36)}`;
  const r = await pace(m.rate, m.seconds, (i, { c, d }) => {
    const sentAt = performance.timeOrigin + performance.now();
    c.publish(
      `${d.topicBase}/event`,
      JSON.stringify({
        v: 1,
        id: `${run}-${i}`,
        ts: Math.round(sentAt),
        type: 'elevator.normal',
        data: { floor: 1, doors: 'closed', sentAt },
      }),
      { qos: 1 },
    );
  });
  send({ cmd: 'events-done', sent: r.sent, ms: r.ms, ...(await collect(sockets, latencies, r.sent * m.browsers)) });
}

/**
 * Every device reports an entrapment once (rate/s): each opens an incident, which the hub must
 * store, run through the procedure and push as `incident:opened`. Latency: publish → push.
 */
async function incidents(m: Extract<Msg, { cmd: 'incidents' }>) {
  const sockets = await browsers(m.socketUrl, m.token, m.browsers);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const s of sockets) {
    s.on('incident:opened', (v: { deviceId: string | null }) => {
      const t0 = v.deviceId ? sentAt.get(v.deviceId) : undefined;
      if (t0 !== undefined) latencies.push(performance.timeOrigin + performance.now() - t0);
    });
  }
  const r = await pace(m.rate, clients.length / m.rate, (i, { c, d }) => {
    const now = performance.timeOrigin + performance.now();
    sentAt.set(d.id, now);
    c.publish(
      `${d.topicBase}/event`,
      JSON.stringify({
        v: 1,
        id: `trap-${Date.now().toString(36)}-${i}`,
        ts: Math.round(now),
        type: 'elevator.entrapment',
        data: { car: '1', floor: 3, passengers: 1 },
      }),
      { qos: 1 },
    );
  });
  send({ cmd: 'incidents-done', sent: r.sent, ...(await collect(sockets, latencies, r.sent * m.browsers)) });
}

process.on('message', (m: Msg) => {
  const fail = (err: unknown) => send({ cmd: 'error', message: String((err as Error)?.message ?? err) });
  if (m.cmd === 'connect') connect(m.url, m.devices).then(() => send({ cmd: 'connected', n: clients.length }), fail);
  else if (m.cmd === 'telemetry') telemetry(m.rate, m.seconds).catch(fail);
  else if (m.cmd === 'events') events(m).catch(fail);
  else if (m.cmd === 'incidents') incidents(m).catch(fail);
  else if (m.cmd === 'exit') {
    for (const { c } of clients) c.end(true);
    setTimeout(() => process.exit(0), 100);
  }
});
send({ cmd: 'ready' });
