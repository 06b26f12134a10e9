// Simulator and SDK logic without a broker: a ManualClock drives time and a fake DevicePort
// records what would be published, so travel times, delays and the expiry rule are exact.
import { describe, expect, it } from 'vitest';
import {
  EVENT_DATA,
  REQUIRED_METRICS,
  TelemetryPayload,
  parseCommandResult,
  type DeviceEvent,
  type EventData,
  type EventType,
} from '../../contracts/mqtt.js';
import type { DeviceClass } from '../../contracts/domain.js';
import { ManualClock } from '../../devices/clock.js';
import { filterFleet, parseDeviceArg, parseFleet } from '../../devices/fleet.js';
import { Rng } from '../../devices/rng.js';
import { parseDuration } from '../../devices/scenarios/registry.js';
import { CommandDispatcher, NO_REPLY, type CommandHandler, type DeviceIdentity, type DevicePort, type Metrics } from '../../devices/sdk.js';
import { createSimulator, ElevatorSim, FirePanelSim, IntercomSim, PowerSim, WaterSim } from '../../devices/simulators/index.js';
import type { CommandName } from '../../contracts/mqtt.js';

class FakePort implements DevicePort {
  readonly identity: DeviceIdentity;
  readonly address;
  readonly events: DeviceEvent[] = [];
  readonly telemetry: Metrics[] = [];
  readonly dispatcher: CommandDispatcher;
  private seq = 0;

  constructor(
    readonly clock: ManualClock,
    cls: DeviceClass,
    id = 'dev-1',
    floors?: number[],
  ) {
    this.identity = { id, secret: 's', site: 'site-1', building: 'b-1', class: cls, ...(floors ? { floors } : {}) };
    this.address = { site: 'site-1', building: 'b-1', class: cls, deviceId: id };
    this.dispatcher = new CommandDispatcher(() => clock.now());
  }

  async publishEvent<T extends EventType>(type: T, data: EventData<T>): Promise<DeviceEvent> {
    // Same contract check as the real client: simulators must only emit valid events.
    EVENT_DATA[type].parse(data);
    const e = { v: 1, id: `ev-${++this.seq}`, ts: this.clock.now(), type, data } as DeviceEvent;
    this.events.push(e);
    return e;
  }

  async publishTelemetry(m: Metrics): Promise<boolean> {
    this.telemetry.push(m);
    return true;
  }

  onCommand<N extends CommandName>(name: N, handler: CommandHandler<N>): void {
    this.dispatcher.on(name, handler);
  }

  send(name: string, data: unknown, o: { corr?: string; expIn?: number } = {}) {
    const payload = JSON.stringify({ v: 1, corr: o.corr ?? 'corr-1', exp: this.clock.now() + (o.expIn ?? 30_000), data });
    return this.dispatcher.dispatch(name, payload);
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

function elevator(clock: ManualClock, opts: ConstructorParameters<typeof ElevatorSim>[1] = {}) {
  const port = new FakePort(clock, 'elevator', 'car-a');
  const sim = new ElevatorSim(port, { traffic: false, floorTravelMs: 1000, doorMs: 2000, ...opts });
  return { port, sim };
}

describe('CommandDispatcher (expiry, dedup, malformed)', () => {
  const setup = () => {
    const clock = new ManualClock(1_000_000);
    const d = new CommandDispatcher(() => clock.now());
    let calls = 0;
    d.on('recall', (data) => {
      calls++;
      return { ok: true, data: { floor: data.floor } };
    });
    const payload = (o: { corr?: string; exp: number; data?: unknown }) =>
      JSON.stringify({ v: 1, corr: o.corr ?? 'c1', exp: o.exp, data: o.data ?? { floor: 1 } });
    return { clock, d, calls: () => calls, payload };
  };

  it('refuses an expired command without running the handler', async () => {
    const { clock, d, calls, payload } = setup();
    const r = await d.dispatch('recall', payload({ exp: clock.now() - 1 }));
    expect(r.status).toBe('expired');
    expect(r.result).toMatchObject({ v: 1, corr: 'c1', ok: false, data: { reason: 'expired' } });
    expect(parseCommandResult(JSON.stringify(r.result)).ok).toBe(true);
    expect(calls()).toBe(0);
  });

  it('executes a command whose exp is exactly now (exp < now is the expiry rule)', async () => {
    const { clock, d, calls, payload } = setup();
    const r = await d.dispatch('recall', payload({ exp: clock.now() }));
    expect(r.status).toBe('executed');
    expect(r.result).toMatchObject({ corr: 'c1', ok: true, data: { floor: 1 }, ts: clock.now() });
    expect(calls()).toBe(1);
  });

  it('answers a redelivered corr with the first result and does not re-execute', async () => {
    const { clock, d, calls, payload } = setup();
    const first = await d.dispatch('recall', payload({ exp: clock.now() + 1000 }));
    clock.advance(500);
    const again = await d.dispatch('recall', payload({ exp: clock.now() + 1000 }));
    expect(again.status).toBe('duplicate');
    expect(again.result).toEqual(first.result);
    expect(calls()).toBe(1);
  });

  it('replies unsupported / bad_command, and stays silent when no corr can be read', async () => {
    const { clock, d, payload } = setup();
    const unsupported = await d.dispatch('unlock', JSON.stringify({ v: 1, corr: 'u1', exp: clock.now() + 1000, data: { seconds: 3 } }));
    expect(unsupported).toMatchObject({ status: 'unsupported', result: { ok: false, data: { reason: 'unsupported' } } });
    const bad = await d.dispatch('recall', payload({ corr: 'b1', exp: clock.now() + 1000, data: { floor: 'lobby' } }));
    expect(bad).toMatchObject({ status: 'malformed', corr: 'b1', result: { ok: false, data: { reason: 'bad_command' } } });
    const garbage = await d.dispatch('recall', 'not json');
    expect(garbage).toMatchObject({ status: 'malformed', corr: null, result: null });
  });

  it('turns a throwing handler into ok:false reason error, and NO_REPLY into silence', async () => {
    const clock = new ManualClock();
    const d = new CommandDispatcher(() => clock.now());
    d.on('recall', () => {
      throw new Error('brake fault');
    });
    d.on('unlock', () => NO_REPLY);
    const exp = clock.now() + 1000;
    const r = await d.dispatch('recall', JSON.stringify({ v: 1, corr: 'x', exp, data: { floor: 1 } }));
    expect(r).toMatchObject({ status: 'failed', result: { ok: false, data: { reason: 'error', detail: 'brake fault' } } });
    const s = await d.dispatch('unlock', JSON.stringify({ v: 1, corr: 'y', exp, data: { seconds: 2 } }));
    expect(s).toMatchObject({ status: 'no_reply', result: null });
  });
});

describe('ElevatorSim', () => {
  it('travels floor by floor, then reports recalled and answers ok', async () => {
    const clock = new ManualClock();
    const { port, sim } = elevator(clock, { startFloor: 8 });
    const pending = port.send('recall', { floor: 1 }, { corr: 'r-1' });
    await clock.advanceAsync(1000);
    expect(sim.telemetry()).toMatchObject({ floor: 7, moving: true, door_open: false, direction: 'down' });
    await clock.advanceAsync(5000);
    expect(sim.floor).toBe(2);
    expect(port.types()).not.toContain('elevator.recalled');
    await clock.advanceAsync(1000);
    const r = await pending;
    expect(r).toMatchObject({ status: 'executed', corr: 'r-1', result: { ok: true, corr: 'r-1', data: { floor: 1 } } });
    expect(port.events.at(-1)).toMatchObject({ type: 'elevator.recalled', data: { floor: 1 } });
    expect(sim.telemetry()).toMatchObject({ floor: 1, moving: false, door_open: true, mode: 'recall', load_kg: 0 });
    // Recalled cars keep their doors open (no dwell timer closing them).
    await clock.advanceAsync(60_000);
    expect(sim.doorOpen).toBe(true);
  });

  it('never executes an expired recall', async () => {
    const clock = new ManualClock();
    const { port, sim } = elevator(clock, { startFloor: 5 });
    const r = await port.send('recall', { floor: 1 }, { expIn: -1 });
    await clock.advanceAsync(10_000);
    expect(r.result).toMatchObject({ ok: false, data: { reason: 'expired' } });
    expect(sim.floor).toBe(5);
    expect(sim.mode).toBe('normal');
    expect(port.events).toHaveLength(0);
  });

  it('refuses recall while passengers are trapped, then releases with doors open', async () => {
    const clock = new ManualClock();
    const { port, sim } = elevator(clock, { startFloor: 3 });
    const trap = await sim.trap({ passengers: 4 });
    expect(trap).toMatchObject({ type: 'elevator.entrapment', data: { car: 'car-a', floor: 3, passengers: 4 } });
    expect(sim.telemetry()).toMatchObject({ moving: false, door_open: false, out_of_level: true, passengers: 4 });
    expect((sim.telemetry().load_kg as number) > 100).toBe(true);
    const r = await port.send('recall', { floor: 1 });
    expect(r.result).toMatchObject({ ok: false, data: { reason: 'entrapped' } });
    await sim.release();
    expect(port.events.at(-1)).toMatchObject({ type: 'elevator.normal', data: { floor: 3, doors: 'open' } });
    expect(port.types()).not.toContain('elevator.recalled');
  });

  it('a car stopped between floors by a power loss traps its riders', async () => {
    const clock = new ManualClock();
    const { port, sim } = elevator(clock, { startFloor: 1 });
    void sim.goTo(9);
    await clock.advanceAsync(2500);
    expect(sim.moving).toBe(true);
    const e = await sim.powerLoss({ trap: true });
    expect(e).toMatchObject({ type: 'elevator.entrapment', data: { floor: 3 } });
    expect(sim.outOfLevel).toBe(true);
    await clock.advanceAsync(10_000);
    expect(sim.floor).toBe(3);
    expect(port.types()).toEqual(['elevator.entrapment']);
  });

  it('non-confirming car drill: recall is swallowed, no answer, no movement', async () => {
    const clock = new ManualClock();
    const { port, sim } = elevator(clock, { startFloor: 6, ignoreRecall: true });
    const r = await port.send('recall', { floor: 1 });
    await clock.advanceAsync(20_000);
    expect(r).toMatchObject({ status: 'no_reply', result: null });
    expect(sim.floor).toBe(6);
    expect(port.events).toHaveLength(0);
  });

  it('refuses a floor it does not serve', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'elevator', 'car-b', [2, 3, 4]);
    const sim = new ElevatorSim(port, { traffic: false });
    expect(sim.lobby).toBe(2);
    const r = await port.send('recall', { floor: 1 });
    expect(r.result).toMatchObject({ ok: false, data: { reason: 'floor_not_served' } });
  });

  it('background traffic is reproducible under a seed', async () => {
    const run = async (seed: number) => {
      const clock = new ManualClock();
      const port = new FakePort(clock, 'elevator', 'car-t');
      const sim = new ElevatorSim(port, { seed, floorTravelMs: 1000, doorMs: 2000 });
      sim.start(1000);
      await clock.advanceAsync(120_000);
      sim.stop();
      return port.telemetry;
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(a).toHaveLength(120);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // The car actually moves and carries people.
    expect(new Set(a.map((m) => m.floor)).size).toBeGreaterThan(2);
    expect(a.some((m) => (m.load_kg as number) > 0)).toBe(true);
  });
});

describe('FirePanelSim', () => {
  it('counts zones in alarm and trouble; silence and reset', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'fire-panel', 'fp-1', [1, 2, 3]);
    const sim = new FirePanelSim(port);
    expect(sim.zoneForFloor(2).id).toBe('zone-02');
    await sim.alarm('zone-02', 2, 'smoke');
    await sim.alarm('zone-03', 3, 'manual');
    await sim.trouble('zone-01', 'open-circuit');
    await sim.supervisory('zone-01');
    expect(sim.telemetry()).toMatchObject({ zones_in_alarm: 2, zones_in_trouble: 1, zones_supervisory: 1, silenced: false });
    await sim.silence();
    expect(sim.telemetry()).toMatchObject({ zones_in_alarm: 2, silenced: true });
    await sim.reset();
    expect(sim.telemetry()).toMatchObject({ zones_in_alarm: 0, zones_in_trouble: 0, silenced: false });
    expect(port.types()).toEqual(['fire.alarm', 'fire.alarm', 'fire.trouble', 'fire.supervisory', 'fire.silenced', 'fire.reset']);
    expect(port.events[0]).toMatchObject({ data: { zone: 'zone-02', floor: 2, detector: 'smoke' } });
  });
});

describe('PowerSim', () => {
  it('reports realistic three-phase values', () => {
    const clock = new ManualClock();
    const sim = new PowerSim(new FakePort(clock, 'power', 'pm-1'), { seed: 7 });
    for (let i = 0; i < 50; i++) {
      const m = sim.telemetry() as { voltage_v: number; current_a: number; power_kw: number; frequency_hz: number };
      expect(m.voltage_v).toBeGreaterThan(380 * 0.95);
      expect(m.voltage_v).toBeLessThan(380 * 1.05);
      expect(m.frequency_hz).toBeGreaterThan(49.9);
      expect(m.frequency_hz).toBeLessThan(50.1);
      // P = √3·V·I·pf within rounding
      expect(Math.abs((Math.sqrt(3) * m.voltage_v * m.current_a * 0.92) / 1000 - m.power_kw)).toBeLessThan(0.2);
    }
    const single = new PowerSim(new FakePort(clock, 'power', 'pm-2'), { seed: 7, nominalVoltage: 220 }).telemetry();
    expect(Math.abs((single.voltage_v as number) - 220)).toBeLessThan(11);
  });

  it('mains loss → generator started and ATS transferred after the delay → restored', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'power', 'pm-1', [1, 2, 3]);
    const sim = new PowerSim(port, { atsDelayMs: 4000, feeder: 'f-2' });
    await sim.loseMains();
    expect(port.events[0]).toMatchObject({ type: 'power.mains_lost', data: { feeder: 'f-2', floors: [1, 2, 3] } });
    expect(sim.telemetry()).toMatchObject({ voltage_v: 0, current_a: 0, power_kw: 0, on_generator: false });
    await clock.advanceAsync(3999);
    expect(port.events).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(port.types()).toEqual(['power.mains_lost', 'power.generator_started', 'power.ats_transferred']);
    expect(port.events[2]!.ts - port.events[0]!.ts).toBe(4000);
    const m = sim.telemetry() as Record<string, number | boolean>;
    expect(m.on_generator).toBe(true);
    expect(m.voltage_v as number).toBeGreaterThan(350);
    await sim.restoreMains();
    expect(port.events.at(-1)).toMatchObject({ type: 'power.mains_restored', data: { feeder: 'f-2' } });
    expect(sim.telemetry().on_generator).toBe(false);
  });

  it('ATS fail and none modes', async () => {
    const clock = new ManualClock();
    const failPort = new FakePort(clock, 'power', 'pm-f');
    await new PowerSim(failPort, { ats: 'fail', atsDelayMs: 2000 }).loseMains();
    const nonePort = new FakePort(clock, 'power', 'pm-n');
    const none = new PowerSim(nonePort, { ats: 'none' });
    await none.loseMains();
    await clock.advanceAsync(60_000);
    expect(failPort.types()).toEqual(['power.mains_lost', 'power.generator_failed']);
    expect(nonePort.types()).toEqual(['power.mains_lost']);
    expect(none.telemetry().voltage_v).toBe(0);
  });

  it('no transfer when mains returns before the generator is up', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'power', 'pm-1');
    const sim = new PowerSim(port, { atsDelayMs: 5000 });
    await sim.loseMains();
    await clock.advanceAsync(1000);
    await sim.restoreMains();
    await clock.advanceAsync(10_000);
    expect(port.types()).toEqual(['power.mains_lost', 'power.mains_restored']);
  });
});

describe('IntercomSim', () => {
  it('call, owner approval from the in-unit station, calls_waiting', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'intercom', 'ic-1');
    const sim = new IntercomSim(port);
    const call = await sim.call('1203', '王先生');
    expect(port.events[0]).toMatchObject({ type: 'intercom.call', id: call.callId, data: { unit: '1203', visitorName: '王先生' } });
    const other = await sim.call('0801');
    expect(sim.telemetry().calls_waiting).toBe(2);
    await sim.ownerApprove(call.callId);
    await sim.ownerDeny(other.callId);
    expect(port.events.slice(2)).toMatchObject([
      { type: 'intercom.owner_approved', data: { unit: '1203', callId: call.callId } },
      { type: 'intercom.owner_denied', data: { unit: '0801', callId: other.callId } },
    ]);
    expect(sim.telemetry().calls_waiting).toBe(0);
    expect(() => sim.ownerApprove('nope')).toThrow(/no waiting call/);
  });

  it('unanswered calls stop ringing', async () => {
    const clock = new ManualClock();
    const sim = new IntercomSim(new FakePort(clock, 'intercom', 'ic-1'), { callTimeoutMs: 60_000 });
    await sim.call('1203');
    await clock.advanceAsync(60_000);
    expect(sim.telemetry().calls_waiting).toBe(0);
  });

  it('unlock opens with the corr, answers ok, relocks after the given seconds', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'intercom', 'ic-1');
    const sim = new IntercomSim(port);
    await sim.call('1203');
    const r = await port.send('unlock', { seconds: 5 }, { corr: 'u-77' });
    expect(r.result).toMatchObject({ ok: true, corr: 'u-77', data: { seconds: 5 } });
    expect(port.events.at(-1)).toMatchObject({ type: 'intercom.door_opened', data: { corr: 'u-77' } });
    expect(sim.telemetry()).toMatchObject({ door_open: true, locked: false, calls_waiting: 0 });
    await clock.advanceAsync(4999);
    expect(sim.doorOpen).toBe(true);
    await clock.advanceAsync(1);
    expect(port.events.at(-1)).toMatchObject({ type: 'intercom.door_closed' });
    expect(sim.telemetry()).toMatchObject({ door_open: false, locked: true });
  });

  it('fail closed: expired unlock and never-confirm mode leave the door locked and silent', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'intercom', 'ic-1');
    const sim = new IntercomSim(port);
    const expired = await port.send('unlock', { seconds: 5 }, { expIn: -1, corr: 'old' });
    expect(expired.result).toMatchObject({ ok: false, data: { reason: 'expired' } });
    sim.neverConfirm = true;
    const silent = await port.send('unlock', { seconds: 5 }, { corr: 'new' });
    expect(silent).toMatchObject({ status: 'no_reply', result: null });
    await clock.advanceAsync(10_000);
    expect(sim.doorOpen).toBe(false);
    expect(port.events).toHaveLength(0);
  });
});

describe('WaterSim', () => {
  it('a sump pit pumps down at the start level and stays below the high level while a pump works', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'water', 'pit-1');
    const sim = new WaterSim(port, { role: 'sump', seed: 3, inflowCm: 5, pumpStartCm: 35, pumpStopCm: 15, pumpRateCm: 12, highCm: 50 });
    sim.start(1000);
    await clock.advanceAsync(60_000);
    sim.stop();
    const levels = port.telemetry.map((m) => m.water_level_cm as number);
    expect(Math.max(...levels)).toBeLessThan(50);
    expect(port.telemetry.some((m) => m.pump_running === true)).toBe(true);
    expect(port.events).toHaveLength(0);
  });

  it('with every pump failed the level rises to the high level, reported once per excursion', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'water', 'pit-2');
    const sim = new WaterSim(port, { role: 'sump', seed: 3, inflowCm: 5, pit: 'b1-sump', pumps: ['p1'] });
    const failed = await sim.failPump();
    expect(failed).toMatchObject({ type: 'water.pump_failed', data: { pump: 'p1' } });
    sim.start(1000);
    await clock.advanceAsync(30_000);
    sim.stop();
    const high = port.events.filter((e) => e.type === 'water.level_high');
    expect(high).toHaveLength(1);
    expect(high[0]!.data).toMatchObject({ pit: 'b1-sump' });
    expect((high[0]!.data as { levelCm: number }).levelCm).toBeGreaterThanOrEqual(50);
    expect(port.telemetry.at(-1)).toMatchObject({ pump_running: false, leak: true, pumps_available: 0 });
  });

  it('a leak node reports its zone and floor from the identity meta, then dry', async () => {
    const clock = new ManualClock();
    const port = new FakePort(clock, 'water', 'lk-1');
    (port.identity as { meta?: object }).meta = { role: 'leak', zone: 'b1-lift-pit', floor: -1 };
    const sim = new WaterSim(port);
    await sim.leak();
    expect(sim.telemetry()).toMatchObject({ leak: true });
    await sim.clear();
    expect(port.events.map((e) => [e.type, e.data])).toEqual([
      ['water.leak', { zone: 'b1-lift-pit', floor: -1 }],
      ['water.cleared', { zone: 'b1-lift-pit' }],
    ]);
    expect(sim.telemetry()).toMatchObject({ leak: false, water_level_cm: 0 });
  });
});

describe('telemetry of every class', () => {
  it('contains REQUIRED_METRICS, passes the contract schema and is published on the interval', async () => {
    for (const cls of ['elevator', 'fire-panel', 'power', 'intercom', 'water'] as const) {
      const clock = new ManualClock();
      const port = new FakePort(clock, cls, `d-${cls}`);
      const sim = createSimulator(port, { seed: 1 });
      sim.start(2000);
      await clock.advanceAsync(6000);
      sim.stop();
      expect(port.telemetry.length).toBe(3);
      for (const m of port.telemetry) {
        for (const k of REQUIRED_METRICS[cls]) expect(m, `${cls}.${k}`).toHaveProperty(k);
        expect(TelemetryPayload.safeParse({ v: 1, ts: clock.now(), metrics: m }).success).toBe(true);
      }
      expect(clock.pending).toBe(0);
    }
  });
});

describe('helpers', () => {
  it('Rng is deterministic and in range', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const r = new Rng('seed');
    for (let i = 0; i < 100; i++) expect([1, 2, 3]).toContain(r.int(1, 3));
  });

  it('ManualClock fires timers in order, including ones scheduled while advancing', () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push('b@20'), 20);
    clock.setTimeout(() => {
      seen.push('a@10');
      clock.setTimeout(() => seen.push('c@15'), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => seen.push('x'), 12);
    clock.clearTimeout(cancelled);
    clock.advance(30);
    expect(seen).toEqual(['a@10', 'c@15', 'b@20']);
    expect(clock.now()).toBe(30);
  });

  it('parses durations, --device strings and fleet files', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5')).toBe(1500);
    expect(() => parseDuration('soon')).toThrow();
    expect(parseDeviceArg('e-1:pa:ss:demo:demo-a:elevator')).toEqual({
      id: 'e-1',
      secret: 'pa:ss',
      site: 'demo',
      building: 'demo-a',
      class: 'elevator',
    });
    expect(() => parseDeviceArg('e-1:x:demo:demo-a:toaster')).toThrow(/class/);
    const fleet = parseFleet({
      devices: [
        { id: 'e-1', secret: 'a', site: 's', building: 'b1', class: 'elevator', floors: 3 },
        { id: 'p-1', secret: 'b', site: 's', building: 'b2', class: 'power', floors: [1, 2] },
      ],
    });
    expect(fleet[0]!.floors).toEqual([1, 2, 3]);
    const withMeta = parseFleet([{ id: 'p-9', secret: 'x', site: 's', building: 'b', class: 'power', meta: { feeder: 'f-7' } }]);
    expect(new PowerSim(new FakePort(new ManualClock(), 'power', 'p-9'), {}).feeder).toBe('p-9-feeder');
    const metaPort = new FakePort(new ManualClock(), 'power', 'p-9');
    Object.assign(metaPort.identity, withMeta[0]);
    expect(new PowerSim(metaPort).feeder).toBe('f-7');
    expect(filterFleet(fleet, { building: 'b2' }).map((d) => d.id)).toEqual(['p-1']);
    expect(filterFleet(fleet, { prefix: 'e-' }).map((d) => d.id)).toEqual(['e-1']);
    expect(() => parseFleet([{ id: 'Bad Id', secret: 'a', site: 's', building: 'b', class: 'power' }])).toThrow(/valid fleet/);
    expect(() => parseFleet([fleet[0], fleet[0]])).toThrow(/twice/);
  });
});
