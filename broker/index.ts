// The embedded MQTT broker: aedes on TCP (and MQTT over WebSocket on the hub's HTTP server),
// with the contract enforced in aedes' policy hooks (ARCHITECTURE.md example 3):
//  - authenticate: device registry; clientId = username = device id, password = secret.
//  - authorizeSubscribe: a device may subscribe to its own cmd/# only.
//  - authorizePublish: a device may publish only under its own subtree, and the payload must
//    pass the contract — checked before anything is acked, stored or routed (example 4).
// Refused publishes are acknowledged and discarded (as Mosquitto does for ACL denials), not
// answered by a disconnect: a QoS1 device would otherwise resend the same poison message after
// every reconnect. They are counted per device and reason.
import net from 'node:net';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import {
  parseCommandResult,
  parseEvent,
  parseStatus,
  parseTelemetry,
  parseTopic,
  topics,
  deviceBase,
  type DeviceEvent,
  type RejectReason,
  COMMAND_CLASS,
  type CommandName,
} from '../contracts/mqtt.js';
import type { DeviceRef, EventBus } from '../services/core/bus.js';
import type { Logger } from '../services/core/logger.js';
import type { RejectionCounter } from '../services/core/rejections.js';
import type { DeviceRecord, DeviceRegistry } from '../services/devices/registry.js';

export interface BrokerOptions {
  host: string;
  port: number;
  registry: DeviceRegistry;
  bus: EventBus;
  rejections: RejectionCounter;
  log: Logger;
  /** Store-then-ack hook for events: resolves once the event is durably stored (or a duplicate). */
  acceptEvent: (device: DeviceRef, event: DeviceEvent, receivedAt: number) => Promise<void>;
  now?: () => number;
}

const DEVICE = Symbol('device');
type DeviceClient = Client & { [DEVICE]?: DeviceRecord; _disconnected?: boolean };

/** Where refused messages are sent: a topic no client may subscribe to, so nobody receives them. */
const SINK_TOPIC = '$hub/discarded';

function authError(code: 2 | 4 | 5, message: string) {
  return Object.assign(new Error(message), { returnCode: code });
}

const refs = new WeakMap<DeviceRecord, DeviceRef>();
/** The device's public identity (never the record: that holds the secret hash). Cached per record. */
export function ref(d: DeviceRecord): DeviceRef {
  let r = refs.get(d);
  if (!r) refs.set(d, (r = Object.freeze({ deviceId: d.deviceId, site: d.site, building: d.building, class: d.class })));
  return r;
}

export class Broker {
  readonly aedes: Aedes;
  private server: net.Server | null = null;
  private wss: WebSocketServer | null = null;
  /** The live client object per device: a takeover's old connection must not mark it offline. */
  private readonly current = new Map<string, DeviceClient>();
  private readonly now: () => number;
  port = 0;

  constructor(private readonly o: BrokerOptions) {
    this.now = o.now ?? Date.now;
    this.aedes = new Aedes({
      // A frozen subscriber may stall delivery for at most 10 s (ENVIRONMENT-NOTES: aedes).
      drainTimeout: 10_000,
      // Contract topics have 7–9 levels; anything deeper is an attack, refuse it early.
      maxTopicLevels: 16,
      maxClientsIdLength: 64,
      connectTimeout: 10_000,
      concurrency: 1000,
      heartbeatInterval: 60_000,
    });
    this.aedes.authenticate = (client, username, password, done) => {
      const r = o.registry.authenticate(client.id, username, password);
      if (typeof r === 'string') {
        // an unknown name is counted under "(unknown)": per-name counters would let anyone
        // spraying made-up ids grow memory without bound
        o.rejections.count(
          r === 'auth_unknown_device' ? null : (username ?? null),
          r,
          `connect refused: ${r} (${String(username ?? client.id).slice(0, 64)})`,
        );
        return done(authError(r === 'auth_client_id_mismatch' ? 2 : r === 'auth_disabled' ? 5 : 4, r), false);
      }
      (client as DeviceClient)[DEVICE] = r;
      done(null, true);
    };
    this.aedes.authorizeSubscribe = (client, sub, done) => {
      const d = (client as DeviceClient)[DEVICE];
      if (d && sub.topic === topics.commandFilter(d)) return done(null, sub);
      o.rejections.count(d?.deviceId ?? null, 'forbidden_subscribe', `subscribe ${sub.topic}`);
      done(null, null); // SUBACK 0x80: refused, connection kept [MQTT-3.9.3-2]
    };
    // A device's cmd/# subscription also matches its own cmd/{name}/res (MQTT 3.1.1 has no
    // noLocal): results are for the hub only, never forwarded back to devices.
    this.aedes.authorizeForward = (_client, packet) => (packet.topic.endsWith('/res') ? null : packet);
    this.aedes.authorizePublish = (client, packet, done) => this.authorizePublish(client as DeviceClient | null, packet, done);
    this.aedes.on('clientReady', (client) => this.onReady(client as DeviceClient));
    this.aedes.on('clientDisconnect', (client) => this.onGone(client as DeviceClient));
    this.aedes.on('clientError', (client, err) => o.log.debug({ client: client?.id, err: err.message }, 'mqtt client error'));
    this.aedes.on('connectionError', (client, err) => o.log.debug({ client: client?.id, err: err.message }, 'mqtt connection error'));
  }

  async start(): Promise<void> {
    await this.aedes.listen(); // aedes 1.x: sets up persistence; before it, CONNECTs hang
    this.server = net.createServer((sock) => this.aedes.handle(sock));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** MQTT over WebSocket at `path` on the hub's HTTP server (same authentication and ACL). */
  attachWebSocket(http: HttpServer, path = '/mqtt'): void {
    this.wss = new WebSocketServer({ noServer: true });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!req.url || new URL(req.url, 'http://x').pathname !== path) return; // socket.io's
      this.wss!.handleUpgrade(req, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        this.aedes.handle(stream as unknown as net.Socket, req);
      });
    });
  }

  clients(): number {
    return this.aedes.connectedClients;
  }

  async stop(): Promise<void> {
    this.wss?.close();
    await new Promise<void>((r) => this.aedes.close(() => r()));
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }

  /** Send a command (QoS1, not retained). Returns false when the device is not connected. */
  publishCommand(device: DeviceRecord, name: CommandName, payload: { v: 1; corr: string; exp: number; data: unknown }): Promise<boolean> {
    if (COMMAND_CLASS[name] !== device.class) throw new Error(`${name} is not a ${device.class} command`);
    const packet = {
      cmd: 'publish',
      topic: topics.command(device, name),
      payload: Buffer.from(JSON.stringify(payload)),
      qos: 1,
      retain: false,
      dup: false,
    } as PublishPacket;
    const connected = this.current.has(device.deviceId);
    return new Promise((resolve, reject) => this.aedes.publish(packet, (err) => (err ? reject(err) : resolve(connected))));
  }

  private onReady(client: DeviceClient): void {
    const d = client[DEVICE];
    if (!d) return;
    this.current.set(d.deviceId, client);
    this.status(d, 'online', this.now(), 'connected');
  }

  private onGone(client: DeviceClient): void {
    const d = client[DEVICE];
    if (!d || this.current.get(d.deviceId) !== client) return; // replaced by a newer session
    this.current.delete(d.deviceId);
    // A clean DISCONNECT is a deliberate goodbye; anything else (socket reset, keep-alive
    // timeout, broker-side close) is an unexpected loss, like the last will says.
    this.status(d, client._disconnected ? 'offline' : 'lost', this.now(), client._disconnected ? 'disconnect' : 'connection lost');
  }

  private status(d: DeviceRecord, state: 'online' | 'offline' | 'lost', ts: number, reason: string): void {
    if (this.o.registry.setState(d.deviceId, state, ts)) {
      this.o.bus.emit('device.status', { device: ref(d), state, ts, reason });
    }
  }

  private discard(packet: PublishPacket, deviceId: string | null, reason: RejectReason, detail: string, done: (e?: Error | null) => void) {
    this.o.rejections.count(deviceId, reason, `${packet.topic.slice(0, 200)}: ${detail}`);
    packet.topic = SINK_TOPIC;
    packet.retain = false;
    packet.payload = Buffer.alloc(0);
    done(null);
  }

  private authorizePublish(client: DeviceClient | null, packet: PublishPacket, done: (e?: Error | null) => void): void {
    const t = parseTopic(packet.topic);
    // A will left over from a previous broker run arrives without a client (aedes docs).
    const d = client ? client[DEVICE] : t ? this.o.registry.get(t.deviceId) : undefined;
    if (!d) return this.discard(packet, null, 'foreign_topic', 'publisher has no device identity', done);
    if (!t) return this.discard(packet, d.deviceId, 'bad_topic', 'not a contract topic', done);
    if (!packet.topic.startsWith(`${deviceBase(d)}/`) || t.deviceId !== d.deviceId) {
      return this.discard(packet, d.deviceId, 'foreign_topic', `outside ${deviceBase(d)}/`, done);
    }
    const ts = this.now();
    const payload = packet.payload as Buffer;
    switch (t.channel) {
      case 'status': {
        const r = parseStatus(payload);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        // A will from a connection that has been replaced must not mark the new one lost.
        if (client && this.current.get(d.deviceId) && this.current.get(d.deviceId) !== client) {
          packet.retain = false;
          return done(null);
        }
        this.status(d, r.value.state, ts, 'status message');
        return done(null);
      }
      case 'telemetry': {
        const r = parseTelemetry(payload);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        this.o.registry.seen(d.deviceId, ts, r.value.metrics);
        this.o.bus.emit('device.telemetry', { device: ref(d), ts: r.value.ts, metrics: r.value.metrics });
        return done(null);
      }
      case 'event': {
        const r = parseEvent(payload, d.class);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        this.o.registry.seen(d.deviceId, ts);
        // Store, then ack: an error here leaves the QoS1 event un-acked, and the client resends.
        this.o.acceptEvent(ref(d), r.value, ts).then(
          () => done(null),
          (err: Error) => {
            this.o.log.error({ err, deviceId: d.deviceId }, 'event not stored; refusing so the device resends');
            done(err);
          },
        );
        return;
      }
      case 'cmd-res': {
        const r = parseCommandResult(payload);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        this.o.registry.seen(d.deviceId, ts);
        this.o.bus.emit('device.command_result', { device: ref(d), command: t.command, result: r.value });
        return done(null);
      }
      case 'cmd':
        return this.discard(packet, d.deviceId, 'foreign_topic', 'devices may not publish commands', done);
    }
  }
}

export type { AedesPublishPacket };
