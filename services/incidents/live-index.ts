// The live incident snapshots (open, or closed within the flapping window) with the indexes
// that the hot paths look them up by (issue 12 "performance": an incident storm). A site-wide
// power or network outage opens a device fault and a repair work order for every life-safety
// device at once; bench/incident-storm.ts measured every status change, device event and
// transition then paying a scan of ALL live incidents: routing a status change (which incidents
// follow this device), routing a device event (which incidents are in this building) and the
// scheduler's "when is the next timer due" after every transition.
//
// Why the index lives here and not in the engine or the procedure definitions: the engine is
// pure and takes the incidents to consider as an argument (services/core/procedure/engine.ts),
// so narrowing that argument needs no change to it; and every procedure that follows a device's
// status follows the device named in the incident's own `deviceId` (ProcedureDef.wantsStatus,
// which the engine now also checks), so that field is the key — no procedure has to declare
// anything new. This class is the one place the live map changes, so the indexes cannot drift
// from it.
import { DeadlineHeap } from '../core/deadlines.js';
import { nextDueAt, type IncidentSnapshot } from '../core/procedure/index.js';

export class LiveSnapshots {
  private readonly byId = new Map<string, IncidentSnapshot>();
  /** OPEN incidents by the device whose status they follow (`deviceId`) */
  private readonly byDevice = new Map<string, Set<string>>();
  /** live incidents by building (routing and dedup consider the building's incidents) */
  private readonly byBuilding = new Map<string, Set<string>>();
  /** each open incident's earliest running timer */
  private readonly due = new DeadlineHeap<string>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): IncidentSnapshot | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** A copy: the caller may change the set while iterating. */
  values(): IncidentSnapshot[] {
    return [...this.byId.values()];
  }

  /**
   * Add or replace (a transition's next snapshot). An entry that stays keeps its place, so a
   * lookup lists incidents in the order they became live, as the one map did before.
   */
  set(s: IncidentSnapshot): void {
    const prev = this.byId.get(s.id);
    this.byId.set(s.id, s);
    if (prev && prev.buildingId !== s.buildingId) remove(this.byBuilding, prev.buildingId, s.id);
    add(this.byBuilding, s.buildingId, s.id);
    const was = prev ? following(prev) : null;
    const now = following(s);
    if (was !== null && was !== now) remove(this.byDevice, was, s.id);
    if (now !== null) add(this.byDevice, now, s.id);
    this.due.set(s.id, nextDueAt(s));
  }

  delete(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    this.unindex(s);
    this.byId.delete(id);
  }

  /** The open incidents following this device's status. */
  following(deviceId: string): IncidentSnapshot[] {
    return this.lookup(this.byDevice.get(deviceId));
  }

  inBuilding(buildingId: string): IncidentSnapshot[] {
    return this.lookup(this.byBuilding.get(buildingId));
  }

  /** The earliest running timer of any live incident (null: none). */
  nextDueAt(): number | null {
    return this.due.next();
  }

  /**
   * Ids of the incidents with a timer due at `now`, earliest first — taken out of the deadline
   * index: the caller feeds their timers and then calls `retime` for each, which puts back the
   * snapshot's next deadline (the same one when the firing failed: tried again next tick).
   */
  takeDue(now: number): string[] {
    return this.due.takeDue(now);
  }

  retime(id: string): void {
    const s = this.byId.get(id);
    if (s) this.due.set(id, nextDueAt(s));
  }

  private lookup(ids: Set<string> | undefined): IncidentSnapshot[] {
    return ids ? [...ids].map((id) => this.byId.get(id)!) : [];
  }

  private unindex(s: IncidentSnapshot): void {
    remove(this.byBuilding, s.buildingId, s.id);
    const d = following(s);
    if (d !== null) remove(this.byDevice, d, s.id);
    this.due.delete(s.id);
  }
}

/** The device whose status an incident follows: its own, while it is open. */
function following(s: IncidentSnapshot): string | null {
  return s.open && s.deviceId ? s.deviceId : null;
}

/** (adding an id already there keeps its place: Set insertion order) */
function add(m: Map<string, Set<string>>, k: string, id: string): void {
  const set = m.get(k);
  if (set) set.add(id);
  else m.set(k, new Set([id]));
}

function remove(m: Map<string, Set<string>>, k: string, id: string): void {
  const set = m.get(k);
  if (!set) return;
  set.delete(id);
  if (!set.size) m.delete(k);
}
