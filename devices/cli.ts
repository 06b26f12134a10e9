// Device simulator CLI (`npm run simulate -- …`): run a simulated fleet against the hub's
// MQTT broker, play named incident scenarios with a timestamped step log, or generate
// telemetry load for benchmarks. Exit codes are stable so scripts can rely on them.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DeviceClass } from '../contracts/domain.js';
import { systemClock } from './clock.js';
import { filterFleet, FleetError, loadFleetFile, parseDeviceArg } from './fleet.js';
import { HubError, HubSession } from './hub-client.js';
import { runLoad, syntheticFleet } from './load.js';
import { attachConsole, clockTime, EXIT, exitCodeFor, startDevices, stopDevices, type StartedDevice } from './runtime.js';
import './scenarios/builtin.js';
import './scenarios/new-procedures.js';
import './scenarios/service-desk.js';
import './scenarios/weather.js';
import './scenarios/shift-handover.js';
import './scenarios/device-health.js';
import type { HubSessions } from './scenarios/control-room.js';
import { getScenario, listScenarios, parseDuration, runScenario, ScenarioError } from './scenarios/registry.js';
import { DeviceConnectError, type DeviceIdentity } from './sdk.js';
import type { SimulatorConfig } from './simulators/index.js';

type Opt = NonNullable<ParseArgsConfig['options']>[string];

const GLOBAL_OPTIONS: Record<string, Opt & { help?: string }> = {
  host: { type: 'string', help: 'broker host (default 127.0.0.1)' },
  port: { type: 'string', help: 'broker port (default $HUB_MQTT_PORT or 1883)' },
  url: { type: 'string', help: 'broker URL instead of host/port, e.g. mqtt://hub:1883' },
  keepalive: { type: 'string', help: 'MQTT keep-alive seconds (default 30)' },
  fleet: { type: 'string', help: 'fleet JSON file: [{id, secret, site, building, class, floors?}]' },
  device: { type: 'string', multiple: true, help: 'id:secret:site:building:class (repeatable)' },
  site: { type: 'string', help: 'only devices of this site (load: site of synthetic devices)' },
  building: { type: 'string', help: 'only devices of this building (load: building of synthetic devices)' },
  prefix: { type: 'string', help: 'only devices whose id starts with this (load: id prefix of synthetic devices, default "load-")' },
  interval: { type: 'string', help: 'telemetry period (default 5s; e.g. 500ms, 2s)' },
  seed: { type: 'string', help: 'random seed: same seed → same telemetry and traffic' },
  'no-traffic': { type: 'boolean', help: 'no background elevator trips / random drift of positions' },
  telemetry: { type: 'boolean', help: 'also print every telemetry message' },
  quiet: { type: 'boolean', help: 'scenario: print only the step log, not every device line' },
  duration: { type: 'string', help: 'fleet: stop after this long; load: test length (default 10s)' },
  stay: { type: 'boolean', help: 'scenario: keep the fleet running after the scenario (Ctrl-C to stop)' },
  devices: { type: 'string', help: 'load: number of devices (default: all given, else 10 synthetic)' },
  rate: { type: 'string', help: 'load: messages per second per device (default 1)' },
  secret: { type: 'string', help: 'load: secret of synthetic devices (default "load-secret")' },
  class: { type: 'string', help: 'load: class of synthetic devices (default power)' },
  json: { type: 'boolean', help: 'load: print the result as one JSON line' },
  list: { type: 'boolean', help: 'scenario: list scenarios' },
  'travel-ms': { type: 'string', help: 'elevator travel time per floor, ms (default 1500; e.g. 50 for quick drills)' },
  'door-ms': { type: 'string', help: 'elevator door dwell and door-panel relock time per unlock second, ms (default 3000 / 1000)' },
  hub: { type: 'string', help: 'scenario: also play the control room against this hub, e.g. http://127.0.0.1:8080' },
  user: { type: 'string', help: '--hub: operator login (default: the operator in a demo credentials --fleet file)' },
  password: { type: 'string', help: '--hub: operator password (or $SIM_HUB_PASSWORD)' },
  'supervisor-user': { type: 'string', help: '--hub: supervisor login, for supervisor-only steps (sign_fit, close, approve_119)' },
  'supervisor-password': { type: 'string', help: '--hub: supervisor password (or $SIM_HUB_SUPERVISOR_PASSWORD)' },
  'desk-user': { type: 'string', help: '--hub: front-desk login for visitor steps (default: --user if it may, else the supervisor)' },
  'desk-password': { type: 'string', help: '--hub: front-desk password (or $SIM_HUB_DESK_PASSWORD)' },
  help: { type: 'boolean', short: 'h' },
};

function usage(): string {
  const g = Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.help)
    .map(([k, o]) => `  --${k.padEnd(20)} ${o.help}`)
    .join('\n');
  const sc = listScenarios()
    .map((s) => {
      const opts = Object.entries(s.options ?? {})
        .map(([k, o]) => `      --${k.padEnd(18)} ${o.description}${o.default ? ` (default ${o.default})` : ''}`)
        .join('\n');
      return `  ${s.name.padEnd(12)} ${s.title}\n      ${s.description}${opts ? `\n${opts}` : ''}`;
    })
    .join('\n');
  return `Usage: npm run simulate -- <command> [options]

Commands:
  fleet               run every device: telemetry every --interval, one line per event/command
  scenario <name>     play a scenario at the device side, with a timestamped step log
  load                telemetry load: --devices N × --rate msgs/s for --duration; prints achieved rate
  help                this text

Options:
${g}

Scenarios:
${sc}

Control room (--hub): the scenario also logs in and performs the people's steps of the
procedure over HTTP, printing each (◆) with the incident's state and timers, what the hub did
on its own (·) and every expected outcome (✓ / ✗). A demo credentials file given as --fleet
also supplies the users. Details: docs/simulate.md.

A device id can be connected once: a second client with the same id takes the connection
over. The demo fleet that \`npm start\` runs hands such a device over to this simulator and
takes it back when the simulator disconnects, so drills with the demo credentials file
work against a running demo. Any other client with the same ids would keep taking them back:
with --hub the scenario first asks the hub and refuses (exit 5) when any of its devices is
already online (start the hub with HUB_DEMO_FLEET=0 to drive every demo device from here).

Exit codes: 0 ok, 1 usage or other error, 2 broker or hub unreachable, 3 credentials refused
(device or hub login), 4 scenario did not complete (with --hub: the hub did not do what the
procedure says), 5 the devices are already connected to the hub (its own demo fleet?).
A fleet file is the demo credentials file the hub writes on a demo start
($HUB_DATA_DIR/demo-credentials.json, by default .data/demo-credentials.json) or a file of
your own: [{id, secret, site, building, class, floors?}] (the secrets POST /api/devices gave).

Examples:
  npm run simulate -- fleet --fleet .data/demo-credentials.json --interval 2s
  npm run simulate -- scenario fire-drill --fleet .data/demo-credentials.json --building demo-a --floor 7
  npm run simulate -- scenario visitor --device ic-1:s3cret:demo:demo-a:intercom --owner approve
  npm run simulate -- scenario fire-drill --fleet .data/demo-credentials.json --hub http://127.0.0.1:8080 --quiet
  npm run simulate -- scenario outage --fleet my-devices.json --hub http://hub:8080 --user op --password … --ats none
  npm run simulate -- scenario visitor --fleet .data/demo-credentials.json --hub http://127.0.0.1:8080 --unit 301 --flow never-confirm
  npm run simulate -- load --devices 200 --rate 5 --duration 30s --secret s3cret --json`;
}

function allOptions(): Record<string, Opt> {
  const opts: Record<string, Opt> = {};
  for (const [k, { help: _h, ...o }] of Object.entries(GLOBAL_OPTIONS)) opts[k] = o;
  for (const s of listScenarios()) {
    for (const [k, o] of Object.entries(s.options ?? {})) {
      const prev = opts[k];
      if (prev && prev.type !== o.type) throw new Error(`scenario ${s.name}: option --${k} conflicts with another option's type`);
      opts[k] ??= { type: o.type };
    }
  }
  return opts;
}

class UsageError extends Error {}
/** The devices to simulate are already connected to the hub (its own demo fleet, another simulator). */
class DevicesBusyError extends Error {}

type Values = Record<string, string | boolean | string[] | undefined>;

function str(v: Values, k: string): string | undefined {
  const x = v[k];
  return typeof x === 'string' ? x : undefined;
}

function num(v: Values, k: string, fallback: number, min = 0): number {
  const s = str(v, k);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${k} must be a number ≥ ${min}, got ${JSON.stringify(s)}`);
  return n;
}

function dur(v: Values, k: string, fallback: number): number {
  const s = str(v, k);
  if (s === undefined) return fallback;
  try {
    return parseDuration(s);
  } catch (err) {
    throw new UsageError(`--${k}: ${(err as Error).message}`);
  }
}

function brokerUrl(v: Values): string {
  const url = str(v, 'url');
  if (url) return url;
  const host = str(v, 'host') ?? '127.0.0.1';
  const port = num(v, 'port', Number(process.env.HUB_MQTT_PORT ?? 1883), 1);
  return `mqtt://${host}:${port}`;
}

async function identities(v: Values): Promise<DeviceIdentity[]> {
  const list: DeviceIdentity[] = [];
  const fleet = str(v, 'fleet');
  if (fleet) list.push(...(await loadFleetFile(fleet)));
  const devs = v.device;
  for (const d of Array.isArray(devs) ? devs : []) list.push(parseDeviceArg(d));
  return filterFleet(list, { site: str(v, 'site'), building: str(v, 'building'), prefix: str(v, 'prefix') });
}

const out = (line: string) => process.stdout.write(line + '\n');

/** Resolves on Ctrl-C / SIGTERM (a second Ctrl-C exits immediately); dispose() removes the handlers. */
function interrupted(): { signal: AbortSignal; promise: Promise<void>; dispose: () => void } {
  const ac = new AbortController();
  let resolveStop: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (resolveStop = resolve));
  const onSig = () => {
    if (ac.signal.aborted) process.exit(130);
    out(`${clockTime(Date.now())} stopping… (Ctrl-C again to force)`);
    ac.abort(new Error('interrupted'));
    resolveStop();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  const dispose = () => {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  };
  return { signal: ac.signal, promise, dispose };
}

/** --travel-ms / --door-ms: faster (or slower) mechanics for drills. */
function simConfig(v: Values): SimulatorConfig | undefined {
  const travel = str(v, 'travel-ms') === undefined ? undefined : num(v, 'travel-ms', 1500, 1);
  const door = str(v, 'door-ms') === undefined ? undefined : num(v, 'door-ms', 3000, 1);
  if (travel === undefined && door === undefined) return undefined;
  return {
    elevator: { ...(travel === undefined ? {} : { floorTravelMs: travel }), ...(door === undefined ? {} : { doorMs: door }) },
    ...(door === undefined ? {} : { intercom: { doorSecondMs: door } }),
  };
}

async function start(v: Values, list: DeviceIdentity[]): Promise<StartedDevice[]> {
  if (list.length === 0)
    throw new UsageError(
      'no devices: give --fleet FILE and/or --device id:secret:site:building:class (after --site/--building/--prefix filters)',
    );
  const url = brokerUrl(v);
  const seed = str(v, 'seed');
  const sims = simConfig(v);
  const devices = await startDevices(list, {
    url,
    intervalMs: dur(v, 'interval', 5000),
    keepalive: num(v, 'keepalive', 30, 1),
    traffic: !v['no-traffic'],
    ...(seed === undefined ? {} : { seed: num(v, 'seed', 0) }),
    ...(sims ? { simConfig: () => sims } : {}),
  });
  out(`${clockTime(Date.now())} ${devices.length} device(s) online at ${url}`);
  return devices;
}

// ---- control room (--hub) ----

const HUB_ONLY = ['user', 'password', 'supervisor-user', 'supervisor-password', 'desk-user', 'desk-password'] as const;
const MAY_DESK = ['frontdesk', 'supervisor', 'admin'];
const MAY_CONTROL = ['operator', 'supervisor', 'admin'];
const MAY_SUPERVISE = ['supervisor', 'admin'];

interface FileUser {
  username: string;
  password: string;
  role: string;
}

/** Users listed in a demo credentials file (`{users, fleet}`) given as --fleet, if any. */
async function fileUsers(path: string | undefined): Promise<FileUser[]> {
  if (!path) return [];
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as { users?: unknown };
    if (!Array.isArray(json.users)) return [];
    return json.users.filter(
      (u): u is FileUser =>
        typeof u === 'object' &&
        u !== null &&
        typeof u.username === 'string' &&
        typeof u.password === 'string' &&
        typeof u.role === 'string',
    );
  } catch {
    return []; // loadFleetFile reports an unreadable file
  }
}

/**
 * Log in the people of the control room. Each of --user / --supervisor-user / --desk-user
 * (password from its option or environment variable, or from a demo credentials file) is
 * optional; each part is filled by whoever's role may do it.
 */
async function hubSessions(v: Values): Promise<HubSessions | undefined> {
  const url = str(v, 'hub');
  if (!url) {
    const stray = HUB_ONLY.filter((k) => str(v, k) !== undefined);
    if (stray.length) throw new UsageError(`--${stray.join(', --')} given without --hub URL`);
    return undefined;
  }
  const known = await fileUsers(str(v, 'fleet'));
  const cred = (userKey: string, passKey: string, env: string, role: string): { username: string; password: string } | null => {
    const named = str(v, userKey);
    const fromFile = named ? known.find((u) => u.username === named) : known.find((u) => u.role === role);
    const username = named ?? fromFile?.username;
    if (!username) return null;
    const password = str(v, passKey) ?? process.env[env] ?? fromFile?.password;
    if (!password) throw new UsageError(`--${userKey} ${username} needs --${passKey} (or $${env})`);
    return { username, password };
  };
  const want = {
    user: cred('user', 'password', 'SIM_HUB_PASSWORD', 'operator'),
    supervisor: cred('supervisor-user', 'supervisor-password', 'SIM_HUB_SUPERVISOR_PASSWORD', 'supervisor'),
    desk: cred('desk-user', 'desk-password', 'SIM_HUB_DESK_PASSWORD', 'frontdesk'),
  };
  if (!want.user && !want.supervisor && !want.desk)
    throw new UsageError(
      '--hub needs a login: --user NAME --password PW (operator), and --supervisor-user / --desk-user as the steps require',
    );
  const login = async (c: { username: string; password: string } | null) => (c ? HubSession.login(url, c.username, c.password) : null);
  const [user, supervisor, desk] = await Promise.all([login(want.user), login(want.supervisor), login(want.desk)]);
  const may = (s: HubSession | null, roles: string[]) => (s && roles.includes(s.role) ? s : null);
  if (supervisor && !MAY_SUPERVISE.includes(supervisor.role))
    throw new UsageError(`--supervisor-user ${supervisor.user.username} has role ${supervisor.role}, not supervisor`);
  if (desk && !MAY_DESK.includes(desk.role))
    throw new UsageError(`--desk-user ${desk.user.username} has role ${desk.role}: visitor steps need frontdesk or supervisor`);
  return {
    url: user?.base ?? supervisor?.base ?? desk!.base,
    operator: may(user, MAY_CONTROL) ?? supervisor,
    supervisor: supervisor ?? may(user, MAY_SUPERVISE),
    desk: desk ?? may(user, MAY_DESK) ?? supervisor,
  };
}

/**
 * Refuse to drill with devices the hub already sees online (issue 14: a drill against a hub
 * running its own demo fleet fought it — MQTT session takeover both ways, the panel tile
 * showing 0 zones in alarm during the alarm).
 */
async function refuseIfConnected(hub: HubSessions | undefined, list: DeviceIdentity[]): Promise<void> {
  const s = hub?.operator ?? hub?.supervisor ?? hub?.desk;
  if (!s) return;
  const wanted = new Set(list.map((d) => d.id));
  const busy = (await s.devices()).filter((d) => wanted.has(d.id) && d.state === 'online').map((d) => d.id);
  if (busy.length === 0) return;
  throw new DevicesBusyError(
    `${busy.length} of these devices are already connected to the hub (${busy.slice(0, 5).join(', ')}${busy.length > 5 ? ', …' : ''}). ` +
      'Another client with the same id — usually the demo fleet `npm start` runs — would keep taking the connection over. ' +
      'Start the hub with HUB_DEMO_FLEET=0 (or stop the other simulator) and run the drill again.',
  );
}

async function logoutAll(h: HubSessions | undefined): Promise<void> {
  if (!h) return;
  await Promise.all([...new Set([h.operator, h.supervisor, h.desk])].flatMap((s) => (s ? [s.logout()] : [])));
}

async function cmdFleet(v: Values): Promise<number> {
  const devices = await start(v, await identities(v));
  const detach = attachConsole(devices, out, systemClock, { telemetry: v.telemetry === true });
  const stop = interrupted();
  const d = str(v, 'duration');
  await Promise.race([stop.promise, ...(d ? [new Promise((r) => setTimeout(r, dur(v, 'duration', 0)))] : [])]);
  stop.dispose();
  detach();
  await stopDevices(devices);
  out(`${clockTime(Date.now())} ${devices.length} device(s) offline`);
  return EXIT.ok;
}

async function cmdScenario(v: Values, name: string | undefined): Promise<number> {
  if (!name || v.list) {
    for (const s of listScenarios()) out(`${s.name.padEnd(12)} ${s.title} — ${s.description}`);
    return name || v.list ? EXIT.ok : EXIT.usage;
  }
  const def = getScenario(name);
  if (!def)
    throw new UsageError(
      `unknown scenario ${JSON.stringify(name)}; available: ${listScenarios()
        .map((s) => s.name)
        .join(', ')}`,
    );
  const list = await identities(v);
  // log in before any device connects: a wrong password should not leave a fire alarm behind
  const hub = await hubSessions(v);
  let devices: StartedDevice[];
  try {
    await refuseIfConnected(hub, list);
    devices = await start(v, list);
  } catch (err) {
    await logoutAll(hub);
    throw err;
  }
  const detach = v.quiet
    ? () => undefined
    : attachConsole(devices, (l) => out(`    ${l}`), systemClock, { telemetry: v.telemetry === true });
  const stop = interrupted();
  const args: Record<string, string | boolean | undefined> = {};
  for (const [k, x] of Object.entries(v)) if (!Array.isArray(x)) args[k] = x;
  let code: number = EXIT.ok;
  try {
    const r = await runScenario(def, { devices, args, clock: systemClock, out, signal: stop.signal, ...(hub ? { hub } : {}) });
    code = r.ok ? EXIT.ok : EXIT.scenarioFailed;
    if (v.stay && !stop.signal.aborted) {
      out(`${clockTime(Date.now())} scenario over; fleet keeps running (Ctrl-C to stop)`);
      await stop.promise;
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    out(`${clockTime(Date.now())} scenario interrupted`);
    code = EXIT.scenarioFailed;
  } finally {
    stop.dispose();
    detach();
    await stopDevices(devices);
    await logoutAll(hub);
  }
  return code;
}

async function cmdLoad(v: Values): Promise<number> {
  let list = await identities(v);
  const wanted = str(v, 'devices') === undefined ? undefined : num(v, 'devices', 10, 1);
  if (list.length === 0) {
    const cls = str(v, 'class') ?? 'power';
    const c = DeviceClass.safeParse(cls);
    if (!c.success) throw new UsageError(`--class must be one of ${DeviceClass.options.join(', ')}`);
    list = syntheticFleet(wanted ?? 10, {
      prefix: str(v, 'prefix') ?? 'load-',
      secret: str(v, 'secret') ?? 'load-secret',
      site: str(v, 'site') ?? 'load',
      building: str(v, 'building') ?? 'load-b1',
      class: c.data,
    });
  } else if (wanted !== undefined) {
    if (list.length < wanted) throw new UsageError(`--devices ${wanted} but only ${list.length} device(s) given`);
    list = list.slice(0, wanted);
  }
  const rate = num(v, 'rate', 1, 0.001);
  const durationMs = dur(v, 'duration', 10_000);
  const url = brokerUrl(v);
  const json = v.json === true;
  if (!json)
    out(
      `${clockTime(Date.now())} load: ${list.length} device(s) × ${rate} msg/s for ${durationMs / 1000}s → target ${list.length * rate} msg/s at ${url}`,
    );
  const seed = str(v, 'seed');
  const r = await runLoad({
    url,
    devices: list,
    ratePerDevice: rate,
    durationMs,
    keepalive: num(v, 'keepalive', 60, 1),
    ...(seed === undefined ? {} : { seed: num(v, 'seed', 0) }),
    ...(json
      ? {}
      : {
          onProgress: (p) =>
            out(`${clockTime(Date.now())} t=${(p.elapsedMs / 1000).toFixed(0)}s sent=${p.sent} rate=${p.rate.toFixed(0)}/s`),
        }),
  });
  if (json) out(JSON.stringify(r));
  else
    out(
      `${clockTime(Date.now())} done: ${r.sent} messages in ${(r.durationMs / 1000).toFixed(1)}s → achieved ${r.achievedRate} msg/s (target ${r.targetRate}), ${r.errors} error(s), connect ${r.connectMs} ms`,
    );
  return r.errors > 0 && r.sent === 0 ? EXIT.usage : EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: allOptions(), allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${usage()}\n`);
    return EXIT.usage;
  }
  const v = parsed.values as Values;
  const [cmd, ...rest] = parsed.positionals;
  if (v.help || !cmd || cmd === 'help') {
    out(usage());
    return cmd || v.help ? EXIT.ok : EXIT.usage;
  }
  try {
    switch (cmd) {
      case 'fleet':
        return await cmdFleet(v);
      case 'scenario':
        return await cmdScenario(v, rest[0]);
      case 'load':
        return await cmdLoad(v);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)} (fleet | scenario <name> | load | help)`);
    }
  } catch (err) {
    if (err instanceof HubError) {
      process.stderr.write(`error: ${err.message}\n`);
      return err.kind === 'unreachable' ? EXIT.unreachable : err.kind === 'auth' ? EXIT.auth : EXIT.scenarioFailed;
    }
    if (err instanceof DevicesBusyError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.devicesBusy;
    }
    if (err instanceof DeviceConnectError) {
      process.stderr.write(`error: ${err.message}\n`);
    } else if (err instanceof UsageError || err instanceof FleetError || err instanceof ScenarioError) {
      process.stderr.write(`error: ${err.message}\n`);
    } else {
      process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    return exitCodeFor(err);
  }
}

// Run when executed directly (tsx devices/cli.ts), not when imported by tests.
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('devices/cli.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${String(err)}\n`);
      process.exit(EXIT.usage);
    },
  );
}
