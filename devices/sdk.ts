// Device SDK: what a field gateway (or a simulator) needs to speak the hub's MQTT contract.
// All topic names, payload shapes and validation come from contracts/mqtt.ts so a device can
// never drift from what the hub parses. Time comes from an injectable Clock (tests).
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { DEVICE_CLASSES, DeviceClass, Id, type DeviceClass as DeviceClassT } from '../contracts/domain.js';
import {
  EVENT_CLASS,
  EVENT_DATA,
  TelemetryPayload,
  parseCommand,
  parseTopic,
  topics,
  type CommandData,
  type CommandName,
  type CommandResult,
  type DeviceAddress,
  type DeviceEvent,
  type EventData,
  type EventType,
  type StatusPayload,
} from '../contracts/mqtt.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { TypedEmitter } from './emitter.js';

export type Metrics = Record<string, number | boolean | string>;

/** A device's credentials and placement (the fleet file format, CONTRACT.md "Identity"). */
export interface DeviceIdentity {
  id: string;
  secret: string;
  site: string;
  building: string;
  class: DeviceClassT;
  /** Floors served (elevator) or fed (power meter); panels use them as default zones. */
  floors?: number[];
  /**
   * Class specifics from the fleet file: `feeder` (power), `car` and `lobbyFloor` (elevator),
   * `role` (sump | leak), `zone`, `floor`, `pit` and `near` (water).
   */
  meta?: { feeder?: string; car?: string; lobbyFloor?: number; role?: string; zone?: string; floor?: number; pit?: string; near?: string };
}

/** Returned by a command handler that must not answer at all (fail-closed / non-confirming drills). */
export const NO_REPLY: unique symbol = Symbol('no-reply');
export type NoReply = typeof NO_REPLY;

export interface CommandReply {
  ok: boolean;
  data?: Record<string, unknown>;
}

export interface CommandContext {
  name: CommandName;
  corr: string;
  exp: number;
  receivedAt: number;
}

export type CommandHandler<N extends CommandName> = (
  data: CommandData<N>,
  ctx: CommandContext,
) => CommandReply | NoReply | Promise<CommandReply | NoReply>;

/**
 * How a received command was handled. `executed` and `failed` ran the handler; every other
 * status means the handler was never called. Reasons go in the result's `data.reason`
 * (the contract's result has no top-level reason field).
 */
export type CommandStatus =
  | 'executed' // handler ran and returned a reply
  | 'failed' // handler threw; replied ok:false reason 'error'
  | 'no_reply' // handler asked for silence
  | 'expired' // exp < now: refused, ok:false reason 'expired'
  | 'unsupported' // no handler for this command on this device
  | 'malformed' // payload failed the contract; replied when a corr could be read
  | 'duplicate'; // corr seen before (QoS1 redelivery): previous result re-sent, not re-executed

export interface CommandRecord {
  name: string;
  corr: string | null;
  status: CommandStatus;
  receivedAt: number;
  data?: unknown;
  result: CommandResult | null;
}

/** Command results the device remembers, so a redelivered command is answered, not re-run. */
const REMEMBERED_COMMANDS = 256;

/**
 * The transport-free half of command handling: contract parsing, the expiry rule and
 * de-duplication. DeviceClient feeds it MQTT messages; unit tests feed it payloads directly.
 */
export class CommandDispatcher {
  private readonly handlers = new Map<string, CommandHandler<CommandName>>();
  /** corr → result (null while the handler is still running). Insertion-ordered for eviction. */
  private readonly seen = new Map<string, CommandResult | null>();

  constructor(private readonly now: () => number) {}

  on<N extends CommandName>(name: N, handler: CommandHandler<N>): void {
    this.handlers.set(name, handler as unknown as CommandHandler<CommandName>);
  }

  has(name: string): boolean {
    return this.handlers.has(name);
  }

  private result(corr: string, ok: boolean, data: Record<string, unknown>): CommandResult {
    return { v: 1, corr, ok, ts: this.now(), data };
  }

  private remember(corr: string, r: CommandResult | null): void {
    this.seen.delete(corr);
    this.seen.set(corr, r);
    while (this.seen.size > REMEMBERED_COMMANDS) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  async dispatch(name: string, payload: Buffer | string): Promise<CommandRecord> {
    const receivedAt = this.now();
    const parsed = parseCommand(name, payload);
    if (!parsed.ok) {
      // Answer a malformed command when we can tell whom to answer, so the hub fails fast
      // instead of waiting for its timeout; without a corr there is nobody to answer.
      const corr = peekCorr(payload);
      const result = corr === null ? null : this.result(corr, false, { reason: 'bad_command', detail: parsed.detail.slice(0, 200) });
      return { name, corr, status: 'malformed', receivedAt, result };
    }
    const { corr, exp, data } = parsed.value;
    if (this.seen.has(corr)) {
      return { name, corr, status: 'duplicate', receivedAt, data, result: this.seen.get(corr) ?? null };
    }
    // CONTRACT.md: a command past `exp` must not be executed. Checked before anything else
    // touches the device, including the unsupported-command reply.
    if (exp < receivedAt) {
      const result = this.result(corr, false, { reason: 'expired', exp, now: receivedAt });
      this.remember(corr, result);
      return { name, corr, status: 'expired', receivedAt, data, result };
    }
    const handler = this.handlers.get(name);
    if (!handler) {
      const result = this.result(corr, false, { reason: 'unsupported', command: name });
      this.remember(corr, result);
      return { name, corr, status: 'unsupported', receivedAt, data, result };
    }
    this.remember(corr, null);
    let reply: CommandReply | NoReply;
    try {
      reply = await handler(data as CommandData<CommandName>, { name: name as CommandName, corr, exp, receivedAt });
    } catch (err) {
      const result = this.result(corr, false, { reason: 'error', detail: String((err as Error)?.message ?? err).slice(0, 200) });
      this.remember(corr, result);
      return { name, corr, status: 'failed', receivedAt, data, result };
    }
    if (reply === NO_REPLY) return { name, corr, status: 'no_reply', receivedAt, data, result: null };
    const result = this.result(corr, reply.ok, reply.data ?? {});
    this.remember(corr, result);
    return { name, corr, status: 'executed', receivedAt, data, result };
  }
}

function peekCorr(payload: Buffer | string): string | null {
  try {
    const j = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8')) as unknown;
    if (j && typeof j === 'object' && 'corr' in j) {
      const c = (j as { corr: unknown }).corr;
      if (typeof c === 'string' && c.length > 0 && c.length <= 64) return c;
    }
  } catch {
    // not JSON: nothing to answer
  }
  return null;
}

/** Why connecting failed, so the CLI can print a clear message and pick an exit code. */
export type ConnectFailure = 'unreachable' | 'auth' | 'refused' | 'timeout';

export class DeviceConnectError extends Error {
  constructor(
    readonly kind: ConnectFailure,
    readonly deviceId: string,
    message: string,
    readonly code?: string | number,
  ) {
    super(message);
    this.name = 'DeviceConnectError';
  }
}

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3) and MQTT 5 reason codes for refused credentials.
const AUTH_CODES = new Set<number>([4, 5, 0x86, 0x87, 0x8c]);

function classifyConnectError(deviceId: string, url: string, err: Error & { code?: string | number }): DeviceConnectError {
  const code = err.code;
  if (typeof code === 'number') {
    if (AUTH_CODES.has(code)) {
      return new DeviceConnectError('auth', deviceId, `broker ${url} refused device ${deviceId}: bad id or secret (${err.message})`, code);
    }
    return new DeviceConnectError('refused', deviceId, `broker ${url} refused device ${deviceId}: ${err.message} (code ${code})`, code);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' || code === 'EAI_AGAIN') {
    return new DeviceConnectError('unreachable', deviceId, `cannot reach MQTT broker at ${url} (${code}); is the hub running?`, code);
  }
  return new DeviceConnectError('refused', deviceId, `connection to ${url} failed for ${deviceId}: ${err.message}`, code);
}

export interface DeviceClientOptions {
  identity: DeviceIdentity;
  /** Full broker URL (mqtt://host:port); otherwise host/port. */
  url?: string;
  host?: string;
  port?: number;
  /** MQTT keep-alive in seconds (the hub detects a dead device after ~1.5×). Default 30. */
  keepalive?: number;
  /**
   * MQTT clean session. Default true, and the hub's broker gives every device a clean session
   * anyway (CONTRACT.md "Commands are never delivered late"): it queues no command for an offline
   * device, and the client re-subscribes to cmd/# on every connect (announce()).
   */
  clean?: boolean;
  /** Reconnect delay after a connection drop, ms; 0 disables reconnecting. Default 2000. */
  reconnectPeriod?: number;
  /** Give up on the first connection after this long, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** 4 = MQTT 3.1.1 (the contract baseline; aedes supports only this), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  clock?: Clock;
  /** Prefix of generated event ids; default a random per-process tag. Fixed value → reproducible ids. */
  eventIdPrefix?: string;
  /** Extra mqtt.js options (tests, TLS). Identity-related keys here are ignored. */
  mqtt?: Partial<IClientOptions>;
}

export interface DeviceClientEvents extends Record<string, unknown> {
  connect: { reconnect: boolean };
  /** Connection lost (the client will retry when reconnectPeriod > 0). */
  offline: { reason: string };
  error: Error;
  event: DeviceEvent;
  command: CommandRecord;
}

/** What simulators need from a device connection (DeviceClient, or a fake in unit tests). */
export interface DevicePort {
  readonly identity: DeviceIdentity;
  readonly address: DeviceAddress;
  readonly clock: Clock;
  publishEvent<T extends EventType>(type: T, data: EventData<T>, opts?: { id?: string; ts?: number }): Promise<DeviceEvent>;
  publishTelemetry(metrics: Metrics): Promise<boolean>;
  onCommand<N extends CommandName>(name: N, handler: CommandHandler<N>): void;
}

/**
 * One device connection. clientId = username = device id, password = secret; last will =
 * retained `lost` status; `online` retained on every (re)connect; events QoS1 with unique
 * ids; commands parsed, expiry-checked and answered on `cmd/{name}/res` with the same corr.
 */
export class DeviceClient extends TypedEmitter<DeviceClientEvents> implements DevicePort {
  readonly identity: DeviceIdentity;
  readonly address: DeviceAddress;
  readonly clock: Clock;
  readonly url: string;
  private readonly opts: DeviceClientOptions;
  private readonly dispatcher: CommandDispatcher;
  private client: MqttClient | null = null;
  private readonly idPrefix: string;
  private eventSeq = 0;
  private everConnected = false;
  private closing = false;

  constructor(opts: DeviceClientOptions) {
    super();
    const id = opts.identity;
    // Reject bad identities here: a wrong id would otherwise surface as a confusing broker refusal.
    for (const [k, v] of [
      ['id', id.id],
      ['site', id.site],
      ['building', id.building],
    ] as const) {
      if (!Id.safeParse(v).success) throw new Error(`device ${k} ${JSON.stringify(v)} must match [a-z0-9-]+ (max 64)`);
    }
    if (!DeviceClass.safeParse(id.class).success)
      throw new Error(`device class ${JSON.stringify(id.class)} is not one of ${DEVICE_CLASSES.join('|')}`);
    this.opts = opts;
    this.identity = id;
    this.address = { site: id.site, building: id.building, class: id.class, deviceId: id.id };
    this.clock = opts.clock ?? systemClock;
    this.url = opts.url ?? `mqtt://${opts.host ?? '127.0.0.1'}:${opts.port ?? 1883}`;
    this.dispatcher = new CommandDispatcher(() => this.clock.now());
    // Short enough that id stays within the contract's 64 characters whatever the sequence.
    this.idPrefix = opts.eventIdPrefix ?? randomBytes(6).toString('hex');
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  private status(state: StatusPayload['state']): string {
    const p: StatusPayload = { v: 1, state, ts: this.clock.now() };
    return JSON.stringify(p);
  }

  /** Connect, subscribe to our cmd/# and announce `online`. Rejects with DeviceConnectError. */
  connect(): Promise<void> {
    if (this.client) return Promise.reject(new Error(`device ${this.identity.id} already connected`));
    this.closing = false;
    const o = this.opts;
    const client = connect(this.url, {
      ...o.mqtt,
      clientId: this.identity.id,
      username: this.identity.id,
      password: this.identity.secret,
      clean: o.clean ?? true,
      keepalive: o.keepalive ?? 30,
      protocolVersion: o.protocolVersion ?? 4,
      reconnectPeriod: o.reconnectPeriod ?? 2000,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      // Stale telemetry is worthless and a backlog would burst on reconnect; events are QoS1
      // and stay queued by the QoS1 machinery.
      queueQoSZero: false,
      will: { topic: topics.status(this.address), payload: Buffer.from(this.status('lost')), qos: 1, retain: true },
    });
    this.client = client;

    client.on('reconnect', () => {
      // The will is sent in CONNECT, so its ts is the connection time: refresh it per attempt.
      // The hub should treat `lost` ts as "connected since", and use its receive time.
      if (client.options.will) client.options.will.payload = Buffer.from(this.status('lost'));
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('offline', () => this.emit('offline', { reason: 'connection lost' }));

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer: TimerHandle = setTimeout(
        () =>
          fail(
            new DeviceConnectError('timeout', this.identity.id, `no CONNACK from ${this.url} within ${o.connectTimeoutMs ?? 10_000} ms`),
          ),
        (o.connectTimeoutMs ?? 10_000) + 500,
      );
      const fail = (err: DeviceConnectError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer as NodeJS.Timeout);
        this.client = null;
        client.removeAllListeners();
        client.on('error', () => undefined); // swallow late socket errors from the dying client
        client.end(true);
        reject(err);
      };
      client.on('error', (err: Error & { code?: string | number }) => {
        if (!settled) fail(classifyConnectError(this.identity.id, this.url, err));
        else this.emit('error', err);
      });
      client.on('close', () => {
        // Some brokers drop the socket instead of sending a refusing CONNACK.
        if (!settled)
          fail(
            new DeviceConnectError(
              'refused',
              this.identity.id,
              `broker ${this.url} closed the connection before accepting device ${this.identity.id}`,
            ),
          );
      });
      client.on('connect', () => {
        const reconnect = this.everConnected;
        this.announce(client)
          .then(() => {
            this.everConnected = true;
            this.emit('connect', { reconnect });
            if (!settled) {
              settled = true;
              clearTimeout(timer as NodeJS.Timeout);
              resolve();
            }
          })
          .catch((err: Error) => {
            if (!settled) fail(new DeviceConnectError('refused', this.identity.id, `connected but setup failed: ${err.message}`));
            else this.emit('error', err);
          });
      });
    });
  }

  private async announce(client: MqttClient): Promise<void> {
    // Subscribe first: once the hub sees `online` it may send commands straight away.
    const granted = await client.subscribeAsync(topics.commandFilter(this.address), { qos: 1 });
    if (granted.some((g) => g.qos === 128)) throw new Error('broker refused the cmd/# subscription');
    await client.publishAsync(topics.status(this.address), this.status('online'), { qos: 1, retain: true });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    // Our cmd/# filter also matches our own cmd/{name}/res publications: ignore those.
    if (!t || t.channel !== 'cmd' || t.deviceId !== this.identity.id) return;
    void this.dispatcher.dispatch(t.command, payload).then(async (rec) => {
      // A duplicate still running has no result yet: its eventual reply answers both deliveries.
      if (rec.result) {
        try {
          await this.publishRaw(topics.commandResult(this.address, t.command), JSON.stringify(rec.result), 1, false);
        } catch (err) {
          this.emit('error', err as Error);
        }
      }
      this.emit('command', rec);
    });
  }

  onCommand<N extends CommandName>(name: N, handler: CommandHandler<N>): void {
    this.dispatcher.on(name, handler);
  }

  private publishRaw(topic: string, payload: string, qos: 0 | 1, retain: boolean): Promise<void> {
    const c = this.client;
    if (!c) return Promise.reject(new Error(`device ${this.identity.id} is not connected`));
    return new Promise((resolve, reject) => {
      c.publish(topic, payload, { qos, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Telemetry, QoS0. Returns false (and sends nothing) while disconnected. */
  async publishTelemetry(metrics: Metrics, ts?: number): Promise<boolean> {
    if (!this.connected) return false;
    const payload: TelemetryPayload = { v: 1, ts: ts ?? this.clock.now(), metrics };
    await this.publishRaw(topics.telemetry(this.address), JSON.stringify(payload), 0, false);
    return true;
  }

  /** Next unique event id: `{prefix}-{seq}`; unique per process run and device. */
  nextEventId(): string {
    this.eventSeq += 1;
    return `${this.idPrefix}-${this.eventSeq.toString(36)}`;
  }

  /**
   * Publish an event (QoS1; resolves on PUBACK). `data` is checked against the contract first
   * so a simulator bug fails loudly here, not as a silent rejection at the hub. Pass `id` to
   * re-send an event with an id already used (the hub must process it once).
   */
  async publishEvent<T extends EventType>(type: T, data: EventData<T>, opts: { id?: string; ts?: number } = {}): Promise<DeviceEvent> {
    if (EVENT_CLASS[type] !== this.identity.class) throw new Error(`${type} is not a ${this.identity.class} event`);
    const checked = EVENT_DATA[type].safeParse(data);
    if (!checked.success) throw new Error(`invalid ${type} data: ${checked.error.message}`);
    const event = { v: 1, id: opts.id ?? this.nextEventId(), ts: opts.ts ?? this.clock.now(), type, data } as DeviceEvent;
    await this.publishRaw(topics.event(this.address), JSON.stringify(event), 1, false);
    this.emit('event', event);
    return event;
  }

  /** Re-send an already published event verbatim (same id and ts): a redelivery for dedup tests. */
  async republishEvent(event: DeviceEvent): Promise<void> {
    await this.publishRaw(topics.event(this.address), JSON.stringify(event), 1, false);
  }

  /** Publish arbitrary bytes on one of our topics (malformed-payload tests). */
  publishUnchecked(channelTopic: string, payload: string | Buffer, qos: 0 | 1 = 0): Promise<void> {
    const c = this.client;
    if (!c) return Promise.reject(new Error(`device ${this.identity.id} is not connected`));
    return new Promise((resolve, reject) => c.publish(channelTopic, payload, { qos }, (err) => (err ? reject(err) : resolve())));
  }

  /** Graceful shutdown: retained `offline`, then DISCONNECT (the broker discards the will). */
  async close(timeoutMs = 3000): Promise<void> {
    const c = this.client;
    if (!c || this.closing) return;
    this.closing = true;
    if (c.connected) {
      await withTimeout(this.publishRaw(topics.status(this.address), this.status('offline'), 1, true), timeoutMs).catch(() => undefined);
    }
    await withTimeout(c.endAsync(false), timeoutMs).catch(() => c.end(true));
    this.client = null;
  }

  /** Simulate a crash / cable pull: drop the socket without DISCONNECT so the broker publishes the will. */
  async kill(): Promise<void> {
    const c = this.client;
    if (!c) return;
    this.closing = true;
    this.client = null;
    await withTimeout(c.endAsync(true), 2000).catch(() => undefined);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** Convenience: construct and connect. */
export async function createDevice(opts: DeviceClientOptions): Promise<DeviceClient> {
  const d = new DeviceClient(opts);
  await d.connect();
  return d;
}
