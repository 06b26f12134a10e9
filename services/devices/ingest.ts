// Event ingest: every accepted device event is stored once in the device event log
// (DeviceEvent, unique on deviceId+eventId), and only a newly stored event reaches the bus.
// A redelivered event — QoS1 retry, device resend, or a resend after a hub restart — hits the
// unique key and is dropped as a duplicate, so procedures never see an event twice.
//
// Inserts are group-committed: events arriving while a batch is in flight are written together
// in one INSERT … SELECT jsonb_to_recordset(…) ON CONFLICT DO NOTHING RETURNING, so under load
// the cost is one round trip per batch instead of one per event. The broker acks (PUBACK) an
// event only after its batch committed: nothing acknowledged is ever lost.
//
// A database outage is not the device's fault (issue 7 item 3). When PostgreSQL cannot be
// reached, a batch is not failed back to the broker (which would disconnect the device, and a
// QoS1 device would reconnect and resend in a loop): it is kept and retried with backoff until
// the database is back, up to `holdMs`. The broker meanwhile withholds the PUBACKs without
// blocking the connection (broker/index.ts "held events"), so status and telemetry keep flowing
// and online state stays true. One log line when the outage starts, one when it ends.
// A data error (SQLSTATE class 22/23) is not an outage: the batch is retried one event at a
// time and only the offending event is refused (StoreRefusedError), so one bad event can neither
// block nor take down the others.
import type pg from 'pg';
import type { DeviceEvent } from '../../contracts/mqtt.js';
import type { DeviceRef } from '../core/bus.js';
import type { Logger } from '../core/logger.js';

interface Pending {
  device: DeviceRef;
  event: DeviceEvent;
  receivedAt: number;
  resolve: (isNew: boolean) => void;
  reject: (err: Error) => void;
}

/** The database refused this one event (a data error): retrying cannot help, discard it. */
export class StoreRefusedError extends Error {
  readonly code = 'store_refused';
}

/** The database stayed unreachable longer than the hold limit (or the hub is stopping). */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
}

export interface EventStoreOptions {
  maxBatch?: number;
  /**
   * Batches overlap (a commit's latency is mostly waiting), but their results are released in
   * arrival order, so procedures see a device's events in order (entrapment before normal).
   * HUB_EVENT_BATCHES.
   */
  maxConcurrent?: number;
  /**
   * A second (third …) batch starts beside one in flight only once this many events wait
   * (HUB_EVENT_OVERLAP_MIN); fewer wait for the batch in flight and go together after it.
   */
  overlapMin?: number;
  /**
   * With nothing in flight, a batch starts at most this long after the previous one started
   * (unless `overlapMin` events wait): under a steady stream, events share a commit instead of
   * paying one each; after a quiet spell a lone event is written at once. HUB_EVENT_LINGER_MS.
   */
  lingerMs?: number;
  /** how long a batch is kept and retried while the database is unreachable (HUB_EVENT_HOLD_S) */
  holdMs?: number;
  /** longest pause between two retries (HUB_EVENT_RETRY_MS); the first is 1/8 of it */
  retryMaxMs?: number;
  /** a batch INSERT without an answer for this long counts as failed and is retried */
  queryTimeoutMs?: number;
  log?: Logger;
  /**
   * who stores (scale-out: the instance id): each new row carries it in `storedBy`, which says
   * whose replay it belongs to should that process die before routing it (services/devices/replay.ts)
   */
  instanceId?: string;
  /** called once when an outage starts: the broker stops blocking connections on held events */
  onOutage?: () => void;
  now?: () => number;
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity): the row is at fault, not the server. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

const key = (p: Pending) => `${p.device.deviceId}\u0000${p.event.id}`;

export class EventStore {
  private queue: Pending[] = [];
  private inFlight = 0;
  /** Settles when the previously started batch has been resolved: keeps results in order. */
  private tail: Promise<void> = Promise.resolve();
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;
  private readonly overlapMin: number;
  private readonly lingerMs: number;
  /** when the last batch started (ms, `now`), and the timer of a lingering one */
  private lastStart = -Infinity;
  private lingering: NodeJS.Timeout | null = null;
  private readonly holdMs: number;
  private readonly retryMaxMs: number;
  private readonly queryTimeoutMs: number;
  private readonly now: () => number;
  private closed = false;
  /** wakes retry loops sleeping in backoff (stop) */
  private readonly sleepers = new Set<() => void>();
  private expiredLogged = false;
  /** when the current outage started (null: the database answers) */
  outageSince: number | null = null;
  stored = 0;
  /** INSERT statements that succeeded: group commits (events stored per commit = stored / batches) */
  batches = 0;
  duplicates = 0;
  /** events refused by the database (data errors) */
  refused = 0;
  /** outages seen since start */
  outages = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly o: EventStoreOptions = {},
  ) {
    this.maxBatch = o.maxBatch ?? 500;
    this.maxConcurrent = o.maxConcurrent ?? 3;
    this.overlapMin = Math.max(1, o.overlapMin ?? 32);
    this.lingerMs = Math.max(0, o.lingerMs ?? 0);
    this.holdMs = o.holdMs ?? 600_000;
    this.retryMaxMs = o.retryMaxMs ?? 2000;
    this.queryTimeoutMs = o.queryTimeoutMs ?? 15_000;
    this.now = o.now ?? Date.now;
  }

  /** true while the database is unreachable and events are being held */
  get holding(): boolean {
    return this.outageSince !== null;
  }

  /** events accepted but not yet stored (queued or in a batch being written or retried) */
  get pending(): number {
    return this.queue.length + this.inFlightEvents;
  }
  private inFlightEvents = 0;

  /**
   * Resolves true when the event was new (stored now), false for a duplicate. Rejects with
   * StoreRefusedError (this event can never be stored) or StoreUnavailableError (held too long).
   */
  store(device: DeviceRef, event: DeviceEvent, receivedAt: number): Promise<boolean> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('event store stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({ device, event, receivedAt, resolve, reject });
      this.pump();
    });
  }

  /** Stop retrying: held events are rejected (their devices still have them and resend). */
  stop(): void {
    this.closed = true;
    if (this.lingering) clearTimeout(this.lingering);
    this.lingering = null;
    for (const wake of this.sleepers) wake();
    this.pump(); // a lingering batch is written (or refused) now
  }

  /**
   * Starts batches. One is always started when none is in flight (a lone event is written at
   * once), more only for a queue of `overlapMin`: at moderate rates, overlapping batches of one
   * or two events each cost a transaction apiece — at 2,000 events/s the hub and PostgreSQL
   * spent ≈ 230 µs of CPU each per event that way (issue 12, BENCHMARKS.md) — while waiting out
   * the one in flight (a commit, ≈ 1 ms) lets them share one.
   */
  private pump(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxConcurrent && (this.inFlight === 0 || this.queue.length >= this.overlapMin)) {
      const wait = this.lastStart + this.lingerMs - this.now();
      if (this.inFlight === 0 && wait > 0 && this.queue.length < this.overlapMin && !this.closed) {
        this.lingering ??= setTimeout(() => {
          this.lingering = null;
          this.pump();
        }, wait);
        return;
      }
      if (this.lingering) clearTimeout(this.lingering);
      this.lingering = null;
      this.lastStart = this.now();
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.inFlightEvents += batch.length;
      const result = this.write(batch);
      const previous = this.tail;
      this.tail = result.then(async (settle) => {
        await previous;
        settle();
        this.inFlight--;
        this.inFlightEvents -= batch.length;
        this.pump();
      });
    }
  }

  /** Writes the batch (retrying through an outage); the returned function hands out the outcome, in order. */
  private async write(batch: Pending[]): Promise<() => void> {
    // Within one batch the same (device, id) may appear twice (a device resending quickly):
    // the first wins, later copies are duplicates without touching the database.
    const seen = new Set<string>();
    const unique: Pending[] = [];
    const dupes: Pending[] = [];
    for (const p of batch) {
      const k = key(p);
      if (seen.has(k)) dupes.push(p);
      else {
        seen.add(k);
        unique.push(p);
      }
    }
    const outcome = new Map<Pending, boolean | Error>();
    await this.writeRetrying(unique, outcome);
    return () => {
      for (const p of unique) {
        const r = outcome.get(p)!;
        if (r instanceof Error) {
          if (r instanceof StoreRefusedError) this.refused++;
          p.reject(r);
        } else {
          if (r) this.stored++;
          else this.duplicates++;
          p.resolve(r);
        }
      }
      for (const p of dupes) {
        this.duplicates++;
        p.resolve(false);
      }
    };
  }

  private async writeRetrying(items: Pending[], outcome: Map<Pending, boolean | Error>, afterFailure = false): Promise<void> {
    const started = this.now();
    for (let attempt = 0; ; attempt++) {
      const sent = this.now();
      try {
        const inserted = await this.insert(items, afterFailure || attempt > 0);
        this.batches++;
        this.recovered(sent);
        for (const p of items) outcome.set(p, inserted.has(key(p)));
        return;
      } catch (err) {
        if (isDataError(err)) {
          this.recovered(sent); // the server answered
          if (items.length === 1) {
            outcome.set(items[0]!, new StoreRefusedError(`database refused the event: ${(err as Error).message}`));
            return;
          }
          // find the offending event(s): one at a time, each with its own retries
          for (const p of items) await this.writeRetrying([p], outcome, afterFailure || attempt > 0);
          return;
        }
        const giveUp = this.closed ? 'event store stopped' : this.now() - started >= this.holdMs ? 'held too long' : null;
        if (giveUp) {
          if (!this.closed && !this.expiredLogged) {
            this.expiredLogged = true;
            this.o.log?.error(
              { heldMs: this.now() - started, events: items.length },
              'database still unreachable after HUB_EVENT_HOLD_S: giving held events back to their devices (they resend after reconnecting)',
            );
          }
          const e = new StoreUnavailableError(`event not stored: ${giveUp} (${(err as Error).message})`);
          for (const p of items) outcome.set(p, e);
          return;
        }
        this.outage(err as Error);
        await this.sleep(Math.min(this.retryMaxMs, (this.retryMaxMs / 8) * 2 ** attempt));
      }
    }
  }

  private outage(err: Error): void {
    if (this.outageSince !== null) return;
    this.outageSince = this.now();
    this.outages++;
    this.expiredLogged = false;
    this.o.log?.error(
      { err: err.message, code: (err as { code?: unknown }).code },
      'database unreachable: holding device events (PUBACK withheld) and retrying until it is back',
    );
    this.o.onOutage?.();
  }

  /**
   * A query sent at `sentAt` got an answer. One sent before the outage began proves nothing (with
   * several batches in flight, one may still commit while the server is going down): counting it
   * would end the outage and start it again — two log lines and a second release.
   */
  private recovered(sentAt: number): void {
    if (this.outageSince === null || sentAt < this.outageSince) return;
    const downMs = this.now() - this.outageSince;
    this.outageSince = null;
    this.o.log?.warn({ downMs, pending: this.pending }, 'database reachable again: held device events are being stored');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /**
   * One INSERT for the batch; returns the keys of the events that are new. `retry` marks a
   * second attempt after a failure that may have come after the commit (connection lost, read
   * timeout): a row already there with our exact receive time was written by that attempt, so it
   * still counts as new — otherwise the procedures would never see an event the device sent once.
   * (A statement's CTE does not see its own inserts, so the two halves never overlap.)
   */
  private async insert(items: Pending[], retry: boolean): Promise<Set<string>> {
    // The batch is one JSON parameter, not one array per column: pg turned each array into an
    // array literal in JavaScript (two regex replaces per element, the events' data JSON escaped
    // once more), ≈ 3.5 µs of the hub's CPU per event; JSON.stringify of the batch is native and
    // PostgreSQL's CPU was the same either way (issue 12, BENCHMARKS.md). Bad text (NUL, a lone
    // surrogate) is refused by jsonb/text as before: a data error, isolated per event.
    // jsonb, not json: json_to_recordset builds a hash table of each object's fields and re-parses
    // the `j` text into jsonb per row. That memory is what made it dear while the backends
    // trimmed their heap after every statement (25 → 12.5 µs per row); with that fixed
    // (services/core/db.ts PG_MALLOC_ENV) jsonb is still no dearer — 16.3 vs 17.2 µs of
    // PostgreSQL's CPU per event in the bench (BENCHMARKS.md, "Eleventh round").
    const x = `jsonb_to_recordset($1::jsonb) AS x(d text, e text, t text, ts float8, ra float8, j jsonb)`;
    const insert = `INSERT INTO "DeviceEvent" ("deviceId","eventId","type","ts","receivedAt","data","storedBy")
         SELECT d, e, t, to_timestamp(ts / 1000.0), to_timestamp(ra / 1000.0), j, $2::text FROM ${x}
         ON CONFLICT ("deviceId","eventId") DO NOTHING
         RETURNING "deviceId","eventId"`;
    const text = !retry
      ? insert
      : `WITH ins AS (${insert})
         SELECT "deviceId","eventId" FROM ins
         UNION ALL
         SELECT ev."deviceId", ev."eventId" FROM "DeviceEvent" ev
           JOIN ${x} ON ev."deviceId" = x.d AND ev."eventId" = x.e AND ev."receivedAt" = to_timestamp(x.ra / 1000.0)`;
    const r = await this.pool.query<{ deviceId: string; eventId: string }>({
      // named: each connection parses and plans the statement once, not once per batch
      name: retry ? 'bops_event_insert_retry' : 'bops_event_insert',
      text,
      values: [
        JSON.stringify(
          items.map((p) => ({ d: p.device.deviceId, e: p.event.id, t: p.event.type, ts: p.event.ts, ra: p.receivedAt, j: p.event.data })),
        ),
        this.o.instanceId ?? null,
      ],
      // a database that stops answering (not refusing) must also end in a retry, not a hang
      query_timeout: this.queryTimeoutMs,
    } as pg.QueryConfig);
    return new Set(r.rows.map((row) => `${row.deviceId}\u0000${row.eventId}`));
  }
}

/**
 * The ids of recently seen events (bounded, oldest forgotten first): lets the live feed skip a
 * redelivery without waiting for the database. The database's unique key stays the authority.
 *
 * Oldest-first eviction goes through a ring of the keys, not `set.values().next()`: V8's hash
 * sets keep deleted entries as holes until the next rehash, and an iterator walks every hole
 * before the first live key. Evicting that way cost 0.7 µs per event until the 100,000th and
 * then climbed to ~90 µs (issue 12: the QoS1 ceiling fell from 18k to 5k events/s once a hub had
 * stored 100k events, acceptEvent 20 % of its CPU in the profile).
 */
export class RecentEventIds {
  /**
   * Event ids by device: looking up (device, id) needs no `${deviceId}\0${eventId}` key built,
   * flattened and hashed per event (that string key was 4.3 % of the hub's CPU at the QoS1
   * ceiling, issue 12). A device whose ids were all forgotten keeps its empty set (bounded by the
   * fleet).
   */
  private readonly byDevice = new Map<string, Set<string>>();
  /** the eviction ring, side by side: each remembered id and its device's set; once full, `next` is the oldest */
  private readonly ringSets: Array<Set<string>> = [];
  private readonly ringIds: string[] = [];
  private next = 0;

  constructor(private readonly max = 100_000) {}

  /** true the first time (deviceId, eventId) is offered within the window */
  firstTime(deviceId: string, eventId: string): boolean {
    let ids = this.byDevice.get(deviceId);
    if (!ids) this.byDevice.set(deviceId, (ids = new Set()));
    else if (ids.has(eventId)) return false;
    ids.add(eventId);
    if (this.ringIds.length < this.max) {
      this.ringSets.push(ids);
      this.ringIds.push(eventId);
    } else {
      this.ringSets[this.next]!.delete(this.ringIds[this.next]!);
      this.ringSets[this.next] = ids;
      this.ringIds[this.next] = eventId;
      this.next = (this.next + 1) % this.max;
    }
    return true;
  }
}
