// chartPlan: how the embedded store splits a chart's range between raw rows and the rollup of
// closed days (services/telemetry/embedded.ts). The results against PostgreSQL are compared in
// tests/integration/telemetry-rollup.test.ts; this pins the arithmetic of the edges.
import { describe, expect, it } from 'vitest';
import { chartPlan } from '../../services/telemetry/embedded.js';

const MIN = 60_000;
const DAY = 86_400_000;
const D = 20_000; // a day number (2024-10-04)

describe('chartPlan', () => {
  it('reads raw rows only when no day is rolled up, or when the step is not whole minutes', () => {
    expect(chartPlan(D * DAY, (D + 3) * DAY, 5 * MIN, new Set())).toEqual({ raw: [[D * DAY, (D + 3) * DAY]], rollup: [] });
    expect(chartPlan(D * DAY, (D + 3) * DAY, 90_000, new Set([D, D + 1]))).toEqual({ raw: [[D * DAY, (D + 3) * DAY]], rollup: [] });
  });

  it('reads rolled-up days from the rollup for whole minutes, minute fragments and other days raw', () => {
    const from = D * DAY + 5 * MIN + 30_500;
    const to = (D + 3) * DAY + 7 * MIN + 250;
    // days D and D+1 rolled up, D+2 not (dirty), D+3 open
    expect(chartPlan(from, to, 30 * MIN, new Set([D, D + 1]))).toEqual({
      raw: [
        [from, D * DAY + 6 * MIN],
        [(D + 2) * DAY, to],
      ],
      rollup: [[D * DAY + 6 * MIN, (D + 2) * DAY]],
    });
    // a hole in the rolled-up days splits the rollup in two
    expect(chartPlan(D * DAY, (D + 3) * DAY, MIN, new Set([D, D + 2]))).toEqual({
      raw: [[(D + 1) * DAY, (D + 2) * DAY]],
      rollup: [
        [D * DAY, (D + 1) * DAY],
        [(D + 2) * DAY, (D + 3) * DAY],
      ],
    });
  });

  it('reads a range inside one minute of a rolled-up day raw, and an empty range not at all', () => {
    expect(chartPlan(D * DAY + 1000, D * DAY + 59_000, MIN, new Set([D]))).toEqual({
      raw: [[D * DAY + 1000, D * DAY + 59_000]],
      rollup: [],
    });
    expect(chartPlan(D * DAY, D * DAY, MIN, new Set([D]))).toEqual({ raw: [], rollup: [] });
  });
});
