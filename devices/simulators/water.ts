// Water simulator (CONTRACT.md class `water`): one device is either a sump pit (集水井) with its
// level sensor and duty/standby pumps, or a leak-detection node (漏水感应) watching one zone.
// Both publish the class's metrics (`water_level_cm`, `pump_running`, `leak`): a leak node's
// level is the water on its sensing cable, a pit's `leak` is true while it overflows.
// The pit runs like a float-switch controller: the duty pump starts above `pumpStartCm`, stops
// below `pumpStopCm`; a failed pump leaves the level rising and `water.level_high` is reported
// once per excursion above `highCm` (GB 50015 §4.7 sump pits: alarm level above the start level).
import type { DeviceEvent } from '../../contracts/mqtt.js';
import { round } from '../rng.js';
import type { DevicePort, Metrics } from '../sdk.js';
import { Simulator, type SimulatorOptions } from './base.js';

export type WaterRole = 'sump' | 'leak';

export interface WaterOptions extends SimulatorOptions {
  /** default: the identity's meta.role, else `leak` */
  role?: WaterRole;
  /** leak node: the zone it watches (default meta.zone, else `{id}-zone`) */
  zone?: string;
  /** leak node: the floor of that zone (default meta.floor, else the first floor of the identity, else -1) */
  floor?: number;
  /** pit name in `water.level_high` (default meta.pit, else the device id) */
  pit?: string;
  /** pit: the pumps (default `{id}-p1`, `{id}-p2`) */
  pumps?: string[];
  /** pit: levels in cm */
  pumpStartCm?: number;
  pumpStopCm?: number;
  highCm?: number;
  /** pit: inflow when dry weather, cm per tick; a pump removes `pumpRateCm` per tick */
  inflowCm?: number;
  pumpRateCm?: number;
}

export class WaterSim extends Simulator {
  readonly cls = 'water' as const;
  readonly role: WaterRole;
  readonly zone: string;
  readonly floor: number;
  readonly pit: string;
  readonly pumps: { id: string; failed: boolean }[];
  readonly pumpStartCm: number;
  readonly pumpStopCm: number;
  readonly highCm: number;
  inflowCm: number;
  readonly pumpRateCm: number;

  levelCm: number;
  leaking = false;
  pumpRunning = false;
  private highReported = false;

  constructor(port: DevicePort, opts: WaterOptions = {}) {
    super(port, opts);
    const meta = (port.identity.meta ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof meta[k] === 'string' ? (meta[k] as string) : undefined);
    this.role = opts.role ?? (str('role') === 'sump' ? 'sump' : 'leak');
    this.zone = opts.zone ?? str('zone') ?? `${port.identity.id}-zone`;
    this.floor = opts.floor ?? (typeof meta.floor === 'number' ? meta.floor : (port.identity.floors?.[0] ?? -1));
    this.pit = opts.pit ?? str('pit') ?? port.identity.id;
    this.pumps = (opts.pumps ?? [`${port.identity.id}-p1`, `${port.identity.id}-p2`]).map((id) => ({ id, failed: false }));
    this.pumpStartCm = opts.pumpStartCm ?? 35;
    this.pumpStopCm = opts.pumpStopCm ?? 15;
    this.highCm = opts.highCm ?? 50;
    this.inflowCm = opts.inflowCm ?? 0.4;
    this.pumpRateCm = opts.pumpRateCm ?? 3;
    this.levelCm = this.role === 'sump' ? this.rng.range(10, 25) : 0;
  }

  /** A working pump, if any (duty first, then standby). */
  private get workingPump(): { id: string; failed: boolean } | undefined {
    return this.pumps.find((p) => !p.failed);
  }

  protected override tick(): void {
    if (this.role !== 'sump') return;
    // ground water and drains keep filling the pit a little; the float switch runs the duty pump
    this.levelCm = Math.max(0, this.levelCm + this.inflowCm * (1 + this.rng.normal(0, 0.2)));
    if (this.levelCm >= this.pumpStartCm && this.workingPump) this.pumpRunning = true;
    if (this.pumpRunning && (!this.workingPump || this.levelCm <= this.pumpStopCm)) this.pumpRunning = false;
    if (this.pumpRunning) this.levelCm = Math.max(0, this.levelCm - this.pumpRateCm);
    void this.checkHigh().catch(() => undefined);
  }

  telemetry(): Metrics {
    return {
      water_level_cm: round(this.levelCm, 1),
      pump_running: this.pumpRunning,
      leak: this.leaking || (this.role === 'sump' && this.levelCm >= this.highCm),
      pumps_available: this.pumps.filter((p) => !p.failed).length,
    };
  }

  /** Above the high level once per excursion → `water.level_high` (falls below the start level to re-arm). */
  private async checkHigh(): Promise<DeviceEvent | null> {
    if (this.levelCm < this.pumpStartCm) this.highReported = false;
    if (this.levelCm < this.highCm || this.highReported) return null;
    this.highReported = true;
    this.note(`pit ${this.pit} level ${round(this.levelCm, 1)} cm ≥ ${this.highCm} cm`);
    return this.publish('water.level_high', { pit: this.pit, levelCm: round(this.levelCm, 1) });
  }

  /** Water on the sensing cable (`water.leak`); a pit floods to this level. */
  leak(opts: { zone?: string; floor?: number; levelCm?: number } = {}): Promise<DeviceEvent> {
    this.leaking = true;
    if (opts.levelCm !== undefined) this.levelCm = opts.levelCm;
    else if (this.role === 'leak') this.levelCm = 1;
    const zone = opts.zone ?? this.zone;
    const floor = opts.floor ?? this.floor;
    this.note(`LEAK zone ${zone} floor ${floor}`);
    return this.publish('water.leak', { zone, floor });
  }

  /** Sensor dry again (`water.cleared`). */
  clear(zone?: string): Promise<DeviceEvent> {
    this.leaking = false;
    if (this.role === 'leak') this.levelCm = 0;
    this.note(`leak cleared in ${zone ?? this.zone}`);
    return this.publish('water.cleared', { zone: zone ?? this.zone });
  }

  /** A pump trips (`water.pump_failed`); with no pump left the level keeps rising. */
  failPump(pumpId?: string): Promise<DeviceEvent> {
    const p = (pumpId ? this.pumps.find((x) => x.id === pumpId) : this.pumps.find((x) => !x.failed)) ?? this.pumps[0]!;
    p.failed = true;
    if (!this.workingPump) this.pumpRunning = false;
    this.note(`pump ${p.id} failed`);
    return this.publish('water.pump_failed', { pump: p.id });
  }

  /** The pit fills to `cm` at once (a burst pipe draining into it); reports high level if reached. */
  async flood(cm: number): Promise<DeviceEvent | null> {
    this.levelCm = cm;
    return this.checkHigh();
  }

  /** Pumps repaired, level back to normal. */
  repair(): void {
    for (const p of this.pumps) p.failed = false;
    this.levelCm = Math.min(this.levelCm, this.pumpStopCm);
    this.highReported = false;
  }
}
