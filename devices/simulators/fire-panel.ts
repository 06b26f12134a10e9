// Fire alarm control panel simulator (火灾报警控制器): zones with alarm / trouble / supervisory
// state, silence and reset. Events follow the contract; telemetry counts zones in alarm and
// in trouble so the control room sees the panel state even if an event was missed.
import type { DeviceEvent } from '../../contracts/mqtt.js';
import { round } from '../rng.js';
import type { DevicePort, Metrics } from '../sdk.js';
import { defaultFloors, Simulator, type SimulatorOptions } from './base.js';

export type Detector = 'smoke' | 'heat' | 'manual';

export interface Zone {
  id: string;
  floor: number;
  alarm: Detector | null;
  trouble: string | null;
  supervisory: boolean;
}

export interface FirePanelOptions extends SimulatorOptions {
  /** Zones; default one per floor of the identity (or 1..10), named by zoneIdForFloor. */
  zones?: Array<{ id: string; floor: number }>;
}

/** Default zone name for a floor: `zone-05`, basements `zone-b1`. */
export function zoneIdForFloor(floor: number): string {
  return floor < 0 ? `zone-b${-floor}` : `zone-${String(floor).padStart(2, '0')}`;
}

export class FirePanelSim extends Simulator {
  readonly cls = 'fire-panel' as const;
  readonly zones = new Map<string, Zone>();
  silenced = false;
  private batteryV: number;

  constructor(port: DevicePort, opts: FirePanelOptions = {}) {
    super(port, opts);
    const list = opts.zones ?? defaultFloors(port.identity.floors).map((f) => ({ id: zoneIdForFloor(f), floor: f }));
    for (const z of list) this.zones.set(z.id, { ...z, alarm: null, trouble: null, supervisory: false });
    this.batteryV = this.rng.range(27.0, 27.6);
  }

  private zone(id: string, floor?: number): Zone {
    let z = this.zones.get(id);
    if (!z) {
      z = { id, floor: floor ?? 1, alarm: null, trouble: null, supervisory: false };
      this.zones.set(id, z);
    }
    if (floor !== undefined) z.floor = floor;
    return z;
  }

  /** Zone serving a floor (first match), creating the default one if none. */
  zoneForFloor(floor: number): Zone {
    for (const z of this.zones.values()) if (z.floor === floor) return z;
    return this.zone(zoneIdForFloor(floor), floor);
  }

  get zonesInAlarm(): number {
    return [...this.zones.values()].filter((z) => z.alarm).length;
  }

  get zonesInTrouble(): number {
    return [...this.zones.values()].filter((z) => z.trouble).length;
  }

  protected override tick(): void {
    // Float-charged standby battery wanders a little around 27.3 V (24 V system).
    this.batteryV = Math.min(27.8, Math.max(26.6, this.batteryV + this.rng.normal(0, 0.03)));
  }

  telemetry(): Metrics {
    return {
      zones_in_alarm: this.zonesInAlarm,
      zones_in_trouble: this.zonesInTrouble,
      zones_supervisory: [...this.zones.values()].filter((z) => z.supervisory).length,
      zones_total: this.zones.size,
      silenced: this.silenced,
      battery_v: round(this.batteryV, 2),
    };
  }

  /** A detector or manual call point in `zone` goes into alarm (`fire.alarm`). */
  alarm(zone: string, floor: number, detector: Detector = 'smoke'): Promise<DeviceEvent> {
    const z = this.zone(zone, floor);
    z.alarm = detector;
    this.silenced = false;
    this.note(`FIRE ALARM zone ${zone} floor ${floor} (${detector})`);
    return this.publish('fire.alarm', { zone, floor, detector });
  }

  trouble(zone: string, code: string): Promise<DeviceEvent> {
    this.zone(zone).trouble = code;
    return this.publish('fire.trouble', { zone, code });
  }

  supervisory(zone: string): Promise<DeviceEvent> {
    this.zone(zone).supervisory = true;
    return this.publish('fire.supervisory', { zone });
  }

  /** Sounders silenced at the panel (alarm state stays until reset). */
  silence(): Promise<DeviceEvent> {
    this.silenced = true;
    return this.publish('fire.silenced', {});
  }

  /** Panel reset: all zones back to normal. */
  reset(): Promise<DeviceEvent> {
    for (const z of this.zones.values()) {
      z.alarm = null;
      z.trouble = null;
      z.supervisory = false;
    }
    this.silenced = false;
    return this.publish('fire.reset', {});
  }
}
