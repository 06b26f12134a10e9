// Rejected connects/publishes/subscribes and protocol-level refusals, counted per reason and per
// device (CONTRACT.md: "counted per device and per reason, logged once per burst"). A burst is a
// run of rejections of the same (device, reason) closer than `burstMs` apart: the first one is
// logged, the rest are only counted and summarised once the burst has been quiet for `burstMs` —
// by a timer, so an attack that simply stops is still summarised (issue 7 item 9).
//
// The counters are plain readable state (`total`, `reasons()`, `devices()`) for /api/health and
// the Prometheus exporter. Memory is bounded: devices are the registry's ids plus one
// "(unknown)" bucket, and reasons are a closed list.
import type { RejectReason } from '../../contracts/mqtt.js';
import { dropOldest } from './evict.js';
import type { Logger } from './logger.js';

interface Burst {
  deviceId: string;
  reason: RejectReason;
  first: number;
  last: number;
  count: number;
}

/** Past this many open bursts the oldest are summarised early (id-spraying clients). */
const MAX_BURSTS = 10_000;

export class RejectionCounter {
  private readonly byReason = new Map<string, number>();
  private readonly byDevice = new Map<string, Map<string, number>>();
  private readonly bursts = new Map<string, Burst>();
  private timer: NodeJS.Timeout | null = null;
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
    if (b) this.end(key, b);
    this.bursts.set(key, { deviceId: dev, reason, first: t, last: t, count: 1 });
    if (this.bursts.size > MAX_BURSTS) {
      // the oldest tenth in one walk, each summarised (core/evict.ts: why not one per call)
      dropOldest(this.bursts, this.bursts.size - MAX_BURSTS / 10, (oldKey, old) => this.end(oldKey, old));
    }
    this.log.warn({ deviceId: dev, reason, detail: detail.slice(0, 300) }, 'rejected');
    this.schedule();
  }

  /** Summarise every burst that has been quiet for `burstMs` (runs on a timer). */
  flush(all = false): void {
    const t = this.now();
    for (const [key, b] of this.bursts) if (all || t - b.last >= this.burstMs) this.end(key, b);
  }

  /** Summarise open bursts and stop the timer (hub shutdown). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush(true);
  }

  private end(key: string, b: Burst): void {
    this.bursts.delete(key);
    if (b.count > 1) {
      this.log.warn({ deviceId: b.deviceId, reason: b.reason, count: b.count, ms: b.last - b.first }, 'rejections burst ended');
    }
  }

  /** One timer at a time, only while bursts are open (an idle hub has none). */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
      if (this.bursts.size > 0) this.schedule();
    }, this.burstMs);
    this.timer.unref();
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
