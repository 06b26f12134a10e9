// Device SDK and simulators against a real aedes broker over TCP on an ephemeral port.
// The test plays the hub: it subscribes to the device topics and publishes commands.
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Aedes, type AuthenticateError } from 'aedes';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  REQUIRED_METRICS,
  parseCommandResult,
  parseEvent,
  parseStatus,
  parseTelemetry,
  topics,
  type CommandResult,
  type DeviceEvent,
} from '../../contracts/mqtt.js';
import type { DeviceClass } from '../../contracts/domain.js';
import { main } from '../../devices/cli.js';
import { runLoad } from '../../devices/load.js';
import { DeviceClient, DeviceConnectError, type DeviceIdentity } from '../../devices/sdk.js';
import { ElevatorSim, IntercomSim, createSimulator } from '../../devices/simulators/index.js';

interface Broker {
  aedes: Aedes;
  server: net.Server;
  port: number;
  url: string;
}

async function startBroker(opts: ConstructorParameters<typeof Aedes>[0] = {}): Promise<Broker> {
  const aedes = await Aedes.createBroker(opts);
  const server = net.createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { aedes, server, port, url: `mqtt://127.0.0.1:${port}` };
}

async function stopBroker(b: Broker): Promise<void> {
  await new Promise<void>((r) => b.aedes.close(() => r()));
  await new Promise<void>((r) => b.server.close(() => r()));
}

/** A hub-side observer: records every message and waits for specific ones. */
class Observer {
  readonly messages: Array<{ topic: string; payload: Buffer; retain: boolean }> = [];
  private waiters: Array<{ match: (t: string, p: Buffer) => boolean; resolve: (p: Buffer) => void }> = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain });
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(topic, payload)) return true;
        w.resolve(payload);
        return false;
      });
    });
  }

  static async open(url: string, filter = 'bops/v1/#'): Promise<Observer> {
    const c = connect(url, { clientId: `obs-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
    const o = new Observer(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    await c.subscribeAsync(filter, { qos: 1 });
    return o;
  }

  waitFor(match: (topic: string, payload: Buffer) => boolean, timeoutMs = 3000, what = 'message'): Promise<Buffer> {
    const seen = this.messages.find((m) => match(m.topic, m.payload));
    if (seen) return Promise.resolve(seen.payload);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (p) => {
          clearTimeout(t);
          resolve(p);
        },
      });
    });
  }

  events(topic: string): DeviceEvent[] {
    return this.messages
      .filter((m) => m.topic === topic)
      .map((m) => parseEvent(m.payload))
      .filter((r) => r.ok)
      .map((r) => r.value);
  }

  async command(topic: string, corr: string, data: Record<string, unknown>, exp = Date.now() + 30_000): Promise<void> {
    await this.client.publishAsync(topic, JSON.stringify({ v: 1, corr, exp, data }), { qos: 1 });
  }

  async result(topic: string, corr: string, timeoutMs = 3000): Promise<CommandResult> {
    const buf = await this.waitFor(
      (t, p) => t === topic && parseCommandResult(p).ok && JSON.parse(p.toString()).corr === corr,
      timeoutMs,
      `result ${corr}`,
    );
    const r = parseCommandResult(buf);
    if (!r.ok) throw new Error(r.detail);
    return r.value;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let broker: Broker;
let obs: Observer;
const opened: DeviceClient[] = [];
let nextId = 0;

function identity(cls: DeviceClass, extra: Partial<DeviceIdentity> = {}): DeviceIdentity {
  return { id: `${cls}-${++nextId}`, secret: 'secret', site: 'site-t', building: 'bldg-t', class: cls, ...extra };
}

function device(idn: DeviceIdentity, opts: Partial<ConstructorParameters<typeof DeviceClient>[0]> = {}): DeviceClient {
  const d = new DeviceClient({ identity: idn, url: broker.url, reconnectPeriod: 0, ...opts });
  opened.push(d);
  return d;
}

beforeAll(async () => {
  broker = await startBroker();
  obs = await Observer.open(broker.url);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.kill()));
});

afterAll(async () => {
  await obs?.close();
  if (broker) await stopBroker(broker);
});

describe('DeviceClient', () => {
  it('announces a retained online status that a late subscriber sees', async () => {
    const idn = identity('elevator');
    const d = device(idn);
    await d.connect();
    const late = await Observer.open(broker.url, topics.status(d.address));
    try {
      const buf = await late.waitFor(() => true, 2000, 'retained status');
      expect(late.messages[0]?.retain).toBe(true);
      const s = parseStatus(buf);
      expect(s.ok && s.value.state).toBe('online');
    } finally {
      await late.close();
    }
  });

  it('kill() drops the socket and the broker publishes the retained lost will', async () => {
    const d = device(identity('fire-panel'));
    await d.connect();
    const topic = topics.status(d.address);
    await obs.waitFor((t, p) => t === topic && parseStatus(p).ok && JSON.parse(p.toString()).state === 'online');
    await d.kill();
    const buf = await obs.waitFor((t, p) => t === topic && JSON.parse(p.toString()).state === 'lost', 3000, 'lost will');
    expect(parseStatus(buf)).toMatchObject({ ok: true, value: { v: 1, state: 'lost' } });
    // retained: a later subscriber still sees "lost"
    const late = await Observer.open(broker.url, topic);
    try {
      const s = parseStatus(await late.waitFor(() => true, 2000, 'retained lost'));
      expect(s.ok && s.value.state).toBe('lost');
    } finally {
      await late.close();
    }
  });

  it('close() publishes offline and disconnects cleanly (no will)', async () => {
    const d = device(identity('power'));
    await d.connect();
    const topic = topics.status(d.address);
    await d.close();
    await obs.waitFor((t, p) => t === topic && JSON.parse(p.toString()).state === 'offline', 3000, 'offline');
    await sleep(200);
    const states = obs.messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload.toString()).state);
    expect(states).toEqual(['online', 'offline']);
  });

  it('publishes valid events with unique ids, and can re-send one with the same id', async () => {
    const d = device(identity('fire-panel'));
    await d.connect();
    const a = await d.publishEvent('fire.trouble', { zone: 'zone-01', code: 'open-circuit' });
    const b = await d.publishEvent('fire.silenced', {});
    await d.republishEvent(a);
    const again = await d.publishEvent('fire.trouble', { zone: 'zone-01', code: 'open-circuit' }, { id: a.id });
    const topic = topics.event(d.address);
    await obs.waitFor(() => obs.events(topic).length >= 4, 3000, 'four events');
    const seen = obs.events(topic);
    expect(seen.map((e) => e.id)).toEqual([a.id, b.id, a.id, a.id]);
    expect(seen[2]).toEqual(a);
    expect(again.id).toBe(a.id);
    expect(a.id).not.toBe(b.id);
    await expect(d.publishEvent('elevator.recalled', { floor: 1 })).rejects.toThrow(/not a fire-panel event/);
  });

  it('refuses a connection with a clear error: bad credentials and unreachable broker', async () => {
    const secured = await startBroker({
      authenticate: (_c, username, password, done) => {
        if (username === 'good-1' && password?.toString() === 'right') return done(null, true);
        const err = new Error('bad credentials') as AuthenticateError;
        err.returnCode = 4;
        done(err, null);
      },
    });
    try {
      const bad = new DeviceClient({
        identity: { ...identity('elevator'), id: 'good-1', secret: 'wrong' },
        url: secured.url,
        reconnectPeriod: 0,
      });
      const err = await bad.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceConnectError);
      expect((err as DeviceConnectError).kind).toBe('auth');
      const good = new DeviceClient({
        identity: { ...identity('elevator'), id: 'good-1', secret: 'right' },
        url: secured.url,
        reconnectPeriod: 0,
      });
      await good.connect();
      await good.close();

      // CLI: non-zero exit and a readable message (real process, as a user would run it).
      const tsx = path.resolve('node_modules/.bin/tsx');
      const run = promisify(execFile);
      const res = await run(
        tsx,
        ['devices/cli.ts', 'fleet', '--port', String(secured.port), '--device', 'good-1:wrong:site-t:bldg-t:elevator'],
        { timeout: 15_000 },
      ).catch((e: { code: number; stderr: string }) => e);
      expect((res as { code: number }).code).toBe(3);
      expect((res as { stderr: string }).stderr).toMatch(/refused device good-1: bad id or secret/);
    } finally {
      await stopBroker(secured);
    }
    const closed = await startBroker();
    const port = closed.port;
    await stopBroker(closed);
    const nobody = new DeviceClient({ identity: identity('elevator'), url: `mqtt://127.0.0.1:${port}`, reconnectPeriod: 0 });
    const err = await nobody.connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unreachable' });
    expect((err as Error).message).toMatch(/cannot reach MQTT broker/);
  });
});

describe('simulated devices', () => {
  it('elevator obeys recall with the right corr and refuses an expired one', async () => {
    const d = device(identity('elevator', { floors: [1, 2, 3, 4, 5, 6] }));
    const sim = new ElevatorSim(d, { traffic: false, startFloor: 5, floorTravelMs: 20, doorMs: 50 });
    await d.connect();
    const cmd = topics.command(d.address, 'recall');
    const res = topics.commandResult(d.address, 'recall');
    const ev = topics.event(d.address);

    // Expired first: refused with reason expired, car does not move, no recalled event.
    await obs.command(cmd, 'rc-expired', { floor: 1 }, Date.now() - 1000);
    const refused = await obs.result(res, 'rc-expired');
    expect(refused).toMatchObject({ ok: false, corr: 'rc-expired', data: { reason: 'expired' } });
    await sleep(200);
    expect(sim.floor).toBe(5);
    expect(obs.events(ev).filter((e) => e.type === 'elevator.recalled')).toHaveLength(0);

    await obs.command(cmd, 'rc-1', { floor: 1 });
    const ok = await obs.result(res, 'rc-1');
    expect(ok).toMatchObject({ ok: true, corr: 'rc-1', data: { floor: 1 } });
    const recalled = obs.events(ev).filter((e) => e.type === 'elevator.recalled');
    expect(recalled).toHaveLength(1);
    expect(recalled[0]?.data).toEqual({ floor: 1 });
    expect(sim.telemetry()).toMatchObject({ floor: 1, door_open: true, moving: false });

    // A QoS1 redelivery of the same corr is answered again but not re-executed.
    const before = obs.messages.filter((m) => m.topic === res).length;
    await obs.command(cmd, 'rc-1', { floor: 3 });
    await obs.waitFor(() => obs.messages.filter((m) => m.topic === res).length > before, 2000, 'duplicate answer');
    expect(sim.floor).toBe(1);
  });

  it('intercom unlock → door_opened with the corr; never-confirm mode sends nothing', async () => {
    const d = device(identity('intercom'));
    const sim = new IntercomSim(d, { doorSecondMs: 30 });
    await d.connect();
    const cmd = topics.command(d.address, 'unlock');
    const res = topics.commandResult(d.address, 'unlock');
    const ev = topics.event(d.address);

    const call = await sim.call('1203', 'Li Lei');
    await obs.command(cmd, 'ul-1', { seconds: 2 });
    expect(await obs.result(res, 'ul-1')).toMatchObject({ ok: true, corr: 'ul-1' });
    const opened = obs.events(ev).find((e) => e.type === 'intercom.door_opened');
    expect(opened?.data).toEqual({ corr: 'ul-1' });
    await obs.waitFor(() => obs.events(ev).some((e) => e.type === 'intercom.door_closed'), 2000, 'door_closed');
    expect(obs.events(ev)[0]).toMatchObject({ type: 'intercom.call', id: call.callId });

    sim.neverConfirm = true;
    const before = obs.messages.length;
    await obs.command(cmd, 'ul-2', { seconds: 2 });
    await sleep(400);
    const fromDevice = obs.messages.slice(before).filter((m) => m.topic !== cmd);
    expect(fromDevice.filter((m) => m.topic === res || m.topic === ev)).toEqual([]);
    expect(sim.doorOpen).toBe(false);
  });

  it('telemetry of every class passes parseTelemetry and has REQUIRED_METRICS', async () => {
    const classes: DeviceClass[] = ['elevator', 'fire-panel', 'power', 'intercom'];
    const devs = classes.map((c) => device(identity(c)));
    const sims = devs.map((d) => createSimulator(d, { seed: 9 }));
    await Promise.all(devs.map((d) => d.connect()));
    sims.forEach((s) => s.start(50));
    try {
      for (const d of devs) {
        const buf = await obs.waitFor((t) => t === topics.telemetry(d.address), 3000, `${d.identity.class} telemetry`);
        const r = parseTelemetry(buf);
        expect(r.ok, r.ok ? '' : r.detail).toBe(true);
        if (!r.ok) continue;
        for (const k of REQUIRED_METRICS[d.identity.class]) expect(r.value.metrics, `${d.identity.class}.${k}`).toHaveProperty(k);
        expect(Math.abs(r.value.ts - Date.now())).toBeLessThan(5000);
      }
    } finally {
      sims.forEach((s) => s.stop());
    }
  });
});

describe('CLI scenarios and load', () => {
  it('fire-drill: the test acts as hub and recalls every car; the step log narrates it', async () => {
    const ids = ['fp-cli', 'car-cli-1', 'car-cli-2'];
    // Play the hub: on fire.alarm, recall both cars.
    const onMsg = (topic: string, payload: Buffer) => {
      if (!topic.endsWith('/fp-cli/event')) return;
      const e = parseEvent(payload);
      if (!e.ok || e.value.type !== 'fire.alarm') return;
      for (const car of ids.slice(1)) {
        void obs.command(`bops/v1/site-c/bldg-c/elevator/${car}/cmd/recall`, `fire-${car}`, { floor: 1 });
      }
    };
    obs.client.on('message', onMsg);
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      code = await main([
        'scenario',
        'fire-drill',
        '--port',
        String(broker.port),
        '--device',
        'fp-cli:x:site-c:bldg-c:fire-panel',
        '--device',
        'car-cli-1:x:site-c:bldg-c:elevator',
        '--device',
        'car-cli-2:x:site-c:bldg-c:elevator',
        '--no-traffic',
        '--interval',
        '1s',
        '--floor',
        '3',
        '--timeout',
        '10s',
        '--reset-after',
        '0ms',
      ]);
    } finally {
      spy.mockRestore();
      obs.client.off('message', onMsg);
    }
    const log = lines.join('');
    expect(code, log).toBe(0);
    expect(log).toMatch(/火警报警 fire alarm — zone zone-03, floor 3/);
    expect(log).toMatch(/car-cli-1: 已迫降 recalled to floor 1 and confirmed \(corr fire-car-cli-1\)/);
    expect(log).toMatch(/car-cli-2: 已迫降 recalled/);
    expect(log).toMatch(/完成 done — 2\/2/);
    expect(obs.events('bops/v1/site-c/bldg-c/fire-panel/fp-cli/event').map((e) => e.type)).toEqual([
      'fire.alarm',
      'fire.silenced',
      'fire.reset',
    ]);
    // Devices closed gracefully at the end.
    await obs.waitFor((t, p) => t.endsWith('/car-cli-1/status') && JSON.parse(p.toString()).state === 'offline', 2000, 'offline');
  });

  it('load: N devices × rate for T reaches the target rate', async () => {
    const devices = Array.from({ length: 5 }, (_, i) => identity('power', { id: `load-t-${i}` }));
    const r = await runLoad({ url: broker.url, devices, ratePerDevice: 100, durationMs: 1000 });
    expect(r.devices).toBe(5);
    expect(r.targetRate).toBe(500);
    expect(r.errors).toBe(0);
    expect(r.achievedRate).toBeGreaterThan(400);
  });
});
