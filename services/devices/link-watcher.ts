// Runs the life-safety link guard (machine.ts onLinkStatus/onLinkTick) for every device: a
// fire panel or elevator controller offline past the debounce, or flapping, opens a device
// fault through the incident service (PROCEDURES.md "Device offline"). The guards live in
// memory: after a restart a device that is still offline is seen again on its next status.
import { DeadlineHeap } from '../core/deadlines.js';
import type { Watcher, WatcherApi } from '../incidents/module.js';
import { DEFAULT_LINK_POLICY, isLifeSafety, linkGuardInit, onLinkStatus, onLinkTick, type LinkGuard, type LinkPolicy } from './machine.js';

/**
 * Scale-out (docs/scale-out.md): the guards in a store every instance shares (Redis), so a
 * device's drops count wherever it reconnects — a device flapping between instances is caught —
 * and an offline deadline set where it dropped is void once it came back elsewhere.
 */
export interface SharedLinkGuards {
  load(deviceId: string): Promise<LinkGuard | null>;
  /** kept for `ttlMs` (the flap window and the debounce: older state decides nothing) */
  save(g: LinkGuard, ttlMs: number): Promise<void>;
}

/**
 * Device faults opened per watcher tick. Opening one (the fault, its work order, the notice) is
 * ~15 ms of the hub's thread (BENCHMARKS.md "npm run bench:incidents"), so 20 keep one tick
 * under ~0.3 s; an outage of thousands is opened over many ticks, each a separate queue job.
 */
export const TICK_MAX = 20;

export function linkWatcher(api: WatcherApi, policy: LinkPolicy = DEFAULT_LINK_POLICY, shared?: SharedLinkGuards): Watcher {
  const guards = new Map<string, LinkGuard>();
  // Each guard's debounce deadline (checkAt), kept beside the map: the scheduler asks for the
  // earliest after every incident transition, and a site-wide outage leaves thousands pending —
  // a scan of every guard per question made the storm quadratic (bench/incident-storm.ts).
  const deadlines = new DeadlineHeap<string>();
  const remember = (g: LinkGuard) => {
    guards.set(g.deviceId, g);
    deadlines.set(g.deviceId, g.checkAt);
  };
  const load = async (deviceId: string) =>
    shared
      ? await shared.load(deviceId).catch((err: unknown) => void api.deps.log.warn({ err, deviceId }, 'link guard not readable'))
      : null;
  const save = async (g: LinkGuard) => {
    remember(g);
    await shared
      ?.save(g, policy.flapWindowMs + policy.offlineDebounceMs)
      .catch((err: unknown) => api.deps.log.warn({ err, deviceId: g.deviceId }, 'link guard not stored'));
  };
  const open = async (deviceId: string, cause: 'offline' | 'flapping', since: number) => {
    const d = api.deps.registry.get(deviceId);
    if (!d) return;
    await api
      .trigger('device_fault', { source: 'link', siteId: d.site, buildingId: d.building, deviceId, deviceClass: d.class, cause, since })
      .catch((err: unknown) => api.deps.log.error({ err, deviceId }, 'could not open device fault'));
  };
  return {
    async onStatus(e) {
      // Only a life-safety device's link opens a fault (machine.ts onLinkStatus); the others'
      // guards would decide nothing, so none is kept or stored: in scale-out each of their
      // statuses was a Redis read and write and a key, for nothing (BENCHMARKS.md "bench:storm",
      // tenth round)
      if (!isLifeSafety(e.device.class)) return;
      // the shared copy first: the device may have dropped or come back on another instance
      const g =
        (await load(e.device.deviceId)) ??
        guards.get(e.device.deviceId) ??
        linkGuardInit(e.device.deviceId, e.device.class, e.state !== 'online');
      const r = onLinkStatus(g, e.state, api.deps.now(), policy);
      await save(r.guard);
      if (r.decision.op === 'open_fault') await open(e.device.deviceId, r.decision.cause, r.decision.since);
      if (r.decision.op === 'check_at') api.reschedule();
    },
    nextCheckAt() {
      return deadlines.next();
    },
    async tick(now) {
      // only the guards whose deadline has come (each one's next deadline is set again by save),
      // at most TICK_MAX per tick: the rest stay due, and the scheduler runs the next tick at
      // once — as a new job in the incident queue, so device events and operators' actions
      // queued meanwhile go first instead of waiting for a whole outage's faults to open
      for (const deviceId of deadlines.takeDue(now, TICK_MAX)) {
        const mine = guards.get(deviceId);
        if (!mine || mine.checkAt === null) continue;
        // a deadline another instance has changed since (the device came back there) is void
        const cur = await load(deviceId);
        if (cur && (cur.checkAt !== mine.checkAt || cur.online)) {
          remember(cur);
          continue;
        }
        const g = cur ?? mine;
        const r = onLinkTick(g, now);
        await save(r.guard);
        if (r.decision.op === 'open_fault') await open(deviceId, r.decision.cause, r.decision.since);
      }
    },
  };
}
