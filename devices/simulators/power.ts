// Power meter + automatic transfer switch (ATS) simulator for one feeder: mains voltage,
// current, active power and frequency with realistic noise; mains loss, generator start and
// transfer after a delay (or a failed / absent transfer for drills); mains restoration.
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { TimerHandle } from '../clock.js';
import { round } from '../rng.js';
import type { DevicePort, Metrics } from '../sdk.js';
import { defaultFloors, Simulator, type SimulatorOptions } from './base.js';

/** What the standby system does after a mains loss. */
export type AtsMode = 'transfer' | 'fail' | 'none';

export interface PowerOptions extends SimulatorOptions {
  /** Feeder id in events; default the identity's meta.feeder, else `{deviceId}-feeder`. */
  feeder?: string;
  /** Floors fed (reported in `power.mains_lost`); default the identity's floors. */
  floors?: number[];
  /** 380 V three-phase line-to-line (default) or 220 V single-phase. */
  nominalVoltage?: 220 | 380;
  /** Rated load of the feeder, kW. */
  ratedKw?: number;
  ats?: AtsMode;
  /** Generator start + transfer time, ms (contract target ≤ 10 s). */
  atsDelayMs?: number;
}

const PF = 0.92;

export class PowerSim extends Simulator {
  readonly cls = 'power' as const;
  readonly feeder: string;
  readonly floors: number[];
  readonly nominalV: 220 | 380;
  readonly ratedKw: number;
  ats: AtsMode;
  atsDelayMs: number;

  mainsOk = true;
  onGenerator = false;
  generatorRunning = false;
  /** Fraction of rated load currently drawn (drifts with "occupancy"). */
  private loadFactor: number;
  private energyKwh: number;
  private lastSample: number;
  private atsTimer: TimerHandle | null = null;
  /** a supply deviation (drills: the device-health scenario trips a voltage rule); null = nominal */
  private voltageHeld: number | null = null;

  constructor(port: DevicePort, opts: PowerOptions = {}) {
    super(port, opts);
    this.feeder = opts.feeder ?? port.identity.meta?.feeder ?? `${port.identity.id}-feeder`;
    this.floors = opts.floors ?? defaultFloors(port.identity.floors);
    this.nominalV = opts.nominalVoltage ?? 380;
    this.ratedKw = opts.ratedKw ?? 250;
    this.ats = opts.ats ?? 'transfer';
    this.atsDelayMs = opts.atsDelayMs ?? 4000;
    this.loadFactor = this.rng.range(0.35, 0.6);
    this.energyKwh = round(this.rng.range(10_000, 90_000), 1);
    this.lastSample = this.clock.now();
  }

  /** True when the bus is live (mains, or generator after transfer). */
  get energised(): boolean {
    return this.mainsOk || this.onGenerator;
  }

  protected override tick(): void {
    // Slow mean-reverting random walk of the building load.
    this.loadFactor += (0.48 - this.loadFactor) * 0.05 + this.rng.normal(0, 0.02);
    this.loadFactor = Math.min(0.95, Math.max(0.1, this.loadFactor));
  }

  telemetry(): Metrics {
    const now = this.clock.now();
    let voltage = 0;
    let freq = 0;
    let kw = 0;
    if (this.energised) {
      // Generator: looser regulation; only essential loads (lifts, pumps, lighting) ≈ 40 %.
      const vSd = this.onGenerator ? 0.015 : 0.006;
      voltage = (this.voltageHeld ?? this.nominalV) * (1 + this.rng.normal(0, vSd));
      freq = 50 + this.rng.normal(0, this.onGenerator ? 0.15 : 0.015);
      kw = this.ratedKw * this.loadFactor * (this.onGenerator ? 0.4 : 1) * (1 + this.rng.normal(0, 0.02));
      kw = Math.max(0, kw);
    }
    const phaseFactor = this.nominalV === 380 ? Math.sqrt(3) : 1;
    const current = voltage > 0 ? (kw * 1000) / (phaseFactor * voltage * PF) : 0;
    this.energyKwh += (kw * Math.max(0, now - this.lastSample)) / 3_600_000;
    this.lastSample = now;
    return {
      voltage_v: round(voltage, 1),
      current_a: round(current, 1),
      power_kw: round(kw, 2),
      frequency_hz: round(freq, 2),
      on_generator: this.onGenerator,
      mains_ok: this.mainsOk,
      generator_running: this.generatorRunning,
      power_factor: this.energised ? PF : 0,
      energy_kwh: round(this.energyKwh, 1),
    };
  }

  /**
   * Hold the supply near `v` volts (a sag or swell the meter measures, e.g. a failing
   * transformer tap) until called with null: telemetry only, no event — what a telemetry rule
   * (PROCEDURES.md "Device health") is there to notice.
   */
  setVoltage(v: number | null): void {
    this.voltageHeld = v;
  }

  /**
   * Mains lost on the feeder (`power.mains_lost`). Then, after `atsDelayMs`, depending on the
   * ATS mode: generator_started + ats_transferred, generator_failed, or nothing at all.
   */
  async loseMains(opts: { feeder?: string; floors?: number[]; ats?: AtsMode; atsDelayMs?: number } = {}): Promise<DeviceEvent> {
    this.mainsOk = false;
    this.onGenerator = false;
    this.cancel(this.atsTimer);
    const ats = opts.ats ?? this.ats;
    const delay = opts.atsDelayMs ?? this.atsDelayMs;
    const e = await this.publish('power.mains_lost', { feeder: opts.feeder ?? this.feeder, floors: opts.floors ?? this.floors });
    this.note(`mains lost on ${opts.feeder ?? this.feeder}; ATS mode ${ats}`);
    if (ats !== 'none') {
      this.atsTimer = this.after(delay, () => {
        this.atsTimer = null;
        if (this.mainsOk) return; // restored before the generator came up
        void this.standby(ats);
      });
    }
    return e;
  }

  private async standby(ats: AtsMode): Promise<void> {
    try {
      if (ats === 'fail') {
        this.note('generator failed to start');
        await this.publish('power.generator_failed', {});
        return;
      }
      this.generatorRunning = true;
      await this.publish('power.generator_started', {});
      this.onGenerator = true;
      this.note('ATS transferred to generator');
      await this.publish('power.ats_transferred', {});
    } catch {
      // already reported on 'error'
    }
  }

  /** Mains back: retransfer, generator cool-down (`power.mains_restored`). */
  async restoreMains(feeder?: string): Promise<DeviceEvent> {
    this.cancel(this.atsTimer);
    this.atsTimer = null;
    this.mainsOk = true;
    this.onGenerator = false;
    this.generatorRunning = false;
    this.note('mains restored');
    return this.publish('power.mains_restored', { feeder: feeder ?? this.feeder });
  }
}
