// Starting and stopping a set of simulated devices, and the console formatting shared by the
// CLI's fleet, scenario and load modes.
import type { DeviceClass } from '../contracts/domain.js';
import type { Clock } from './clock.js';
import { DeviceClient, DeviceConnectError, type CommandRecord, type DeviceIdentity } from './sdk.js';
import {
  createSimulator,
  ElevatorSim,
  FirePanelSim,
  IntercomSim,
  PowerSim,
  WaterSim,
  type AnySimulator,
  type SimulatorConfig,
} from './simulators/index.js';

export interface StartedDevice {
  identity: DeviceIdentity;
  client: DeviceClient;
  sim: AnySimulator;
}

export interface StartOptions {
  url: string;
  keepalive?: number;
  /** Telemetry interval, ms; 0 → do not start periodic telemetry. */
  intervalMs?: number;
  seed?: number;
  traffic?: boolean;
  clock?: Clock;
  reconnectPeriod?: number;
  connectTimeoutMs?: number;
  /** Parallel connection attempts (a big fleet must not SYN-flood the hub). */
  concurrency?: number;
  /** Per-device simulator options (class-specific knobs). */
  simConfig?: (identity: DeviceIdentity) => SimulatorConfig;
}

/**
 * Connect every device, attach its simulator and start telemetry. If any device fails to
 * connect, the ones already connected are closed and the first error is thrown.
 */
export async function startDevices(identities: DeviceIdentity[], opts: StartOptions): Promise<StartedDevice[]> {
  const started: StartedDevice[] = [];
  const queue = [...identities];
  let failure: Error | null = null;
  const worker = async () => {
    for (let idn = queue.shift(); idn && !failure; idn = queue.shift()) {
      const client = new DeviceClient({
        identity: idn,
        url: opts.url,
        ...(opts.keepalive === undefined ? {} : { keepalive: opts.keepalive }),
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.reconnectPeriod === undefined ? {} : { reconnectPeriod: opts.reconnectPeriod }),
        ...(opts.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: opts.connectTimeoutMs }),
      });
      // Simulator first: it registers its command handlers before the subscription exists.
      const sim = createSimulator(client, {
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        ...(opts.traffic === undefined ? {} : { traffic: opts.traffic }),
        ...opts.simConfig?.(idn),
      });
      try {
        await client.connect();
      } catch (err) {
        failure ??= err as Error;
        return;
      }
      started.push({ identity: idn, client, sim });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 20, identities.length)) }, worker));
  if (failure) {
    await stopDevices(started);
    throw failure;
  }
  if (opts.intervalMs && opts.intervalMs > 0) for (const d of started) d.sim.start(opts.intervalMs);
  // Keep the fleet's order stable (workers finish out of order).
  const order = new Map(identities.map((d, i) => [d.id, i]));
  return started.sort((a, b) => (order.get(a.identity.id) ?? 0) - (order.get(b.identity.id) ?? 0));
}

/** Stop simulators, then close (retained `offline`) or kill (broker publishes `lost`) each client. */
export async function stopDevices(devices: StartedDevice[], how: 'close' | 'kill' = 'close'): Promise<void> {
  for (const d of devices) d.sim.stop();
  await Promise.all(devices.map((d) => (how === 'kill' ? d.client.kill() : d.client.close()).catch(() => undefined)));
}

// ---- typed lookup helpers for scenarios ----

type SimByClass = {
  elevator: ElevatorSim;
  'fire-panel': FirePanelSim;
  power: PowerSim;
  intercom: IntercomSim;
  water: WaterSim;
};
export type Typed<C extends DeviceClass> = StartedDevice & { sim: SimByClass[C] };

const SIM_CLASS = { elevator: ElevatorSim, 'fire-panel': FirePanelSim, power: PowerSim, intercom: IntercomSim, water: WaterSim } as const;

export function devicesOf<C extends DeviceClass>(devices: StartedDevice[], cls: C, building?: string): Array<Typed<C>> {
  return devices.filter(
    (d): d is Typed<C> => d.identity.class === cls && d.sim instanceof SIM_CLASS[cls] && (!building || d.identity.building === building),
  );
}

// ---- console output ----

export function clockTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function describeCommand(r: CommandRecord): string {
  const res = r.result;
  const reason = res && typeof res.data.reason === 'string' ? res.data.reason : null;
  const outcome =
    r.status === 'no_reply'
      ? 'no reply (drill: device stays silent)'
      : !res
        ? `${r.status}, no reply`
        : res.ok
          ? `ok ${JSON.stringify(res.data)}`
          : `refused: ${reason ?? 'error'}${r.status === 'duplicate' ? ' (duplicate)' : ''}`;
  return `cmd ${r.name} corr=${r.corr ?? '?'} ${r.data === undefined ? '' : JSON.stringify(r.data) + ' '}→ ${outcome}`;
}

/** Print every event, command and state change of the devices as one line each. */
export function attachConsole(
  devices: StartedDevice[],
  out: (line: string) => void,
  clock: Clock,
  opts: { telemetry?: boolean } = {},
): () => void {
  const offs: Array<() => void> = [];
  for (const d of devices) {
    const tag = `${d.identity.id} (${d.identity.class})`;
    const line = (s: string) => out(`${clockTime(clock.now())} ${tag} ${s}`);
    offs.push(
      d.client.on('event', (e) => line(`event ${e.type} ${JSON.stringify(e.data)} id=${e.id}`)),
      d.client.on('command', (r) => line(describeCommand(r))),
      d.client.on('connect', (c) => c.reconnect && line('reconnected')),
      d.client.on('offline', (o) => line(`offline: ${o.reason}`)),
      d.client.on('error', (e) => line(`error: ${e.message}`)),
      d.sim.on('state', (s) => line(`· ${s.message}`)),
    );
    if (opts.telemetry) offs.push(d.sim.on('telemetry', (m) => line(`telemetry ${JSON.stringify(m)}`)));
  }
  return () => offs.forEach((f) => f());
}

/** Exit codes of the CLI (documented in `--help`). */
export const EXIT = { ok: 0, usage: 1, unreachable: 2, auth: 3, scenarioFailed: 4, devicesBusy: 5 } as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof DeviceConnectError) return err.kind === 'auth' ? EXIT.auth : err.kind === 'refused' ? EXIT.auth : EXIT.unreachable;
  return EXIT.usage;
}
