// Rejected connects/publishes/subscribes, counted per reason and per device (CONTRACT.md:
// "counted per device and per reason, logged once per burst"). A burst is a run of
// rejections of the same (device, reason) closer than `burstMs` apart: the first one is
// logged, the rest are only counted and summarised when the burst ends.
import type { RejectReason } from '../../contracts/mqtt.js';
import type { Logger } from './logger.js';

interface Burst {
  first: number;
  last: number;
  count: number;
}

export class RejectionCounter {
  private readonly byReason = new Map<string, number>();
  private readonly byDevice = new Map<string, Map<string, number>>();
  private readonly bursts = new Map<string, Burst>();
  total = 0;

  constructor(
    private readonly log: Logger,
    private readonly burstMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  count(deviceId: string | null, reason: RejectReason, detail: string): void {
    this.total++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    const dev = deviceId ?? '(unknown)';
    let m = this.byDevice.get(dev);
    if (!m) this.byDevice.set(dev, (m = new Map()));
    m.set(reason, (m.get(reason) ?? 0) + 1);

    const key = `${dev}\u0000${reason}`;
    const t = this.now();
    const b = this.bursts.get(key);
    if (b && t - b.last < this.burstMs) {
      b.last = t;
      b.count++;
      return;
    }
    if (b && b.count > 1) {
      this.log.warn({ deviceId: dev, reason, count: b.count, ms: b.last - b.first }, 'rejections burst ended');
    }
    this.bursts.set(key, { first: t, last: t, count: 1 });
    if (this.bursts.size > 10_000) this.bursts.clear(); // bound memory against id-spraying clients
    this.log.warn({ deviceId: dev, reason, detail: detail.slice(0, 300) }, 'rejected');
  }

  reasons(): Record<string, number> {
    return Object.fromEntries(this.byReason);
  }

  device(deviceId: string): Record<string, number> {
    return Object.fromEntries(this.byDevice.get(deviceId) ?? []);
  }

  devices(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.byDevice].map(([k, v]) => [k, Object.fromEntries(v)]));
  }
}
