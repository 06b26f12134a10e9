// Event ingest: every accepted device event is stored once in the device event log
// (DeviceEvent, unique on deviceId+eventId), and only a newly stored event reaches the bus.
// A redelivered event — QoS1 retry, device resend, or a resend after a hub restart — hits the
// unique key and is dropped as a duplicate, so procedures never see an event twice.
//
// Inserts are group-committed: events arriving while a batch is in flight are written together
// in one INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING RETURNING, so under load the cost is
// one round trip per batch instead of one per event. The broker acks (PUBACK) an event only after
// its batch committed: nothing acknowledged is ever lost.
import type pg from 'pg';
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { DeviceRef } from '../core/bus.js';

interface Pending {
  device: DeviceRef;
  event: DeviceEvent;
  receivedAt: number;
  resolve: (isNew: boolean) => void;
  reject: (err: Error) => void;
}

export class EventStore {
  private queue: Pending[] = [];
  private inFlight = 0;
  /** Settles when the previously started batch has been resolved: keeps results in order. */
  private tail: Promise<void> = Promise.resolve();
  stored = 0;
  duplicates = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBatch = 500,
    // Batches overlap (a commit's latency is mostly waiting), but their results are released in
    // arrival order, so procedures see a device's events in order (entrapment before normal).
    private readonly maxConcurrent = 3,
  ) {}

  /** Resolves true when the event was new (stored now), false for a duplicate. */
  store(device: DeviceRef, event: DeviceEvent, receivedAt: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ device, event, receivedAt, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxConcurrent) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      const result = this.write(batch);
      const previous = this.tail;
      this.tail = result.then(async (settle) => {
        await previous;
        settle();
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Runs the INSERT now; the returned function hands the outcome to the callers (in order). */
  private async write(batch: Pending[]): Promise<() => void> {
    // Within one batch the same (device, id) may appear twice (a device resending quickly):
    // the first wins, later copies are duplicates without touching the database.
    const seen = new Map<string, Pending>();
    const unique: Pending[] = [];
    const dupes: Pending[] = [];
    for (const p of batch) {
      const k = `${p.device.deviceId}\u0000${p.event.id}`;
      if (seen.has(k)) dupes.push(p);
      else {
        seen.set(k, p);
        unique.push(p);
      }
    }
    try {
      const r = await this.pool.query<{ deviceId: string; eventId: string }>(
        `INSERT INTO "DeviceEvent" ("deviceId","eventId","type","ts","receivedAt","data")
         SELECT d, e, t, to_timestamp(ts / 1000.0), to_timestamp(ra / 1000.0), j::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[]) AS x(d, e, t, ts, ra, j)
         ON CONFLICT ("deviceId","eventId") DO NOTHING
         RETURNING "deviceId","eventId"`,
        [
          unique.map((p) => p.device.deviceId),
          unique.map((p) => p.event.id),
          unique.map((p) => p.event.type),
          unique.map((p) => p.event.ts),
          unique.map((p) => p.receivedAt),
          unique.map((p) => JSON.stringify(p.event.data)),
        ],
      );
      const inserted = new Set(r.rows.map((row) => `${row.deviceId}\u0000${row.eventId}`));
      return () => {
        for (const p of unique) {
          const isNew = inserted.has(`${p.device.deviceId}\u0000${p.event.id}`);
          if (isNew) this.stored++;
          else this.duplicates++;
          p.resolve(isNew);
        }
        for (const p of dupes) {
          this.duplicates++;
          p.resolve(false);
        }
      };
    } catch (err) {
      return () => {
        for (const p of batch) p.reject(err as Error);
      };
    }
  }
}

/**
 * The ids of recently seen events (bounded, oldest forgotten first): lets the live feed skip a
 * redelivery without waiting for the database. The database's unique key stays the authority.
 */
export class RecentEventIds {
  private readonly seen = new Set<string>();

  constructor(private readonly max = 100_000) {}

  /** true the first time (deviceId, eventId) is offered within the window */
  firstTime(deviceId: string, eventId: string): boolean {
    const k = `${deviceId}\u0000${eventId}`;
    if (this.seen.has(k)) return false;
    this.seen.add(k);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}
