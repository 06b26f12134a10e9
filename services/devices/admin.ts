// Administrative changes to devices (provision, rotate a secret, enable/disable), each with its
// audit row (AuditLog: who, what, when). The routes validate and authorise; this service does
// the change and the audit, so no route writes to the database itself.
import type { CreateDeviceBody } from '../../contracts/api.js';
import type { Db } from '../core/db.js';
import type { DeviceRecord, DeviceRegistry } from './registry.js';

export class DeviceAdmin {
  constructor(
    private readonly db: Db,
    private readonly registry: DeviceRegistry,
  ) {}

  private audit(userId: string, action: string, deviceId: string, data: Record<string, string> = {}): Promise<unknown> {
    return this.db.auditLog.create({ data: { actor: `user:${userId}`, action, target: `device:${deviceId}`, data } });
  }

  /** A new device; its secret is returned once and stored only hashed. */
  async provision(userId: string, body: CreateDeviceBody): Promise<{ id: string; secret: string }> {
    const r = await this.registry.provision(body);
    await this.audit(userId, 'device.provision', r.id, { class: body.class, building: body.building });
    return r;
  }

  async rotateSecret(userId: string, id: string): Promise<string> {
    const secret = await this.registry.rotateSecret(id);
    await this.audit(userId, 'device.rotate_secret', id);
    return secret;
  }

  async setEnabled(userId: string, id: string, enabled: boolean): Promise<DeviceRecord> {
    const d = await this.registry.setEnabled(id, enabled);
    await this.audit(userId, enabled ? 'device.enable' : 'device.disable', d.deviceId);
    return d;
  }
}
