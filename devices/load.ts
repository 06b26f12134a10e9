// Telemetry load generator for benchmarks: N authenticated devices publishing QoS0 telemetry
// at a fixed aggregate rate for a fixed time. A single pacing loop (not one timer per device)
// spreads messages round-robin, and a cap on unacknowledged writes makes the reported rate
// what the socket actually accepted rather than what was queued in memory.
import { DeviceClient, type DeviceIdentity } from './sdk.js';
import { createSimulator, type AnySimulator } from './simulators/index.js';

export interface LoadOptions {
  url: string;
  devices: DeviceIdentity[];
  /** Messages per second per device. */
  ratePerDevice: number;
  durationMs: number;
  keepalive?: number;
  seed?: number;
  concurrency?: number;
  /** Upper bound of publishes written but not yet flushed, across all devices. */
  maxInFlight?: number;
  /** Called about once per second. */
  onProgress?: (p: LoadProgress) => void;
}

export interface LoadProgress {
  elapsedMs: number;
  sent: number;
  rate: number;
}

export interface LoadResult {
  devices: number;
  targetRate: number;
  durationMs: number;
  connectMs: number;
  sent: number;
  errors: number;
  /** Messages per second actually written during the run. */
  achievedRate: number;
}

const TICK_MS = 10;

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const t0 = Date.now();
  const clients: Array<{ client: DeviceClient; sim: AnySimulator }> = [];
  const queue = [...o.devices];
  let failure: Error | null = null;
  const connectWorker = async () => {
    for (let idn = queue.shift(); idn && !failure; idn = queue.shift()) {
      const client = new DeviceClient({ identity: idn, url: o.url, keepalive: o.keepalive ?? 60, reconnectPeriod: 0 });
      const sim = createSimulator(client, { traffic: false, ...(o.seed === undefined ? {} : { seed: o.seed }) });
      try {
        await client.connect();
        clients.push({ client, sim });
      } catch (err) {
        failure ??= err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 50, o.devices.length)) }, connectWorker));
  const connectMs = Date.now() - t0;
  if (failure) {
    await Promise.all(clients.map((c) => c.client.close()));
    throw failure;
  }

  const total = o.ratePerDevice * clients.length;
  const maxInFlight = o.maxInFlight ?? 5000;
  let issued = 0;
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  let rr = 0;
  const start = Date.now();
  let lastProgress = start;

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Date.now();
      const elapsed = now - start;
      if (elapsed >= o.durationMs) {
        resolve();
        return;
      }
      const due = Math.floor((elapsed / 1000) * total) - issued;
      for (let i = 0; i < due && inFlight < maxInFlight; i++) {
        const c = clients[rr++ % clients.length];
        if (!c) break;
        issued++;
        inFlight++;
        c.client
          .publishTelemetry(c.sim.telemetry())
          .then((okSent) => (okSent ? sent++ : errors++))
          .catch(() => errors++)
          .finally(() => inFlight--);
      }
      if (o.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        o.onProgress({ elapsedMs: elapsed, sent, rate: sent / (elapsed / 1000) });
      }
      setTimeout(tick, TICK_MS);
    };
    tick();
  });
  const durationMs = Date.now() - start;
  // Count what was still in flight at the deadline as long as it completes promptly.
  const drainUntil = Date.now() + 2000;
  while (inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  await Promise.all(clients.map((c) => c.client.close()));
  return {
    devices: clients.length,
    targetRate: total,
    durationMs,
    connectMs,
    sent,
    errors,
    achievedRate: Math.round((sent / (durationMs / 1000)) * 10) / 10,
  };
}

/** Synthetic identities `{prefix}{0001…}` for brokers/hubs provisioned with one shared secret. */
export function syntheticFleet(
  n: number,
  o: { prefix: string; secret: string; site: string; building: string; class: DeviceIdentity['class'] },
): DeviceIdentity[] {
  const width = String(n).length;
  return Array.from({ length: n }, (_, i) => ({
    id: `${o.prefix}${String(i + 1).padStart(Math.max(4, width), '0')}`,
    secret: o.secret,
    site: o.site,
    building: o.building,
    class: o.class,
  }));
}
