// The demo estate is just data loaded through the admin services (issue 8 §7): sites,
// buildings, the owners CSV import, staff accounts, contacts and the calendar — audited as
// the demo seed — and a second start changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../services/hub/demo.js';
import { login, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => t?.close());

describe('demo seed', () => {
  it('loads the estate through the admin services, and again without changes', async () => {
    const first = await seedDemo(t.hub);
    expect(first.users.map((u) => u.username).sort()).toEqual(['frontdesk', 'operator', 'supervisor']);
    for (const u of first.users) expect((await login(t, u.username, u.password)).status).toBe(200);
    expect(await t.hub.db.unit.count()).toBe(8);
    expect((await t.hub.contacts.contactsFor('demo-a', 'elevator_maintenance')).map((c) => c.phone24h)[0]).toBe('400-820-1234');
    expect(t.hub.settings.calendar().holidays).toContain('2026-02-17');
    expect(t.hub.settings.calendar().workdays).toContain('2026-02-28');
    const actions = (await t.hub.db.auditLog.findMany({ where: { actor: 'system:demo' } })).map((a) => a.action);
    for (const a of ['site.create', 'building.create', 'unit.import', 'user.create', 'contact.create', 'setting.calendar'])
      expect(actions).toContain(a);
    const audits = await t.hub.db.auditLog.count();

    const second = await seedDemo(t.hub);
    expect(second.users).toEqual(first.users);
    expect(await t.hub.db.unit.count()).toBe(8);
    expect(await t.hub.db.contact.count()).toBe(6);
    expect(await t.hub.db.auditLog.count()).toBe(audits);
  });
});
