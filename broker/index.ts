// The embedded MQTT broker: aedes on TCP (and MQTT over TLS, and MQTT over WebSocket on the hub's
// HTTP server), with the contract enforced in aedes' policy hooks (ARCHITECTURE.md example 3):
//  - authenticate: device registry; clientId = username = device id, password = secret; failed
//    CONNECTs back off per address and per device id (./guard.ts).
//  - authorizeSubscribe: a device may subscribe to its own cmd/# only.
//  - authorizePublish: a device may publish only under its own subtree, and the payload must
//    pass the contract — checked before anything is acked, stored or routed (example 4).
// Refused publishes are acknowledged and discarded (as Mosquitto does for ACL denials), not
// answered by a disconnect: a QoS1 device would otherwise resend the same poison message after
// every reconnect. They are counted per device and reason.
//
// The edge rules of issue 7 (CONTRACT.md "MQTT", docs/security.md):
//  - Sessions are always clean. A CONNECT with cleanSession=0 is accepted as if it had asked for
//    a clean session (CONNACK sessionPresent=0 says so, [MQTT-3.2.2-1]): the broker keeps no
//    subscriptions and queues nothing for an offline device, so a command the hub recorded as
//    failed (device not connected) or expired can never be delivered later. Refusing such
//    CONNECTs instead would strand field devices (the SDK defaulted to persistent sessions);
//    dropping queued commands when the hub gives up would race the reconnect.
//  - Packet size: the fixed header's remaining length is checked as soon as it is parsed, so a
//    packet over the limit closes the connection before its body is buffered; before
//    authentication the limit is the (much smaller) CONNECT limit.
//  - Protocol-level refusals (wildcards or too many levels in a publish topic, garbage bytes,
//    an MQTT version other than 3.1/3.1.1 — aedes 1.2 speaks no MQTT 5) are counted by reason.
//  - Only `status` is retained; retain is cleared on every other channel.
//  - While PostgreSQL is down, event PUBACKs are held without blocking the connection (below).
// the ambient types of aedes-persistence-redis 11 (it ships none) for every tsconfig that reaches this file
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./aedes-persistence-redis.d.ts" />
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Client, type ConnectPacket, type PublishPacket } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { WebSocketServer, createWebSocketStream } from 'ws';
import {
  parseCommandResult,
  parseEvent,
  parseStatus,
  parseTelemetry,
  parseTopic,
  type ParsedTopic,
  topics,
  deviceBase,
  type DeviceEvent,
  type RejectReason,
  COMMAND_CLASS,
  type CommandName,
} from '../contracts/mqtt.js';
import type { DeviceRef, EventBus } from '../services/core/bus.js';
import type { Cluster } from '../services/core/cluster.js';
import type { Logger } from '../services/core/logger.js';
import type { RejectionCounter } from '../services/core/rejections.js';
import type { DeviceRecord, DeviceRegistry } from '../services/devices/registry.js';
import { ConnectGuard, DEFAULT_BAN_POLICY, type BanPolicy } from './guard.js';
import { DEFAULT_ACCEPT, Intake } from './intake.js';
import { ConnectThrottle, DEFAULT_CONNECT_THROTTLE, type ConnectThrottlePolicy } from './throttle.js';

export interface BrokerOptions {
  host: string;
  port: number;
  /** MQTT over TLS on `port` (0 = ephemeral) with the same authentication and ACL */
  tls?: { cert: Buffer | string; key: Buffer | string; port: number } | null;
  /** largest packet from an authenticated device (HUB_MQTT_MAX_PACKET) */
  maxPacket?: number;
  /** largest packet before authentication, i.e. the CONNECT (HUB_MQTT_MAX_CONNECT_PACKET) */
  maxConnectPacket?: number;
  /** failed-CONNECT backoff (HUB_MQTT_BAN_*) */
  ban?: BanPolicy;
  /** connect storms: CONNECTs admitted per second and at once, and how many may wait (HUB_MQTT_CONNECT_*) */
  connectThrottle?: ConnectThrottlePolicy;
  /** the listen sockets' accept queue (HUB_MQTT_LISTEN_BACKLOG; the kernel caps it at somaxconn) */
  listenBacklog?: number;
  /**
   * accept pacing while the connect throttle is on (./intake.ts): sockets handed to aedes whose
   * CONNECT is not yet decided (HUB_MQTT_ACCEPT_IN_FLIGHT), and how many may wait unread while
   * the throttle's queue is full (HUB_MQTT_ACCEPT_QUEUE)
   */
  accept?: { inFlight: number; queueMax: number };
  registry: DeviceRegistry;
  bus: EventBus;
  rejections: RejectionCounter;
  log: Logger;
  /**
   * Store-then-ack hook for events: resolves once the event is durably stored (or a duplicate).
   * Rejects with an error whose `code` is 'store_refused' (this event can never be stored: it is
   * acknowledged and discarded) or anything else (not stored: the device must resend it).
   */
  acceptEvent: (device: DeviceRef, event: DeviceEvent, receivedAt: number) => Promise<void>;
  /** true while the event store is holding events through a database outage */
  storeHolding?: () => boolean;
  /** at most this many events have their PUBACK held without blocking their connection */
  eventHoldMax?: number;
  /**
   * events of one connection being stored while that connection reads on (HUB_EVENT_PIPELINE;
   * 0: each event blocks its connection until stored)
   */
  eventPipeline?: number;
  now?: () => number;
  /**
   * Scale-out (docs/scale-out.md): aedes' documented clustering — mqemitter-redis routes
   * publishes between instances (a command published here reaches the device wherever it is
   * connected), aedes-persistence-redis keeps retained messages, subscriptions and wills, and
   * the cluster's owner hash says which instance holds each device's connection.
   */
  cluster?: Cluster | null;
}

// mqtt-packet builds, on its first write, a cache of 65,536 two-byte Buffers (one per message id):
// 6.9 MB of the hub's idle heap (issue 12, heap snapshot), for a few bytes saved per packet. The
// hub writes its hot-path packet (PUBACK) itself below; everything else is rare enough to
// allocate its two bytes. Set before any packet is written (module load), for aedes and mqtt.js.
mqttPacket.writeToStream.cacheNumbers = false;

const DEVICE = Symbol('device');
const ADDRESS = Symbol('address');
const TOPICS = Symbol('topics');
/** a paced connection's "the throttle has seen its CONNECT (or it closed)" (Broker.accept) */
const SETTLE = Symbol('settle');
/** events of this connection being stored while it reads on (storeThenAck) */
const PIPED = Symbol('piped');
/** the connection's socket is corked until the end of this tick (writePuback) */
const CORKED = Symbol('corked');
/** the connection's events in the order they were read, each with its outcome once known */
const TURNS = Symbol('turns');
interface Turn {
  run: (() => void) | null;
}
/** CONNACK, return code 3 "server unavailable" [MQTT-3.2.2-3]: the connect throttle's queue is full */
const CONNACK_SERVER_UNAVAILABLE = Buffer.from([0x20, 0x02, 0x00, 0x03]);
/** a storm's refusal (preConnect): one object for all of them, never thrown */
const SERVER_BUSY: Error & { errorCode: number } = Object.assign(new Error('server busy: connect queue full'), { errorCode: 3 });
/**
 * Topics a connection has already published to that parsed as its own contract topics. A device
 * publishes to a handful of topics for its whole connection, so the split, the id checks and
 * the device-prefix comparison (7 % of the hub's CPU at 44k msgs/s, issue 12) run once per
 * topic, not once per message. Bounded: a device spraying topics only fills it to the cap.
 */
const TOPIC_CACHE_MAX = 16;
type DeviceClient = Client & {
  [DEVICE]?: DeviceRecord;
  [ADDRESS]?: string;
  [TOPICS]?: Map<string, ParsedTopic>;
  [SETTLE]?: () => void;
  [PIPED]?: number;
  [CORKED]?: boolean;
  [TURNS]?: Turn[];
  _disconnected?: boolean;
  closed?: boolean;
  connected?: boolean;
  conn: Duplex;
};

/** What the packet-size guard needs from mqtt-packet's parser (an aedes Client's `_parser`). */
interface ParserInternals {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/** Reason a protocol error is counted under, set where the error is made. */
const REASON = Symbol('reason');
type TaggedError = Error & { [REASON]?: RejectReason; errorCode?: number; code?: unknown };

/**
 * Marks a device's publish that ends at the hub: aedes acknowledges it (PUBACK/PUBREC as usual)
 * but does not route it (Broker's publish wrapper, constructor).
 */
const AT_HUB = Symbol('at-hub');
type HubPacket = PublishPacket & { [AT_HUB]?: true };
/** Device channels the broker counts as received (CONTRACT.md "MQTT"). */
export type ReceivedChannel = 'status' | 'telemetry' | 'event' | 'cmd-res';

function authError(code: 2 | 3 | 4 | 5, message: string) {
  return Object.assign(new Error(message), { returnCode: code });
}

/**
 * Which refusal an aedes client/connection error is, or null when it is no refusal at all (the
 * network: resets, keep-alive expiry, a slow reader). Messages are aedes 1.2's; tests pin them.
 */
function classify(err: TaggedError): RejectReason | null {
  if (err[REASON]) return err[REASON];
  if (err.errorCode !== undefined) return null; // a CONNACK refusal: counted where it was decided
  if (err.code !== undefined) return null; // ECONNRESET, EPIPE, …: the network
  const m = err.message;
  if (m.endsWith('is not allowed in PUBLISH')) return 'protocol_wildcard';
  if (m === 'topic has too many levels') return 'protocol_topic_levels';
  if (m === 'connect did not arrive in time') return 'connect_timeout';
  if (m === 'keep alive timeout' || m === 'drain timeout' || m === 'connection closed') return null;
  return 'protocol_error';
}

const refs = new WeakMap<DeviceRecord, DeviceRef>();
/** The device's public identity (never the record: that holds the secret hash). Cached per record. */
export function ref(d: DeviceRecord): DeviceRef {
  let r = refs.get(d);
  if (!r) refs.set(d, (r = Object.freeze({ deviceId: d.deviceId, site: d.site, building: d.building, class: d.class })));
  return r;
}

/** an accepted connection waiting in the intake */
interface Accepted {
  conn: Duplex;
  address: string | undefined;
  req?: IncomingMessage;
}

/** An event whose PUBACK waits for the store; `release` frees its connection before that. */
interface HeldEvent {
  release(): void;
}

export interface BrokerStats {
  /** devices connected now */
  connections: number;
  /** TCP/TLS/WebSocket connections accepted since start (before authentication) */
  connectionsTotal: number;
  /** PUBLISH packets received from devices (any channel, accepted or refused) */
  messagesIn: number;
  /** messages accepted from devices (their payload passed the contract), by channel */
  received: Readonly<Record<ReceivedChannel, number>>;
  /** commands published to devices */
  messagesOut: number;
  /** events whose PUBACK waits for the store with their connection reading on (pipelined, or a database outage) */
  eventsHeld: number;
  /** CONNECTs with cleanSession=0 that were given a clean session */
  sessionsMadeClean: number;
  /** CONNECTs that waited in the connect throttle, refused because its queue was full, waiting now */
  connectsQueued: number;
  connectsShed: number;
  connectQueue: number;
  /** accepted sockets not yet handed to aedes (accept pacing) */
  acceptQueue: number;
  /** failed-CONNECT bans issued since start, and keys banned now */
  bans: number;
  bannedAddresses: number;
  bannedClients: number;
}

export class Broker {
  readonly aedes: Aedes;
  private server: net.Server | null = null;
  private tlsServer: tls.Server | null = null;
  private wss: WebSocketServer | null = null;
  /** The live client object per device: a takeover's old connection must not mark it offline. */
  private readonly current = new Map<string, DeviceClient>();
  private readonly now: () => number;
  private readonly maxPacket: number;
  private readonly maxConnectPacket: number;
  private readonly eventHoldMax: number;
  private readonly eventPipeline: number;
  private readonly listenBacklog: number;
  readonly guard: ConnectGuard;
  readonly throttle: ConnectThrottle;
  /** accepted sockets waiting to be handed to aedes (null: the throttle is off, no pacing) */
  private readonly intake: Intake<Accepted> | null;
  /** events waiting for the store with their connection still blocked */
  private readonly waiting = new Set<HeldEvent>();
  private readonly cluster: Cluster | null;
  private persistence: { destroy(cb?: () => void): unknown } | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  /** scale-out: devices claimed by this instance and not (yet) seen registered or released */
  private readonly claimed = new Set<string>();
  /** of those, the ones without a connection at the last sweep (a CONNECT that failed after its claim) */
  private strays = new Set<string>();
  port = 0;
  /** MQTT over TLS port (0: no TLS listener) */
  tlsPort = 0;
  connectionsTotal = 0;
  messagesIn = 0;
  private readonly received: Record<ReceivedChannel, number> = { status: 0, telemetry: 0, event: 0, 'cmd-res': 0 };
  messagesOut = 0;
  /** events whose PUBACK is held with their connection released */
  eventsHeld = 0;
  sessionsMadeClean = 0;

  constructor(private readonly o: BrokerOptions) {
    this.now = o.now ?? Date.now;
    this.maxPacket = o.maxPacket ?? 256 * 1024;
    this.maxConnectPacket = o.maxConnectPacket ?? 8 * 1024;
    this.eventHoldMax = o.eventHoldMax ?? 100_000;
    this.eventPipeline = o.eventPipeline ?? 64;
    this.listenBacklog = o.listenBacklog ?? 4096;
    this.guard = new ConnectGuard(o.ban ?? DEFAULT_BAN_POLICY, this.now);
    this.throttle = new ConnectThrottle(o.connectThrottle ?? DEFAULT_CONNECT_THROTTLE);
    const pace = o.accept ?? DEFAULT_ACCEPT;
    this.intake =
      this.throttle.enabled && pace.inFlight > 0
        ? new Intake<Accepted>({
            inFlight: pace.inFlight,
            max: pace.queueMax,
            // handed sockets whose CONNECT the throttle has not seen yet count against its queue
            full: (inFlight) => this.throttle.waiting() + inFlight >= this.throttle.policy.queueMax,
            handOff: (a) => this.accept(a.conn, a.address, a.req, true),
          })
        : null;
    // the packet-size guard patches two parser internals (guardPacketSize): refuse to start
    // rather than run without it, should an upgrade of mqtt-packet rename them
    const probe = mqttPacket.parser() as unknown as Partial<ParserInternals>;
    if (typeof probe._parseLength !== 'function' || typeof probe._emitError !== 'function') {
      throw new Error('mqtt-packet parser internals changed: the MQTT packet-size guard cannot be installed (broker/index.ts)');
    }
    this.cluster = o.cluster ?? null;
    const cl = this.cluster;
    // the Redis libraries come with the cluster (loaded only when REDIS_URL is set)
    const libs = cl?.libs;
    if (cl && libs) {
      this.persistence = libs.aedesPersistenceRedis({ conn: new libs.Redis(cl.config.redisUrl) }) as { destroy(cb?: () => void): unknown };
    }
    this.aedes = new Aedes({
      ...(cl && libs
        ? {
            id: cl.id,
            // the subscriber connection skips ioredis' ready check: aedes subscribes at once, and a
            // ready check (INFO) on a connection already in subscriber mode is a fatal error
            mq: libs.mqemitterRedis({
              subConn: new libs.Redis(cl.config.redisUrl, { enableReadyCheck: false }),
              pubConn: new libs.Redis(cl.config.redisUrl),
            }),
            persistence: this.persistence,
          }
        : {}),
      // A frozen subscriber may stall delivery for at most 10 s (ENVIRONMENT-NOTES: aedes).
      drainTimeout: 10_000,
      // Contract topics have 7–9 levels; anything deeper is an attack, refuse it early.
      maxTopicLevels: 16,
      maxClientsIdLength: 64,
      connectTimeout: 10_000,
      concurrency: 1000,
      heartbeatInterval: 60_000,
    });
    this.aedes.preConnect = (client, packet, done) => this.preConnect(client as DeviceClient, packet, done);
    this.aedes.authenticate = (client, username, password, done) => {
      // Scale-out: a device provisioned through another instance a moment ago may not have
      // reached this registry yet (the notice is in flight): read it from PostgreSQL once.
      if (this.cluster && username !== undefined && /^[a-z0-9-]{1,64}$/.test(username) && !o.registry.get(username)) {
        o.registry.reload(username).then(
          () => this.authenticate(client as DeviceClient, username, password, done),
          () => this.authenticate(client as DeviceClient, username, password, done),
        );
        return;
      }
      this.authenticate(client as DeviceClient, username, password, done);
    };
    this.aedes.authorizeSubscribe = (client, sub, done) => {
      const d = (client as DeviceClient)[DEVICE];
      if (d && sub.topic === topics.commandFilter(d)) return done(null, sub);
      o.rejections.count(d?.deviceId ?? null, 'forbidden_subscribe', `subscribe ${sub.topic}`);
      done(null, null); // SUBACK 0x80: refused, connection kept [MQTT-3.9.3-2]
    };
    this.aedes.authorizePublish = (client, packet, done) => this.authorizePublish(client as DeviceClient | null, packet, done);
    // A device's telemetry, events, command results and refused messages end at the hub: no MQTT
    // client may subscribe to them (authorizeSubscribe above: a device gets its own cmd/# only),
    // so routing them through aedes' emitter (where a device's cmd/# subscription would even match
    // its own cmd/{name}/res: MQTT 3.1.1 has no noLocal) — a topic match per message in qlobber, the 'publish'
    // event, and with scale-out a round trip through Redis to every instance — found nobody to
    // deliver to. That was ≈ 12 % of the hub's CPU at the telemetry ceiling (issue 12 profile,
    // emitPacket + callPublished). aedes has no hook to stop a publish it has authorized, so its
    // publish() is wrapped on this instance; status (retained) and the hub's commands still go
    // through it. aedes' PUBACK / PUBREC for such a message is written before publish() is
    // called (lib/handlers/publish.js), so acknowledgement is unchanged.
    // (its typings know only publish(packet, done); lib/handlers/publish.js passes the client too)
    //
    // aedes also announces every disconnect on $SYS/<id>/disconnect/clients, which nobody can
    // receive either (no client may subscribe to $SYS; aedes itself listens only to
    // $SYS/+/new/clients, which still goes through: it closes a takeover's older connection on
    // another instance). With scale-out each was a msgpack-encoded Redis publish that every
    // instance decoded: a third of each instance's CPU while 50,000 devices dropped at once
    // (BENCHMARKS.md "bench:storm", hub-cluster). It ends here too.
    const publish = this.aedes.publish.bind(this.aedes) as (packet: PublishPacket, client: unknown, done?: unknown) => void;
    const sysDisconnect = `$SYS/${this.aedes.id}/disconnect/clients`;
    this.aedes.publish = ((packet: HubPacket, client: unknown, done?: (err?: Error | null) => void) => {
      if (packet[AT_HUB] || packet.topic === sysDisconnect) {
        // completed on the next tick, never synchronously. Completed at once, scale-out.test.ts's
        // rolling restart under CPU load saw a device's PUBLISHes go unacknowledged for good
        // while it stayed connected (3 of 3 runs; 0 of 2 with this tick). Likely cause: aedes
        // then reads the connection's next data from inside its parser's 'packet' emit
        // (client.js nextBatch) and re-enters the parser; Redis, the emitter there before, had
        // always answered asynchronously.
        const cb = typeof client === 'function' ? (client as typeof done) : done;
        if (cb) process.nextTick(cb, null);
        return;
      }
      return publish(packet, client, done);
    }) as Aedes['publish'];
    this.aedes.on('clientReady', (client) => this.onReady(client as DeviceClient));
    this.aedes.on('clientDisconnect', (client) => this.onGone(client as DeviceClient));
    this.aedes.on('clientError', (client, err) => this.onError(client as DeviceClient, err));
    this.aedes.on('connectionError', (client, err) => this.onError(client as DeviceClient, err));
  }

  private authenticate(
    c: DeviceClient,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: (Error & { returnCode: number }) | null, ok: boolean) => void,
  ): void {
    const o = this.o;
    const address = c[ADDRESS] ?? 'unknown';
    const known = username !== undefined && o.registry.get(username) ? username : null;
    // A banned address or id is refused before the secret is looked at (CONNACK 5).
    const ban = this.guard.banned(address, known);
    if (ban) {
      o.rejections.count(
        ban.scope === 'client' ? known : null,
        'auth_banned',
        `connect refused: ${ban.scope} ${ban.scope === 'client' ? known : address} banned for ${Math.ceil((ban.until - this.now()) / 1000)} s`,
      );
      return done(authError(5, 'banned'), false);
    }
    const r = o.registry.authenticate(c.id, username, password);
    if (typeof r === 'string') {
      this.guard.failed(address, known);
      // an unknown name is counted under "(unknown)": per-name counters would let anyone
      // spraying made-up ids grow memory without bound
      o.rejections.count(
        r === 'auth_unknown_device' ? null : (username ?? null),
        r,
        `connect refused: ${r} (${String(username ?? c.id).slice(0, 64)} from ${address})`,
      );
      return done(authError(r === 'auth_client_id_mismatch' ? 2 : r === 'auth_disabled' ? 5 : 4, r), false);
    }
    this.guard.succeeded(address, r.deviceId);
    c[DEVICE] = r;
    // [MQTT-3.1.4-2]: aedes closes the live connection of this id next. Said on the bus first,
    // so the hub's own demo fleet can hand the device over instead of reconnecting and taking it
    // back every few seconds (issue 14: a drill against the demo fought it).
    if (this.current.has(r.deviceId)) this.o.bus.emit('device.takeover', { device: ref(r), ts: this.now() });
    if (!this.cluster) return done(null, true);
    // Scale-out: this instance holds the connection from here on. Claimed before aedes
    // announces the client to the other instances (which then close an older connection of
    // the same id, [MQTT-3.1.4-2] across instances), so that close finds the device no longer
    // theirs and does not mark it lost.
    this.cluster.claimDevice(r.deviceId).then(
      () => {
        this.claimed.add(r.deviceId);
        done(null, true);
      },
      (err: Error) => {
        this.o.log.warn({ err: err.message, deviceId: r.deviceId }, 'connect refused: Redis unreachable (device ownership)');
        done(authError(3, 'server unavailable'), false); // CONNACK 3: try again later
      },
    );
  }

  async start(): Promise<void> {
    await this.aedes.listen(); // aedes 1.x: sets up persistence; before it, CONNECTs hang
    if (this.cluster) {
      // devices a previous run of this instance id (or a dead instance) held are no longer
      // connected to it: they are lost until they reconnect somewhere
      await this.sweepOwners(true);
      this.sweeper = setInterval(
        () => void this.sweepOwners(false).catch((err: Error) => this.o.log.warn({ err: err.message }, 'owner sweep failed')),
        Math.max(500, Math.floor(this.cluster.config.leaseMs / 2)),
      );
      this.sweeper.unref();
    }
    // paced: the socket is not read until it is handed to aedes (its CONNECT waits in the kernel)
    this.server = net.createServer({ pauseOnConnect: !!this.intake }, (sock) => this.arrived(sock, sock.remoteAddress));
    this.port = await this.listen(this.server, this.o.port);
    if (this.o.tls) {
      this.tlsServer = tls.createServer(
        // TLS 1.2+ only; a client that never finishes the handshake is cut like a silent CONNECT
        { cert: this.o.tls.cert, key: this.o.tls.key, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 },
        (sock) => this.arrived(sock, sock.remoteAddress),
      );
      this.tlsServer.on('tlsClientError', (err) => this.o.log.debug({ err: err.message }, 'mqtts handshake failed'));
      this.tlsPort = await this.listen(this.tlsServer, this.o.tls.port);
    }
  }

  private async listen(server: net.Server, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A connect storm fills the kernel's accept queue first. Node asks for 511; on overflow
      // Linux drops the handshake and the device's TCP retransmits its SYN after 1, 3, 7, 15,
      // 31 s… — a reconnect stretched to minutes though the hub is idle (measured with
      // bench:storm: 15,000 devices took 121 s). Accepting is cheap (~50 µs), and accepted
      // CONNECTs wait in the connect throttle instead; the kernel caps this at net.core.somaxconn.
      server.listen({ port, host: this.o.host, backlog: this.listenBacklog }, () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Swap the TLS certificate and key (rotation without a restart); new connections use them. */
  setTls(files: { cert: Buffer | string; key: Buffer | string }): void {
    this.tlsServer?.setSecureContext({ cert: files.cert, key: files.key, minVersion: 'TLSv1.2' });
  }

  /** MQTT over WebSocket at `path` on the hub's HTTP server (same authentication and ACL). */
  attachWebSocket(http: HttpServer, path = '/mqtt'): void {
    // a frame larger than a packet may be is refused by ws itself before it is assembled
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxPacket + 5 });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!req.url || new URL(req.url, 'http://x').pathname !== path) return; // socket.io's
      this.wss!.handleUpgrade(req, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => undefined); // a 1009 (too big) or reset: aedes sees the close
        this.arrived(stream, req.socket.remoteAddress, req);
      });
    });
  }

  clients(): number {
    return this.aedes.connectedClients;
  }

  stats(): BrokerStats {
    const banned = this.guard.active();
    return {
      connections: this.aedes.connectedClients,
      connectionsTotal: this.connectionsTotal,
      connectsQueued: this.throttle.queued,
      connectsShed: this.throttle.shed,
      connectQueue: this.throttle.waiting(),
      acceptQueue: this.intake?.waiting() ?? 0,
      messagesIn: this.messagesIn,
      received: { ...this.received },
      messagesOut: this.messagesOut,
      eventsHeld: this.eventsHeld,
      sessionsMadeClean: this.sessionsMadeClean,
      bans: this.guard.bans,
      bannedAddresses: banned.addresses,
      bannedClients: banned.clients,
    };
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.throttle.stop();
    for (const a of this.intake?.stop() ?? []) a.conn.destroy();
    this.wss?.close();
    await new Promise<void>((r) => this.aedes.close(() => r()));
    if (this.persistence) {
      const p = this.persistence;
      this.persistence = null;
      // (its own promise; a callback-style destroy is also accepted)
      await Promise.resolve(p.destroy()).catch(() => undefined);
    }
    for (const s of [this.server, this.tlsServer]) if (s) await new Promise<void>((r) => s.close(() => r()));
    this.server = null;
    this.tlsServer = null;
  }

  /** Send a command (QoS1, not retained). Returns false when the device is not connected. */
  async publishCommand(
    device: DeviceRecord,
    name: CommandName,
    payload: { v: 1; corr: string; exp: number; data: unknown },
  ): Promise<boolean> {
    if (COMMAND_CLASS[name] !== device.class) throw new Error(`${name} is not a ${device.class} command`);
    const packet = {
      cmd: 'publish',
      topic: topics.command(device, name),
      payload: Buffer.from(JSON.stringify(payload)),
      qos: 1,
      retain: false,
      dup: false,
    } as PublishPacket;
    // Sessions are clean (preConnect): when the device is not connected nobody is subscribed and
    // aedes keeps nothing, so this command is simply not delivered — never later. Scale-out: the
    // device may be connected to another instance; mqemitter-redis carries the publish there.
    const connected = this.current.has(device.deviceId) || (this.cluster ? (await this.cluster.ownerOf(device.deviceId)) !== null : false);
    this.messagesOut++;
    return new Promise<boolean>((resolve, reject) => this.aedes.publish(packet, (err) => (err ? reject(err) : resolve(connected))));
  }

  /** Whether the device's connection is on this instance. */
  holds(deviceId: string): boolean {
    return this.current.has(deviceId);
  }

  /** Close the device's connection if it is on this instance (it was disabled or its secret rotated). */
  disconnect(deviceId: string): boolean {
    const c = this.current.get(deviceId);
    if (!c) return false;
    c.close();
    return true;
  }

  /**
   * Scale-out: devices whose owning instance stopped renewing its heartbeat (killed, network
   * split) are lost — taken exactly once, by whichever instance wins the compare-and-delete.
   * On start (`own`), devices this instance id owned in a previous run are released as well.
   * The owner hash (one entry per connected device) is read only then and when an instance has
   * died: read on every sweep it was 50,000 entries every 7.5 s on each instance.
   */
  private async sweepOwners(own: boolean): Promise<void> {
    const cl = this.cluster;
    if (!cl) return;
    // claimed here but not held: the CONNECT failed after authentication, or the release at
    // the close failed. Given up when still so one sweep later (a CONNECT in progress is
    // registered by then).
    const strays = new Set<string>();
    for (const deviceId of this.claimed) {
      if (this.current.has(deviceId)) this.claimed.delete(deviceId);
      else if (!this.strays.has(deviceId)) strays.add(deviceId);
      else {
        let released: boolean;
        try {
          released = await cl.releaseDevice(deviceId);
        } catch {
          strays.add(deviceId); // Redis unreachable: the next sweep tries again
          continue;
        }
        this.claimed.delete(deviceId);
        const d = this.o.registry.get(deviceId);
        // not released: another instance holds it now
        if (released && d && !this.current.has(deviceId)) this.status(d, 'lost', this.now(), 'connection lost');
      }
    }
    this.strays = strays;
    const { dead } = await cl.instances();
    dead.delete(cl.id);
    if (!own && dead.size === 0) return;
    // the hash first, then who is alive: a claim is made after its instance's first heartbeat,
    // so an instance (re)started under the same id meanwhile is seen alive, not swept
    const owners = await cl.owners();
    const { alive } = await cl.instances();
    for (const [deviceId, owner] of owners) {
      const mine = owner === cl.id;
      if (mine ? !own || this.current.has(deviceId) : alive.has(owner)) continue;
      if (!(await cl.releaseDevice(deviceId, owner))) continue;
      const d = this.o.registry.get(deviceId);
      if (d) this.status(d, 'lost', this.now(), mine ? 'hub instance restarted' : 'hub instance lost');
    }
    // every device of theirs is released (by this sweep or an earlier one elsewhere)
    await cl.forgetInstances(dead);
    if (!own) return;
    // online in the shared registry but held by nobody (e.g. Redis restarted without data)
    for (const d of this.o.registry.all()) {
      if (d.state === 'online' && !owners.has(d.deviceId) && !this.current.has(d.deviceId)) {
        this.status(d, 'lost', this.now(), 'held by no hub instance');
      }
    }
  }

  /**
   * Called by the event store when the database becomes unreachable: every event still blocking
   * its connection gets its PUBACK held instead (up to `eventHoldMax`), so the device can go on
   * sending status and telemetry — and answering keep-alives — while it waits.
   */
  releaseHeldEvents(): void {
    for (const h of this.waiting) {
      if (this.eventsHeld >= this.eventHoldMax) break;
      h.release();
    }
  }

  // ------------------------------------------------------------------ connections

  /** A connection was accepted: handed to aedes now, or paced through the intake. */
  private arrived(conn: Duplex, address: string | undefined, req?: IncomingMessage): void {
    if (!this.intake) return this.accept(conn, address, req);
    if (!this.intake.push({ conn, address, req })) conn.destroy(); // stopping
  }

  private accept(conn: Duplex, address: string | undefined, req?: IncomingMessage, paced = false): void {
    this.connectionsTotal++;
    const client = this.aedes.handle(conn as net.Socket, req) as DeviceClient;
    client[ADDRESS] = address ?? 'unknown';
    if (paced) {
      // in flight until its CONNECT reaches preConnect, or it closes without one
      const settle = () => {
        if (client[SETTLE] !== settle) return;
        client[SETTLE] = undefined;
        this.intake!.settled();
      };
      client[SETTLE] = settle;
      conn.once('close', settle);
    }
    this.guardPacketSize(client);
  }

  /**
   * Enforce the packet-size limits inside mqtt-packet's parser: right after the fixed header's
   * remaining length is decoded, and before a byte of the body is waited for. aedes has no such
   * option (1.2), and a guard stream in front of every socket would cost a copy per chunk; this
   * costs one comparison per packet. It relies on two parser internals, checked here so an
   * upgrade that changes them fails loudly (and tests/integration/broker-edge.test.ts with it).
   */
  private guardPacketSize(client: DeviceClient): void {
    const parser = (client as unknown as { _parser: ParserInternals })._parser;
    const parseLength = parser?._parseLength;
    const emitError = parser?._emitError;
    if (typeof parseLength !== 'function' || typeof emitError !== 'function') {
      // checked at construction; an aedes that no longer exposes `_parser` ends up here
      this.o.log.error('aedes client has no mqtt-packet parser to guard; connection refused');
      client.conn.destroy();
      return;
    }
    const maxPacket = this.maxPacket;
    const maxConnect = this.maxConnectPacket;
    parser._parseLength = function (this: ParserInternals) {
      if (!parseLength.call(this)) return false;
      const limit = client[DEVICE] ? maxPacket : maxConnect;
      if (this.packet.length <= limit) return true;
      const err: TaggedError = new Error(`packet of ${this.packet.length} bytes exceeds the ${limit}-byte limit`);
      err[REASON] = 'packet_too_large';
      this._emitError(err);
      return false;
    };
    // anything else the parser refuses is bytes that are not MQTT
    parser._emitError = function (this: ParserInternals, err: TaggedError) {
      err[REASON] ??= 'protocol_garbage';
      emitError.call(this, err);
    };
  }

  private preConnect(client: DeviceClient, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void): void {
    client[SETTLE]?.();
    if (packet.protocolVersion !== 4 && packet.protocolVersion !== 3) {
      // aedes answers CONNACK 1 (unacceptable protocol version) and closes; counted here
      this.o.rejections.count(
        null,
        'protocol_version',
        `MQTT protocol version ${packet.protocolVersion} from ${client[ADDRESS]} (this broker speaks 3.1.1)`,
      );
      return done(null, true);
    }
    if (!packet.clean) {
      packet.clean = true; // see the header: no session survives a connection
      this.sessionsMadeClean++;
    }
    // Connect storms (./throttle.ts): the CONNECT waits here for a token. aedes has parsed it and
    // queues whatever the device sends next until the CONNACK; a device that gives up and closes
    // while waiting is skipped without using a token.
    const admission = this.throttle.admit(
      () => done(null, true),
      () => !!client.closed || client.conn.destroyed,
    );
    if (admission === 'queued') return;
    if (admission === 'full') {
      // CONNACK 3 written here and the connection closed, without aedes' connect pipeline
      // (session set-up, authenticate, then tear-down): a storm beyond the queue is thousands of
      // these in the same turns, and going through the pipeline made shedding cost more than
      // admitting (bench:storm profile). The 4 bytes go out before aedes destroys the socket
      // (a fresh socket's write is synchronous). errorCode 3: counted here, not as a protocol error.
      // The socket is destroyed here, without an error: aedes then skips `destroy(err)`, which
      // formats the error's stack trace (Node reads err.stack there) — a third of a refusal's
      // cost in a storm's profile; one shared error object carries no stack of its own either.
      client.conn.write(CONNACK_SERVER_UNAVAILABLE);
      client.conn.destroy();
      return done(SERVER_BUSY, false);
    }
    done(null, true);
  }

  private onError(client: DeviceClient, err: Error): void {
    const reason = classify(err as TaggedError);
    const d = client?.[DEVICE];
    if (reason) {
      this.o.rejections.count(d?.deviceId ?? null, reason, `${client?.[ADDRESS] ?? '?'}: ${err.message}`);
    } else {
      this.o.log.debug({ client: client?.id, err: err.message }, 'mqtt connection error');
    }
  }

  private onReady(client: DeviceClient): void {
    const d = client[DEVICE];
    if (!d) return;
    this.o.log.debug({ deviceId: d.deviceId }, 'mqtt connect');
    this.current.set(d.deviceId, client);
    this.claimed.delete(d.deviceId);
    this.status(d, 'online', this.now(), 'connected');
  }

  private onGone(client: DeviceClient): void {
    const d = client[DEVICE];
    if (d) this.o.log.debug({ deviceId: d.deviceId, clean: !!client._disconnected }, 'mqtt disconnect');
    if (!d || this.current.get(d.deviceId) !== client) return; // replaced by a newer session
    this.current.delete(d.deviceId);
    // A clean DISCONNECT is a deliberate goodbye; anything else (socket reset, keep-alive
    // timeout, broker-side close) is an unexpected loss, like the last will says.
    const state = client._disconnected ? 'offline' : 'lost';
    const reason = client._disconnected ? 'disconnect' : 'connection lost';
    const ts = this.now();
    if (!this.cluster) return this.status(d, state, ts, reason);
    // Scale-out: only while this instance still owns the device — a takeover by another
    // instance closed this connection, and the device is online there.
    this.cluster.releaseDevice(d.deviceId).then(
      (released) => {
        if (released && !this.current.has(d.deviceId)) this.status(d, state, ts, reason);
      },
      (err: Error) => {
        this.o.log.warn({ err: err.message, deviceId: d.deviceId }, 'could not release device ownership');
        this.claimed.add(d.deviceId); // the owner sweep tries again
      },
    );
  }

  private status(d: DeviceRecord, state: 'online' | 'offline' | 'lost', ts: number, reason: string): void {
    if (this.o.registry.setState(d.deviceId, state, ts)) {
      this.o.bus.emit('device.status', { device: ref(d), state, ts, reason });
    }
  }

  // ------------------------------------------------------------------ publishes

  private discard(packet: HubPacket, deviceId: string | null, reason: RejectReason, detail: string, done: (e?: Error | null) => void) {
    this.o.rejections.count(deviceId, reason, `${packet.topic.slice(0, 200)}: ${detail}`);
    packet[AT_HUB] = true;
    packet.retain = false;
    done(null);
  }

  private authorizePublish(client: DeviceClient | null, packet: HubPacket, done: (e?: Error | null) => void): void {
    this.messagesIn++;
    const cache = client?.[DEVICE] ? (client[TOPICS] ??= new Map()) : undefined;
    let t: ParsedTopic | null | undefined = cache?.get(packet.topic);
    let d = client?.[DEVICE];
    if (!t || !d) {
      t = parseTopic(packet.topic);
      // A will left over from a previous broker run arrives without a client (aedes docs).
      d = client ? client[DEVICE] : t ? this.o.registry.get(t.deviceId) : undefined;
      if (!d) return this.discard(packet, null, 'foreign_topic', 'publisher has no device identity', done);
      if (!t) return this.discard(packet, d.deviceId, 'bad_topic', 'not a contract topic', done);
      if (!packet.topic.startsWith(`${deviceBase(d)}/`) || t.deviceId !== d.deviceId) {
        return this.discard(packet, d.deviceId, 'foreign_topic', `outside ${deviceBase(d)}/`, done);
      }
      if (cache && cache.size < TOPIC_CACHE_MAX) cache.set(packet.topic, t);
    }
    const ts = this.now();
    const payload = packet.payload as Buffer;
    switch (t.channel) {
      case 'status': {
        const r = parseStatus(payload);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        this.received.status++;
        // A will from a connection that has been replaced must not mark the new one lost.
        if (client && this.current.get(d.deviceId) && this.current.get(d.deviceId) !== client) {
          packet.retain = false;
          return done(null);
        }
        // Scale-out: a will without a client is a dead instance's, published by aedes on another
        // instance; the owner sweep decides about that device (it may be online elsewhere now).
        if (!client && this.cluster) return done(null);
        this.status(d, r.value.state, ts, 'status message');
        return done(null); // the one retained channel (CONTRACT.md)
      }
      case 'telemetry': {
        const r = parseTelemetry(payload);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        this.received.telemetry++;
        packet.retain = false;
        packet[AT_HUB] = true;
        this.o.registry.seen(d.deviceId, ts, r.value.metrics);
        this.o.bus.emit('device.telemetry', { device: ref(d), ts: r.value.ts, metrics: r.value.metrics });
        return done(null);
      }
      case 'event': {
        const r = parseEvent(payload, d.class);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        this.received.event++;
        packet.retain = false;
        packet[AT_HUB] = true;
        this.o.registry.seen(d.deviceId, ts);
        return this.storeThenAck(client, d, packet, r.value, ts, done);
      }
      case 'cmd-res': {
        if (!Object.hasOwn(COMMAND_CLASS, t.command) || COMMAND_CLASS[t.command as CommandName] !== d.class) {
          return this.discard(packet, d.deviceId, 'unknown_command', `no ${d.class} command ${t.command}`, done);
        }
        const r = parseCommandResult(payload);
        if (!r.ok) return this.discard(packet, d.deviceId, r.reason, r.detail, done);
        this.received['cmd-res']++;
        packet.retain = false;
        packet[AT_HUB] = true;
        this.o.registry.seen(d.deviceId, ts);
        this.o.bus.emit('device.command_result', { device: ref(d), command: t.command, result: r.value });
        return done(null);
      }
      case 'cmd':
        return this.discard(packet, d.deviceId, 'foreign_topic', 'devices may not publish commands', done);
    }
  }

  /**
   * Store, then ack: the PUBACK means "durably stored" — it is written only after the event's
   * batch committed (services/devices/ingest.ts), so nothing acknowledged is ever lost.
   *
   * The connection does not wait for that commit (issue 12): aedes reads a connection's next
   * packet only once this hook calls back, so a connection that waited for each commit could have
   * one event in the database at a time — QoS1 ingest was bounded by commit latency × devices
   * (0.26–0.46× bare aedes), and the group commits stayed small. Instead the event is *released*:
   * let through as QoS0 (aedes writes no PUBACK for it, and reading the connection resumes) and
   * the PUBACK is written here once the event is stored. Up to `eventPipeline` events per
   * connection (HUB_EVENT_PIPELINE) and `eventHoldMax` in all (HUB_EVENT_HOLD_MAX) are released
   * this way; past either, the connection waits for the store, which is TCP back-pressure.
   * PUBACKs still go out in the order the PUBLISHes arrived ([MQTT-4.6.0-2]): the store hands out
   * its results in arrival order.
   *
   * While the database is down the store keeps the event and retries; then every waiting event
   * is released (releaseHeldEvents, up to `eventHoldMax`) so status and telemetry keep flowing.
   * The device keeps a released event in flight meanwhile, and resends it if the connection
   * drops (dedup by event id makes that harmless).
   */
  private storeThenAck(
    client: DeviceClient | null,
    d: DeviceRecord,
    packet: PublishPacket,
    event: DeviceEvent,
    ts: number,
    done: (e?: Error | null) => void,
  ): void {
    const qos = packet.qos;
    const messageId = packet.messageId;
    let released = false;
    const held: HeldEvent = {
      release: () => {
        if (released) return;
        released = true;
        this.waiting.delete(held);
        this.eventsHeld++;
        if (client) client[PIPED] = (client[PIPED] ?? 0) + 1;
        packet.qos = 0;
        done(null);
      },
    };
    const settled = () => {
      if (!released) return this.waiting.delete(held);
      this.eventsHeld--;
      if (client) client[PIPED]!--;
    };
    this.waiting.add(held);
    if (this.eventsHeld < this.eventHoldMax && (this.o.storeHolding?.() || (client && (client[PIPED] ?? 0) < this.eventPipeline))) {
      held.release();
    }
    // Outcomes are carried out in the order the events were read: the store's results settle
    // in arrival order, but through promise chains of different lengths, so two events of one
    // connection could otherwise see their PUBACKs swapped (caught by broker.test.ts).
    const turn: Turn = { run: null };
    const line = client ? (client[TURNS] ??= []) : null;
    line?.push(turn);
    const finish = (run: () => void) => {
      if (!line) return run();
      turn.run = run;
      while (line.length > 0 && line[0]!.run) line.shift()!.run!();
    };
    const ack = () => {
      if (qos > 0 && messageId !== undefined && client) this.writePuback(client, messageId);
    };
    this.o.acceptEvent(ref(d), event, ts).then(
      () => {
        settled();
        finish(released ? ack : () => done(null));
      },
      (err: Error & { code?: unknown }) => {
        settled();
        if (err.code === 'store_refused') {
          // this event can never be stored: acknowledge and discard it like any refused payload
          this.o.rejections.count(d.deviceId, 'store_refused', `event ${event.id.slice(0, 64)}: ${err.message.slice(0, 200)}`);
          return finish(released ? ack : () => done(null));
        }
        // Not stored and no longer held (the outage outlasted HUB_EVENT_HOLD_S, or the hub is
        // stopping): the device still has it un-acked; closing the connection makes it resend.
        this.o.log.debug({ deviceId: d.deviceId, err: err.message }, 'event not stored; closing so the device resends');
        finish(released ? () => client?.conn.destroy() : () => done(err));
      },
    );
  }

  private writePuback(client: DeviceClient, messageId: number): void {
    // aedes' own write path does the same (lib/write.js); a closed client's device resends
    if (client.closed || !client.connected) return;
    // A committed batch settles all its events in one tick: cork the socket until that tick
    // ends, so a connection's PUBACKs leave in one write instead of one syscall each (issue 12
    // profile: `writev` 35 % of CPU at 5,000 events/s). Reading does not wait for these writes.
    const conn = client.conn;
    if (!client[CORKED]) {
      client[CORKED] = true;
      conn.cork();
      process.nextTick(() => {
        client[CORKED] = false;
        conn.uncork();
      });
    }
    // PUBACK (MQTT 3.1.1 §3.4): 0x40, remaining length 2, packet id — one 4-byte write where
    // mqtt-packet makes three (and schedules its own uncork per packet)
    conn.write(Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]));
  }
}

export type { AedesPublishPacket };
