// MQTT contract (CONTRACT.md): topic grammar, payload schemas, event types and commands.
// Devices, broker, services and simulators all parse and build messages through this file.
import { z } from 'zod';
import { DEVICE_CLASSES, ID_PATTERN, OnlineState, type DeviceClass as DeviceClassT } from './domain.js';

export const TOPIC_ROOT = 'bops/v1';
/** Oversize guard: no contract payload needs more than this (CONTRACT.md "oversize"). */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export const CHANNELS = ['status', 'telemetry', 'event'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface DeviceAddress {
  site: string;
  building: string;
  class: DeviceClassT;
  deviceId: string;
}

export function deviceBase(a: DeviceAddress): string {
  return `${TOPIC_ROOT}/${a.site}/${a.building}/${a.class}/${a.deviceId}`;
}
export const topics = {
  status: (a: DeviceAddress) => `${deviceBase(a)}/status`,
  telemetry: (a: DeviceAddress) => `${deviceBase(a)}/telemetry`,
  event: (a: DeviceAddress) => `${deviceBase(a)}/event`,
  command: (a: DeviceAddress, name: string) => `${deviceBase(a)}/cmd/${name}`,
  commandResult: (a: DeviceAddress, name: string) => `${deviceBase(a)}/cmd/${name}/res`,
  commandFilter: (a: DeviceAddress) => `${deviceBase(a)}/cmd/#`,
};

export type ParsedTopic =
  | (DeviceAddress & { channel: Channel })
  | (DeviceAddress & { channel: 'cmd'; command: string })
  | (DeviceAddress & { channel: 'cmd-res'; command: string });

const isId = (s: string) => s.length <= 64 && ID_PATTERN.test(s);

/** Parse a device topic; null when it is not a well-formed contract topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length < 7 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [, , site, building, cls, deviceId, channel, ...rest] = parts;
  if (!site || !building || !deviceId || !channel) return null;
  // plain checks, not zod: this runs for every message (same rules as `Id` and `DeviceClass`)
  if (!isId(site) || !isId(building) || !isId(deviceId) || !(DEVICE_CLASSES as readonly string[]).includes(cls ?? '')) return null;
  const base = { site, building, class: cls as DeviceClassT, deviceId };
  if (rest.length === 0 && (CHANNELS as readonly string[]).includes(channel)) {
    return { ...base, channel: channel as Channel };
  }
  if (channel === 'cmd' && rest.length === 1 && rest[0] && isId(rest[0])) {
    return { ...base, channel: 'cmd', command: rest[0] };
  }
  if (channel === 'cmd' && rest.length === 2 && rest[1] === 'res' && rest[0] && isId(rest[0])) {
    return { ...base, channel: 'cmd-res', command: rest[0] };
  }
  return null;
}

const Ts = z.number().int().nonnegative();

export const StatusPayload = z.object({ v: z.literal(1), state: OnlineState, ts: Ts });
export type StatusPayload = z.infer<typeof StatusPayload>;

export const MetricValue = z.union([z.number().finite(), z.boolean(), z.string().max(256)]);
export const TelemetryPayload = z.object({
  v: z.literal(1),
  ts: Ts,
  metrics: z
    .record(
      z
        .string()
        .min(1)
        .max(64)
        .regex(/^[a-z0-9_]+$/),
      MetricValue,
    )
    .refine((m) => Object.keys(m).length > 0 && Object.keys(m).length <= 64, 'metrics must have 1..64 entries'),
});
export type TelemetryPayload = z.infer<typeof TelemetryPayload>;

// ---- events, one schema per type (CONTRACT.md "Event types") ----
const Floor = z.number().int().min(-10).max(300);
const Car = z.string().min(1).max(32);
const Zone = z.string().min(1).max(64);
const Unit = z.string().min(1).max(32);
/** Events without data: extra keys are ignored (stripped), not refused, for forward compatibility. */
const Empty = z.object({});

export const EVENT_DATA = {
  'elevator.entrapment': z.object({ car: Car, floor: Floor, passengers: z.number().int().min(0).max(100).optional() }),
  'elevator.alarm_button': z.object({ car: Car, floor: Floor }),
  'elevator.fault': z.object({ code: z.string().min(1).max(64) }),
  'elevator.normal': z.object({ floor: Floor, doors: z.enum(['open', 'closed']) }),
  'elevator.recalled': z.object({ floor: Floor }),
  'elevator.out_of_service': Empty,
  'fire.alarm': z.object({ zone: Zone, floor: Floor, detector: z.enum(['smoke', 'heat', 'manual']) }),
  'fire.supervisory': z.object({ zone: Zone }),
  'fire.trouble': z.object({ zone: Zone, code: z.string().min(1).max(64) }),
  'fire.silenced': Empty,
  'fire.reset': Empty,
  'power.mains_lost': z.object({ feeder: z.string().min(1).max(64), floors: z.array(Floor).max(300).optional() }),
  'power.mains_restored': z.object({ feeder: z.string().min(1).max(64) }),
  'power.ats_transferred': Empty,
  'power.generator_started': Empty,
  'power.generator_failed': Empty,
  'intercom.call': z.object({ unit: Unit, visitorName: z.string().max(64).optional() }),
  'intercom.owner_approved': z.object({ unit: Unit, callId: z.string().min(1).max(64) }),
  'intercom.owner_denied': z.object({ unit: Unit, callId: z.string().min(1).max(64) }),
  'intercom.door_opened': z.object({ corr: z.string().max(64).optional() }),
  'intercom.door_closed': Empty,
  // water (leak detectors, sump pits and their pumps; CONTRACT.md, PROCEDURES.md §5)
  'water.leak': z.object({ zone: Zone, floor: Floor }),
  'water.cleared': z.object({ zone: Zone }),
  'water.pump_failed': z.object({ pump: z.string().min(1).max(64) }),
  'water.level_high': z.object({ pit: z.string().min(1).max(64), levelCm: z.number().finite().min(0).max(10_000) }),
} as const;
export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>;

/** Which device class may emit which event type (a power meter cannot report a fire). */
export const EVENT_CLASS: Record<EventType, DeviceClassT> = Object.fromEntries(
  EVENT_TYPES.map((t) => [
    t,
    t.startsWith('elevator.')
      ? 'elevator'
      : t.startsWith('fire.')
        ? 'fire-panel'
        : t.startsWith('power.')
          ? 'power'
          : t.startsWith('water.')
            ? 'water'
            : 'intercom',
  ]),
) as Record<EventType, DeviceClassT>;

/** every event's outer shape; `data` is then checked by its type's schema (EVENT_DATA) */
export const EventEnvelope = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(64),
  ts: Ts,
  type: z.string(),
  data: z.record(z.string(), z.unknown()).default({}),
});

export type DeviceEvent = {
  [T in EventType]: { v: 1; id: string; ts: number; type: T; data: EventData<T> };
}[EventType];

export type ParseFailure = { ok: false; reason: RejectReason; detail: string };
export type ParseResult<T> = { ok: true; value: T } | ParseFailure;

/** Reasons a message is refused; counted per device and per reason (CONTRACT.md). */
export const REJECT_REASONS = [
  'bad_json',
  'bad_shape',
  'unknown_type',
  'wrong_class',
  'oversize',
  'bad_topic',
  'foreign_topic',
  'forbidden_subscribe',
  'auth_unknown_device',
  'auth_bad_secret',
  'auth_disabled',
  'auth_client_id_mismatch',
  // payload text holding NUL or a lone UTF-16 surrogate: PostgreSQL's jsonb refuses both
  // ("unsupported Unicode escape sequence"), so such a payload could never be stored
  'bad_text',
  // `cmd/{name}/res` for a command the contract does not define for the device's class
  'unknown_command',
  // refused at the MQTT protocol level, before any payload is looked at (CONTRACT.md, issue 7)
  'packet_too_large',
  'protocol_wildcard',
  'protocol_topic_levels',
  'protocol_garbage',
  'protocol_version',
  'protocol_error',
  'connect_timeout',
  // CONNECT refused without checking the secret: the address or client id is banned for a while
  'auth_banned',
  // the database refused to store a valid-looking event (a data error, not an outage)
  'store_refused',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** NUL, or a UTF-16 surrogate half without its partner (code units, so no `u` flag). */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/** The first string (key or value) in a parsed JSON value that holds bad text, if any. */
function findBadText(v: unknown): string | null {
  if (typeof v === 'string') return BAD_TEXT.test(v) ? v : null;
  if (Array.isArray(v)) {
    for (const x of v) {
      const bad = findBadText(x);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (v && typeof v === 'object') {
    for (const k in v) {
      if (BAD_TEXT.test(k)) return k;
      const bad = findBadText((v as Record<string, unknown>)[k]);
      if (bad !== null) return bad;
    }
  }
  return null;
}

function decodeJson(buf: Buffer | string): ParseResult<unknown> {
  const size = typeof buf === 'string' ? Buffer.byteLength(buf) : buf.length;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'oversize', detail: `${size} bytes > ${MAX_PAYLOAD_BYTES}` };
  const text = typeof buf === 'string' ? buf : buf.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: 'bad_json', detail: (e as Error).message };
  }
  // NUL and lone surrogates reach a parsed string only through a `\u` escape (JSON forbids a raw
  // control character inside a string, and Buffer#toString turns invalid UTF-8 into U+FFFD), or
  // raw through a caller that passes a JS string. So the common payload costs one indexOf and
  // only an escaped one is walked (the telemetry path handles ~40k messages/s).
  if (text.includes('\\u') || (typeof buf === 'string' && BAD_TEXT.test(text))) {
    const bad = findBadText(value);
    if (bad !== null) {
      return { ok: false, reason: 'bad_text', detail: `text holds NUL or a lone surrogate: ${JSON.stringify(bad.slice(0, 40))}` };
    }
  }
  return { ok: true, value };
}

function shape<T>(schema: z.ZodType<T>, value: unknown): ParseResult<T> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, reason: 'bad_shape', detail: z.prettifyError(r.error) };
}

export function parseStatus(buf: Buffer | string): ParseResult<StatusPayload> {
  const j = decodeJson(buf);
  return j.ok ? shape(StatusPayload, j.value) : j;
}

/** A plain object as JSON.parse makes one (not an array, not null, no `__proto__` own key). */
function plainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && !Object.hasOwn(v, '__proto__');
}

const METRIC_NAME = /^[a-z0-9_]+$/;

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/**
 * TelemetryPayload's rules, hand-written (issue 12): the telemetry channel carries tens of
 * thousands of messages a second, and zod's safeParse allocated a result object, a copied
 * metrics record and an issues array per message (13.5 % of the hub's CPU at 44k msgs/s). This
 * check allocates nothing when the payload has no extra top-level keys: it returns the parsed
 * value itself. Whatever it accepts, the schema accepts with the same result; what it does not
 * accept (bad payloads, and the odd case it leaves to zod) goes through zod, which decides and
 * words the refusal as before. tests/unit/mqtt-contract.test.ts runs both over a corpus of good
 * and bad payloads.
 */
export function checkTelemetry(value: unknown): TelemetryPayload | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (o.v !== 1) return null;
  const ts = o.ts;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return null;
  const m = o.metrics;
  // zod strips a `__proto__` key (JSON.parse makes it an own key): that rare case is left to zod
  if (!plainObject(m)) return null;
  let n = 0;
  let extra = false;
  for (const k in o) if (k !== 'v' && k !== 'ts' && k !== 'metrics') extra = true;
  for (const k in m) {
    if (!Object.hasOwn(m, k)) return null;
    if (k.length === 0 || k.length > 64 || !METRIC_NAME.test(k)) return null;
    const x = m[k];
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) return null;
    } else if (typeof x === 'string') {
      // zod counts code points, not UTF-16 units; only a string over 256 units can differ
      if (x.length > 256 && codePoints(x) > 256) return null;
    } else if (typeof x !== 'boolean') return null;
    n++;
  }
  if (n === 0 || n > 64) return null;
  // zod strips unknown top-level keys; so does this (a new object only in that rare case)
  return (extra ? { v: 1, ts, metrics: m } : value) as TelemetryPayload;
}

export function parseTelemetry(buf: Buffer | string): ParseResult<TelemetryPayload> {
  const j = decodeJson(buf);
  if (!j.ok) return j;
  const v = checkTelemetry(j.value);
  return v ? { ok: true, value: v } : shape(TelemetryPayload, j.value);
}

type EventEnvelope = z.infer<typeof EventEnvelope>;

/**
 * EventEnvelope's rules, hand-written like checkTelemetry (issue 12): zod's safeParse of the
 * envelope copied `data` key by key (z.record) and allocated its result objects for every
 * event — the envelope and the data's schema together were 18 % of what the hub allocated at
 * the QoS1 ceiling (sampling heap profile); parseEvent took 2.4–2.9 µs per event, 1.1–1.4 with
 * this (BENCHMARKS.md, thirteenth round). This answers the common envelope — exactly
 * v, id, ts, type and data — with the parsed value itself; anything else (extra keys to strip, a
 * missing `data` to default, any bad value) it leaves to zod, which decides and words the
 * refusal as before. The event's `data` is still checked by its type's zod schema. Corpus test:
 * tests/unit/mqtt-contract.test.ts.
 */
export function checkEventEnvelope(value: unknown): EventEnvelope | null {
  if (!plainObject(value)) return null;
  let keys = 0;
  for (const k in value) {
    if (k !== 'v' && k !== 'id' && k !== 'ts' && k !== 'type' && k !== 'data') return null;
    keys++;
  }
  if (keys !== 5 || value.v !== 1) return null;
  const { id, ts } = value;
  // zod measures length in code points; 1..64 units is 1..64 code points, more units may still fit
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) return null;
  if (typeof value.type !== 'string' || !plainObject(value.data)) return null;
  return value as EventEnvelope;
}

export function parseEvent(buf: Buffer | string, cls?: DeviceClassT): ParseResult<DeviceEvent> {
  const j = decodeJson(buf);
  if (!j.ok) return j;
  let env = checkEventEnvelope(j.value);
  if (!env) {
    const r = shape(EventEnvelope, j.value);
    if (!r.ok) return r;
    env = r.value;
  }
  const type = env.type;
  // own keys only: `constructor`, `toString` … are no event types
  if (!Object.hasOwn(EVENT_DATA, type))
    return { ok: false, reason: 'unknown_type', detail: `unknown event type ${JSON.stringify(type).slice(0, 80)}` };
  const t = type as EventType;
  if (cls && EVENT_CLASS[t] !== cls) return { ok: false, reason: 'wrong_class', detail: `${t} is not a ${cls} event` };
  const data = shape(EVENT_DATA[t] as z.ZodType<unknown>, env.data);
  if (!data.ok) return data;
  const { id, ts } = env;
  return { ok: true, value: { v: 1, id, ts, type: t, data: data.value } as DeviceEvent };
}

// ---- commands (hub → device) and results (device → hub) ----
export const COMMAND_DATA = {
  recall: z.object({ floor: Floor }),
  unlock: z.object({ seconds: z.number().int().min(1).max(60) }),
} as const;
export type CommandName = keyof typeof COMMAND_DATA;
export type CommandData<N extends CommandName> = z.infer<(typeof COMMAND_DATA)[N]>;
export const COMMAND_CLASS: Record<CommandName, DeviceClassT> = { recall: 'elevator', unlock: 'intercom' };

export const CommandEnvelope = z.object({
  v: z.literal(1),
  corr: z.string().min(1).max(64),
  exp: Ts,
  data: z.record(z.string(), z.unknown()),
});
export type CommandEnvelope = z.infer<typeof CommandEnvelope>;

export const CommandResult = z.object({
  v: z.literal(1),
  corr: z.string().min(1).max(64),
  ok: z.boolean(),
  ts: Ts,
  data: z.record(z.string(), z.unknown()).default({}),
});
export type CommandResult = z.infer<typeof CommandResult>;

export function parseCommand(name: string, buf: Buffer | string): ParseResult<CommandEnvelope> {
  const j = decodeJson(buf);
  if (!j.ok) return j;
  const env = shape(CommandEnvelope, j.value);
  if (!env.ok) return env;
  if (!Object.hasOwn(COMMAND_DATA, name)) return { ok: false, reason: 'unknown_type', detail: `unknown command ${name}` };
  const data = shape(COMMAND_DATA[name as CommandName] as z.ZodType<unknown>, env.value.data);
  return data.ok ? env : data;
}

export function parseCommandResult(buf: Buffer | string): ParseResult<CommandResult> {
  const j = decodeJson(buf);
  return j.ok ? shape(CommandResult, j.value) : j;
}

/** Metrics each class must publish at least (CONTRACT.md). */
export const REQUIRED_METRICS: Record<DeviceClassT, readonly string[]> = {
  elevator: ['floor', 'load_kg', 'moving', 'door_open'],
  power: ['voltage_v', 'current_a', 'power_kw', 'frequency_hz', 'on_generator'],
  'fire-panel': ['zones_in_alarm', 'zones_in_trouble'],
  intercom: ['calls_waiting'],
  water: ['water_level_cm', 'pump_running', 'leak'],
};
