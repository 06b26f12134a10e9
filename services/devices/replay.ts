// Stored but not routed (issue 13; docs/scale-out.md "Failure modes"). The broker acknowledges a
// QoS1 event once it is stored (ingest.ts: store, then PUBACK), and only then is the event routed
// to the incident engine, in that instance's incident queue. An instance that dies between the
// two has an event the device will never resend (it was acknowledged) and that a redelivery
// would not route either (the unique key makes it a duplicate). So every new row carries the id
// of the process that stored it (`DeviceEvent.storedBy`), and each process keeps one row in
// `EventRouting`: "everything I stored that arrived before `routedBefore` has been routed". A
// dead process's row says where its replay starts: its rows received since then are routed by a
// survivor — or, for the single hub, by the next run at start.
//
// Why a watermark and not a mark per event (issue 12): clearing a per-row mark after routing was
// an UPDATE of every event row, and since the mark was indexed, never a HOT update — every index
// of DeviceEvent written twice. It doubled PostgreSQL's CPU per QoS1 event (≈ 64 vs 35 µs,
// measured with batches of 100 on this machine). The watermark is one tiny UPDATE every
// HUB_EVENT_ROUTED_MARK_MS. The price: what a process routed after its last watermark write and
// before it died is routed a second time — the same trade the per-row marks made while their
// batched UPDATE was in flight, widened to that interval; re-routing is far better tolerated
// than an event never routed.
//
// "Dead" is the cluster's own judgement (no heartbeat key in Redis for HUB_CLUSTER_LEASE_S, the
// rule that also marks its devices lost). The replay holds the dead process's EventRouting row
// `FOR UPDATE SKIP LOCKED` while it routes its events and deletes the row in the same
// transaction, so two survivors never replay the same process, and a survivor that dies
// mid-replay leaves it for the next one.
import type pg from 'pg';
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { DeviceRef } from '../core/bus.js';
import type { Logger } from '../core/logger.js';

export interface StoredEvent {
  device: DeviceRef;
  event: DeviceEvent;
  receivedAt: number;
}

export interface EventReplayOptions {
  pool: pg.Pool;
  /**
   * what this process's EventStore writes into storedBy: `<instance id>:<per-process suffix>`,
   * so an instance restarted under the same HUB_INSTANCE_ID tells its dead incarnation's rows
   * from its own
   */
  instanceId: string;
  /** how often the routed watermark is written when it moved (HUB_EVENT_ROUTED_MARK_MS) */
  markEveryMs?: number;
  now?: () => number;
  /** instances alive now (scale-out: Redis heartbeats); the single hub: none besides itself */
  alive: () => Promise<Set<string>>;
  /** the device as the registry knows it (null: deleted since — nothing to route) */
  device: (deviceId: string) => DeviceRef | null;
  /** route one event through the incident engine; resolves when it has been decided */
  route: (e: StoredEvent) => Promise<void>;
  log: Logger;
  batch?: number;
}

/** the instance id in a storedBy value (`<instance id>:<per-process suffix>`) */
export const instanceOf = (by: string): string => (by.includes(':') ? by.slice(0, by.lastIndexOf(':')) : by);

export class EventReplay {
  /** events this process accepted and has not routed yet (or found to be duplicates) */
  private readonly pending = new Set<StoredEvent>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  /** the watermark last written (ms) */
  private written = -1;
  /** the last write failed (logged once per streak) */
  private failing = false;
  private readonly now: () => number;
  replayed = 0;

  constructor(private readonly o: EventReplayOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Writes this process's EventRouting row; call before the broker accepts events, so that a
   * crash right after the first stored event still leaves a row saying where replay begins.
   */
  async start(): Promise<void> {
    this.written = this.now();
    await this.o.pool.query(
      `INSERT INTO "EventRouting" ("storedBy", "routedBefore") VALUES ($1, to_timestamp($2 / 1000.0))
       ON CONFLICT ("storedBy") DO UPDATE SET "routedBefore" = EXCLUDED."routedBefore", "updatedAt" = now()`,
      [this.o.instanceId, this.written],
    );
    this.timer = setInterval(() => void this.mark(), this.o.markEveryMs ?? 250);
    this.timer.unref();
  }

  /** events accepted here and not routed yet */
  get unrouted(): number {
    return this.pending.size;
  }

  /** An event is about to be stored: it counts as unrouted until `routed` or `settled`. */
  accepted(e: StoredEvent): void {
    this.pending.add(e);
  }

  /** It was not stored by this process (a duplicate, or refused): nothing to route. */
  settled(e: StoredEvent): void {
    this.pending.delete(e);
  }

  /** The incident engine has routed this event (a replayed one was never pending here). */
  routed(e: StoredEvent): void {
    this.pending.delete(e);
  }

  /** Everything this process stored that arrived before this has been routed. */
  private watermark(): number {
    let min = this.now(); // nothing pending: any event accepted later is stamped at or after now
    for (const e of this.pending) if (e.receivedAt < min) min = e.receivedAt;
    return min;
  }

  /** Write the watermark if it moved (one write at a time; a failure is retried next period). */
  private mark(): Promise<void> {
    if (this.writing) return this.writing;
    const at = this.watermark();
    if (at === this.written) return Promise.resolve();
    this.writing = this.o.pool
      .query(`UPDATE "EventRouting" SET "routedBefore" = to_timestamp($2 / 1000.0), "updatedAt" = now() WHERE "storedBy" = $1`, [
        this.o.instanceId,
        at,
      ])
      .then(
        () => {
          if (this.failing) this.o.log.warn('routed watermark written again');
          this.failing = false;
          this.written = at;
        },
        // not fatal: the older watermark stays, and after this process's death more is replayed.
        // One line per failure streak (a database outage fails every period).
        (err: unknown) => {
          if (!this.failing) this.o.log.warn({ err }, 'could not write the routed watermark; retried every period');
          this.failing = true;
        },
      )
      .finally(() => (this.writing = null));
    return this.writing;
  }

  /**
   * On stop (after the broker and the incident queue): the last watermark. The row stays — an
   * event stored after the incident queue stopped is routed by the next run's sweep, which then
   * removes the row (stopping cleanly otherwise leaves nothing to replay).
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.writing;
    await this.mark();
  }

  /**
   * Replay what dead instances (and an earlier run of this hub) left stored but not routed.
   * Returns how many events were replayed.
   */
  async sweep(): Promise<number> {
    const owners = await this.o.pool.query<{ by: string }>(`SELECT "storedBy" AS by FROM "EventRouting"`);
    const alive = owners.rows.length > 1 ? await this.o.alive() : new Set<string>();
    const me = instanceOf(this.o.instanceId);
    // dead: an instance that has no heartbeat, or an earlier incarnation of this one
    const dead = owners.rows
      .map((r) => r.by)
      .filter((by) => by !== this.o.instanceId && (instanceOf(by) === me || !alive.has(instanceOf(by))));
    let n = 0;
    for (const by of dead) n += await this.replayOne(by);
    this.replayed += n;
    return n;
  }

  private async replayOne(by: string): Promise<number> {
    const c = await this.o.pool.connect();
    try {
      await c.query('BEGIN');
      const mark = await c.query<{ since: Date }>(
        `SELECT "routedBefore" AS since FROM "EventRouting" WHERE "storedBy" = $1 FOR UPDATE SKIP LOCKED`,
        [by],
      );
      if (!mark.rows.length) {
        await c.query('ROLLBACK'); // gone, or another survivor is replaying it
        return 0;
      }
      let n = 0;
      // in storage order: a device's events are routed in the order they arrived. The range on
      // receivedAt is served by the BRIN index; what that process routed before is skipped.
      for (let after = '0'; ;) {
        const rows = await c.query<{
          seq: string;
          deviceId: string;
          eventId: string;
          type: string;
          ts: Date;
          receivedAt: Date;
          data: unknown;
        }>(
          `SELECT seq, "deviceId", "eventId", type, ts, "receivedAt", data FROM "DeviceEvent"
            WHERE "storedBy" = $1 AND "receivedAt" >= $2 AND seq > $3::bigint
            ORDER BY seq LIMIT $4`,
          [by, mark.rows[0]!.since, after, this.o.batch ?? 500],
        );
        for (const r of rows.rows) {
          const device = this.o.device(r.deviceId);
          if (!device) continue;
          const event = { v: 1, id: r.eventId, ts: r.ts.getTime(), type: r.type, data: r.data } as DeviceEvent;
          this.o.log.warn({ deviceId: r.deviceId, eventId: r.eventId }, 'replaying an event stored but not routed by a dead instance');
          await this.o.route({ device, event, receivedAt: r.receivedAt.getTime() });
          n++;
        }
        if (rows.rows.length < (this.o.batch ?? 500)) break;
        after = rows.rows[rows.rows.length - 1]!.seq;
      }
      await c.query(`DELETE FROM "EventRouting" WHERE "storedBy" = $1`, [by]);
      await c.query('COMMIT');
      return n;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}
