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
    for (const a of [
      'site.create',
      'building.create',
      'unit.import',
      'user.create',
      'contact.create',
      'setting.calendar',
      'telemetry_rule.create',
    ])
      expect(actions).toContain(a);
    // the voltage rule the device-health drill trips (PROCEDURES.md "Device health"), evaluated from the start
    expect(await t.hub.db.telemetryRule.findMany({ select: { deviceClass: true, metric: true, low: true, high: true } })).toEqual([
      { deviceClass: 'power', metric: 'voltage_v', low: 353, high: 407 },
    ]);
    expect(t.hub.ruleEvaluator.rules.map((r) => r.metric)).toEqual(['voltage_v']);
    const audits = await t.hub.db.auditLog.count();

    const second = await seedDemo(t.hub);
    expect(second.users).toEqual(first.users);
    expect(await t.hub.db.unit.count()).toBe(8);
    expect(await t.hub.db.contact.count()).toBe(6);
    expect(await t.hub.db.telemetryRule.count()).toBe(1);
    expect(await t.hub.db.auditLog.count()).toBe(audits);

    // names of earlier demo versions ("A 栋 Tower A") become Chinese only on the next start
    // (issue 14); a name someone chose stays
    await t.hub.db.building.update({ where: { id: 'demo-a' }, data: { name: 'A 栋 Tower A' } });
    await t.hub.db.building.update({ where: { id: 'demo-b' }, data: { name: 'B 座(已改名)' } });
    await t.hub.db.site.update({ where: { id: 'demo' }, data: { name: '示范小区 Demo Estate' } });
    await seedDemo(t.hub);
    const names = Object.fromEntries((await t.hub.db.building.findMany()).map((b) => [b.id, b.name]));
    expect(names).toMatchObject({ 'demo-a': 'A 栋', 'demo-b': 'B 座(已改名)' });
    expect((await t.hub.db.site.findUnique({ where: { id: 'demo' } }))?.name).toBe('示范小区');
    expect(t.hub.registry.placeName('building', 'demo-a')).toBe('A 栋');
  });
});
