// The statistics of `npm run bench` (bench/stats.ts): the table's medians, spreads, per-repetition
// ratios and the saturation rule decide what BENCHMARKS.md claims, so they are tested here.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  cpuMicrosPerMsg,
  cpuSeconds,
  groupCpuSeconds,
  parseStatCpu,
  parseStatus,
  quantile,
  ratios,
  rotation,
  schedSeconds,
  saturated,
  spread,
} from '../../bench/stats.js';

describe('quantile (nearest rank)', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  it('p50 and p99 of 1..100', () => {
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile(xs, 0)).toBe(1);
  });
  it('one value, and none', () => {
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('spread', () => {
  it('min, median, max of an odd and an even count', () => {
    expect(spread([3, 1, 2])).toEqual({ n: 3, min: 1, median: 2, max: 3 });
    expect(spread([4, 1, 3, 2])).toEqual({ n: 4, min: 1, median: 2.5, max: 4 });
  });
  it('ignores values that are not finite (a failed repetition)', () => {
    expect(spread([NaN, 5, Infinity, 1])).toEqual({ n: 2, min: 1, median: 3, max: 5 });
    expect(spread([]).n).toBe(0);
  });
});

describe('ratios per repetition', () => {
  it('divides pairwise, not medians', () => {
    // hub fast when the peer was fast: per-rep ratios are all 0.5, while the ratio of the
    // medians (30 / 40 = 0.75) would flatter
    const hub = [10, 30, 50];
    const peer = [20, 60, 100];
    expect(ratios(hub, peer)).toEqual([0.5, 0.5, 0.5]);
    expect(spread(ratios(hub, peer)).median).toBe(0.5);
  });
  it('pairs only repetitions both have, and a zero peer gives NaN', () => {
    expect(ratios([1, 2, 3], [2, 0])).toEqual([0.5, NaN]);
  });
});

describe('saturation of a stepped closed loop', () => {
  it('keeps stepping while a step gains at least 5 %', () => {
    expect(saturated([{ window: 1, rate: 100 }]).stop).toBe(false);
    expect(
      saturated([
        { window: 1, rate: 100 },
        { window: 4, rate: 150 },
      ]).stop,
    ).toBe(false);
  });
  it('stops when two steps in a row gain less than 5 % over the best before them, and reports the best step', () => {
    const flat = [
      { window: 1, rate: 100 },
      { window: 4, rate: 150 },
      { window: 16, rate: 154 },
    ];
    expect(saturated(flat).stop).toBe(false);
    const r = saturated([...flat, { window: 64, rate: 155 }]);
    expect(r.stop).toBe(true);
    expect(r.best).toEqual({ window: 64, rate: 155 });
    const worse = saturated([
      { window: 1, rate: 100 },
      { window: 4, rate: 150 },
      { window: 16, rate: 90 },
      { window: 64, rate: 120 },
    ]);
    expect(worse.stop).toBe(true);
    expect(worse.best).toEqual({ window: 4, rate: 150 });
  });
  it('one slow step does not end the search', () => {
    const dip = [
      { window: 50, rate: 10_100 },
      { window: 200, rate: 10_100 },
    ];
    expect(saturated(dip).stop).toBe(false);
    expect(saturated([...dip, { window: 800, rate: 19_200 }]).stop).toBe(false);
    expect(
      saturated([
        { window: 1, rate: 100 },
        { window: 4, rate: 90 },
        { window: 16, rate: 200 },
        { window: 64, rate: 205 },
      ]).stop,
    ).toBe(false);
  });
  it('no steps: nothing to report', () => {
    expect(saturated([])).toEqual({ best: null, stop: false });
  });
});

describe('rotation of the target order', () => {
  it('every target leads once in as many repetitions', () => {
    const t = ['hub', 'aedes', 'mosquitto'];
    expect([0, 1, 2, 3].map((r) => rotation(t, r)[0])).toEqual(['hub', 'aedes', 'mosquitto', 'hub']);
    expect(rotation(t, 1)).toEqual(['aedes', 'mosquitto', 'hub']);
  });
});

describe('/proc parsing', () => {
  it('utime + stime and ppid from /proc/<pid>/stat, a comm with spaces and parentheses', () => {
    // fields after the comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '1234 (node (bench) x) S 77 1234 1234 0 -1 4194304 100 0 0 0 250 50 30 20 20 0 11 0 100 0 0';
    expect(parseStatCpu(stat)).toEqual({ cpu: 3, reaped: 0.5, ppid: 77 });
  });
  it('a group keeps the CPU of a member’s exited child (a PostgreSQL backend that ended between snapshots)', async () => {
    // a parent that runs a child busy for 0.5 s of CPU, reaps it, then idles
    const parent = spawn(
      process.execPath,
      [
        '-e',
        "require('child_process').spawnSync(process.execPath, ['-e', 'const e = Date.now() + 500; while (Date.now() < e);']); setInterval(() => {}, 1000)",
      ],
      { stdio: 'ignore' },
    );
    try {
      const end = Date.now() + 10_000;
      let cpu = 0;
      while ((cpu = await groupCpuSeconds([parent.pid!])) < 0.4 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(cpu).toBeGreaterThanOrEqual(0.4);
      expect(await cpuSeconds(parent.pid!)).toBeLessThan(0.4); // the parent's own share is small
    } finally {
      parent.kill('SIGKILL');
    }
  });
  it('run time and run-queue wait of a main thread from /proc/<pid>/schedstat: two busy processes on one CPU each wait', async () => {
    // each is busy 0.4 s of its own CPU time, then idles; on one CPU each waits while the other runs
    const busy =
      "const e = process.cpuUsage().user + 4e5; while (process.cpuUsage().user < e); console.log('done'); setInterval(() => {}, 1000)";
    const kids = [0, 1].map(() => spawn('taskset', ['-c', '0', process.execPath, '-e', busy], { stdio: ['ignore', 'pipe', 'ignore'] }));
    try {
      await Promise.all(kids.map((k) => new Promise((r) => k.stdout!.once('data', r))));
      const s = await Promise.all(kids.map((k) => schedSeconds(k.pid!)));
      for (const x of s) expect(x.run).toBeGreaterThanOrEqual(0.4);
      // the second to finish waited for most of the first one's 0.4 s
      expect(Math.max(...s.map((x) => x.wait))).toBeGreaterThanOrEqual(0.2);
    } finally {
      for (const k of kids) k.kill('SIGKILL');
    }
  });
  it('VmRSS and VmHWM in MB from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    expect(parseStatus(status)).toEqual({ rssMb: 100, hwmMb: 200 });
    expect(parseStatus('').rssMb).toBeNaN();
  });
  it('CPU µs per message', () => {
    expect(cpuMicrosPerMsg(1, 1.5, 50_000)).toBeCloseTo(10);
    expect(cpuMicrosPerMsg(1, 2, 0)).toBeNaN();
  });
});
