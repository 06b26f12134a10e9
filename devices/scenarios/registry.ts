// Scenario framework: a scenario is a named async function that drives already-connected
// simulated devices and narrates what happens as a timestamped step log. Register new ones
// with registerScenario() from any module imported by devices/cli.ts (see builtin.ts).
import type { DeviceClass } from '../../contracts/domain.js';
import type { DeviceEvent, EventType } from '../../contracts/mqtt.js';
import { sleep, type Clock } from '../clock.js';
import { clockTime, devicesOf, type StartedDevice, type Typed } from '../runtime.js';
import type { CommandRecord } from '../sdk.js';
import { HubError } from '../hub-client.js';
import { ControlRoom, type HubSessions } from './control-room.js';

export interface ScenarioOption {
  type: 'string' | 'boolean';
  description: string;
  /** Shown in --help; scenarios apply their own defaults. */
  default?: string;
}

export type ScenarioArgs = Record<string, string | boolean | undefined>;

export interface ScenarioContext {
  devices: StartedDevice[];
  args: ScenarioArgs;
  clock: Clock;
  /** Aborted on Ctrl-C; wait() rejects then. */
  signal: AbortSignal;
  /** One step line: `HH:MM:SS.mmm +12.3s [name] ▶ step — detail`. */
  log(step: string, detail?: string): void;
  /** A line with another marker: ◆ a person's step in the control room, · the hub on its own. */
  logAs(marker: string, step: string, detail?: string): void;
  /**
   * An expected outcome: prints `✓ what` or `✗ what — detail` and, when false, marks the
   * scenario NOT completed (exit code 4) while letting it carry on. Returns `ok`.
   */
  check(ok: boolean, what: string, detail?: string): boolean;
  /** Failed checks so far. */
  readonly failures: readonly string[];
  /** The control-room side (`--hub`): null when the scenario plays only the devices. */
  hub: ControlRoom | null;
  wait(ms: number): Promise<void>;
  /** Devices of a class, optionally in one building. */
  find<C extends DeviceClass>(cls: C, building?: string): Array<Typed<C>>;
  /** Start collecting command records of `name` now; `next()` waits for the next one. */
  watchCommands(device: StartedDevice, name: string): Watcher<CommandRecord>;
  /** Start collecting events of `type` now. */
  watchEvents(device: StartedDevice, type: EventType): Watcher<DeviceEvent>;
  /** Argument helpers: string/number/duration (accepts 500ms, 30s, 2m, plain number = seconds). */
  str(name: string, fallback: string): string;
  str(name: string): string | undefined;
  flag(name: string): boolean;
  duration(name: string, fallbackMs: number): number;
  int(name: string, fallback: number): number;
}

export interface Watcher<T> {
  /** Resolves with the next item (already received ones first), or null after `timeoutMs`. */
  next(timeoutMs: number): Promise<T | null>;
  readonly received: readonly T[];
  stop(): void;
}

export interface ScenarioResult {
  ok: boolean;
  summary: string;
}

export interface ScenarioDefinition {
  name: string;
  /** Short title for the log header, e.g. "消防演习 fire drill". */
  title: string;
  description: string;
  /** Classes the scenario cannot run without (checked before it starts). */
  needs: DeviceClass[];
  options?: Record<string, ScenarioOption>;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

const registry = new Map<string, ScenarioDefinition>();

export function registerScenario(def: ScenarioDefinition): void {
  if (!/^[a-z0-9-]+$/.test(def.name)) throw new Error(`scenario name ${def.name} must be [a-z0-9-]+`);
  if (registry.has(def.name)) throw new Error(`scenario ${def.name} registered twice`);
  registry.set(def.name, def);
}

export function getScenario(name: string): ScenarioDefinition | undefined {
  return registry.get(name);
}

export function listScenarios(): ScenarioDefinition[] {
  return [...registry.values()];
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** "500ms" | "30s" | "2m" | "1.5" (seconds) → ms. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new ScenarioError(`not a duration: ${JSON.stringify(v)} (use e.g. 500ms, 30s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']);
}

function watcher<T>(subscribe: (push: (item: T) => void) => () => void, clock: Clock): Watcher<T> {
  const received: T[] = [];
  let cursor = 0;
  let waiting: ((item: T | null) => void) | null = null;
  const off = subscribe((item) => {
    received.push(item);
    if (waiting) {
      const w = waiting;
      waiting = null;
      cursor++;
      w(item);
    }
  });
  return {
    received,
    stop: off,
    next(timeoutMs) {
      if (cursor < received.length) return Promise.resolve(received[cursor++] as T);
      return new Promise<T | null>((resolve) => {
        const t = clock.setTimeout(() => {
          waiting = null;
          resolve(null);
        }, timeoutMs);
        waiting = (item) => {
          clock.clearTimeout(t);
          resolve(item);
        };
      });
    },
  };
}

export interface RunScenarioOptions {
  devices: StartedDevice[];
  args: ScenarioArgs;
  clock: Clock;
  out: (line: string) => void;
  signal?: AbortSignal;
  /** Logged-in hub users: the scenario then also performs the people's steps over HTTP. */
  hub?: HubSessions;
}

export function makeContext(name: string, o: RunScenarioOptions): ScenarioContext {
  const t0 = o.clock.now();
  const signal = o.signal ?? new AbortController().signal;
  const str = ((k: string, fallback?: string) => {
    const v = o.args[k];
    return typeof v === 'string' && v !== '' ? v : fallback;
  }) as ScenarioContext['str'];
  const failures: string[] = [];
  const line = (marker: string, step: string, detail?: string) => {
    const el = ((o.clock.now() - t0) / 1000).toFixed(1).padStart(6);
    o.out(`${clockTime(o.clock.now())} +${el}s [${name}] ${marker} ${step}${detail ? ` — ${detail}` : ''}`);
  };
  const ctx: ScenarioContext = {
    devices: o.devices,
    args: o.args,
    clock: o.clock,
    signal,
    log: (step, detail) => line('▶', step, detail),
    logAs: line,
    check(ok, what, detail) {
      if (ok) line('✓', `核对 check: ${what}`, detail);
      else {
        failures.push(what);
        line('✗', `不符 FAILED: ${what}`, detail);
      }
      return ok;
    },
    failures,
    hub: null,
    wait: (ms) => sleep(o.clock, ms, signal),
    find: (cls, building) => devicesOf(o.devices, cls, building),
    watchCommands: (d, cmd) => watcher<CommandRecord>((push) => d.client.on('command', (r) => r.name === cmd && push(r)), o.clock),
    watchEvents: (d, type) => watcher<DeviceEvent>((push) => d.client.on('event', (e) => e.type === type && push(e)), o.clock),
    str,
    flag: (k) => o.args[k] === true || o.args[k] === 'true',
    duration(k, fallback) {
      const v = str(k);
      return v === undefined ? fallback : parseDuration(v);
    },
    int(k, fallback) {
      const v = str(k);
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n)) throw new ScenarioError(`--${k} must be an integer, got ${JSON.stringify(v)}`);
      return n;
    },
  };
  if (o.hub) ctx.hub = new ControlRoom(ctx, o.hub);
  return ctx;
}

/** Check the scenario's needs, run it and print the header and verdict. */
export async function runScenario(def: ScenarioDefinition, o: RunScenarioOptions): Promise<ScenarioResult> {
  const missing = def.needs.filter((c) => !o.devices.some((d) => d.identity.class === c));
  if (missing.length > 0) {
    throw new ScenarioError(`scenario ${def.name} needs at least one ${missing.join(', ')} device in the fleet`);
  }
  const ctx = makeContext(def.name, o);
  ctx.log(`开始 start: ${def.title}`, `${o.devices.length} device(s): ${o.devices.map((d) => d.identity.id).join(', ')}`);
  if (ctx.hub) {
    await ctx.hub.start();
    ctx.log('控制室 control room', ctx.hub.describeSessions());
  }
  let result: ScenarioResult;
  try {
    result = await def.run(ctx);
  } catch (err) {
    // the hub refused a person's step, or did not answer: the drill did not complete
    if (!(err instanceof HubError) || ctx.signal.aborted) throw err;
    ctx.check(false, 'control-room step', err.message);
    result = { ok: false, summary: `stopped: ${err.message}` };
  }
  if (ctx.failures.length > 0 && result.ok)
    result = { ok: false, summary: `${result.summary}; ${ctx.failures.length} check(s) failed: ${ctx.failures.join('; ')}` };
  ctx.log(result.ok ? '完成 done' : '未完成 NOT completed', result.summary);
  return result;
}
