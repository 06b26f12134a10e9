// BatchBuffer logic under a fake clock: batching, bounded drop-oldest, retry with backoff,
// exact accounting. The backend is a controllable in-memory sink (this is the unit under
// test's only collaborator; the real backends are covered in tests/integration/telemetry).
import { describe, expect, it } from 'vitest';
import { BatchBuffer, type Scheduler } from '../../services/telemetry/buffer.js';
import { chooseStep, fillGrid, resolveQuery } from '../../services/telemetry/series.js';
import { toLine } from '../../services/telemetry/influx.js';

class FakeClock implements Scheduler {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { due: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { due: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  pending(): number[] {
    return [...this.timers.values()].map((x) => x.due - this.t).sort((a, b) => a - b);
  }
  /** Advance time, firing due timers in order and letting promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].due <= end && (!next || e[1].due < next[1].due)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].due);
      next[1].fn();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A sink that is up or down, records what it stored, and can hold a request open. */
class Sink {
  up = true;
  stored: number[] = [];
  calls: number[][] = [];
  rejectNext = 0;
  send = async (batch: number[]): Promise<{ rejected?: number } | void> => {
    this.calls.push(batch.slice());
    if (!this.up) throw new Error('ECONNREFUSED');
    if (this.rejectNext) {
      const r = this.rejectNext;
      this.rejectNext = 0;
      this.stored.push(...batch.slice(r));
      return { rejected: r };
    }
    this.stored.push(...batch);
  };
}

function make(over: Partial<ConstructorParameters<typeof BatchBuffer<number>>[0]> = {}) {
  const clock = new FakeClock();
  const sink = new Sink();
  const buf = new BatchBuffer<number>({
    max: 100,
    batchSize: 10,
    flushMs: 500,
    retryMinMs: 100,
    retryMaxMs: 1000,
    send: sink.send,
    scheduler: clock,
    random: () => 0.5, // jitter factor exactly 1
    ...over,
  });
  return { clock, sink, buf };
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

describe('BatchBuffer', () => {
  it('sends a full batch at once and a partial batch after flushMs', async () => {
    const { clock, sink, buf } = make();
    for (const i of range(0, 25)) buf.push(i);
    await clock.advance(0);
    expect(sink.calls.map((c) => c.length)).toEqual([10, 10]);
    expect(buf.stats().buffered).toBe(5);
    await clock.advance(499);
    expect(sink.calls.length).toBe(2);
    await clock.advance(1);
    expect(sink.calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(sink.stored).toEqual(range(0, 25));
    expect(buf.stats()).toMatchObject({ ok: true, buffered: 0, written: 25, dropped: 0, failedBatches: 0 });
    expect(clock.pending()).toEqual([]); // idle: no timer left behind
  });

  it('keeps every point through an outage and retries with capped exponential backoff', async () => {
    const { clock, sink, buf } = make();
    sink.up = false;
    for (const i of range(0, 30)) buf.push(i);
    await clock.advance(0);
    expect(sink.calls.length).toBe(1);
    expect(buf.stats()).toMatchObject({ ok: false, buffered: 30, failedBatches: 1, lastError: 'ECONNREFUSED' });
    // backoff: 100, 200, 400, 800, 1000 (cap), 1000 …
    const delays: number[] = [];
    for (let k = 0; k < 6; k++) {
      delays.push(clock.pending()[0]!);
      await clock.advance(clock.pending()[0]!);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(buf.stats()).toMatchObject({ ok: false, buffered: 30, failedBatches: 7, written: 0, dropped: 0 });
    // writes during the outage do not trigger sends before the backoff expires
    const before = sink.calls.length;
    for (const i of range(30, 50)) buf.push(i);
    await clock.advance(0);
    expect(sink.calls.length).toBe(before);
    sink.up = true;
    await clock.advance(1000);
    expect(sink.stored).toEqual(range(0, 50)); // in order, nothing lost
    expect(buf.stats()).toMatchObject({ ok: true, buffered: 0, written: 50, dropped: 0 });
    // backoff resets after success
    sink.up = false;
    buf.push(50);
    await clock.advance(500);
    expect(clock.pending()).toEqual([100]);
  });

  it('grows past its initial slots while wrapped around and re-queued, keeping order and the bound', async () => {
    // the ring starts with 1,024 slots and doubles (services/telemetry/buffer.ts): fill it while the
    // head has moved (wrap-around), fail a batch (re-queued in front), then grow through several
    // doublings up to the bound and drop beyond it
    const { clock, sink, buf } = make({ max: 5000, batchSize: 700 });
    for (const i of range(0, 900)) buf.push(i);
    await clock.advance(0); // one batch of 700 written: the head is at slot 700
    expect(sink.stored).toEqual(range(0, 700));
    sink.up = false;
    for (const i of range(900, 1800)) buf.push(i); // wraps the 1,024 slots, then grows
    await clock.advance(0); // this batch fails and goes back in front
    expect(buf.stats()).toMatchObject({ buffered: 1100, failedBatches: 1 });
    for (const i of range(1800, 5800)) buf.push(i); // grows to the bound of 5,000, then drops the oldest
    expect(buf.stats()).toMatchObject({ buffered: 5000, dropped: 100 });
    sink.up = true;
    while (buf.stats().buffered > 0) await clock.advance(1000);
    expect(sink.stored).toEqual([...range(0, 700), ...range(800, 5800)]);
  });

  it('drops the oldest points beyond the bound and counts them exactly', async () => {
    const { clock, sink, buf } = make({ max: 100 });
    sink.up = false;
    for (const i of range(0, 10)) buf.push(i);
    await clock.advance(0); // one batch in flight → failed → back at the head
    for (const i of range(10, 137)) buf.push(i);
    expect(buf.stats()).toMatchObject({ buffered: 100, dropped: 37 });
    sink.up = true;
    await clock.advance(1000);
    await clock.advance(1000);
    expect(sink.stored).toEqual(range(37, 137)); // exactly the newest 100
    expect(buf.stats()).toMatchObject({ buffered: 0, written: 100, dropped: 37 });
  });

  it('bounds the buffer while a batch is in flight (in-flight points count)', async () => {
    const clock = new FakeClock();
    let release: (() => void) | null = null;
    const stored: number[] = [];
    const buf = new BatchBuffer<number>({
      max: 20,
      batchSize: 10,
      flushMs: 500,
      scheduler: clock,
      send: (b) =>
        new Promise<void>((r) => {
          release = () => {
            stored.push(...b);
            r();
          };
        }),
    });
    for (const i of range(0, 10)) buf.push(i);
    await clock.advance(0);
    expect(release).not.toBeNull();
    for (const i of range(10, 25)) buf.push(i); // 10 in flight + 10 fit, 5 evicted (10..14)
    expect(buf.stats()).toMatchObject({ buffered: 20, dropped: 5 });
    release!();
    await clock.advance(0);
    release!();
    await clock.advance(0);
    expect(stored).toEqual([...range(0, 10), ...range(15, 25)]);
    expect(buf.stats()).toMatchObject({ buffered: 0, written: 20, dropped: 5 });
  });

  it('counts points the backend refuses for good as rejected, without retrying them', async () => {
    const { clock, sink, buf } = make();
    sink.rejectNext = 3;
    for (const i of range(0, 10)) buf.push(i);
    await clock.advance(0);
    expect(sink.calls.length).toBe(1);
    expect(buf.stats()).toMatchObject({ ok: true, written: 7, rejected: 3, buffered: 0 });
  });

  it('flush() sends now, ignoring the timer; rejects while down and keeps the points', async () => {
    const { clock, sink, buf } = make();
    for (const i of range(0, 3)) buf.push(i);
    await buf.flush();
    expect(sink.stored).toEqual([0, 1, 2]);
    sink.up = false;
    buf.push(3);
    await expect(buf.flush()).rejects.toThrow('ECONNREFUSED');
    expect(buf.stats().buffered).toBe(1);
    sink.up = true;
    await buf.flush(); // does not wait for the backoff timer
    expect(sink.stored).toEqual([0, 1, 2, 3]);
    expect(clock.t).toBe(0);
  });

  it('close() drains what it can, then counts the rest and later writes as dropped', async () => {
    const { clock, sink, buf } = make();
    for (const i of range(0, 15)) buf.push(i);
    sink.up = false;
    const closing = buf.close(1000);
    await clock.advance(1000);
    expect(await closing).toBe(15);
    expect(buf.push(99)).toBe(false);
    expect(buf.stats()).toMatchObject({ buffered: 0, dropped: 16, written: 0 });
    expect(clock.pending()).toEqual([]);

    const b = make();
    for (const i of range(0, 15)) b.buf.push(i);
    const closing2 = b.buf.close(1000);
    await b.clock.advance(0);
    expect(await closing2).toBe(0);
    expect(b.sink.stored).toEqual(range(0, 15));
  });

  it('a throwing send is a transient failure, not a crash', async () => {
    const { clock, buf } = make({
      send: () => {
        throw new Error('sync boom');
      },
    });
    buf.push(1);
    await clock.advance(500);
    expect(buf.stats()).toMatchObject({ ok: false, buffered: 1, failedBatches: 1, lastError: 'sync boom' });
    expect(clock.pending()).toEqual([100]);
  });
});

describe('series helpers', () => {
  it('chooses a round step giving ≤ 500 points', () => {
    expect(chooseStep(3600_000)).toBe(10_000);
    expect(chooseStep(24 * 3600_000)).toBe(300_000);
    expect(chooseStep(60_000)).toBe(1000);
  });
  it('defaults to the last hour and fills empty buckets with null', () => {
    const q = resolveQuery({ deviceId: 'd', metric: 'm' }, 7_200_000);
    expect(q).toEqual({ deviceId: 'd', metric: 'm', from: 3_600_000, to: 7_200_000, step: 10_000 });
    const g = fillGrid({ ...q, from: 0, to: 30_000 }, [[10_000, 2]]);
    expect(g).toEqual([
      [0, null],
      [10_000, 2],
      [20_000, null],
    ]);
  });
  it('caps the bucket count for tiny steps over long ranges', () => {
    const q = resolveQuery({ deviceId: 'd', metric: 'm', from: 0, to: 30 * 86_400_000, step: 1000 }, 0);
    expect((q.to - q.from) / q.step).toBeLessThanOrEqual(5000);
  });
});

describe('line protocol', () => {
  it('encodes one line per message with typed fields and escaped tags', () => {
    const line = toLine({
      deviceId: 'el-1',
      building: 'b 1',
      site: 's,1',
      class: 'elevator',
      ts: 1700000000123.7,
      metrics: { floor: 3, moving: true, note: 'say "hi"\\', bad: Number.NaN },
    });
    expect(line).toBe(
      'telemetry,deviceId=el-1,building=b\\ 1,site=s\\,1,class=elevator floor=3,moving=true,note="say \\"hi\\"\\\\" 1700000000123',
    );
    expect(toLine({ deviceId: 'd', building: '', site: 's', class: 'c', ts: 1, metrics: { x: Number.POSITIVE_INFINITY } })).toBeNull();
    expect(toLine({ deviceId: 'd', building: 'b', site: 's', class: 'c', ts: Number.NaN, metrics: { x: 1 } })).toBeNull();
  });

  it('keeps the series prefix per device only while its tags are unchanged (a device moved by an admin)', () => {
    const at = (building: string, site: string) =>
      toLine({ deviceId: 'wm-9', building, site, class: 'water', ts: 5, metrics: { leak: false } });
    expect(at('b1', 's1')).toBe('telemetry,deviceId=wm-9,building=b1,site=s1,class=water leak=false 5');
    expect(at('b1', 's1')).toBe('telemetry,deviceId=wm-9,building=b1,site=s1,class=water leak=false 5');
    expect(at('b 2', 's1')).toBe('telemetry,deviceId=wm-9,building=b\\ 2,site=s1,class=water leak=false 5');
    expect(at('b 2', 's3')).toBe('telemetry,deviceId=wm-9,building=b\\ 2,site=s3,class=water leak=false 5');
    expect(toLine({ deviceId: 'wm-9', building: 'b 2', site: 's3', class: 'power', ts: 5, metrics: { 'a b': 1 } })).toBe(
      'telemetry,deviceId=wm-9,building=b\\ 2,site=s3,class=power a\\ b=1 5',
    );
  });
});
