// scripts/measure-start.mjs' idle figure (issue 12, idle RSS ≤ 150 MB): the median of the idle
// window's second half, so start-up's young generation (V8 gives it back ≈ 15–18 s after start)
// neither counts as idle memory nor hides a hub that grows while idle.
import { describe, expect, it } from 'vitest';
import { idleRss, median } from '../../scripts/idle-rss.mjs';

/** one sample per second for `seconds`, the value of `mb(at seconds)` */
const series = (seconds: number, mb: (s: number) => number): Array<[number, number]> =>
  Array.from({ length: seconds }, (_, i) => [(i + 1) * 1000, mb(i + 1)]);

describe('idle RSS of measure-start', () => {
  it('leaves out start-up: 155 MB until the memory reducer, 122 after', () => {
    const r = idleRss(
      series(180, (s) => (s < 17 ? 155 : 122)),
      180_000,
    );
    expect(r).toEqual({ rss: 122, at10: 155, max: 155 });
  });

  it('reports a hub that keeps growing while idle by its late samples, not its early ones', () => {
    const r = idleRss(
      series(180, (s) => 100 + s / 2),
      180_000,
    );
    // second half: 91 … 180 s → 145.5 … 190 MB, median at 136 s
    expect(r.rss).toBe(168);
    expect(r.max).toBe(190);
  });

  it('refuses a window without a sample 10 s after ready or in its second half', () => {
    expect(() =>
      idleRss(
        series(5, () => 120),
        5_000,
      ),
    ).toThrow(/10 s after ready/);
    expect(() => idleRss([], 60_000)).toThrow(/second half/);
  });

  it('median takes the middle value (the upper of an even count)', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
  });
});
