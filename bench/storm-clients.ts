// One device-side process of `npm run bench:storm` (bench/connect-storm.ts forks several: this
// machine allows 20,000 open files per process, so one process cannot hold 15,000 devices plus
// everything else). Raw MQTT 3.1.1 over net sockets — CONNECT built with mqtt-packet, CONNACK
// read as its four bytes — so that the generator costs little per idle connection and does not
// itself become the bottleneck it is measuring (an mqtt.js client is ~10× the memory and timers).
//
// Messages from the parent (IPC):
//   { cmd: 'connect', ports, localAddress, devices, rate, keepalive, retries }
//       open one connection per device (the i-th device to ports[i mod ports.length]: a cluster's
//       instances, as a TCP load balancer spreads them): all at once (rate 0, a storm) or `rate` per second (a
//       ramp). A refused CONNACK or a connection closed before its CONNACK is retried with a
//       device's back-off (1, 2, 4 … 16 s, jittered; up to `retries` times; each retry counted). Answers
//       { cmd: 'connected', ok, failed, retries, refused, ms } once every device is connected or
//       has given up; `ms` is from the first socket opened to the last CONNACK 0.
//   { cmd: 'close' } → every connection closed, { cmd: 'closed' }
//   { cmd: 'exit' }
// Each device publishes its retained `status` right after its CONNACK; while held it sends a
// PINGREQ every keepalive/2 seconds (spread over the period) and every 4th time its status
// instead — what an idle device sends, and enough that the hub never takes it for silent.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface StormDev {
  id: string;
  secret: string;
  /** the device's `status` topic (CONTRACT.md "Topics") */
  statusTopic: string;
}
export type StormMsg =
  | { cmd: 'connect'; ports: number[]; localAddress: string; devices: StormDev[]; rate: number; keepalive: number; retries: number }
  | { cmd: 'close' }
  | { cmd: 'exit' };

const PINGREQ = Buffer.from([0xc0, 0x00]);
/** how many keep-alive rounds between two status messages (a device's own heartbeat, CONTRACT.md) */
const STATUS_EVERY = 4;
let socks: Array<{ s: net.Socket; d: StormDev }> = [];

/** the retained `status` a device publishes on connect and as its heartbeat (QoS 0) */
function status(d: StormDev): Buffer {
  return mqttPacket.generate({
    cmd: 'publish',
    topic: d.statusTopic,
    payload: JSON.stringify({ v: 1, state: 'online', ts: Date.now() }),
    qos: 0,
    retain: true,
    dup: false,
  });
}
let pinger: NodeJS.Timeout | null = null;

function connectAll(m: Extract<StormMsg, { cmd: 'connect' }>): void {
  const started = Date.now();
  let last = started;
  let ok = 0;
  let failed = 0;
  let retries = 0;
  const refused: Record<string, number> = {};
  let pending = m.devices.length;
  const finish = () => {
    if (--pending > 0) return;
    process.send!({ cmd: 'connected', ok, failed, retries, refused, ms: last - started });
  };
  const portOf = new Map(m.devices.map((d, i) => [d, m.ports[i % m.ports.length]!]));
  const open = (d: StormDev, attempt: number) => {
    const packet = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: d.id,
      keepalive: m.keepalive,
      username: d.id,
      password: Buffer.from(d.secret),
    });
    const s = net.connect({ port: portOf.get(d)!, host: '127.0.0.1', localAddress: m.localAddress });
    let acked = false;
    let over = false;
    let head = Buffer.alloc(0);
    const again = (why: string) => {
      if (over) return; // a refusal's CONNACK and then its close: one attempt
      over = true;
      refused[why] = (refused[why] ?? 0) + 1;
      s.destroy();
      if (attempt < m.retries) {
        retries++;
        // a device's back-off: 1 s, 2 s, 4 s, … (at most 16 s), ±50 % jitter
        setTimeout(() => open(d, attempt + 1), Math.min(16_000, 1000 * 2 ** attempt) * (0.5 + Math.random()));
      } else {
        failed++;
        finish();
      }
    };
    s.setNoDelay(true);
    s.on('connect', () => s.write(packet));
    s.on('data', (b: Buffer) => {
      if (acked) return; // PINGRESPs
      head = Buffer.concat([head, b]);
      if (head.length < 4) return;
      if (head[0] !== 0x20 || head[3] !== 0) return again(`connack ${head[0] === 0x20 ? head[3] : 'garbled'}`);
      acked = true;
      ok++;
      last = Date.now();
      socks.push({ s, d });
      s.write(status(d)); // "I am online", as a device says after every CONNACK
      finish();
    });
    s.on('error', () => undefined); // 'close' follows
    s.on('close', () => {
      if (!acked) again('closed before connack');
    });
  };
  if (m.rate <= 0) {
    for (const d of m.devices) open(d, 0);
    return;
  }
  // a ramp: `rate` per second, in 10 ms slices
  let i = 0;
  const t = setInterval(() => {
    const due = Math.min(m.devices.length, Math.floor(((Date.now() - started) / 1000) * m.rate) + 1);
    for (; i < due; i++) open(m.devices[i]!, 0);
    if (i >= m.devices.length) clearInterval(t);
  }, 10);
}

function startPinging(keepalive: number): void {
  if (pinger || keepalive <= 0) return;
  // every second, 1/(keepalive/2) of the connections: each sends something every keepalive/2
  // seconds — a PINGREQ, and every STATUS_EVERY-th time its status instead (the heartbeat that
  // keeps the hub from taking it for silent, CONTRACT.md "each class has a heartbeat")
  const period = Math.max(1, Math.floor(keepalive / 2));
  let at = 0;
  pinger = setInterval(() => {
    const n = Math.ceil(socks.length / period);
    for (let j = 0; j < n && socks.length; j++, at++) {
      const { s, d } = socks[at % socks.length]!;
      if (s.destroyed) continue;
      s.write(Math.floor(at / socks.length) % STATUS_EVERY === STATUS_EVERY - 1 ? status(d) : PINGREQ);
    }
  }, 1000);
}

process.on('message', (m: StormMsg) => {
  if (m.cmd === 'connect') {
    connectAll(m);
    startPinging(m.keepalive);
  } else if (m.cmd === 'close') {
    if (pinger) clearInterval(pinger);
    pinger = null;
    let left = socks.length;
    const done = () => process.send!({ cmd: 'closed' });
    if (!left) return done();
    for (const { s } of socks) {
      s.once('close', () => --left === 0 && done());
      s.end(Buffer.from([0xe0, 0x00])); // DISCONNECT: a deliberate goodbye (offline, not lost)
    }
    socks = [];
  } else if (m.cmd === 'exit') process.exit(0);
});
