// Runs the life-safety link guard (machine.ts onLinkStatus/onLinkTick) for every device: a
// fire panel or elevator controller offline past the debounce, or flapping, opens a device
// fault through the incident service (PROCEDURES.md "Device offline"). The guards live in
// memory: after a restart a device that is still offline is seen again on its next status.
import type { Watcher, WatcherApi } from '../incidents/module.js';
import { DEFAULT_LINK_POLICY, linkGuardInit, onLinkStatus, onLinkTick, type LinkGuard, type LinkPolicy } from './machine.js';

export function linkWatcher(api: WatcherApi, policy: LinkPolicy = DEFAULT_LINK_POLICY): Watcher {
  const guards = new Map<string, LinkGuard>();
  const open = async (deviceId: string, cause: 'offline' | 'flapping', since: number) => {
    const d = api.deps.registry.get(deviceId);
    if (!d) return;
    await api
      .trigger('device_fault', { source: 'link', siteId: d.site, buildingId: d.building, deviceId, deviceClass: d.class, cause, since })
      .catch((err: unknown) => api.deps.log.error({ err, deviceId }, 'could not open device fault'));
  };
  return {
    async onStatus(e) {
      const g = guards.get(e.device.deviceId) ?? linkGuardInit(e.device.deviceId, e.device.class, e.state !== 'online');
      const r = onLinkStatus(g, e.state, api.deps.now(), policy);
      guards.set(e.device.deviceId, r.guard);
      if (r.decision.op === 'open_fault') await open(e.device.deviceId, r.decision.cause, r.decision.since);
      if (r.decision.op === 'check_at') api.reschedule();
    },
    nextCheckAt() {
      let next: number | null = null;
      for (const g of guards.values()) if (g.checkAt !== null && (next === null || g.checkAt < next)) next = g.checkAt;
      return next;
    },
    async tick(now) {
      for (const [deviceId, g] of guards) {
        if (g.checkAt === null || g.checkAt > now) continue;
        const r = onLinkTick(g, now);
        guards.set(deviceId, r.guard);
        if (r.decision.op === 'open_fault') await open(deviceId, r.decision.cause, r.decision.since);
      }
    },
  };
}
