// Device registry: the identities the broker authenticates against, plus each device's live
// state. Kept in memory (every CONNECT and PUBLISH consults it) and written through to
// PostgreSQL; online state and last-seen are flushed in batches so a chatty fleet does not
// turn every telemetry message into an UPDATE.
import type { DeviceClass, OnlineState } from '../../contracts/domain.js';
import type { CreateDeviceBody, DeviceView } from '../../contracts/api.js';
import type { RejectReason } from '../../contracts/mqtt.js';
import type { DeviceRef } from '../core/bus.js';
import { hashDeviceSecret, newSecret, verifyDeviceSecret } from '../core/crypto.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface DeviceRecord extends DeviceRef {
  name: string;
  floors: number[];
  meta: Record<string, unknown>;
  secretHash: string;
  enabled: boolean;
  state: OnlineState;
  lastSeenAt: number | null;
  lastTelemetry: Record<string, number | boolean | string> | null;
  /** maintenance mode (PROCEDURES.md "Device health"); expired once `until` passes */
  maintenance?: MaintenanceWindow | null;
}

export interface MaintenanceWindow {
  id: string;
  reason: string;
  by: string;
  byName: string | null;
  since: number;
  until: number;
}

// Prisma cannot name an enum member "fire-panel"; the DB enum value is "fire-panel" (@map).
const toDbClass = (c: DeviceClass) => (c === 'fire-panel' ? 'fire_panel' : c);
const fromDbClass = (c: string): DeviceClass => (c === 'fire_panel' ? 'fire-panel' : (c as DeviceClass));

export interface RegistryOptions {
  /**
   * Scale-out (docs/scale-out.md): the online state in PostgreSQL is shared by every instance
   * and written by the one holding the device's connection. A starting instance then keeps it
   * (devices connected to other instances stay online) instead of resetting every device.
   */
  shared?: boolean;
  /** the hub's clock (maintenance windows, out-of-service times); default the real one */
  now?: () => number;
}

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceRecord>();
  /** called after an administrative change of a device (provision, enable/disable, secret, service) */
  private readonly changeListeners: Array<(d: DeviceRecord) => void> = [];
  /** building id → display name, for views */
  private readonly buildingNames = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  /** the hub's clock (RegistryOptions.now) */
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly flushMs = 2000,
    private readonly opts: RegistryOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Listen for administrative changes made through this instance (scale-out: tell the others). */
  onChanged(fn: (d: DeviceRecord) => void): void {
    this.changeListeners.push(fn);
  }

  private changed(d: DeviceRecord): void {
    for (const fn of this.changeListeners) fn(d);
  }

  private fromRow(r: Awaited<ReturnType<Db['device']['findMany']>>[number], state: OnlineState): DeviceRecord {
    return {
      deviceId: r.id,
      site: r.siteId,
      building: r.buildingId,
      class: fromDbClass(r.class),
      name: r.name,
      floors: r.floors,
      meta: (r.meta ?? {}) as Record<string, unknown>,
      secretHash: r.secretHash,
      enabled: r.enabled,
      state,
      lastSeenAt: r.lastSeenAt?.getTime() ?? null,
      lastTelemetry: (r.lastTelemetry as DeviceRecord['lastTelemetry']) ?? null,
    };
  }

  /**
   * Scale-out: re-read one device after another instance changed it (provisioned, disabled, a
   * new secret). The online state stays as this instance knows it. Returns the record, or
   * undefined when the device no longer exists.
   */
  async reload(id: string): Promise<DeviceRecord | undefined> {
    const r = await this.db.device.findUnique({ where: { id } });
    const cur = this.devices.get(id);
    if (!r) {
      this.devices.delete(id);
      return undefined;
    }
    const b = await this.db.building.findUnique({ where: { id: r.buildingId }, select: { id: true, name: true } });
    if (b) this.buildingNames.set(b.id, b.name);
    const next = this.fromRow(r, cur?.state ?? r.state);
    if (cur) {
      // the broker and the views hold this object: update it in place
      const { state: _s, lastSeenAt: _l, lastTelemetry: _t, ...rest } = next;
      Object.assign(cur, rest);
      return cur;
    }
    this.devices.set(id, next);
    return next;
  }

  /** Scale-out: re-read every device's identity and the shared online state (after a missed notice). */
  async reloadAll(): Promise<void> {
    for (const b of await this.db.building.findMany({ select: { id: true, name: true } })) this.buildingNames.set(b.id, b.name);
    const rows = await this.db.device.findMany();
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.id);
      const cur = this.devices.get(r.id);
      if (!cur) {
        this.devices.set(r.id, this.fromRow(r, r.state));
        continue;
      }
      const { lastSeenAt: _l, lastTelemetry: _t, ...rest } = this.fromRow(r, this.dirty.has(r.id) ? cur.state : r.state);
      Object.assign(cur, rest);
    }
    for (const id of this.devices.keys()) if (!seen.has(id)) this.devices.delete(id);
  }

  /**
   * Scale-out: the state the instance holding the device's connection reported. Not written
   * back from here (that instance writes it). Returns true when it changed.
   */
  applyRemoteState(id: string, state: OnlineState, ts: number): boolean {
    const d = this.devices.get(id);
    if (!d) return false;
    d.lastSeenAt = Math.max(d.lastSeenAt ?? 0, ts);
    if (d.state === state) return false;
    d.state = state;
    return true;
  }

  async start(): Promise<void> {
    for (const b of await this.db.building.findMany({ select: { id: true, name: true } })) this.buildingNames.set(b.id, b.name);
    const rows = await this.db.device.findMany();
    for (const r of rows) {
      if (this.opts.shared) {
        // Scale-out: other instances hold connections; their devices keep their state (the
        // broker's owner sweep marks lost what nobody holds any more).
        this.devices.set(r.id, this.fromRow(r, r.state));
        continue;
      }
      // Nobody is connected to a broker that just started: every device begins offline.
      this.devices.set(r.id, this.fromRow(r, 'offline'));
      if (r.state !== 'offline') this.dirty.add(r.id);
    }
    // One line when flushing starts failing (database down) and one when it works again, not one
    // per interval: the state is kept in memory meanwhile and written by the first flush that works.
    let failing = false;
    const tick = () =>
      this.flush().then(
        () => {
          if (failing) this.log.info('device state flush works again');
          failing = false;
        },
        (err: Error) => {
          if (!failing)
            this.log.error({ err: err.message }, 'device state flush failed; retrying every interval until the database is back');
          failing = true;
        },
      );
    this.timer = setInterval(() => void tick(), this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  get(id: string): DeviceRecord | undefined {
    return this.devices.get(id);
  }

  /** The device's maintenance window if it is still running at `now` (expiry needs no timer). */
  maintenanceOf(id: string, now: number): MaintenanceWindow | null {
    const m = this.devices.get(id)?.maintenance;
    return m && m.until > now ? m : null;
  }

  /** `announce`: a person changed it here (live push, other instances told); not when loading. */
  setMaintenance(id: string, m: MaintenanceWindow | null, announce = false): void {
    const d = this.devices.get(id);
    if (!d) return;
    d.maintenance = m;
    if (announce) this.changed(d);
  }

  all(): DeviceRecord[] {
    return [...this.devices.values()];
  }

  inBuilding(building: string, cls?: DeviceClass): DeviceRecord[] {
    return this.all().filter((d) => d.building === building && (!cls || d.class === cls));
  }

  /** The display name of a device or building (message parameters render names, not ids). */
  placeName(what: 'device' | 'building', id: string): string | undefined {
    return what === 'device' ? this.devices.get(id)?.name : this.buildingNames.get(id);
  }

  /** A building was created or renamed (admin): device views show its name. */
  setBuildingName(id: string, name: string): void {
    this.buildingNames.set(id, name);
  }

  /** CONNECT check: clientId = username = device id, password = secret (CONTRACT.md "Identity"). */
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): DeviceRecord | RejectReason {
    const d = this.devices.get(username ?? '');
    if (!d) return 'auth_unknown_device';
    if (clientId !== username) return 'auth_client_id_mismatch';
    if (!password || !verifyDeviceSecret(password.toString('utf8'), d.secretHash)) return 'auth_bad_secret';
    if (!d.enabled) return 'auth_disabled';
    return d;
  }

  async provision(body: CreateDeviceBody): Promise<{ id: string; secret: string }> {
    if (this.devices.has(body.id)) throw errors.deviceExists(`device ${body.id} already exists`);
    const building = await this.db.building.findUnique({ where: { id: body.building } });
    if (!building || building.siteId !== body.site) {
      throw errors.badRequest(`building ${body.building} does not exist in site ${body.site}`);
    }
    this.buildingNames.set(building.id, building.name);
    const secret = newSecret();
    const secretHash = hashDeviceSecret(secret);
    const name = body.name ?? body.id;
    const floors = body.floors ?? [];
    const meta = body.meta ?? {};
    await this.db.device.create({
      data: {
        id: body.id,
        siteId: body.site,
        buildingId: body.building,
        class: toDbClass(body.class),
        name,
        floors,
        meta,
        secretHash,
      },
    });
    this.devices.set(body.id, {
      deviceId: body.id,
      site: body.site,
      building: body.building,
      class: body.class,
      name,
      floors,
      meta,
      secretHash,
      enabled: true,
      state: 'offline',
      lastSeenAt: null,
      lastTelemetry: null,
    });
    this.changed(this.devices.get(body.id)!);
    return { id: body.id, secret };
  }

  /** Issue a new secret (the old one stops working at the device's next connect). */
  async rotateSecret(id: string): Promise<string> {
    const d = this.devices.get(id);
    if (!d) throw errors.deviceUnknown(`no device ${id}`);
    const secret = newSecret();
    d.secretHash = hashDeviceSecret(secret);
    await this.db.device.update({ where: { id }, data: { secretHash: d.secretHash } });
    this.changed(d);
    return secret;
  }

  async setEnabled(id: string, enabled: boolean): Promise<DeviceRecord> {
    const d = this.devices.get(id);
    if (!d) throw errors.deviceUnknown(`no device ${id}`);
    d.enabled = enabled;
    await this.db.device.update({ where: { id }, data: { enabled } });
    this.changed(d);
    return d;
  }

  /**
   * In/out of service as the procedures decide (an elevator stays out of service after an
   * entrapment until the contractor signs it fit, PROCEDURES.md §1.6). Kept in meta.outOfService.
   */
  async setService(id: string, inService: boolean, reason: string): Promise<void> {
    const d = this.devices.get(id);
    if (!d) return;
    const { outOfService: _old, ...rest } = d.meta;
    d.meta = inService ? rest : { ...rest, outOfService: { reason, since: this.now() } };
    await this.db.device.update({ where: { id }, data: { meta: d.meta as object } });
    this.changed(d);
  }

  /** Returns true when the state actually changed (so callers push only changes). */
  setState(id: string, state: OnlineState, ts: number): boolean {
    const d = this.devices.get(id);
    if (!d) return false;
    d.lastSeenAt = Math.max(d.lastSeenAt ?? 0, ts);
    this.dirty.add(id);
    if (d.state === state) return false;
    d.state = state;
    return true;
  }

  seen(id: string, ts: number, metrics?: Record<string, number | boolean | string>): void {
    const d = this.devices.get(id);
    if (!d) return;
    d.lastSeenAt = ts;
    // merged in place: this runs for every telemetry message of the fleet
    if (metrics) d.lastTelemetry = d.lastTelemetry ? Object.assign(d.lastTelemetry, metrics) : { ...metrics };
    this.dirty.add(id);
  }

  view(d: DeviceRecord): DeviceView {
    return {
      id: d.deviceId,
      site: d.site,
      building: d.building,
      buildingName: this.buildingNames.get(d.building) ?? d.building,
      class: d.class,
      name: d.name,
      floors: d.floors,
      meta: d.meta,
      enabled: d.enabled,
      state: d.state,
      lastSeenAt: d.lastSeenAt,
      lastTelemetry: d.lastTelemetry,
      maintenance: (() => {
        const m = this.maintenanceOf(d.deviceId, this.now());
        return m ? { reason: m.reason, by: m.by, byName: m.byName, since: m.since, until: m.until } : null;
      })(),
    };
  }

  private flushing: Promise<void> | null = null;

  /** Persist changed online state / last-seen / latest telemetry in one statement. */
  async flush(): Promise<void> {
    // Serialise: an overlapping flush would update the same rows concurrently.
    while (this.flushing) await this.flushing;
    if (this.dirty.size === 0) return;
    const list = [...this.dirty].map((id) => this.devices.get(id)).filter((d): d is DeviceRecord => !!d);
    this.dirty.clear();
    this.flushing = this.db
      .$executeRawUnsafe(
        `UPDATE "Device" AS d
            SET "state" = x.state::"OnlineState", "lastSeenAt" = x.seen, "lastTelemetry" = COALESCE(x.tel::jsonb, d."lastTelemetry")
           FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS x(id, state, seen, tel)
          WHERE d.id = x.id`,
        list.map((d) => d.deviceId),
        list.map((d) => d.state),
        list.map((d) => (d.lastSeenAt ? new Date(d.lastSeenAt).toISOString() : null)),
        list.map((d) => (d.lastTelemetry ? JSON.stringify(d.lastTelemetry) : null)),
      )
      .then(
        () => undefined,
        (err: unknown) => {
          for (const d of list) this.dirty.add(d.deviceId); // keep them for the next flush
          throw err;
        },
      )
      .finally(() => {
        this.flushing = null;
      });
    await this.flushing;
  }
}
