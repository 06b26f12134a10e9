// Maintenance mode 维保模式 (PROCEDURES.md "Device health": a device under maintenance — who,
// why, until when — raises no faults). Admin and supervisor roles; every start and end is
// audited. The window is kept on the registry record, so the fault watchers and the incident
// service check it in memory and compare with the clock (suppression needs no timer). What does
// need one is telling the dashboards when a window runs out by itself: without a push their
// tiles kept the maintenance line until the next change. Each instance arms a timer for the
// windows it holds (re-armed at start and on every reload, so a restart loses none); at expiry
// the instance that closes the row (`endedAt IS NULL` → `until`, one UPDATE, so exactly one in
// a cluster) announces it: the local `device:changed` push (socket.io's adapter reaches every
// dashboard) and the `device.changed` notice to the others, which re-read and find no window.
import type { MaintenanceBody } from '../../contracts/api.js';
import type { Scope } from '../auth/scope.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { DeviceAdmin } from './admin.js';
import type { DeviceRecord, DeviceRegistry } from './registry.js';

/** Longest window one decision may set (a forgotten maintenance mode must not hide faults for ever). */
export const MAX_MAINTENANCE_MS = 30 * 86_400_000;
/** setTimeout holds at most 2^31-1 ms (≈ 24.8 days); a longer wait is re-armed in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** who ended a window that ran out by itself (DeviceMaintenance.endedBy) */
export const EXPIRED_BY = 'system:expired';

export class MaintenanceService {
  constructor(
    private readonly db: Db,
    private readonly registry: DeviceRegistry,
    private readonly admin: DeviceAdmin,
    private readonly now: () => number,
  ) {}

  /** per device: the expiry timer of its running window */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  /** Load the windows still running (hub start), arm their expiry, and close those that ran out while the hub was down. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.load();
    const lapsed = await this.db.deviceMaintenance.findMany({
      where: { endedAt: null, until: { lte: new Date(this.now()) } },
      select: { id: true, deviceId: true },
    });
    for (const r of lapsed) await this.expire(r.deviceId, r.id);
  }

  stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    return Promise.resolve();
  }

  /**
   * Scale-out: re-read one device's running window after another instance set or ended it
   * (docs/scale-out.md), so this instance's fault watchers suppress — or stop suppressing — too.
   */
  async reload(deviceId: string): Promise<void> {
    this.registry.setMaintenance(deviceId, null);
    this.disarm(deviceId);
    await this.load(deviceId);
  }

  private disarm(deviceId: string): void {
    const t = this.timers.get(deviceId);
    if (t) clearTimeout(t);
    this.timers.delete(deviceId);
  }

  /** Wake up when the window runs out (in steps for windows longer than setTimeout can hold). */
  private arm(deviceId: string, windowId: string, until: number): void {
    this.disarm(deviceId);
    if (this.stopped) return;
    const wait = until - this.now();
    const t = setTimeout(
      () => {
        this.timers.delete(deviceId);
        if (wait > MAX_TIMEOUT_MS) this.arm(deviceId, windowId, until);
        else void this.expire(deviceId, windowId).catch(() => undefined);
      },
      Math.max(0, Math.min(wait, MAX_TIMEOUT_MS)),
    );
    t.unref();
    this.timers.set(deviceId, t);
  }

  /**
   * The window ran out: close its row unless a person (or another instance) already did, and
   * announce it only then — one push per expiry across every instance.
   */
  private async expire(deviceId: string, windowId: string): Promise<void> {
    if (this.stopped) return;
    const row = await this.db.deviceMaintenance.findUnique({ where: { id: windowId }, select: { until: true } });
    if (!row) return;
    const claimed = await this.db.deviceMaintenance.updateMany({
      where: { id: windowId, endedAt: null },
      data: { endedAt: row.until, endedBy: EXPIRED_BY },
    });
    const held = this.registry.get(deviceId)?.maintenance;
    // a newer window set meanwhile stays (its own timer is armed)
    if (held && held.id !== windowId) return;
    this.registry.setMaintenance(deviceId, null, claimed.count === 1);
  }

  private async load(deviceId?: string): Promise<void> {
    const rows = await this.db.deviceMaintenance.findMany({
      where: { endedAt: null, until: { gt: new Date(this.now()) }, ...(deviceId ? { deviceId } : {}) },
      orderBy: { startedAt: 'asc' },
    });
    const names = await this.names(rows.map((r) => r.startedBy));
    for (const r of rows) {
      this.arm(r.deviceId, r.id, r.until.getTime());
      this.registry.setMaintenance(r.deviceId, {
        id: r.id,
        reason: r.reason,
        by: r.startedBy,
        byName: names.get(r.startedBy) ?? null,
        since: r.startedAt.getTime(),
        until: r.until.getTime(),
      });
    }
  }

  async begin(userId: string, scope: Scope, deviceId: string, body: MaintenanceBody): Promise<DeviceRecord> {
    const d = await this.admin.get(scope, deviceId);
    const now = this.now();
    if (body.until <= now) throw errors.badRequest('until must be in the future');
    if (body.until > now + MAX_MAINTENANCE_MS) throw errors.badRequest('a maintenance window is at most 30 days');
    const by = `user:${userId}`;
    const before = this.registry.maintenanceOf(deviceId, now);
    const row = await this.db.$transaction(async (tx) => {
      // one window per device: a new decision replaces the running one
      if (before) await tx.deviceMaintenance.update({ where: { id: before.id }, data: { endedAt: new Date(now), endedBy: by } });
      const r = await tx.deviceMaintenance.create({
        data: { deviceId, reason: body.reason, startedBy: by, startedAt: new Date(now), until: new Date(body.until) },
      });
      await tx.auditLog.create({
        data: {
          actor: by,
          action: 'device.maintenance_start',
          target: `device:${deviceId}`,
          data: { reason: body.reason, until: new Date(body.until).toISOString(), ...(before ? { replaced: before.id } : {}) },
        },
      });
      return r;
    });
    const names = await this.names([by]);
    this.arm(deviceId, row.id, body.until);
    this.registry.setMaintenance(
      deviceId,
      { id: row.id, reason: row.reason, by, byName: names.get(by) ?? null, since: now, until: body.until },
      true,
    );
    return d;
  }

  async end(userId: string, scope: Scope, deviceId: string): Promise<DeviceRecord> {
    const d = await this.admin.get(scope, deviceId);
    const now = this.now();
    const m = this.registry.maintenanceOf(deviceId, now);
    if (!m) throw errors.conflict(`device ${deviceId} is not in maintenance`);
    const by = `user:${userId}`;
    await this.db.$transaction(async (tx) => {
      await tx.deviceMaintenance.update({ where: { id: m.id }, data: { endedAt: new Date(now), endedBy: by } });
      await tx.auditLog.create({
        data: { actor: by, action: 'device.maintenance_end', target: `device:${deviceId}`, data: { reason: m.reason } },
      });
    });
    this.disarm(deviceId);
    this.registry.setMaintenance(deviceId, null, true);
    return d;
  }

  private async names(refs: string[]): Promise<Map<string, string>> {
    const ids = refs.filter((r) => r.startsWith('user:')).map((r) => r.slice(5));
    if (!ids.length) return new Map();
    const users = await this.db.user.findMany({ where: { id: { in: ids } }, select: { id: true, displayName: true } });
    return new Map(users.map((u) => [`user:${u.id}`, u.displayName]));
  }
}
