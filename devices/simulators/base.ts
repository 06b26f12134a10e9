// Common machinery of the device simulators: a seeded RNG, timers on the injected clock,
// periodic telemetry and an observation hook for the CLI step log. Each class simulator
// holds its own state machine and talks to the hub only through a DevicePort.
import type { DeviceClass } from '../../contracts/domain.js';
import { REQUIRED_METRICS, type DeviceEvent, type EventData, type EventType } from '../../contracts/mqtt.js';
import type { Clock, TimerHandle } from '../clock.js';
import { TypedEmitter } from '../emitter.js';
import { hashString, Rng } from '../rng.js';
import type { DevicePort, Metrics } from '../sdk.js';

export interface SimulatorOptions {
  /** Fleet seed; each device mixes in its id so devices differ but runs are reproducible. */
  seed?: number;
  /** Background behaviour (elevator trips, load drift). Off in tests that script every step. */
  traffic?: boolean;
}

export interface SimulatorEvents extends Record<string, unknown> {
  /** A human-readable state change, for the CLI log ("car at floor 1, doors open"). */
  state: { message: string };
  /** An event this simulator published. */
  event: DeviceEvent;
  /** Metrics just sampled for publishing. */
  telemetry: Metrics;
  /** Publishing failed (e.g. disconnected); the simulator keeps running. */
  error: Error;
}

export abstract class Simulator extends TypedEmitter<SimulatorEvents> {
  abstract readonly cls: DeviceClass;
  protected readonly rng: Rng;
  protected readonly clock: Clock;
  protected readonly traffic: boolean;
  private telemetryTimer: TimerHandle | null = null;
  private readonly timers = new Set<TimerHandle>();
  private running = false;
  /** Telemetry period, ms; start() without an argument reuses the last one. */
  intervalMs = 5000;

  constructor(
    readonly port: DevicePort,
    opts: SimulatorOptions = {},
  ) {
    super();
    this.clock = port.clock;
    this.rng = new Rng(opts.seed === undefined ? undefined : (opts.seed ^ hashString(port.identity.id)) >>> 0);
    this.traffic = opts.traffic ?? true;
  }

  get id(): string {
    return this.port.identity.id;
  }

  /** Current metrics; always includes the class's REQUIRED_METRICS. */
  abstract telemetry(): Metrics;

  /** Called once per telemetry interval before sampling (sensor drift, background traffic). */
  protected tick(): void {}

  /** Publish telemetry every `intervalMs` (first sample after a random part of one interval, to spread a fleet). */
  start(intervalMs = this.intervalMs): void {
    if (this.running) return;
    this.running = true;
    this.intervalMs = intervalMs;
    const loop = (delay: number) => {
      this.telemetryTimer = this.clock.setTimeout(() => {
        if (!this.running) return;
        this.tick();
        void this.sendTelemetry();
        loop(intervalMs);
      }, delay);
    };
    loop(Math.floor(this.rng.range(0.05, 1) * intervalMs));
    this.onStart();
  }

  protected onStart(): void {}

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.telemetryTimer);
    this.telemetryTimer = null;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  get isRunning(): boolean {
    return this.running;
  }

  async sendTelemetry(): Promise<boolean> {
    const m = this.telemetry();
    const missing = REQUIRED_METRICS[this.cls].filter((k) => !(k in m));
    if (missing.length > 0) this.emit('error', new Error(`${this.cls} telemetry is missing ${missing.join(', ')}`));
    this.emit('telemetry', m);
    try {
      return await this.port.publishTelemetry(m);
    } catch (err) {
      this.emit('error', err as Error);
      return false;
    }
  }

  /** Publish an event and report it; errors are surfaced on 'error' and rethrown. */
  protected async publish<T extends EventType>(type: T, data: EventData<T>): Promise<DeviceEvent> {
    try {
      const e = await this.port.publishEvent(type, data);
      this.emit('event', e);
      return e;
    } catch (err) {
      this.emit('error', err as Error);
      throw err;
    }
  }

  /** Fire-and-forget publish for background behaviour (errors reach 'error' only). */
  protected publishLater<T extends EventType>(type: T, data: EventData<T>): void {
    this.publish(type, data).catch(() => undefined);
  }

  protected note(message: string): void {
    this.emit('state', { message });
  }

  /** Timer tracked so stop() cancels it. */
  protected after(ms: number, fn: () => void): TimerHandle {
    const h = this.clock.setTimeout(() => {
      this.timers.delete(h);
      fn();
    }, ms);
    this.timers.add(h);
    return h;
  }

  protected cancel(h: TimerHandle | null | undefined): void {
    if (!h) return;
    this.clock.clearTimeout(h);
    this.timers.delete(h);
  }
}

/** Default floor list when the fleet entry gives none: ground to 10. */
export function defaultFloors(floors: readonly number[] | undefined, fallbackTop = 10): number[] {
  const list = floors && floors.length > 0 ? [...new Set(floors)] : Array.from({ length: fallbackTop }, (_, i) => i + 1);
  return list.sort((a, b) => a - b);
}
