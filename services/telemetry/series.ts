// Query-range arithmetic shared by all backends, so that both give charts the same buckets:
// bucket starts are multiples of `step` since the epoch (what InfluxQL GROUP BY time(), Flux
// aggregateWindow and our Postgres floor() all do by default).
import type { TelemetryQuery } from '../../contracts/api.js';
import type { BucketQuery } from './types.js';

/** A chart gets at most about this many points when no step is given. */
export const TARGET_POINTS = 500;
/** Hard cap even when the caller asks for a small step over a long range (protects the backend). */
export const MAX_BUCKETS = 5000;
export const DEFAULT_RANGE_MS = 3600_000;
/** Contract minimum (TelemetryQuery.step ≥ 1000). */
export const MIN_STEP_MS = 1000;

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
/** Round steps, so bucket labels read well on a chart axis. */
const NICE_STEPS = [
  S,
  2 * S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  M,
  2 * M,
  5 * M,
  10 * M,
  15 * M,
  30 * M,
  H,
  2 * H,
  3 * H,
  6 * H,
  12 * H,
  D,
  2 * D,
  7 * D,
  14 * D,
  30 * D,
];

/** Smallest nice step giving ≤ maxPoints buckets over rangeMs. */
export function chooseStep(rangeMs: number, maxPoints = TARGET_POINTS): number {
  const min = Math.max(MIN_STEP_MS, Math.ceil(rangeMs / maxPoints));
  for (const s of NICE_STEPS) if (s >= min) return s;
  // Beyond 30-day buckets: whole days.
  return Math.ceil(min / D) * D;
}

/** Apply defaults (last hour, auto step) and bounds. `now` is injected for tests. */
export function resolveQuery(q: TelemetryQuery, now: number): BucketQuery {
  const to = q.to ?? now;
  const from = q.from ?? to - DEFAULT_RANGE_MS;
  const range = Math.max(0, to - from);
  let step = q.step ?? chooseStep(range);
  step = Math.max(MIN_STEP_MS, Math.floor(step));
  if (range / step > MAX_BUCKETS) step = Math.ceil(range / MAX_BUCKETS);
  return { deviceId: q.deviceId, metric: q.metric, from, to, step };
}

/** Every bucket start in [from, to), aligned to multiples of step. */
export function bucketStarts(q: BucketQuery): number[] {
  const out: number[] = [];
  if (q.to <= q.from) return out;
  for (let t = Math.floor(q.from / q.step) * q.step; t < q.to; t += q.step) out.push(t);
  return out;
}

/** Full grid with null for empty buckets (line charts then show gaps, e.g. during an outage). */
export function fillGrid(q: BucketQuery, sparse: Array<[number, number | null]>): Array<[number, number | null]> {
  const byStart = new Map<number, number | null>();
  for (const [t, v] of sparse) byStart.set(t, v ?? null);
  return bucketStarts(q).map((t) => [t, byStart.get(t) ?? null]);
}
