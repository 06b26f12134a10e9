// Administration API, people half (issue 8): staff accounts (sessions end at once, HTTP and
// socket.io), contacts, settings (applied to incidents opened afterwards), the audit view.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactView, SettingsView, UserView } from '../../contracts/admin.js';
import type { IncidentDetail } from '../../contracts/incidents.js';
import { ElevatorConfig } from '../../services/elevator/machine.js';
import { FireConfig } from '../../services/fire/machine.js';
import { DEFAULT_LINK_POLICY } from '../../services/devices/machine.js';
import { ADMIN_PASSWORD, api, login, socket, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;

function ended(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let reason = '';
    s.on('session:ended', (e: { reason: string }) => (reason = e.reason));
    s.on('disconnect', () => resolve(reason));
  });
}

async function createUser(body: Record<string, unknown>) {
  return api<{ id: string; password?: string }>(t, 'POST', '/api/users', body);
}

beforeAll(async () => {
  t = await startTestHub();
  await api(t, 'POST', '/api/sites', { id: 'site-a', name: 'A 苑' });
  await api(t, 'POST', '/api/sites', { id: 'site-b', name: 'B 苑' });
  await api(t, 'POST', '/api/buildings', { id: 'a-1', site: 'site-a', name: 'A1', floors: 20 });
  await api(t, 'POST', '/api/buildings', { id: 'b-1', site: 'site-b', name: 'B1', floors: 20 });
});
afterAll(async () => t?.close());

describe('staff accounts', () => {
  it('creates an account with a generated password shown once; the user logs in with it', async () => {
    const r = await createUser({ username: 'wang.min', displayName: '王敏', role: 'operator' });
    expect(r.status).toBe(201);
    expect(r.body.password).toMatch(/^.{16}$/);
    expect((await login(t, 'wang.min', r.body.password!)).status).toBe(200);
    const list = await api<UserView[]>(t, 'GET', '/api/users');
    const u = list.body.find((x) => x.username === 'wang.min')!;
    expect(u).toMatchObject({ role: 'operator', disabled: false, buildings: [] });
    expect(JSON.stringify(list.body)).not.toMatch(/password(Hash)?"\s*:\s*"/);
    const a = await t.hub.db.auditLog.findFirstOrThrow({ where: { action: 'user.create', target: `user:${r.body.id}` } });
    expect(JSON.stringify(a.data)).not.toContain(r.body.password!);
  });

  it('takes a chosen password (not returned) and enforces the policy', async () => {
    const r = await createUser({ username: 'li.na', displayName: '李娜', role: 'frontdesk', password: 'front-desk-2026' });
    expect(r.status).toBe(201);
    expect(r.body.password).toBeUndefined();
    expect((await createUser({ username: 'short', displayName: 'x', role: 'operator', password: 'short-pw' })).status).toBe(400);
    const contains = await createUser({ username: 'zhang', displayName: 'x', role: 'operator', password: 'xxZHANGxx-2026' });
    expect(contains.status).toBe(400);
    expect((contains.body as unknown as { message: string }).message).toContain('username');
  });

  it('refuses duplicate usernames, bad usernames and roles, unknown buildings, non-admins', async () => {
    expect((await createUser({ username: 'li.na', displayName: 'x', role: 'operator' })).status).toBe(409);
    expect((await createUser({ username: 'Li Na', displayName: 'x', role: 'operator' })).status).toBe(400);
    expect((await createUser({ username: 'zhao', displayName: 'x', role: 'root' })).status).toBe(400);
    expect((await createUser({ username: 'zhao', displayName: 'x', role: 'operator', buildings: ['nowhere'] })).status).toBe(400);
    const desk = (await login(t, 'li.na', 'front-desk-2026')).token;
    expect((await api(t, 'POST', '/api/users', { username: 'zhao', displayName: 'x', role: 'admin' }, desk)).status).toBe(403);
    expect((await api(t, 'GET', '/api/users', undefined, desk)).status).toBe(403);
    expect(await t.hub.db.user.findUnique({ where: { username: 'zhao' } })).toBeNull();
  });

  it('disabling a user ends their sessions at once: HTTP and open sockets; they cannot log in', async () => {
    const r = await createUser({ username: 'leaver', displayName: '离职员工', role: 'operator', password: 'goodbye-pass-1' });
    const token = (await login(t, 'leaver', 'goodbye-pass-1')).token;
    const s = await socket(t, '/control-room', token);
    const gone = ended(s);
    const p = await api<UserView>(t, 'PATCH', `/api/users/${r.body.id}`, { disabled: true });
    expect(p.body.disabled).toBe(true);
    expect(await gone).toBe('disabled');
    expect((await api(t, 'GET', '/api/auth/me', undefined, token)).status).toBe(401);
    expect((await login(t, 'leaver', 'goodbye-pass-1')).status).toBe(401);
    const a = await t.hub.db.auditLog.findFirstOrThrow({ where: { action: 'user.disable', target: `user:${r.body.id}` } });
    expect(a.data).toMatchObject({ before: { disabled: false }, after: { disabled: true }, sessionsEnded: 'disabled' });
    // enabling again lets them back in
    await api(t, 'PATCH', `/api/users/${r.body.id}`, { disabled: false });
    expect((await login(t, 'leaver', 'goodbye-pass-1')).status).toBe(200);
  });

  it('a role change ends the sessions; the new login carries the new role', async () => {
    const r = await createUser({ username: 'promoted', displayName: '晋升', role: 'operator', password: 'step-up-pass-1' });
    const token = (await login(t, 'promoted', 'step-up-pass-1')).token;
    const s = await socket(t, '/control-room', token);
    const gone = ended(s);
    await api(t, 'PATCH', `/api/users/${r.body.id}`, { role: 'supervisor' });
    expect(await gone).toBe('role_changed');
    expect((await api(t, 'GET', '/api/auth/me', undefined, token)).status).toBe(401);
    const again = (await login(t, 'promoted', 'step-up-pass-1')).token;
    expect((await api<{ role: string }>(t, 'GET', '/api/auth/me', undefined, again)).body.role).toBe('supervisor');
    // a name change alone keeps the session
    await api(t, 'PATCH', `/api/users/${r.body.id}`, { displayName: '主管 晋升' });
    expect((await api(t, 'GET', '/api/auth/me', undefined, again)).status).toBe(200);
  });

  it('the last active admin can be neither disabled nor demoted', async () => {
    const admin = await t.hub.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
    expect((await api(t, 'PATCH', `/api/users/${admin.id}`, { disabled: true })).status).toBe(409);
    expect((await api(t, 'PATCH', `/api/users/${admin.id}`, { role: 'operator' })).status).toBe(409);
    // with a second admin it may step down
    const second = await createUser({ username: 'admin2', displayName: '第二管理员', role: 'admin', password: 'second-pass-2026' });
    const token2 = (await login(t, 'admin2', 'second-pass-2026')).token;
    expect((await api(t, 'PATCH', `/api/users/${admin.id}`, { role: 'supervisor' }, token2)).status).toBe(200);
    // …and now admin2 is the last one
    expect((await api(t, 'PATCH', `/api/users/${second.body.id}`, { disabled: true }, token2)).status).toBe(409);
    await api(t, 'PATCH', `/api/users/${admin.id}`, { role: 'admin' }, token2);
    t.token = (await login(t, 'admin', ADMIN_PASSWORD)).token;
    expect((await api(t, 'GET', '/api/users')).status).toBe(200);
  });

  it('an admin resets a password: generated or set; the old one stops working and sessions end', async () => {
    const r = await createUser({ username: 'forgetful', displayName: '健忘', role: 'frontdesk', password: 'forgot-it-2026' });
    const token = (await login(t, 'forgetful', 'forgot-it-2026')).token;
    const reset = await api<{ password: string }>(t, 'POST', `/api/users/${r.body.id}/password`, {});
    expect(reset.status).toBe(200);
    expect((await api(t, 'GET', '/api/auth/me', undefined, token)).status).toBe(401);
    expect((await login(t, 'forgetful', 'forgot-it-2026')).status).toBe(401);
    expect((await login(t, 'forgetful', reset.body.password)).status).toBe(200);
    const set = await api<{ password?: string }>(t, 'POST', `/api/users/${r.body.id}/password`, { password: 'chosen-by-admin' });
    expect(set.body.password).toBeUndefined();
    expect((await login(t, 'forgetful', 'chosen-by-admin')).status).toBe(200);
    expect((await api(t, 'POST', `/api/users/${r.body.id}/password`, { password: 'short' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/users/00000000-0000-4000-8000-000000000000/password', {})).status).toBe(404);
  });

  it('a user changes their own password: the current one is required', async () => {
    await createUser({ username: 'self', displayName: '自助', role: 'operator', password: 'my-own-pass-26' });
    const token = (await login(t, 'self', 'my-own-pass-26')).token;
    const wrong = await api(t, 'POST', '/api/auth/password', { oldPassword: 'not-it-at-all', newPassword: 'brand-new-2026' }, token);
    expect(wrong.status).toBe(400);
    expect((await api(t, 'GET', '/api/auth/me', undefined, token)).status).toBe(200);
    // the new one must follow the policy too
    expect((await api(t, 'POST', '/api/auth/password', { oldPassword: 'my-own-pass-26', newPassword: 'self-2026-pw' }, token)).status).toBe(
      400,
    );
    expect(
      (await api(t, 'POST', '/api/auth/password', { oldPassword: 'my-own-pass-26', newPassword: 'my-own-pass-26' }, token)).status,
    ).toBe(400);
    expect(
      (await api(t, 'POST', '/api/auth/password', { oldPassword: 'my-own-pass-26', newPassword: 'brand-new-2026' }, token)).status,
    ).toBe(204);
    expect((await api(t, 'GET', '/api/auth/me', undefined, token)).status).toBe(401);
    expect((await login(t, 'self', 'brand-new-2026')).status).toBe(200);
    expect((await api(t, 'POST', '/api/auth/password', { oldPassword: 'x', newPassword: 'brand-new-2027' }, 'nope')).status).toBe(401);
  });

  it('a building scope is stored, shown on the session, and changing it ends the sessions', async () => {
    const r = await createUser({
      username: 'a-op',
      displayName: 'A 值班员',
      role: 'operator',
      password: 'estate-a-pass-1',
      buildings: ['a-1'],
    });
    const token = (await login(t, 'a-op', 'estate-a-pass-1')).token;
    expect((await api<{ buildings: string[] }>(t, 'GET', '/api/auth/me', undefined, token)).body.buildings).toEqual(['a-1']);
    const b = await api<Array<{ id: string }>>(t, 'GET', '/api/buildings', undefined, token);
    expect(b.body.map((x) => x.id)).toEqual(['a-1']);
    await api(t, 'PATCH', `/api/users/${r.body.id}`, { buildings: ['a-1', 'b-1'] });
    expect((await api(t, 'GET', '/api/auth/me', undefined, token)).status).toBe(401);
  });

  it('a scoped admin manages only users within its buildings', async () => {
    const r = await createUser({
      username: 'a-admin',
      displayName: 'A 管理员',
      role: 'admin',
      password: 'estate-a-boss-1',
      buildings: ['a-1'],
    });
    expect(r.status).toBe(201);
    const token = (await login(t, 'a-admin', 'estate-a-boss-1')).token;
    const list = await api<UserView[]>(t, 'GET', '/api/users', undefined, token);
    expect(list.body.every((u) => u.buildings.length > 0 && u.buildings.every((b) => b === 'a-1'))).toBe(true);
    expect(list.body.map((u) => u.username)).toContain('a-admin');
    expect(
      (await api(t, 'POST', '/api/users', { username: 'b-op', displayName: 'x', role: 'operator', buildings: ['b-1'] }, token)).status,
    ).toBe(403);
    expect((await api(t, 'POST', '/api/users', { username: 'all-op', displayName: 'x', role: 'operator' }, token)).status).toBe(403);
    const own = await api(t, 'POST', '/api/users', { username: 'a-op2', displayName: 'x', role: 'operator', buildings: ['a-1'] }, token);
    expect(own.status).toBe(201);
    const admin = await t.hub.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
    expect((await api(t, 'PATCH', `/api/users/${admin.id}`, { disabled: true }, token)).status).toBe(404);
    expect((await api(t, 'POST', `/api/users/${admin.id}/password`, {}, token)).status).toBe(404);
  });
});

describe('contacts', () => {
  let lift: ContactView;
  it('registers contacts per building and estate-wide; lists by building and kind', async () => {
    const r = await api<ContactView>(t, 'POST', '/api/contacts', {
      name: '申城电梯维保',
      kind: 'elevator_maintenance',
      phone: '021-58886666',
      phone24h: '400-820-1234',
      notes: '合同 DT-018',
      buildings: ['a-1'],
    });
    expect(r.status).toBe(201);
    lift = r.body;
    expect(lift).toMatchObject({ phone24h: '400-820-1234', enabled: true, buildings: ['a-1'] });
    await api(t, 'POST', '/api/contacts', { name: '电梯应急平台', kind: 'elevator_maintenance', phone: '96333', buildings: [] });
    await api(t, 'POST', '/api/contacts', { name: 'B 苑维保', kind: 'elevator_maintenance', phone: '13900000001', buildings: ['b-1'] });
    await api(t, 'POST', '/api/contacts', { name: '供电', kind: 'utility', phone: '95598', buildings: [] });
    const desk = (await login(t, 'li.na', 'front-desk-2026')).token;
    const forA = await api<ContactView[]>(t, 'GET', '/api/contacts?building=a-1&kind=elevator_maintenance', undefined, desk);
    expect(forA.status).toBe(200);
    expect(forA.body.map((c) => c.name).sort()).toEqual(['申城电梯维保', '电梯应急平台'].sort());
    // the service method procedures call: the building's own first
    expect((await t.hub.contacts.contactsFor('a-1', 'elevator_maintenance')).map((c) => c.name)).toEqual(['申城电梯维保', '电梯应急平台']);
    expect((await t.hub.contacts.contactsFor('b-1', 'utility')).map((c) => c.name)).toEqual(['供电']);
  });

  it('refuses bad kinds, bad phones, unknown buildings and non-admins', async () => {
    const base = { name: 'x', kind: 'engineering', phone: '13800000000', buildings: [] };
    expect((await api(t, 'POST', '/api/contacts', { ...base, kind: 'plumber' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/contacts', { ...base, phone: 'call me' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/contacts', { ...base, phone24h: '123' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/contacts', { ...base, buildings: ['nowhere'] })).status).toBe(400);
    const desk = (await login(t, 'li.na', 'front-desk-2026')).token;
    expect((await api(t, 'POST', '/api/contacts', base, desk)).status).toBe(403);
    expect((await api(t, 'PATCH', `/api/contacts/${lift.id}`, { enabled: false }, desk)).status).toBe(403);
    expect((await api(t, 'GET', '/api/contacts?kind=plumber', undefined, desk)).status).toBe(400);
    expect((await api(t, 'GET', '/api/contacts?all=true', undefined, desk)).status).toBe(403);
  });

  it('changes and disables a contact (audited); disabled ones are offered no more', async () => {
    const p = await api<ContactView>(t, 'PATCH', `/api/contacts/${lift.id}`, { phone24h: '400-820-5678' });
    expect(p.body.phone24h).toBe('400-820-5678');
    expect((await api(t, 'PATCH', `/api/contacts/${lift.id}`, { enabled: false })).body).toMatchObject({ enabled: false });
    expect((await t.hub.contacts.contactsFor('a-1', 'elevator_maintenance')).map((c) => c.name)).toEqual(['电梯应急平台']);
    const all = await api<ContactView[]>(t, 'GET', '/api/contacts?all=true&kind=elevator_maintenance');
    expect(all.body.find((c) => c.id === lift.id)?.enabled).toBe(false);
    const audit = await t.hub.db.auditLog.findMany({ where: { target: `contact:${lift.id}` }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['contact.create', 'contact.update', 'contact.disable']);
    expect(audit[1]!.data).toEqual({ before: { phone24h: '400-820-1234' }, after: { phone24h: '400-820-5678' } });
    expect((await api(t, 'PATCH', '/api/contacts/00000000-0000-4000-8000-000000000000', { enabled: false })).status).toBe(404);
  });

  it('a scoped operator sees only contacts for its buildings (and estate-wide ones)', async () => {
    await createUser({ username: 'b-desk', displayName: 'B 前台', role: 'frontdesk', password: 'estate-b-pass-1', buildings: ['b-1'] });
    const token = (await login(t, 'b-desk', 'estate-b-pass-1')).token;
    const list = await api<ContactView[]>(t, 'GET', '/api/contacts', undefined, token);
    expect(list.body.map((c) => c.name).sort()).toEqual(['B 苑维保', '供电', '电梯应急平台'].sort());
    expect((await api<ContactView[]>(t, 'GET', '/api/contacts?building=a-1', undefined, token)).body).toEqual([]);
  });
});

describe('settings', () => {
  it('shows every target with the machines’ defaults and units', async () => {
    const r = await api<SettingsView>(t, 'GET', '/api/settings', undefined, (await login(t, 'li.na', 'front-desk-2026')).token);
    expect(r.status).toBe(200);
    const get = (k: string) => r.body.settings.find((s) => s.key === k)!;
    const el = ElevatorConfig.parse({});
    const fire = FireConfig.parse({});
    expect(get('elevator_entrapment.ackSeconds')).toMatchObject({ value: el.ackMs / 1000, default: 30, unit: 's', updatedBy: null });
    expect(get('elevator_entrapment.contractorArrivalMinutes').value).toBe(30);
    expect(get('fire_alarm.verifySeconds').value).toBe(fire.verifyMs / 1000);
    expect(get('heartbeat.fire-panel').value).toBe(60);
    expect(get('heartbeat.power').value).toBe(30);
    expect(get('heartbeat.water').value).toBe(300);
    expect(Number(get('device_link.offlineDebounceSeconds').value) * 1000).toBe(DEFAULT_LINK_POLICY.offlineDebounceMs);
    expect(get('device_link.flapThreshold').value).toBe(DEFAULT_LINK_POLICY.flapThreshold);
    expect(Number(get('device_link.flapWindowMinutes').value) * 60_000).toBe(DEFAULT_LINK_POLICY.flapWindowMs);
    expect(r.body.calendar).toMatchObject({ holidays: [], workdays: [] });
  });

  it('validates ranges, keys and the calendar; non-admins may not change settings', async () => {
    const bad = async (body: unknown, token = t.token) => (await api(t, 'PATCH', '/api/settings', body, token)).status;
    expect(await bad({ values: { 'elevator_entrapment.ackSeconds': 1 } })).toBe(400);
    expect(await bad({ values: { 'elevator_entrapment.ackSeconds': 30.5 } })).toBe(400);
    expect(await bad({ values: { 'fire_alarm.ackSeconds': 100_000 } })).toBe(400);
    expect(await bad({ values: { 'no.such': 5 } })).toBe(400);
    expect(await bad({ values: { 'device_fault.autoCloseOnRecovery': 1 } })).toBe(400);
    expect(await bad({})).toBe(400);
    expect(await bad({ calendar: { holidays: ['2026-02-30'], workdays: [] } })).toBe(400);
    // 2026-02-16 is a Monday: not a make-up day
    expect(await bad({ calendar: { holidays: [], workdays: ['2026-02-16'] } })).toBe(400);
    expect(await bad({ calendar: { holidays: ['2026-02-14'], workdays: ['2026-02-14'] } })).toBe(400);
    const op = (
      await login(
        t,
        'wang.min',
        (
          await api<{ password: string }>(
            t,
            'POST',
            `/api/users/${(await t.hub.db.user.findUniqueOrThrow({ where: { username: 'wang.min' } })).id}/password`,
            {},
          )
        ).body.password,
      )
    ).token;
    expect(await bad({ values: { 'elevator_entrapment.ackSeconds': 45 } }, op)).toBe(403);
    expect(await t.hub.db.setting.count()).toBe(0);
  });

  it('a changed target applies to incidents opened afterwards, not to open ones; audited with old and new value', async () => {
    const open = async () =>
      api<IncidentDetail>(t, 'POST', '/api/incidents', {
        kind: 'elevator_entrapment',
        building: 'a-1',
        payload: { floor: 5, car: `c${Math.random()}` },
      });
    const ackOf = (i: IncidentDetail) => {
      const timer = i.timers.find((x) => x.key === 'ack')!;
      return timer.dueAt - i.openedAt;
    };
    const before = await open();
    expect(before.status).toBe(201);
    expect(ackOf(before.body)).toBe(30_000);
    const p = await api<SettingsView>(t, 'PATCH', '/api/settings', { values: { 'elevator_entrapment.ackSeconds': 45 } });
    expect(p.status).toBe(200);
    const s = p.body.settings.find((x) => x.key === 'elevator_entrapment.ackSeconds')!;
    expect(s).toMatchObject({ value: 45, default: 30, updatedByName: '系统管理员 Administrator' });
    const after = await open();
    expect(ackOf(after.body)).toBe(45_000);
    const still = await api<IncidentDetail>(t, 'GET', `/api/incidents/${before.body.id}`);
    expect(ackOf(still.body)).toBe(30_000);
    const a = await t.hub.db.auditLog.findFirstOrThrow({
      where: { action: 'setting.update', target: 'setting:elevator_entrapment.ackSeconds' },
    });
    expect(a.data).toEqual({ before: 30, after: 45 });
    // null: back to the default, audited too
    await api(t, 'PATCH', '/api/settings', { values: { 'elevator_entrapment.ackSeconds': null } });
    expect(ackOf((await open()).body)).toBe(30_000);
    expect(await t.hub.db.setting.count({ where: { key: 'elevator_entrapment.ackSeconds' } })).toBe(0);
  });

  it('the working-day calendar reaches the procedures (回访 skips 春节) and survives a restart', async () => {
    const calendar = {
      holidays: [
        '2026-02-15',
        '2026-02-16',
        '2026-02-17',
        '2026-02-18',
        '2026-02-19',
        '2026-02-20',
        '2026-02-21',
        '2026-02-22',
        '2026-02-23',
      ],
      workdays: ['2026-02-14', '2026-02-28'],
    };
    const r = await api<SettingsView>(t, 'PATCH', '/api/settings', { calendar, values: { 'heartbeat.power': 45 } });
    expect(r.status).toBe(200);
    const cfg = t.hub.settings.procedureConfig('elevator_entrapment');
    expect(cfg).toMatchObject({ holidays: calendar.holidays, extraWorkdays: calendar.workdays, ackMs: 30_000 });
    expect(t.hub.settings.heartbeatMs('power')).toBe(45_000);
    const a = await t.hub.db.auditLog.findFirstOrThrow({ where: { action: 'setting.calendar' } });
    expect(a.data).toMatchObject({ before: { holidays: [] }, added: { workdays: calendar.workdays } });
    await t.restart();
    t.token = (await login(t, 'admin', ADMIN_PASSWORD)).token;
    const g = await api<SettingsView>(t, 'GET', '/api/settings');
    expect(g.body.calendar.holidays).toEqual(calendar.holidays);
    expect(g.body.settings.find((x) => x.key === 'heartbeat.power')!.value).toBe(45);
  });
});

describe('audit view', () => {
  it('filters by actor, action (or area) and time', async () => {
    const admin = await t.hub.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
    const from = Date.now() - 3_600_000;
    const r = await api<Array<{ action: string; actor: string; at: number }>>(
      t,
      'GET',
      `/api/audit?actor=user:${admin.id}&action=contact.&from=${from}&to=${Date.now() + 1000}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.length).toBeGreaterThanOrEqual(5);
    expect(r.body.every((x) => x.action.startsWith('contact.') && x.actor === `user:${admin.id}`)).toBe(true);
    const none = await api<unknown[]>(t, 'GET', `/api/audit?action=contact.create&to=${from}`);
    expect(none.body).toEqual([]);
    const desk = await login(t, 'li.na', 'front-desk-2026');
    expect(desk.status).toBe(200);
    expect((await api(t, 'GET', '/api/audit', undefined, desk.token)).status).toBe(403);
  });
});

describe('HUB_ADMIN_PASSWORD on first start', () => {
  it('follows the password policy; later starts ignore it', async () => {
    const { createTestDatabase } = await import('../helpers/pg.js');
    const { loadConfig } = await import('../../services/core/config.js');
    const { createLogger } = await import('../../services/core/logger.js');
    const { Hub } = await import('../../services/hub/hub.js');
    const fs = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const db = await createTestDatabase();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-admin-pw-'));
    const env = {
      HUB_HOST: '127.0.0.1',
      HUB_HTTP_PORT: '0',
      HUB_MQTT_PORT: '0',
      HUB_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      HUB_LOG_LEVEL: 'silent',
    };
    try {
      const start = (pw: string) => Hub.start(loadConfig({ ...env, HUB_ADMIN_PASSWORD: pw }), { log: createLogger('silent', 'pw') });
      await expect(start('admin-2026-pw')).rejects.toThrow(/HUB_ADMIN_PASSWORD: .*username/);
      await expect(start('short-pw')).rejects.toThrow(/HUB_ADMIN_PASSWORD: .*10/);
      const hub = await start('harbour-2026-pw');
      expect(hub.adminPassword).toBe('harbour-2026-pw');
      await hub.stop();
      // the admin exists now: a later start with any value changes nothing
      const again = await start('admin-xx');
      expect(again.adminPassword).toBeNull();
      await again.stop();
    } finally {
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
