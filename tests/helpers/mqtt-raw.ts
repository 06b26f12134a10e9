// Raw MQTT over a plain TCP socket (mqtt-packet encodes and decodes): for what a well-behaved
// client library will not send — oversize headers, wildcards in PUBLISH topics, garbage bytes —
// and for connecting from a chosen loopback address (127.0.0.2, … : the whole 127/8 is local).
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface RawConn {
  sock: net.Socket;
  packets: Packet[];
  closed: boolean;
  /** resolves when the server closed (or reset) the connection */
  whenClosed: Promise<void>;
  send(p: Record<string, unknown>): void;
  /** the next packet of this kind (already received ones count), or throws after `ms` */
  next(cmd: string, ms?: number): Promise<Packet>;
}

export function rawSocket(port: number, opts: { localAddress?: string; host?: string } = {}): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: opts.host ?? '127.0.0.1', ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const packets: Packet[] = [];
    const waiters: Array<() => void> = [];
    let closeResolve!: () => void;
    const conn: RawConn = {
      sock,
      packets,
      closed: false,
      whenClosed: new Promise<void>((r) => (closeResolve = r)),
      send: (p) => void sock.write(mqttPacket.generate(p as unknown as Packet)),
      async next(cmd, ms = 5000) {
        const end = Date.now() + ms;
        for (;;) {
          const i = packets.findIndex((p) => p.cmd === cmd);
          if (i >= 0) return packets.splice(i, 1)[0]!;
          if (conn.closed) throw new Error(`connection closed before a ${cmd}`);
          if (Date.now() > end) throw new Error(`no ${cmd} within ${ms} ms`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 50);
          });
        }
      },
    };
    parser.on('packet', (p) => {
      packets.push(p);
      for (const w of waiters.splice(0)) w();
    });
    parser.on('error', () => undefined);
    sock.on('data', (b) => parser.parse(b));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      conn.closed = true;
      closeResolve();
      for (const w of waiters.splice(0)) w();
    });
    sock.once('connect', () => resolve(conn));
    sock.once('error', reject);
  });
}

/** CONNECT and wait for the CONNACK; returnCode null when the broker closed without one. */
export async function rawConnect(
  port: number,
  c: { clientId: string; username?: string; password?: string; clean?: boolean; keepalive?: number; protocolVersion?: 3 | 4 | 5 },
  opts: { localAddress?: string } = {},
): Promise<{ conn: RawConn; returnCode: number | null; sessionPresent: boolean }> {
  const conn = await rawSocket(port, opts);
  conn.send({
    cmd: 'connect',
    protocolId: c.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: c.protocolVersion ?? 4,
    clean: c.clean ?? true,
    clientId: c.clientId,
    keepalive: c.keepalive ?? 30,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: Buffer.from(c.password) } : {}),
  });
  try {
    const ack = (await conn.next('connack')) as Packet & { returnCode?: number; reasonCode?: number; sessionPresent: boolean };
    return { conn, returnCode: ack.returnCode ?? ack.reasonCode ?? 0, sessionPresent: ack.sessionPresent };
  } catch {
    return { conn, returnCode: null, sessionPresent: false };
  }
}

/** The fixed header of a packet claiming `length` bytes of body (MQTT 3.1.1 §2.2.3). */
export function fixedHeader(firstByte: number, length: number): Buffer {
  const bytes = [firstByte];
  let x = length;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    bytes.push(b);
  } while (x > 0);
  return Buffer.from(bytes);
}
