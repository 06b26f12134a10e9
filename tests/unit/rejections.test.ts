// Refusals are counted per device and reason, and logged once per burst (CONTRACT.md).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../services/core/logger.js';
import { RejectionCounter } from '../../services/core/rejections.js';

function fakeLog() {
  const lines: Array<{ msg: string; obj: Record<string, unknown> }> = [];
  const log = { warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ obj, msg }) } as unknown as Logger;
  return { log, lines };
}

describe('RejectionCounter', () => {
  it('counts every refusal but logs a burst once, then summarises it', () => {
    let now = 0;
    const { log, lines } = fakeLog();
    const c = new RejectionCounter(log, 10_000, () => now);
    for (let i = 0; i < 50; i++) {
      c.count('el-1', 'bad_json', 'x');
      now += 100; // 50 refusals 100 ms apart: one burst
    }
    c.count('el-2', 'foreign_topic', 'y');
    expect(c.total).toBe(51);
    expect(c.reasons()).toEqual({ bad_json: 50, foreign_topic: 1 });
    expect(c.device('el-1')).toEqual({ bad_json: 50 });
    expect(lines.filter((l) => l.msg === 'rejected')).toHaveLength(2); // first of each burst
    now += 60_000; // quiet, then it starts again: the old burst is summarised, the new one logged
    c.count('el-1', 'bad_json', 'x');
    expect(lines.find((l) => l.msg === 'rejections burst ended')?.obj).toMatchObject({ deviceId: 'el-1', reason: 'bad_json', count: 50 });
    expect(lines.filter((l) => l.msg === 'rejected')).toHaveLength(3);
  });

  it('past 10,000 open bursts the oldest tenth is summarised early, the rest stay open', () => {
    const now = 0;
    const { log, lines } = fakeLog();
    const c = new RejectionCounter(log, 10_000, () => now);
    for (let i = 0; i < 10_000; i++) {
      c.count(`el-${i}`, 'auth_bad_secret', 'x');
      c.count(`el-${i}`, 'auth_bad_secret', 'x'); // count 2: an ended burst is summarised
    }
    expect(lines.filter((l) => l.msg === 'rejections burst ended')).toHaveLength(0);
    c.count('el-new', 'auth_bad_secret', 'x');
    const ended = lines.filter((l) => l.msg === 'rejections burst ended').map((l) => l.obj.deviceId);
    expect(ended).toEqual(Array.from({ length: 1000 }, (_, i) => `el-${i}`));
    // el-1000 is still in its burst: counted, not logged again
    const logged = lines.filter((l) => l.msg === 'rejected').length;
    c.count('el-1000', 'auth_bad_secret', 'x');
    c.count('el-0', 'auth_bad_secret', 'x'); // its burst was closed early: a new one, logged
    expect(lines.filter((l) => l.msg === 'rejected').length).toBe(logged + 1);
    expect(lines.at(-1)?.obj).toMatchObject({ deviceId: 'el-0' });
  });

  it('refusals without a known device share one bucket', () => {
    const { log } = fakeLog();
    const c = new RejectionCounter(log);
    c.count(null, 'auth_unknown_device', 'ghost-1');
    c.count(null, 'auth_unknown_device', 'ghost-2');
    expect(Object.keys(c.devices())).toEqual(['(unknown)']);
    expect(c.device('(unknown)')).toEqual({ auth_unknown_device: 2 });
  });
});

describe('RejectionCounter burst summary on a timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('summarises a burst that simply stops, without waiting for the next rejection', () => {
    vi.useFakeTimers();
    const { log, lines } = fakeLog();
    const c = new RejectionCounter(log, 10_000, () => Date.now());
    for (let i = 0; i < 30; i++) {
      c.count(null, 'auth_bad_secret', 'x');
      vi.advanceTimersByTime(50);
    }
    expect(lines.filter((l) => l.msg === 'rejections burst ended')).toHaveLength(0);
    // the attack stops: nothing else arrives, yet the summary is written once the burst is quiet
    vi.advanceTimersByTime(25_000);
    const ended = lines.filter((l) => l.msg === 'rejections burst ended');
    expect(ended).toHaveLength(1);
    expect(ended[0]!.obj).toMatchObject({ deviceId: '(unknown)', reason: 'auth_bad_secret', count: 30 });
    // and the timer does not run on an idle counter (nothing left to summarise)
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a single refusal is logged once and never "summarised"; stop() summarises open bursts', () => {
    vi.useFakeTimers();
    const { log, lines } = fakeLog();
    const c = new RejectionCounter(log, 10_000, () => Date.now());
    c.count('el-1', 'bad_json', 'x');
    vi.advanceTimersByTime(30_000);
    expect(lines.map((l) => l.msg)).toEqual(['rejected']);
    c.count('el-1', 'oversize', 'x');
    c.count('el-1', 'oversize', 'x');
    c.stop();
    expect(lines.at(-1)).toMatchObject({ msg: 'rejections burst ended', obj: { reason: 'oversize', count: 2 } });
    expect(vi.getTimerCount()).toBe(0);
  });
});
