// Prometheus metrics (CONTRACT.md "Operations": GET /metrics). One `Metrics` per hub, built in
// the composition root with its own prom-client Registry — never prom-client's global default
// registry, so two hubs in one process (tests) do not share or double-register anything.
//
// Two kinds of instrument:
//  - named counters/histograms that code updates where the thing happens (HTTP requests, MQTT
//    messages, notification deliveries): fields of this class, so every user gets a typed handle;
//  - read-at-scrape-time series (`gauge(...)`, `counterFrom(...)`) whose value is read from
//    state another module already keeps (broker.clients(), telemetry.stats(), …): no extra work
//    on the hot paths, and no second copy of a number that could drift from the first.
//
// Adding a metric (docs/operations.md "Adding a metric"): a counter that your code increments →
// add a field below, created in the constructor with the `bops_` prefix, `_total` suffix and a
// small, fixed set of label values (never ids: one series per device or user would grow without
// bound); a value you already keep → call `metrics.gauge(...)`/`counterFrom(...)` in the
// composition root with a function that reads it.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRICS_PREFIX = 'bops_';

/** One labelled value: `[{ label: value, … }, number]`, or a bare number for an unlabelled series. */
export type Sample<L extends string> = [Partial<Record<L, string>>, number];
export type Reading<L extends string> = number | Sample<L>[];

export interface MetricsOptions {
  /** Node/process metrics (CPU, RSS, heap, event-loop lag, GC): on unless a test turns them off */
  defaultMetrics?: boolean;
  /** `bops_build_info` labels */
  version?: string;
}

export class Metrics {
  readonly registry = new Registry();

  /** Notification sends by channel kind (services/notifications outbox `count` hook) and outcome:
   * `sent` (the provider accepted it) | `retry` (failed, will retry) | `failed` (retries used up;
   * the deliveries fall back to their next channel). */
  readonly notificationDeliveries: Counter<'channel' | 'outcome'>;
  /** HTTP requests answered, by route pattern (never the raw URL: ids would explode cardinality). */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly mqttConnects: Counter;
  readonly mqttDisconnects: Counter;
  /** a collector that failed during a scrape (e.g. the database query for open incidents) */
  readonly collectErrors: Counter<'collector'>;

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.notificationDeliveries = new Counter({
      name: `${METRICS_PREFIX}notification_deliveries_total`,
      help: 'Notification sends by channel kind and outcome (sent | retry | failed)',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.httpRequests = new Counter({
      name: `${METRICS_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: `${METRICS_PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration (receipt to response sent), by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.mqttConnects = new Counter({
      name: `${METRICS_PREFIX}mqtt_connects_total`,
      help: 'MQTT connections accepted (CONNACK 0)',
      registers,
    });
    this.mqttDisconnects = new Counter({
      name: `${METRICS_PREFIX}mqtt_disconnects_total`,
      help: 'MQTT connections that ended (clean DISCONNECT or lost)',
      registers,
    });
    this.collectErrors = new Counter({
      name: `${METRICS_PREFIX}metrics_collect_errors_total`,
      help: 'Scrape-time collectors that failed (their series keep the last value read)',
      labelNames: ['collector'],
      registers,
    });
    const info = new Gauge({
      name: `${METRICS_PREFIX}build_info`,
      help: 'Always 1; the labels say which hub build and Node.js version run',
      labelNames: ['version', 'node'],
      registers,
    });
    info.set({ version: opts.version ?? 'dev', node: process.versions.node }, 1);
  }

  /**
   * A gauge read at scrape time. `read` returns a number (unlabelled) or labelled samples; an
   * async `read` may take up to `timeoutMs` (then the previous values stay and the failure is
   * counted in bops_metrics_collect_errors_total).
   */
  gauge<L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => Reading<L> | Promise<Reading<L>>,
    timeoutMs = 2000,
  ): Gauge<L> {
    const errors = this.collectErrors;
    return new Gauge<L>({
      name: `${METRICS_PREFIX}${name}`,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const r = await readWithin(read, timeoutMs).catch(() => {
          errors.inc({ collector: name });
          return null;
        });
        if (r === null) return;
        apply(this, r);
      },
    });
  }

  /**
   * A counter whose value another module keeps (a monotonic number that only grows while the
   * process lives), read at scrape time. Prometheus' rate()/increase() handle the reset to 0
   * when the hub restarts, as for any counter.
   */
  counterFrom<L extends string = never>(name: string, help: string, labelNames: readonly L[], read: () => Reading<L>): Counter<L> {
    const errors = this.collectErrors;
    return new Counter<L>({
      name: `${METRICS_PREFIX}${name}`,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        let r: Reading<L>;
        try {
          r = read();
        } catch {
          errors.inc({ collector: name });
          return;
        }
        // prom-client counters have no set(): start from zero and add the current total
        this.reset();
        if (typeof r === 'number') this.inc(Math.max(0, r));
        else for (const [labels, v] of r) this.inc(labels as Partial<Record<L, string | number>>, Math.max(0, v));
      },
    });
  }

  /** The exposition text and its content type (Prometheus text format 0.0.4). */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function apply<L extends string>(g: Gauge<L>, r: Reading<L>): void {
  if (typeof r === 'number') {
    g.set(r);
    return;
  }
  g.reset(); // label sets that are gone (a kind with no open incident) drop out, unless listed as 0
  for (const [labels, v] of r) g.set(labels as Partial<Record<L, string | number>>, v);
}

function readWithin<T>(read: () => T | Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('collector timed out')), ms);
    t.unref();
    Promise.resolve()
      .then(read)
      .then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
  });
}

/** Count samples by a key: `[{ kind: 'fire_alarm' }, 2], …`, with every `known` key present (0). */
export function countBy<L extends string>(label: L, keys: Iterable<string>, known: readonly string[] = []): Sample<L>[] {
  const m = new Map<string, number>(known.map((k) => [k, 0]));
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].map(([k, v]) => [{ [label]: k } as Partial<Record<L, string>>, v]);
}
