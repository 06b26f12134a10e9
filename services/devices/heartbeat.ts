// Heartbeat per device class (PROCEDURES.md "Device health"; CONTRACT.md "Each class has a
// heartbeat"): a device that is connected but has sent nothing — status, telemetry or event —
// for its class's interval is *silent*, which opens a device fault (cause `silent`, sharing the
// device's link fault). When it talks again the fault is told `online` and records the recovery.
//
// No per-message work: the registry already keeps `lastSeenAt` for every message; this watcher
// scans the registry on the incident scheduler a few times per interval (a quarter of the
// shortest heartbeat of any class, so a silence is noticed at most 25 % late; re-read from the
// settings at every scan, so an admin's change applies from the next one).
import { DEVICE_CLASSES, type DeviceClass } from '../../contracts/domain.js';
import type { Watcher, WatcherApi } from '../incidents/module.js';

export interface HeartbeatPolicy {
  /** silent longer than this → fault (admin setting `heartbeat.<class>`) */
  heartbeatMs(cls: DeviceClass): number;
  /**
   * Scale-out (docs/scale-out.md): whether this instance holds the device's connection. Only
   * the holder sees every message (`lastSeenAt` is not shared per message), so only it judges
   * silence; a device that moves is judged by its new holder from its first message there.
   * Absent: every device (the single hub holds them all).
   */
  owns?(deviceId: string): boolean;
}

export interface SeenDevice {
  class: DeviceClass;
  state: string;
  lastSeenAt: number | null;
}

/**
 * Pure decision for one device. `wasSilent`: a silent fault was raised and the device has not
 * talked since. Offline devices are the link guard's business, never silent.
 */
export function heartbeatCheck(d: SeenDevice, now: number, heartbeatMs: number, wasSilent: boolean): 'silent' | 'talking_again' | null {
  if (d.state !== 'online') return null;
  const quietFor = now - (d.lastSeenAt ?? now);
  if (!wasSilent) return quietFor > heartbeatMs ? 'silent' : null;
  return quietFor <= heartbeatMs ? 'talking_again' : null;
}

/** How often to scan: a quarter of the shortest heartbeat of these classes (default: every class). */
export function heartbeatScanMs(policy: HeartbeatPolicy, classes: Iterable<DeviceClass> = DEVICE_CLASSES): number {
  let min = Infinity;
  for (const c of classes) min = Math.min(min, policy.heartbeatMs(c));
  return Number.isFinite(min) ? Math.max(1, Math.floor(min / 4)) : 60_000;
}

export function heartbeatWatcher(
  api: WatcherApi,
  policy: HeartbeatPolicy,
  /** a device whose faults are suppressed (maintenance mode); none by default */
  suppressed: (deviceId: string) => boolean = () => false,
): Watcher {
  const silent = new Set<string>();
  let next: number | null = null;
  const plan = (now: number) => {
    next = now + heartbeatScanMs(policy);
  };
  return {
    async onStatus(e) {
      // a link change is the link guard's: the silent fault (if any) follows it from here
      if (e.state !== 'online') silent.delete(e.device.deviceId);
    },
    nextCheckAt() {
      if (next === null) plan(api.deps.now());
      return next;
    },
    async tick(now) {
      for (const d of api.deps.registry.all()) {
        if (policy.owns && !policy.owns(d.deviceId)) {
          silent.delete(d.deviceId); // its holder judges it now (and routes its recovery)
          continue;
        }
        const was = silent.has(d.deviceId);
        const r = heartbeatCheck(d, now, policy.heartbeatMs(d.class), was);
        if (r === 'silent') {
          if (suppressed(d.deviceId)) continue;
          silent.add(d.deviceId);
          await api
            .trigger('device_fault', {
              source: 'link',
              siteId: d.site,
              buildingId: d.building,
              deviceId: d.deviceId,
              deviceClass: d.class,
              cause: 'silent',
              since: d.lastSeenAt ?? now,
            })
            .catch((err: unknown) => api.deps.log.error({ err, deviceId: d.deviceId }, 'could not open silent-device fault'));
        } else if (r === 'talking_again') {
          silent.delete(d.deviceId);
          await api.status(d.deviceId, 'online');
        }
      }
      plan(now);
    },
  };
}
