// Scale-out: a device provisioned through one instance may be administered through another
// before that one's registry has heard of it (the notice travels by Redis pub/sub). The admin
// service reads such a device from the database instead of answering 404 — the scale-out test
// "provisioned through B … disabled through C" failed that way once under CI load. Here the
// "other instance" is a second registry on the same database that never receives a notice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scope } from '../../services/auth/scope.js';
import { createLogger } from '../../services/core/logger.js';
import { DeviceAdmin } from '../../services/devices/admin.js';
import { DeviceRegistry } from '../../services/devices/registry.js';
import { provision, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';

describe('device administration through an instance that has not heard of the device yet', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
    await seedPlace(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reads it from the database: found, disabled, and a missing id is still 404', async () => {
    const other = new DeviceRegistry(t.hub.db, createLogger('silent', 'other-instance'), 0, { shared: true });
    const admin = new DeviceAdmin(t.hub.db, other);
    await provision(t, 'el-late', 'elevator');
    expect(other.get('el-late')).toBeUndefined();

    expect((await admin.get(Scope.ALL, 'el-late')).building).toBe('bldg-1');
    const d = await admin.setEnabled('u-1', Scope.ALL, 'el-late', false);
    expect(d.enabled).toBe(false);
    expect((await t.hub.db.device.findUnique({ where: { id: 'el-late' } }))?.enabled).toBe(false);
    await expect(admin.get(Scope.ALL, 'el-none')).rejects.toMatchObject({ code: 'HUB_ERR_DEVICE_UNKNOWN' });
  });
});
