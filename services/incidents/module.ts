// What a procedure brings to the incident service besides its pure machine and labels: the
// IO it needs (facts loaded when it opens, answers to its queries, rows written with each
// transition, watchers that open incidents from something other than a device event) and its
// view (the details panel). Each procedure exports one `ProcedureModule` from
// services/<folder>/index.ts; the composition root lists them (services/hub/procedures.ts).
import type { Prisma } from '../../prisma/generated/client.js';
import type { IncidentKind, OnlineState } from '../../contracts/domain.js';
import type { Fact } from '../../contracts/messages.js';
import type { EventBus, BusEvents } from '../core/bus.js';
import type { Db } from '../core/db.js';
import type { Logger } from '../core/logger.js';
import type { IncidentSnapshot, Json, Procedure, Trigger, Types } from '../core/procedure/index.js';
import type { DeviceRegistry } from '../devices/registry.js';

/** Shared clients a procedure's IO hooks may use (injected; nothing is imported as a singleton). */
export interface ProcedureDeps {
  db: Db;
  bus: EventBus;
  registry: DeviceRegistry;
  log: Logger;
  now: () => number;
  /** open incidents known to the service (in memory) */
  openIncidents(): IncidentSnapshot[];
}

/** Long-lived helper that opens incidents from something other than one device event. */
export interface Watcher {
  /** a device's link state changed (called inside the service's queue) */
  onStatus?(e: BusEvents['device.status']): Promise<void>;
  /** when `tick` should run next (null: nothing pending) */
  nextCheckAt(): number | null;
  tick(now: number): Promise<void>;
}

/** What a watcher may do with the service. */
export interface WatcherApi {
  deps: ProcedureDeps;
  /** route a trigger of this kind (dedup, open) as one queued transition */
  trigger(kind: IncidentKind, trigger: Trigger): Promise<void>;
  /**
   * feed a device's link-health state to the open incidents that follow it (as a bus
   * `device.status` would), e.g. a silent device talking again
   */
  status(deviceId: string, state: OnlineState): Promise<void>;
  /**
   * a hub-originated (`system: true`) action on an open incident, e.g. a telemetry rule's value
   * back inside its limits (called from the watcher's tick: already inside the service's queue)
   */
  system(incidentId: string, action: string, payload: unknown): Promise<void>;
  /** re-plan the scheduler after the watcher's next check time changed */
  reschedule(): void;
}

export interface ProcedureModule<T extends Types = Types> extends Procedure<T> {
  /** facts the machine needs when it opens (the engine never queries anything itself) */
  context?(deps: ProcedureDeps, at: { buildingId: string; trigger: Trigger }): Promise<T['context']>;
  /** answers to the machine's `{type:'query'}` effects, fed back as a system action */
  queries?: Record<string, (deps: ProcedureDeps, params: Json, s: IncidentSnapshot) => Promise<unknown> | unknown>;
  /**
   * Rows of this kind written in the transition's own transaction (e.g. the Visit row of a
   * visitor incident); the returned function runs after the commit (e.g. a live push).
   */
  persist?(
    deps: ProcedureDeps,
    tx: Prisma.TransactionClient,
    s: IncidentSnapshot,
    prev: IncidentSnapshot | null,
    now: number,
  ): Promise<(() => void) | void>;
  /** the details panel of an incident of this kind */
  facts?(s: IncidentSnapshot, data: T['data']): Fact[];
  /**
   * Personal data in incidents of this kind (seed 002; PROCEDURES.md "Privacy"): the keys that
   * hold a person's name anywhere in data, step data, timeline data, titles and notices, and
   * the subject an access is logged under. Roles that do not work this procedure see them
   * masked; every unmasked read is logged (who, why, when).
   */
  personal?: { keys: readonly string[]; subject(incidentId: string): string };
  /**
   * A trigger this procedure does not open an incident for right now (e.g. a device in
   * maintenance mode raises no faults). Checked only before opening: repeats into an incident
   * already open still append.
   */
  suppressOpen?(deps: ProcedureDeps, trigger: Trigger): boolean;
  /** watchers this procedure runs (e.g. the life-safety link guard of device faults) */
  watchers?(api: WatcherApi): Watcher[];
}
