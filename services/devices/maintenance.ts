// Maintenance mode 维保模式 (PROCEDURES.md "Device health": a device under maintenance — who,
// why, until when — raises no faults). Admin and supervisor roles; every start and end is
// audited. The window is kept on the registry record, so the fault watchers and the incident
// service check it in memory; it expires by itself when `until` passes (no timer: every check
// compares with the clock), and the row keeps the history.
import type { MaintenanceBody } from '../../contracts/api.js';
import type { Scope } from '../auth/scope.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { DeviceAdmin } from './admin.js';
import type { DeviceRecord, DeviceRegistry } from './registry.js';

/** Longest window one decision may set (a forgotten maintenance mode must not hide faults for ever). */
export const MAX_MAINTENANCE_MS = 30 * 86_400_000;

export class MaintenanceService {
  constructor(
    private readonly db: Db,
    private readonly registry: DeviceRegistry,
    private readonly admin: DeviceAdmin,
    private readonly now: () => number,
  ) {}

  /** Load the windows still running (hub start). */
  async start(): Promise<void> {
    await this.load();
  }

  /**
   * Scale-out: re-read one device's running window after another instance set or ended it
   * (docs/scale-out.md), so this instance's fault watchers suppress — or stop suppressing — too.
   */
  async reload(deviceId: string): Promise<void> {
    this.registry.setMaintenance(deviceId, null);
    await this.load(deviceId);
  }

  private async load(deviceId?: string): Promise<void> {
    const rows = await this.db.deviceMaintenance.findMany({
      where: { endedAt: null, until: { gt: new Date(this.now()) }, ...(deviceId ? { deviceId } : {}) },
      orderBy: { startedAt: 'asc' },
    });
    const names = await this.names(rows.map((r) => r.startedBy));
    for (const r of rows)
      this.registry.setMaintenance(r.deviceId, {
        id: r.id,
        reason: r.reason,
        by: r.startedBy,
        byName: names.get(r.startedBy) ?? null,
        since: r.startedAt.getTime(),
        until: r.until.getTime(),
      });
  }

  async begin(userId: string, scope: Scope, deviceId: string, body: MaintenanceBody): Promise<DeviceRecord> {
    const d = this.admin.get(scope, deviceId);
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
    this.registry.setMaintenance(
      deviceId,
      { id: row.id, reason: row.reason, by, byName: names.get(by) ?? null, since: now, until: body.until },
      true,
    );
    return d;
  }

  async end(userId: string, scope: Scope, deviceId: string): Promise<DeviceRecord> {
    const d = this.admin.get(scope, deviceId);
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
