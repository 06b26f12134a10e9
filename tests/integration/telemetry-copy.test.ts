// The embedded store writes a batch with COPY in binary format (issue 12: PostgreSQL's CPU per
// message), falling back to INSERT … ON CONFLICT DO NOTHING when a row is already stored. Against
// a real PostgreSQL: what COPY stores is exactly what was sent (text in any script, escapes,
// times before 2000 and far ahead, milliseconds), and a batch that meets a stored row loses none
// of its new rows and changes none of the old.
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../services/core/logger.js';
import { EmbeddedPgBackend, encodeCopyBinary, type PgEncoded } from '../../services/telemetry/embedded.js';
import type { TelemetryWrite } from '../../services/telemetry/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'telemetry-copy-test');
const now = Date.now();
type Row = { d: string; t: number; m: unknown };
/** by device (code units, not the server's collation) and time */
const sorted = (rs: Row[]): Row[] => [...rs].sort((x, y) => (x.d < y.d ? -1 : x.d > y.d ? 1 : x.t - y.t));

/** messages whose fields exercise the encoding: scripts, escapes, JSON specials, times */
function corpus(): TelemetryWrite[] {
  const base = { building: 'b1', site: 's1', class: 'elevator' };
  return [
    { ...base, deviceId: 'lift-1', ts: now - 1, metrics: { floor: 3, load: 0.25, doors: 'closed', moving: true } },
    { ...base, deviceId: '电梯-东区-2', ts: now - 2, metrics: { 状态: '正常运行', temp: -12.5 } },
    {
      ...base,
      deviceId: 'tab\there',
      ts: now - 3,
      metrics: { note: 'line1\nline2\ttab \\ back "quote" \u00e9 😀', big: 1e300, tiny: 5e-324 },
    },
    { ...base, deviceId: 'old', ts: 946_684_799_999, metrics: { v: 1 } }, // 1 ms before PostgreSQL's epoch
    { ...base, deviceId: 'older', ts: 123, metrics: { v: -0.000001 } },
    { ...base, deviceId: 'future', ts: 4_102_444_800_123, metrics: { v: 2, off: false } }, // 2100-01-01 + 123 ms
    { ...base, deviceId: 'nul\u0000id', ts: now - 4, metrics: { 'with\u0000nul': 'a\u0000b' } },
  ];
}

describe('embedded telemetry store — COPY in binary format', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let b: EmbeddedPgBackend;
  const rows = async () =>
    (
      await client.query<{ d: string; t: string; m: Record<string, unknown> }>(
        `SELECT device_id AS d, (extract(epoch FROM ts) * 1000)::bigint AS t, m FROM telemetry.msg `,
      )
    ).rows.map((r) => ({ d: r.d, t: Number(r.t), m: r.m }));

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    b = new EmbeddedPgBackend(db.url, log, 1000 * 86_400_000, 10_000, { rollupEveryMs: 0 });
    await b.start();
  });
  afterAll(async () => {
    await b?.close();
    await client?.end().catch(() => undefined);
    await db?.drop();
  });

  it('stores exactly what was sent, by send() and by the encoded batch given to COPY on its own', async () => {
    const enc = corpus()
      .map((w) => b.encode(w))
      .filter((x): x is PgEncoded => x !== null);
    expect(enc).toHaveLength(7);
    const expected = sorted(enc.map((e) => ({ d: e.d, t: e.t, m: e.m })));
    // the NUL is removed by encode(), the rest is as sent
    expect(expected.find((e) => e.d === 'nulid')?.m).toEqual({ withnul: 'ab' });
    // through the store (it creates the partitions: the corpus spans two centuries)
    for (const e of enc) await b.send([e]);
    expect(sorted(await rows())).toEqual(expected);
    expect(b.insertFallbacks).toBe(0);
    // and straight into COPY, where no fallback could hide an encoding the server refuses
    await client.query('TRUNCATE telemetry.msg');
    await pipeline(
      Readable.from([encodeCopyBinary(enc)]),
      client.query(copyFrom('COPY telemetry.msg (device_id, ts, m) FROM STDIN (FORMAT binary)')),
    );
    expect(sorted(await rows())).toEqual(expected);
  });

  it('a batch holding a row already stored keeps the stored row and stores every new one', async () => {
    await client.query('TRUNCATE telemetry.msg');
    const w = (deviceId: string, ts: number, v: number): PgEncoded =>
      b.encode({ deviceId, building: 'b', site: 's', class: 'meter', ts, metrics: { v } })!;
    await b.send([w('m1', now - 10, 1), w('m1', now - 9, 2)]);
    // a resend of the first row (with another value) among new rows, and a same-millisecond pair
    await b.send([w('m2', now - 8, 3), w('m1', now - 10, 99), w('m2', now - 7, 4), w('m3', now - 6, 5), w('m3', now - 6, 6)]);
    expect(b.insertFallbacks).toBe(1);
    expect(sorted(await rows())).toEqual([
      { d: 'm1', t: now - 10, m: { v: 1 } },
      { d: 'm1', t: now - 9, m: { v: 2 } },
      { d: 'm2', t: now - 8, m: { v: 3 } },
      { d: 'm2', t: now - 7, m: { v: 4 } },
      { d: 'm3', t: now - 6, m: { v: 5 } },
    ]);
  });
});
