// `npm run bench:incidents`: an incident storm (issue 12 "performance"). N life-safety devices
// (elevators) drop at once — a site-wide power or network outage — each opens a device fault
// (services/devices/link-watcher.ts) and its repair work order; then the hub keeps working with
// 2·N open incidents, and finally all N come back. A first bench:storm run with 15,000 elevators
// measured ~4 ms of hub CPU per connect from this path (bench/connect-storm.ts header).
//
// Focused on the incident path, not MQTT: the hub runs in this process (services/hub/hub.ts,
// the production composition root, on a throw-away database) and the device link states are
// driven as the broker drives them (registry.setState, then the bus's `device.status`,
// broker/index.ts `status`). So the process CPU is the hub's (the driver's own work is a loop
// of N emits); PostgreSQL's is not included. Phases, per N:
//   online   all N report online (no incident)
//   drop     all N lost at once; after the link debounce every one opens a fault + work order:
//            wall time from the debounce's end to the last incident stored, and CPU per device
//   probe    with the 2·N incidents open: P other elevators blip (lost, back within the
//            debounce: no fault) — 2·P status changes: hub CPU per status change (the cost the
//            routing of every status change pays for the open incidents)
//   return   all N come back online: each status reaches its fault (recovered) and work order:
//            wall time and CPU per device
//   alarm    during drop (1 s after the debounce ended, while faults are being opened) and
//            during return (right after the N statuses): a probe car reports an entrapment, as
//            the hub routes a stored event (the bus's `device.event`) — time until its incident
//            is open: what a real alarm waits for behind the storm (services/incidents/queue.ts)
// Event-loop delay (monitorEventLoopDelay, 10 ms resolution) max and p99 per phase.
//
//   npm run bench:incidents -- [--devices 1000,5000] [--reps 3] [--probes 500] [--per-building 30]
//   BENCH_PG_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres (default; a database is
//   created and dropped per run; an embedded PostgreSQL when none answers)
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ref } from '../broker/index.js';
import type { OnlineState } from '../contracts/domain.js';
import { loadConfig } from '../services/core/config.js';
import { startEmbeddedPostgres } from '../services/core/db.js';
import { createLogger } from '../services/core/logger.js';
import { Hub } from '../services/hub/hub.js';
import { applyMigrations } from '../prisma/migrate.js';
import { PG_ADMIN, freePort, scratchDatabase } from './peers/start.js';
import { spread, type Spread } from './stats.js';

const { values: opt } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000,5000' },
    reps: { type: 'string', default: '3' },
    probes: { type: 'string', default: '500' },
    'per-building': { type: 'string', default: '30' },
    debounce: { type: 'string', default: '2000' },
  },
});
const SIZES = opt.devices.split(',').map(Number);
const REPS = Number(opt.reps);
const PROBES = Number(opt.probes);
const PER_BUILDING = Number(opt['per-building']);
const DEBOUNCE_MS = Number(opt.debounce);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';

async function scratchDb(dir: string, tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  const db = await scratchDatabase(`bops_incstorm_${process.pid}_${tag}`);
  if (db) return db;
  console.log(`(no PostgreSQL at ${PG_ADMIN}: starting an embedded one)`);
  await fs.chmod(dir, 0o755); // the embedded PostgreSQL runs as `postgres` and must reach its data dir
  const e = await startEmbeddedPostgres(path.join(dir, 'pg-data'), await freePort(), createLogger('error', 'bench-pg'));
  return { url: e.url, drop: () => e.stop() };
}

interface PhaseResult {
  wallMs: number;
  cpuMs: number;
  loopMaxMs: number;
  loopP99Ms: number;
}

interface RunResult {
  online: PhaseResult;
  drop: PhaseResult;
  probe: PhaseResult;
  back: PhaseResult;
  /** ms from an entrapment event to its incident opened, during drop and during return */
  alarmDropMs: number;
  alarmBackMs: number;
  opened: number;
  recovered: number;
}

/** what a Ctrl-C must undo (the run's hub and throw-away database) */
let cleanup: (() => Promise<void>) | null = null;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    void (cleanup ?? (async () => undefined))().finally(() => process.exit(130));
  });

async function run(n: number, tag: string): Promise<RunResult> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-incstorm-'));
  const db = await scratchDb(dir, tag);
  let hub: Hub | null = null;
  cleanup = async () => {
    await hub?.stop().catch(() => undefined);
    await db.drop().catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await applyMigrations(db.url);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`INSERT INTO "Site" (id, name) VALUES ('bench', 'bench')`);
    const buildings = Math.ceil((n + PROBES) / PER_BUILDING);
    await c.query(
      `INSERT INTO "Building" (id, "siteId", name, floors) SELECT 'b-' || i, 'bench', 'tower ' || i, 30 FROM generate_series(0, $1::int - 1) i`,
      [buildings],
    );
    // the storm's N cars and the P probe cars, spread over buildings of PER_BUILDING
    await c.query(
      `INSERT INTO "Device" (id, "siteId", "buildingId", class, name, "secretHash")
       SELECT 'el-' || i, 'bench', 'b-' || (i / $2::int), 'elevator', 'car ' || i, 'x' FROM generate_series(0, $1::int - 1) i`,
      [n + PROBES, PER_BUILDING],
    );
    await c.end();
    const config = loadConfig({
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: '0',
      HUB_MQTT_PORT: '0',
      HUB_DATA_DIR: dir,
      DATABASE_URL: db.url,
      HUB_ADMIN_PASSWORD: 'bench-incstorm-1',
      HUB_DEMO: '0',
      HUB_LOG_LEVEL: 'error',
    });
    const HOUR = 3_600_000;
    hub = await Hub.start(config, {
      log: createLogger('error', 'bench-hub'),
      linkPolicy: { offlineDebounceMs: DEBOUNCE_MS, flapThreshold: 5, flapWindowMs: 10 * 60_000 },
      // nobody sends telemetry here: no car may be taken for silent
      heartbeatMs: { elevator: HOUR, 'fire-panel': HOUR, power: HOUR, intercom: HOUR, water: HOUR },
    });
    const h = hub;
    const storm = Array.from({ length: n }, (_, i) => `el-${i}`);
    const probes = Array.from({ length: PROBES }, (_, i) => `el-${n + i}`);
    let opened = 0;
    let recovered = 0;
    const owner = {};
    h.bus.on('incident.opened', owner, (v) => {
      if (v.kind !== 'elevator_entrapment') opened++;
    });
    h.bus.on('incident.updated', owner, (v) => {
      if (v.kind === 'device_fault' && v.state === 'recovered') recovered++;
    });
    // as the broker does (broker/index.ts `status`)
    const status = (id: string, state: OnlineState) => {
      const d = h.registry.get(id)!;
      const ts = Date.now();
      if (h.registry.setState(id, state, ts)) h.bus.emit('device.status', { device: ref(d), state, ts, reason: 'bench' });
    };
    // a probe car (not in the storm) reports an entrapment; resolves with the ms until it is open
    const alarm = (id: string): Promise<number> => {
      const d = h.registry.get(id)!;
      const t0 = performance.now();
      const o = {};
      const open = new Promise<number>((resolve) =>
        h.bus.on('incident.opened', o, (v) => {
          if (v.kind !== 'elevator_entrapment') return;
          h.bus.removeListeners(o);
          resolve(performance.now() - t0);
        }),
      );
      const now = Date.now();
      const event = {
        v: 1 as const,
        id: `alarm-${id}-${now}`,
        ts: now,
        type: 'elevator.entrapment' as const,
        data: { car: 'A', floor: 3 },
      };
      h.bus.emit('device.event', { device: ref(d), event, receivedAt: now });
      return open;
    };
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const phase = async (body: () => Promise<void>): Promise<PhaseResult> => {
      loop.reset();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await body();
      const wallMs = performance.now() - t0;
      const c1 = process.cpuUsage(c0);
      return { wallMs, cpuMs: (c1.user + c1.system) / 1000, loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6 };
    };
    const until = async (cond: () => boolean, what: string, ms: number) => {
      const end = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
      }
    };

    const online = await phase(async () => {
      for (const id of [...storm, ...probes]) status(id, 'online');
      await h.incidents.idle();
    });
    // every lost car: a link fault after the debounce, and the work order it opens (PROCEDURES.md §8)
    for (const id of storm) status(id, 'lost');
    await h.incidents.idle();
    await sleep(DEBOUNCE_MS);
    let alarmDrop: Promise<number> = Promise.resolve(NaN);
    const drop = await phase(async () => {
      await sleep(1000);
      alarmDrop = alarm(probes[0]!);
      await until(() => opened >= 2 * n, `${2 * n} incidents`, 30 * 60_000);
      await h.incidents.idle();
    });
    const alarmDropMs = await alarmDrop;
    const probe = await phase(async () => {
      for (const id of probes) status(id, 'lost');
      for (const id of probes) status(id, 'online');
      await h.incidents.idle();
    });
    let alarmBack: Promise<number> = Promise.resolve(NaN);
    const back = await phase(async () => {
      for (const id of storm) status(id, 'online');
      alarmBack = alarm(probes[1]!);
      await until(() => recovered >= n, `${n} recoveries`, 30 * 60_000);
      await h.incidents.idle();
    });
    const alarmBackMs = await alarmBack;
    loop.disable();
    h.bus.removeListeners(owner);
    return { online, drop, probe, back, alarmDropMs, alarmBackMs, opened, recovered };
  } finally {
    await cleanup();
    cleanup = null;
  }
}

const rows: string[] = [];
const line = (label: string, unit: string, values: number[], d = 1) => {
  const s: Spread = spread(values);
  rows.push(`| ${label} | ${unit} | ${fmt(s.min, d)} | ${fmt(s.median, d)} | ${fmt(s.max, d)} |`);
};
console.log(
  `incident storm: N=${SIZES.join(',')} reps=${REPS} probes=${PROBES} (${2 * PROBES} status changes) load=${os.loadavg()[0]!.toFixed(2)}`,
);
for (const n of SIZES) {
  const results: RunResult[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const r = await run(n, `${n}_${rep}`);
    results.push(r);
    console.log(
      `N=${n} rep ${rep + 1}: drop ${fmt(r.drop.wallMs)} ms (${fmt(r.drop.cpuMs / n, 2)} ms CPU/device), probe ${fmt((r.probe.cpuMs * 1000) / (2 * PROBES))} µs CPU/status, return ${fmt(r.back.wallMs)} ms (${fmt(r.back.cpuMs / n, 2)} ms CPU/device), loop max ${fmt(Math.max(r.drop.loopMaxMs, r.probe.loopMaxMs, r.back.loopMaxMs))} ms, entrapment open after ${fmt(r.alarmDropMs)} ms (drop) / ${fmt(r.alarmBackMs)} ms (return)`,
    );
  }
  rows.push(``, `N = ${fmt(n)} (${REPS} repetitions; ${fmt(2 * n)} incidents open during the probe)`, ``);
  rows.push(`| measure | unit | min | median | max |`, `|---|---|---:|---:|---:|`);
  const measures: Array<[string, string, (r: RunResult) => number, number]> = [
    ['online: CPU per status change', 'µs', (r) => (r.online.cpuMs * 1000) / (n + PROBES), 0],
    ['drop: debounce end → last incident stored', 'ms', (r) => r.drop.wallMs, 0],
    ['drop: hub CPU per dropped device', 'ms', (r) => r.drop.cpuMs / n, 2],
    ['drop: an entrapment reported 1 s in → its incident open', 'ms', (r) => r.alarmDropMs, 0],
    ['return: an entrapment reported with the N returns → its incident open', 'ms', (r) => r.alarmBackMs, 0],
    ['drop: event-loop delay max', 'ms', (r) => r.drop.loopMaxMs, 0],
    ['probe: hub CPU per status change (2·N open)', 'µs', (r) => (r.probe.cpuMs * 1000) / (2 * PROBES), 0],
    ['probe: event-loop delay max', 'ms', (r) => r.probe.loopMaxMs, 0],
    ['return: all N back → last recovery stored', 'ms', (r) => r.back.wallMs, 0],
    ['return: hub CPU per returning device', 'ms', (r) => r.back.cpuMs / n, 2],
    ['return: event-loop delay max', 'ms', (r) => r.back.loopMaxMs, 0],
  ];
  for (const [label, unit, f, d] of measures) line(label, unit, results.map(f), d);
}
console.log(rows.join('\n'));
