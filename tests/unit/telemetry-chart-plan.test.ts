// chartPlan: how the embedded store splits a chart's range between raw rows and the rollup of
// closed hours (services/telemetry/embedded.ts). The results against PostgreSQL are compared in
// tests/integration/telemetry-rollup.test.ts; this pins the arithmetic of the edges.
import { describe, expect, it } from 'vitest';
import { chartPlan } from '../../services/telemetry/embedded.js';

const MIN = 60_000;
const HOUR = 3600_000;
const H = 480_000; // an hour number (2024-10-04T00:00Z)

describe('chartPlan', () => {
  it('reads raw rows only when no hour is rolled up, or when the step is not whole minutes', () => {
    expect(chartPlan(H * HOUR, (H + 3) * HOUR, 5 * MIN, new Set())).toEqual({ raw: [[H * HOUR, (H + 3) * HOUR]], rollup: [] });
    expect(chartPlan(H * HOUR, (H + 3) * HOUR, 90_000, new Set([H, H + 1]))).toEqual({ raw: [[H * HOUR, (H + 3) * HOUR]], rollup: [] });
  });

  it('reads rolled-up hours from the rollup for whole minutes, minute fragments and other hours raw', () => {
    const from = H * HOUR + 5 * MIN + 30_500;
    const to = (H + 3) * HOUR + 7 * MIN + 250;
    // hours H and H+1 rolled up, H+2 not (dirty), H+3 open
    expect(chartPlan(from, to, 30 * MIN, new Set([H, H + 1]))).toEqual({
      raw: [
        [from, H * HOUR + 6 * MIN],
        [(H + 2) * HOUR, to],
      ],
      rollup: [[H * HOUR + 6 * MIN, (H + 2) * HOUR]],
    });
    // a hole in the rolled-up hours splits the rollup in two
    expect(chartPlan(H * HOUR, (H + 3) * HOUR, MIN, new Set([H, H + 2]))).toEqual({
      raw: [[(H + 1) * HOUR, (H + 2) * HOUR]],
      rollup: [
        [H * HOUR, (H + 1) * HOUR],
        [(H + 2) * HOUR, (H + 3) * HOUR],
      ],
    });
  });

  it('reads a range inside one minute of a rolled-up hour raw, and an empty range not at all', () => {
    expect(chartPlan(H * HOUR + 1000, H * HOUR + 59_000, MIN, new Set([H]))).toEqual({
      raw: [[H * HOUR + 1000, H * HOUR + 59_000]],
      rollup: [],
    });
    expect(chartPlan(H * HOUR, H * HOUR, MIN, new Set([H]))).toEqual({ raw: [], rollup: [] });
  });
});
