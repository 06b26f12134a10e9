// Stored but not routed (issue 13; docs/scale-out.md "Failure modes"). The broker acknowledges a
// QoS1 event once it is stored (ingest.ts: store, then PUBACK), and only then is the event routed
// to the incident engine, in that instance's incident queue. An instance that dies between the
// two has an event the device will never resend (it was acknowledged) and that a redelivery
// would not route either (the unique key makes it a duplicate). So every new row carries the id
// of the instance that stored it (`DeviceEvent.pendingBy`), cleared once the incident engine has
// routed the event; the rows a dead instance left pending are replayed by a survivor — or, for
// the single hub, by the next run at start.
//
// "Dead" is the cluster's own judgement (no heartbeat key in Redis for HUB_CLUSTER_LEASE_S, the
// rule that also marks its devices lost). The replay holds the rows `FOR UPDATE SKIP LOCKED`
// while it routes them and clears the mark in the same transaction, so two survivors never
// replay the same event, and a survivor that dies mid-replay leaves them for the next one.
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
   * what this process's EventStore writes into pendingBy: `<instance id>:<per-process suffix>`,
   * so an instance restarted under the same HUB_INSTANCE_ID tells its dead incarnation's rows
   * from its own
   */
  instanceId: string;
  /** instances alive now (scale-out: Redis heartbeats); the single hub: none besides itself */
  alive: () => Promise<Set<string>>;
  /** the device as the registry knows it (null: deleted since — nothing to route) */
  device: (deviceId: string) => DeviceRef | null;
  /** route one event through the incident engine; resolves when it has been decided */
  route: (e: StoredEvent) => Promise<void>;
  log: Logger;
  batch?: number;
}

/** the instance id in a pendingBy value (`<instance id>:<per-process suffix>`) */
export const instanceOf = (by: string): string => (by.includes(':') ? by.slice(0, by.lastIndexOf(':')) : by);

export class EventReplay {
  /** routed events whose mark is not cleared yet (flushed together: one UPDATE per batch) */
  private marks: Array<[string, string]> = [];
  private flushing: Promise<void> | null = null;
  replayed = 0;

  constructor(private readonly o: EventReplayOptions) {}

  /** The incident engine has routed this event: clear its mark (batched, never blocks the caller). */
  routed(deviceId: string, eventId: string): void {
    this.marks.push([deviceId, eventId]);
    if (!this.flushing) this.flushing = this.flush();
  }

  /** Clear the marks collected so far; marks arriving meanwhile go in the next UPDATE. */
  private async flush(): Promise<void> {
    try {
      while (this.marks.length) {
        const list = this.marks.splice(0, 5000);
        await this.o.pool
          .query(
            `UPDATE "DeviceEvent" AS ev SET "pendingBy" = NULL
               FROM unnest($1::text[], $2::text[]) AS x(d, e)
              WHERE ev."deviceId" = x.d AND ev."eventId" = x.e AND ev."pendingBy" IS NOT NULL`,
            [list.map((m) => m[0]), list.map((m) => m[1])],
          )
          // not fatal: the mark stays and the event is replayed after this instance's death,
          // which re-routing tolerates far better than an event never routed
          .catch((err: unknown) => this.o.log.warn({ err }, 'could not clear routed marks'));
      }
    } finally {
      this.flushing = null;
    }
  }

  /** Wait for the marks cleared so far (on stop). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * Replay what dead instances (and an earlier run of this hub) left stored but not routed.
   * Returns how many events were replayed.
   */
  async sweep(): Promise<number> {
    const owners = await this.o.pool.query<{ by: string }>(
      `SELECT DISTINCT "pendingBy" AS by FROM "DeviceEvent" WHERE "pendingBy" IS NOT NULL`,
    );
    if (!owners.rows.length) return 0;
    const alive = await this.o.alive();
    const me = instanceOf(this.o.instanceId);
    // dead: stored by an instance that has no heartbeat, or by an earlier incarnation of this one
    const dead = owners.rows
      .map((r) => r.by)
      .filter((by) => by !== this.o.instanceId && (instanceOf(by) === me || !alive.has(instanceOf(by))));
    let n = 0;
    for (let got = dead.length ? await this.replayBatch(dead) : 0; got > 0; got = await this.replayBatch(dead)) n += got;
    this.replayed += n;
    return n;
  }

  private async replayBatch(dead: string[]): Promise<number> {
    const c = await this.o.pool.connect();
    try {
      await c.query('BEGIN');
      // in storage order: a device's events are routed in the order they arrived
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
          WHERE "pendingBy" = ANY($1::text[])
          ORDER BY seq LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [dead, this.o.batch ?? 200],
      );
      for (const r of rows.rows) {
        const device = this.o.device(r.deviceId);
        if (!device) continue;
        const event = { v: 1, id: r.eventId, ts: r.ts.getTime(), type: r.type, data: r.data } as DeviceEvent;
        this.o.log.warn({ deviceId: r.deviceId, eventId: r.eventId }, 'replaying an event stored but not routed by a dead instance');
        await this.o.route({ device, event, receivedAt: r.receivedAt.getTime() });
      }
      if (rows.rows.length)
        await c.query(`UPDATE "DeviceEvent" SET "pendingBy" = NULL WHERE seq = ANY($1::bigint[])`, [rows.rows.map((r) => r.seq)]);
      await c.query('COMMIT');
      return rows.rows.length;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}
