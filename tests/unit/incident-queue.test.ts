// The incident queue's two lanes (services/incidents/queue.ts): one job at a time; `now` jobs
// (device events, operators' actions, timers) go before `bulk` ones (link-status routing) that
// were queued earlier, but bulk jobs still run while now-jobs keep coming; a failing job does
// not stop the queue (issue 12: an outage's thousands of status changes must not hold up an
// entrapment reported meanwhile).
import { describe, expect, it } from 'vitest';
import { BULK_EVERY, SerialQueue } from '../../services/incidents/queue.js';

/** a job that waits for its release and records when it ran */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('SerialQueue lanes', () => {
  it('runs one job at a time; a now-job queued behind bulk jobs goes first', async () => {
    const q = new SerialQueue();
    const ran: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, wait?: Promise<void>) => async () => {
      running++;
      most = Math.max(most, running);
      ran.push(name);
      await wait;
      await Promise.resolve();
      running--;
      return name;
    };
    const first = gate();
    const done = [q.run(job('first', first.opened))];
    for (let i = 0; i < 5; i++) done.push(q.run(job(`status-${i}`), 'bulk'));
    done.push(q.run(job('entrapment')));
    expect(q.waiting('bulk')).toBe(5);
    first.open();
    expect(await Promise.all(done)).toEqual(['first', 'status-0', 'status-1', 'status-2', 'status-3', 'status-4', 'entrapment']);
    expect(ran).toEqual(['first', 'entrapment', 'status-0', 'status-1', 'status-2', 'status-3', 'status-4']);
    expect(most).toBe(1);
    await q.idle();
    expect(q.waiting('now') + q.waiting('bulk')).toBe(0);
  });

  it('does not starve the bulk lane: after BULK_EVERY now-jobs in a row one bulk job runs', async () => {
    const q = new SerialQueue();
    const ran: string[] = [];
    const first = gate();
    const all = [q.run(async () => void (await first.opened))];
    all.push(q.run(async () => void ran.push('bulk-0'), 'bulk'));
    all.push(q.run(async () => void ran.push('bulk-1'), 'bulk'));
    for (let i = 0; i < 2 * BULK_EVERY + 2; i++) all.push(q.run(async () => void ran.push(`now-${i}`)));
    first.open();
    await Promise.all(all);
    // the gate job was the first now-job of the first run of BULK_EVERY
    expect(ran.indexOf('bulk-0')).toBe(BULK_EVERY - 1);
    expect(ran.indexOf('bulk-1')).toBe(2 * BULK_EVERY);
    expect(ran).toHaveLength(2 * BULK_EVERY + 4);
  });

  it('a failing job rejects its own caller only; the queue goes on', async () => {
    const q = new SerialQueue();
    const bad = q.run(async () => {
      throw new Error('transition failed');
    }, 'bulk');
    const sync = q.run((() => {
      throw new Error('thrown before any await');
    }) as () => Promise<void>);
    const good = q.run(async () => 'ok');
    await expect(bad).rejects.toThrow('transition failed');
    await expect(sync).rejects.toThrow('thrown before any await');
    expect(await good).toBe('ok');
  });
});
