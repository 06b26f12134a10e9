// Elevator controller simulator: one car moving floor by floor between the floors it serves,
// doors, passengers and load. Obeys the hub's `recall` (fire service phase I / 消防联动):
// travels to the floor, opens doors, emits `elevator.recalled`, then answers ok.
// Drill knobs: trap passengers (entrapment), release them, ignore recall (non-confirming car).
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { TimerHandle } from '../clock.js';
import { round } from '../rng.js';
import { NO_REPLY, type CommandReply, type DevicePort, type Metrics, type NoReply } from '../sdk.js';
import { defaultFloors, Simulator, type SimulatorOptions } from './base.js';

export type ElevatorMode = 'normal' | 'recall' | 'entrapped' | 'out_of_service';

export interface ElevatorOptions extends SimulatorOptions {
  /** Car name in events (`car`); default the device id. */
  car?: string;
  /** Floors served, default the identity's floors or 1..10. */
  floors?: number[];
  /** Recall / lobby floor; default 1 when served, else the lowest floor. */
  lobbyFloor?: number;
  startFloor?: number;
  /** Travel time per floor, ms (≈1.5 s at 2 m/s with 3 m floors). */
  floorTravelMs?: number;
  /** Door dwell before closing, ms. */
  doorMs?: number;
  capacityKg?: number;
  /** Non-confirming car drill: receive recall and do nothing, not even answer. */
  ignoreRecall?: boolean;
}

interface Trip {
  target: number;
  keepDoorsOpen: boolean;
  resolve: (arrived: boolean) => void;
}

const PASSENGER_KG = 70;

export class ElevatorSim extends Simulator {
  readonly cls = 'elevator' as const;
  readonly car: string;
  readonly floors: number[];
  readonly lobby: number;
  readonly floorTravelMs: number;
  readonly doorMs: number;
  readonly capacityKg: number;
  ignoreRecall: boolean;

  floor: number;
  moving = false;
  direction: -1 | 0 | 1 = 0;
  doorOpen = false;
  /** Stopped between floors (power loss / entrapment): `floor` is the last floor passed. */
  outOfLevel = false;
  powered = true;
  mode: ElevatorMode = 'normal';
  /** Individual passenger weights, kg. */
  private riders: number[] = [];
  private trip: Trip | null = null;
  private moveTimer: TimerHandle | null = null;
  private doorTimer: TimerHandle | null = null;
  private trafficTimer: TimerHandle | null = null;

  constructor(port: DevicePort, opts: ElevatorOptions = {}) {
    super(port, opts);
    this.car = opts.car ?? port.identity.meta?.car ?? port.identity.id;
    this.floors = defaultFloors(opts.floors ?? port.identity.floors);
    this.lobby = opts.lobbyFloor ?? port.identity.meta?.lobbyFloor ?? (this.floors.includes(1) ? 1 : (this.floors[0] as number));
    this.floorTravelMs = opts.floorTravelMs ?? 1500;
    this.doorMs = opts.doorMs ?? 3000;
    this.capacityKg = opts.capacityKg ?? 1000;
    this.ignoreRecall = opts.ignoreRecall ?? false;
    this.floor = opts.startFloor ?? (this.traffic ? this.rng.pick(this.floors) : this.lobby);
    port.onCommand('recall', (data) => this.recall(data.floor));
  }

  get passengers(): number {
    return this.riders.length;
  }

  get loadKg(): number {
    return this.riders.reduce((a, b) => a + b, 0);
  }

  telemetry(): Metrics {
    return {
      floor: this.floor,
      load_kg: round(this.loadKg, 1),
      moving: this.moving,
      door_open: this.doorOpen,
      direction: this.direction > 0 ? 'up' : this.direction < 0 ? 'down' : 'idle',
      passengers: this.passengers,
      out_of_level: this.outOfLevel,
      mode: this.mode,
      powered: this.powered,
    };
  }

  // ---- motion ----

  /** Travel to `target` (a served floor). Resolves true on arrival, false if interrupted. */
  goTo(target: number, keepDoorsOpen = false): Promise<boolean> {
    if (!this.floors.includes(target) || !this.powered || this.mode === 'entrapped') return Promise.resolve(false);
    this.abortTrip();
    return new Promise<boolean>((resolve) => {
      this.trip = { target, keepDoorsOpen, resolve };
      this.cancel(this.doorTimer);
      this.doorOpen = false;
      this.outOfLevel = false;
      this.step();
    });
  }

  private step(): void {
    const trip = this.trip;
    if (!trip) return;
    if (this.floor === trip.target) {
      this.arrive(trip);
      return;
    }
    this.moving = true;
    this.direction = trip.target > this.floor ? 1 : -1;
    this.moveTimer = this.after(this.floorTravelMs, () => {
      const i = this.floors.indexOf(this.floor);
      const next = this.floors[i + this.direction];
      if (next !== undefined) this.floor = next;
      this.step();
    });
  }

  private arrive(trip: Trip): void {
    this.trip = null;
    this.moving = false;
    this.direction = 0;
    this.doorOpen = true;
    if (!trip.keepDoorsOpen) this.scheduleDoorClose();
    trip.resolve(true);
  }

  private scheduleDoorClose(): void {
    this.cancel(this.doorTimer);
    this.doorTimer = this.after(this.doorMs, () => {
      this.doorOpen = false;
    });
  }

  /** Stop wherever the car is; a car stopped while moving is out of level. */
  private abortTrip(): void {
    this.cancel(this.moveTimer);
    this.moveTimer = null;
    if (this.moving) this.outOfLevel = true;
    this.moving = false;
    this.direction = 0;
    const t = this.trip;
    this.trip = null;
    t?.resolve(false);
  }

  // ---- background traffic: idle car takes a random trip every few seconds ----

  protected override onStart(): void {
    if (this.traffic) this.scheduleTraffic();
  }

  override stop(): void {
    this.abortTrip();
    super.stop();
  }

  private scheduleTraffic(): void {
    this.trafficTimer = this.after(this.rng.range(2, 8) * this.doorMs, () => {
      if (this.mode === 'normal' && this.powered && !this.trip) {
        // Some riders leave here, some board, then go somewhere else.
        this.riders = this.riders.filter(() => this.rng.chance(0.4));
        const boarding = this.rng.int(0, 4);
        for (let i = 0; i < boarding; i++) {
          const w = Math.min(130, Math.max(20, this.rng.normal(PASSENGER_KG, 12)));
          if (this.loadKg + w <= this.capacityKg) this.riders.push(w);
        }
        const others = this.floors.filter((f) => f !== this.floor);
        if (others.length > 0) void this.goTo(this.rng.pick(others));
      }
      this.scheduleTraffic();
    });
  }

  // ---- commands and drills ----

  /** Fire recall (also the `recall` command handler). */
  async recall(floor: number): Promise<CommandReply | NoReply> {
    if (this.ignoreRecall) {
      this.note(`recall to ${floor} received and ignored (non-confirming car drill)`);
      return NO_REPLY;
    }
    if (this.mode === 'entrapped') return { ok: false, data: { reason: 'entrapped', floor: this.floor } };
    if (this.mode === 'out_of_service') return { ok: false, data: { reason: 'out_of_service', floor: this.floor } };
    if (!this.powered) return { ok: false, data: { reason: 'no_power', floor: this.floor } };
    if (!this.floors.includes(floor)) return { ok: false, data: { reason: 'floor_not_served', floor } };
    this.mode = 'recall';
    this.note(this.floor === floor ? `recall: already at floor ${floor}` : `recall: travelling ${this.floor} → ${floor}`);
    const arrived = await this.goTo(floor, true);
    if (!arrived) return { ok: false, data: { reason: 'interrupted', floor: this.floor } };
    // Recalled car parks with doors open; passengers get out.
    this.riders = [];
    this.note(`recalled at floor ${floor}, doors open`);
    await this.publish('elevator.recalled', { floor });
    return { ok: true, data: { floor } };
  }

  /** Stop the car (out of level when moving) with people inside: `elevator.entrapment`. */
  async trap(opts: { passengers?: number } = {}): Promise<DeviceEvent> {
    const wasMoving = this.moving;
    this.abortTrip();
    this.cancel(this.doorTimer);
    this.cancel(this.trafficTimer);
    this.trafficTimer = null;
    this.outOfLevel = true;
    this.doorOpen = false;
    this.mode = 'entrapped';
    const want = Math.max(1, opts.passengers ?? (this.passengers || 2));
    while (this.riders.length < want) this.riders.push(Math.min(130, Math.max(20, this.rng.normal(PASSENGER_KG, 12))));
    this.riders = this.riders.slice(0, want);
    this.note(`car stopped ${wasMoving ? 'between floors' : 'out of level'} near floor ${this.floor}, ${want} inside`);
    return this.publish('elevator.entrapment', { car: this.car, floor: this.floor, passengers: want });
  }

  pressAlarmButton(): Promise<DeviceEvent> {
    return this.publish('elevator.alarm_button', { car: this.car, floor: this.floor });
  }

  /** Passengers released: level the car, open the doors, `elevator.normal` doors open. */
  async release(): Promise<DeviceEvent> {
    this.outOfLevel = false;
    this.doorOpen = true;
    this.mode = 'normal';
    const e = await this.publish('elevator.normal', { floor: this.floor, doors: 'open' });
    this.note(`released at floor ${this.floor}, doors open`);
    // They step out; doors close after the dwell.
    this.riders = [];
    this.scheduleDoorClose();
    this.cancel(this.trafficTimer);
    if (this.traffic && this.isRunning) this.scheduleTraffic();
    return e;
  }

  fault(code: string): Promise<DeviceEvent> {
    return this.publish('elevator.fault', { code });
  }

  async outOfService(): Promise<DeviceEvent> {
    this.abortTrip();
    this.mode = 'out_of_service';
    return this.publish('elevator.out_of_service', {});
  }

  /** Back to normal service (after recall, or a contractor signing the car fit). */
  async returnToService(): Promise<DeviceEvent> {
    this.mode = 'normal';
    this.outOfLevel = false;
    if (this.doorOpen) this.scheduleDoorClose();
    return this.publish('elevator.normal', { floor: this.floor, doors: this.doorOpen ? 'open' : 'closed' });
  }

  /**
   * Mains lost on this car's feeder: the car stops where it is. A car that was moving with
   * riders (or `trap` forced) ends up out of level with people inside → entrapment event.
   */
  async powerLoss(opts: { trap?: boolean } = {}): Promise<DeviceEvent | null> {
    const wasMoving = this.moving;
    this.abortTrip();
    this.powered = false;
    if (this.mode === 'entrapped') return null;
    if (opts.trap || (opts.trap === undefined && wasMoving && this.passengers > 0)) {
      return this.trap({ passengers: this.passengers || undefined });
    }
    this.note(`power lost, car stopped at floor ${this.floor}`);
    return null;
  }

  /** Standby or mains power back. */
  powerRestored(): void {
    this.powered = true;
  }

  /** Emergency-power return: go to the lobby, open doors, report `elevator.normal`. */
  async returnToLobby(): Promise<boolean> {
    if (this.mode === 'entrapped') return false;
    const arrived = await this.goTo(this.lobby, true);
    if (!arrived) return false;
    this.riders = [];
    await this.publish('elevator.normal', { floor: this.lobby, doors: 'open' });
    return true;
  }
}
