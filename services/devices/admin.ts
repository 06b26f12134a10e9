// Administrative changes to devices (provision, rotate a secret, enable/disable), each with its
// audit row (AuditLog: who, what, when). The routes validate and authorise; this service does
// the change and the audit, so no route writes to the database itself.
import type { CreateDeviceBody } from '../../contracts/api.js';
import type { DeviceClass } from '../../contracts/domain.js';
import type { Scope } from '../auth/scope.js';
import type { Db } from '../core/db.js';
import { errors } from '../core/errors.js';
import type { DeviceRecord, DeviceRegistry } from './registry.js';

export class DeviceAdmin {
  constructor(
    private readonly db: Db,
    private readonly registry: DeviceRegistry,
  ) {}

  private audit(userId: string, action: string, deviceId: string, data: Record<string, string> = {}): Promise<unknown> {
    return this.db.auditLog.create({ data: { actor: `user:${userId}`, action, target: `device:${deviceId}`, data } });
  }

  /** The devices this scope may see (services/auth/scope.ts), by building, class and id. */
  list(scope: Scope, q: { building?: string | undefined; class?: DeviceClass | undefined } = {}): DeviceRecord[] {
    return this.registry
      .all()
      .filter((d) => scope.allows(d.building) && (!q.building || d.building === q.building) && (!q.class || d.class === q.class))
      .sort((a, b) => a.building.localeCompare(b.building) || a.class.localeCompare(b.class) || a.deviceId.localeCompare(b.deviceId));
  }

  /**
   * One device; another building's device is unknown (404), like a missing id. One this instance
   * has not heard of is read from the database first: provisioned through another instance a
   * moment ago, its notice may still be on its way here (Redis pub/sub) — the broker does the
   * same for a CONNECT (broker/index.ts authenticate).
   */
  async get(scope: Scope, id: string): Promise<DeviceRecord> {
    const d = this.registry.get(id) ?? (await this.registry.reload(id));
    if (!d || !scope.allows(d.building)) throw errors.deviceUnknown(`no device ${id}`);
    return d;
  }

  /** A new device; its secret is returned once and stored only hashed. */
  async provision(userId: string, scope: Scope, body: CreateDeviceBody): Promise<{ id: string; secret: string }> {
    // a building outside the scope is answered like one that does not exist
    if (!scope.allows(body.building)) throw errors.badRequest(`building ${body.building} does not exist in site ${body.site}`);
    const r = await this.registry.provision(body);
    await this.audit(userId, 'device.provision', r.id, { class: body.class, building: body.building });
    return r;
  }

  async rotateSecret(userId: string, scope: Scope, id: string): Promise<string> {
    await this.get(scope, id);
    const secret = await this.registry.rotateSecret(id);
    await this.audit(userId, 'device.rotate_secret', id);
    return secret;
  }

  async setEnabled(userId: string, scope: Scope, id: string, enabled: boolean): Promise<DeviceRecord> {
    await this.get(scope, id);
    const d = await this.registry.setEnabled(id, enabled);
    await this.audit(userId, enabled ? 'device.enable' : 'device.disable', d.deviceId);
    return d;
  }
}
