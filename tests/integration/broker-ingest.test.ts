// The event store's failure handling against a real PostgreSQL (services/devices/ingest.ts):
// a data error refuses only the offending event; an unreachable database is retried up to the
// hold limit and then given back (one log line each); a retry after an ambiguous failure still
// recognises the rows its first attempt wrote.
import net from 'node:net';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { DeviceRef } from '../../services/core/bus.js';
import { EventStore, StoreRefusedError, StoreUnavailableError } from '../../services/devices/ingest.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
let pool: pg.Pool;
const dev = (deviceId: string): DeviceRef => ({ deviceId, site: 's', building: 'b', class: 'elevator' });
const ev = (id: string): DeviceEvent => ({ v: 1, id, ts: Date.now(), type: 'elevator.fault', data: { code: 'E1' } });

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await pool.query(`INSERT INTO "Site" (id, name) VALUES ('s', 's')`);
  await pool.query(`INSERT INTO "Building" (id, "siteId", name) VALUES ('b', 's', 'b')`);
  await pool.query(
    `INSERT INTO "Device" (id, "siteId", "buildingId", class, name, "secretHash") VALUES ('el-1', 's', 'b', 'elevator', 'el-1', 'x')`,
  );
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** the pool, with the INSERTs the store sends counted by batch size (where the store calls it) */
function countingPool() {
  const sizes: number[] = [];
  const counting = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return (config: { values: [string, ...unknown[]] }) => {
        sizes.push((JSON.parse(config.values[0]) as unknown[]).length); // the batch: one JSON array
        return target.query(config as never);
      };
    },
  });
  return { sizes, counting };
}

describe('EventStore group commit', () => {
  it('starts a batch beside the one in flight only once HUB_EVENT_OVERLAP_MIN events wait; the rest go together after it', async () => {
    const { sizes, counting } = countingPool();
    const store = new EventStore(counting, { maxConcurrent: 3, overlapMin: 3 });
    const stored = ['g1', 'g2', 'g3', 'g4', 'g5'].map((id) => store.store(dev('el-1'), ev(id), Date.now()));
    // synchronously: g1 alone (nothing in flight), then g2–g4 once three wait; g5 waits
    expect(sizes).toEqual([1, 3]);
    expect(await Promise.all(stored)).toEqual([true, true, true, true, true]);
    expect(sizes).toEqual([1, 3, 1]);
    expect(store.batches).toBe(3);
    // 1 overlaps at once: every event of the same burst is its own batch, up to the limit
    sizes.length = 0;
    const eager = new EventStore(counting, { maxConcurrent: 3, overlapMin: 1 });
    const more = ['h1', 'h2', 'h3', 'h4', 'h5'].map((id) => eager.store(dev('el-1'), ev(id), Date.now()));
    expect(sizes).toEqual([1, 1, 1]);
    await Promise.all(more);
    expect(sizes.slice(3).reduce((a, b) => a + b, 0)).toBe(2);
    await pool.query(`DELETE FROM "DeviceEvent"`); // the next tests count the log from empty
  });

  it('HUB_EVENT_LINGER_MS: a batch starts at most that long after the previous one started; a lone event after a quiet spell goes at once', async () => {
    const { sizes, counting } = countingPool();
    // the store's clock is held by the test; the linger timer itself is real (and short)
    let now = 1_000_000;
    const store = new EventStore(counting, { maxConcurrent: 3, overlapMin: 32, lingerMs: 20, now: () => now });
    const first = store.store(dev('el-1'), ev('l1'), now);
    expect(sizes).toEqual([1]); // nothing before it: written at once
    await first;
    // the store's clock still inside the linger window: the next events wait for company
    now += 5;
    const burst = ['l2', 'l3', 'l4'].map((id) => store.store(dev('el-1'), ev(id), now));
    expect(sizes).toEqual([1]);
    now += 20; // the window has passed by the time the timer fires: one INSERT for the three
    expect(await Promise.all(burst)).toEqual([true, true, true]);
    expect(sizes).toEqual([1, 3]);
    // a quiet spell longer than the window: a lone event is written at once again
    now += 1000;
    const lone = store.store(dev('el-1'), ev('l5'), now);
    expect(sizes).toEqual([1, 3, 1]);
    await lone;
    await pool.query(`DELETE FROM "DeviceEvent"`);
  });
});

describe('EventStore failure handling', () => {
  it('a data error refuses only the offending event; the rest of its batch is stored', async () => {
    // one batch at a time: while the first (one event) is written, the next three queue and go
    // together; the second of them holds a NUL in its data, which jsonb refuses (SQLSTATE 22P05;
    // the broker refuses such a payload as bad_text before it gets here — this is the last line)
    const store = new EventStore(pool, { maxConcurrent: 1 });
    const results = await Promise.allSettled([
      store.store(dev('el-1'), ev('first'), Date.now()),
      store.store(dev('el-1'), ev('ok-1'), Date.now()),
      store.store(dev('el-1'), { ...ev('bad-1'), data: { code: 'E\u0000' } } as DeviceEvent, Date.now()),
      store.store(dev('el-1'), ev('ok-2'), Date.now()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(StoreRefusedError);
    const { rows } = await pool.query(`SELECT "eventId" FROM "DeviceEvent" ORDER BY seq`);
    expect(rows.map((r: { eventId: string }) => r.eventId)).toEqual(['first', 'ok-1', 'ok-2']);
    expect(store.refused).toBe(1);
    expect(store.stored).toBe(3);
  });

  it('a retry after an ambiguous failure counts the rows its first attempt wrote as new, real duplicates not', async () => {
    const store = new EventStore(pool);
    const at = Date.now();
    expect(await store.store(dev('el-1'), ev('amb-1'), at)).toBe(true);
    // the same event again with the same receive time, as a retry of that very attempt: new
    const outcome = new Map<unknown, boolean | Error>();
    const p = { device: dev('el-1'), event: ev('amb-1'), receivedAt: at, resolve: () => undefined, reject: () => undefined };
    await (store as unknown as { writeRetrying(i: unknown[], o: Map<unknown, unknown>, a: boolean): Promise<void> }).writeRetrying(
      [p],
      outcome,
      true,
    );
    expect(outcome.get(p)).toBe(true);
    // a redelivery (received later) of a stored event stays a duplicate, on a retry too
    const q = { ...p, receivedAt: at + 5 };
    await (store as unknown as { writeRetrying(i: unknown[], o: Map<unknown, unknown>, a: boolean): Promise<void> }).writeRetrying(
      [q],
      outcome,
      true,
    );
    expect(outcome.get(q)).toBe(false);
  });

  it('an unreachable database is retried until the hold limit, with one line when it starts and one when giving up', async () => {
    // a real refused connection: a loopback port nobody listens on
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const down = new pg.Pool({ host: '127.0.0.1', port, user: 'x', database: 'x', max: 1 });
    const lines: Array<{ msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
    let outages = 0;
    const store = new EventStore(down, { holdMs: 800, retryMaxMs: 80, log, onOutage: () => outages++ });
    const started = Date.now();
    const all = await Promise.allSettled([1, 2, 3].map((i) => store.store(dev('el-1'), ev(`held-${i}`), Date.now())));
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(all.every((r) => r.status === 'rejected' && r.reason instanceof StoreUnavailableError)).toBe(true);
    expect(store.holding).toBe(true);
    expect(outages).toBe(1);
    expect(lines.map((l) => l.msg.split(':')[0])).toEqual(['database unreachable', 'database still unreachable after HUB_EVENT_HOLD_S']);
    // stop() gives back whatever is still held at once
    const late = store.store(dev('el-1'), ev('held-4'), Date.now());
    store.stop();
    await expect(late).rejects.toBeInstanceOf(StoreUnavailableError);
    await down.end();
  });
  it('a batch sent before the outage began and answered after it does not end the outage', async () => {
    // several batches are in flight at once (pipelined events): while PostgreSQL goes down one
    // may still commit after another failed. Counting that answer as "reachable again" logged the
    // outage twice and released the held events twice (seen in broker-outage.test.ts).
    let calls = 0;
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    let refusing = true;
    const flaky = {
      query: async (q: pg.QueryConfig) => {
        if (++calls === 1) {
          const r = await pool.query(q); // committed — its answer arrives after the outage began
          await answered;
          return r;
        }
        if (refusing) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1'), { code: 'ECONNREFUSED' });
        return pool.query(q);
      },
    } as unknown as pg.Pool;
    const lines: Array<{ msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
    let outages = 0;
    let tick = 0; // strictly increasing: "sent before the outage began" must not depend on ms granularity
    const store = new EventStore(flaky, { maxBatch: 1, overlapMin: 1, retryMaxMs: 40, log, onOutage: () => outages++, now: () => ++tick });
    const first = store.store(dev('el-1'), ev('inflight-1'), Date.now());
    const second = store.store(dev('el-1'), ev('inflight-2'), Date.now());
    while (!store.holding) await new Promise((r) => setImmediate(r));
    answer();
    expect(await first).toBe(true);
    expect(store.holding).toBe(true); // still down: that answer was sent before
    refusing = false;
    expect(await second).toBe(true);
    expect(store.holding).toBe(false);
    expect(outages).toBe(1);
    expect(lines.map((l) => l.msg.split(':')[0])).toEqual(['database unreachable', 'database reachable again']);
  });
});
