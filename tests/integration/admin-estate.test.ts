// Administration API, estate half (issue 8): sites, buildings, units and the CSV import —
// every route, role and bad input, against a real hub and PostgreSQL.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildingView, ImportResult, SiteView, UnitWriteView } from '../../contracts/admin.js';
import { api, login, provision, startTestHub, type TestHub } from '../helpers/hub.js';

let t: TestHub;
let opToken: string;

const HEADER = 'building,number,floor,ownerName,ownerPhone,altContact';

async function importCsv(
  body: string | Uint8Array,
  query: Record<string, string> = {},
  token = t.token,
  contentType = 'text/csv',
): Promise<{ status: number; body: ImportResult & { code?: string } }> {
  const qs = new URLSearchParams(query).toString();
  const r = await fetch(`${t.http}/api/units/import${qs ? `?${qs}` : ''}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  return { status: r.status, body: (await r.json()) as ImportResult & { code?: string } };
}

const unitCount = (building: string) => t.hub.db.unit.count({ where: { buildingId: building } });

beforeAll(async () => {
  t = await startTestHub();
  await t.hub.auth.createUser('op1', 'op1-password-x', 'operator', 'Operator One');
  opToken = (await login(t, 'op1', 'op1-password-x')).token;
});
afterAll(async () => t?.close());

describe('sites', () => {
  it('creates, lists and renames a site; every change audited with before/after', async () => {
    const c = await api<SiteView>(t, 'POST', '/api/sites', { id: 'east', name: '东苑', address: '上海市浦东新区东路 1 号' });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ id: 'east', name: '东苑', buildings: 0 });
    const p = await api<SiteView>(t, 'PATCH', '/api/sites/east', { name: '东苑小区' });
    expect(p.status).toBe(200);
    expect(p.body.name).toBe('东苑小区');
    const list = await api<SiteView[]>(t, 'GET', '/api/sites', undefined, opToken);
    expect(list.body.map((s) => s.id)).toContain('east');
    const rows = await t.hub.db.auditLog.findMany({ where: { target: 'site:east' }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.action)).toEqual(['site.create', 'site.update']);
    expect(rows[1]!.data).toEqual({ before: { name: '东苑' }, after: { name: '东苑小区' } });
  });

  it('refuses duplicates, bad ids, unknown sites, empty patches and non-admins', async () => {
    expect((await api(t, 'POST', '/api/sites', { id: 'east', name: 'again' })).status).toBe(409);
    expect((await api(t, 'POST', '/api/sites', { id: 'East Side', name: 'x' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/sites', { id: 'west' })).status).toBe(400);
    expect((await api(t, 'PATCH', '/api/sites/nowhere', { name: 'x' })).status).toBe(404);
    expect((await api(t, 'PATCH', '/api/sites/east', {})).status).toBe(400);
    expect((await api(t, 'POST', '/api/sites', { id: 'west', name: 'x' }, opToken)).status).toBe(403);
    expect((await api(t, 'POST', '/api/sites', { id: 'west', name: 'x' }, 'not-a-token')).status).toBe(401);
    expect(await t.hub.db.site.findUnique({ where: { id: 'west' } })).toBeNull();
  });
});

describe('buildings', () => {
  it('creates a building with floors, lobby floor and address; a device can then be provisioned into it', async () => {
    const r = await api<BuildingView>(t, 'POST', '/api/buildings', {
      id: 'east-1',
      site: 'east',
      name: '东苑 1 号楼',
      floors: 18,
      lowestFloor: -2,
      lobbyFloor: 1,
      address: '东路 1 号 1 号楼',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      id: 'east-1',
      site: 'east',
      siteName: '东苑小区',
      floors: 18,
      lowestFloor: -2,
      lobbyFloor: 1,
      units: 0,
    });
    await api(t, 'POST', '/api/buildings', { id: 'east-2', site: 'east', name: '东苑 2 号楼', floors: 12 });
    const d = await provision(t, 'east-1-el-1', 'elevator', 'east-1', 'east');
    expect(d.secret).toBeTruthy();
    const list = await api<BuildingView[]>(t, 'GET', '/api/buildings?site=east', undefined, opToken);
    expect(list.body.map((b) => [b.id, b.devices])).toEqual([
      ['east-1', 1],
      ['east-2', 0],
    ]);
  });

  it('a rename shows on device views at once', async () => {
    expect((await api(t, 'PATCH', '/api/buildings/east-1', { name: '东苑一号楼' })).status).toBe(200);
    const dev = await api<{ buildingName: string }>(t, 'GET', '/api/devices/east-1-el-1');
    expect(dev.body.buildingName).toBe('东苑一号楼');
    const a = await t.hub.db.auditLog.findFirstOrThrow({ where: { target: 'building:east-1', action: 'building.update' } });
    expect(a.data).toEqual({ before: { name: '东苑 1 号楼' }, after: { name: '东苑一号楼' } });
  });

  it('refuses unknown sites, duplicates, impossible floors and non-admins', async () => {
    const base = { site: 'east', name: 'x', floors: 10 };
    expect((await api(t, 'POST', '/api/buildings', { ...base, id: 'b-x', site: 'nowhere' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/buildings', { ...base, id: 'east-1' })).status).toBe(409);
    expect((await api(t, 'POST', '/api/buildings', { ...base, id: 'b-x', lobbyFloor: 11 })).status).toBe(400);
    expect((await api(t, 'POST', '/api/buildings', { ...base, id: 'b-x', lowestFloor: 3 })).status).toBe(400);
    expect((await api(t, 'POST', '/api/buildings', { ...base, id: 'b-x', floors: 0 })).status).toBe(400);
    expect((await api(t, 'POST', '/api/buildings', { ...base, id: 'b-x' }, opToken)).status).toBe(403);
    expect((await api(t, 'PATCH', '/api/buildings/nowhere', { name: 'x' })).status).toBe(404);
    expect((await api(t, 'PATCH', '/api/buildings/east-1', { floors: 'ten' })).status).toBe(400);
    expect((await api(t, 'PATCH', '/api/buildings/east-1', { bogus: 1 })).status).toBe(400);
    expect(await t.hub.db.building.findUnique({ where: { id: 'b-x' } })).toBeNull();
  });
});

describe('units', () => {
  it('registers one unit; the reply and the audit are masked, the audited read shows it in full', async () => {
    const r = await api<UnitWriteView>(t, 'POST', '/api/units', {
      building: 'east-1',
      number: '1801',
      floor: 18,
      ownerName: '王小明',
      ownerPhone: '13812345678',
      altContact: '妻 13987654321',
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ number: '1801', ownerName: '王**', ownerPhone: '138****5678', created: true });
    const a = await t.hub.db.auditLog.findFirstOrThrow({ where: { action: 'unit.create' } });
    expect(JSON.stringify(a.data)).not.toContain('13812345678');
    const masked = await api<Array<{ ownerPhone: string }>>(t, 'GET', '/api/units?building=east-1', undefined, opToken);
    expect(masked.body[0]!.ownerPhone).toBe('138****5678');
    const full = await api<{ ownerPhone: string }>(
      t,
      'GET',
      `/api/units/${r.body.id}?reason=${encodeURIComponent('回访业主')}`,
      undefined,
      opToken,
    );
    expect(full.body.ownerPhone).toBe('13812345678');
    expect(await t.hub.db.personalDataAccess.count({ where: { subject: `unit:${r.body.id}` } })).toBe(1);
  });

  it('refuses duplicates, unknown buildings, bad floors, bad phones and non-admins', async () => {
    const u = { building: 'east-1', number: '1702', floor: 17, ownerName: '李四', ownerPhone: '021-61234567' };
    expect((await api(t, 'POST', '/api/units', u)).status).toBe(201);
    expect((await api(t, 'POST', '/api/units', u)).status).toBe(409);
    expect((await api(t, 'POST', '/api/units', { ...u, number: '1703', building: 'nowhere' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/units', { ...u, number: '1703', floor: 19 })).status).toBe(400);
    expect((await api(t, 'POST', '/api/units', { ...u, number: '1703', floor: 0 })).status).toBe(400);
    expect((await api(t, 'POST', '/api/units', { ...u, number: '1703', ownerPhone: '12345' })).status).toBe(400);
    expect((await api(t, 'POST', '/api/units', { ...u, number: '1703' }, opToken)).status).toBe(403);
    expect(await t.hub.db.unit.findFirst({ where: { number: '1703' } })).toBeNull();
  });

  it('a building cannot shrink below its units', async () => {
    const r = await api<{ message: string }>(t, 'PATCH', '/api/buildings/east-1', { floors: 17 });
    expect(r.status).toBe(409);
    expect((await t.hub.db.building.findUniqueOrThrow({ where: { id: 'east-1' } })).floors).toBe(18);
  });
});

describe('units CSV import', () => {
  const bad = [
    HEADER,
    'east-2,101,1,张三,13800000001,', // line 2 ok
    'east-2,102,1,,13800000002,', // 3 missing ownerName
    'nowhere,103,1,王五,13800000003,', // 4 unknown building
    'east-2,101,1,赵六,13800000004,', // 5 duplicate of line 2
    'east-2,104,1,钱七,1380000,', // 6 malformed phone
    'east-2,105,13,孙八,13800000005,', // 7 floor above the top (12)
    'east-2,106,二,周九,13800000006,', // 8 floor not a number
    'east-2,107,2,吴十,0755-8765432,', // 9 ok (Shenzhen landline, 7 digits)
  ].join('\n');

  it('a dry run lists every bad row with line, column and reason, and writes nothing', async () => {
    const r = await importCsv(bad, { dryRun: 'true' });
    expect(r.status).toBe(200);
    expect(r.body.errors.map((e) => [e.line, e.field, e.code])).toEqual([
      [3, 'ownerName', 'missing'],
      [4, 'building', 'unknown_building'],
      [5, 'number', 'duplicate'],
      [6, 'ownerPhone', 'phone'],
      [7, 'floor', 'floor'],
      [8, 'floor', 'floor'],
    ]);
    expect(r.body.errors[2]!.message).toContain('line 2');
    // the phone itself is personal data: the reason does not echo it
    expect(r.body.errors[3]!.message).not.toContain('1380000');
    expect(r.body).toMatchObject({ dryRun: true, rows: 8, created: 0, updated: 0 });
    expect(await unitCount('east-2')).toBe(0);
  });

  it('a real run with any bad row writes nothing (422 with the same errors)', async () => {
    const r = await importCsv(bad, { dryRun: 'false' });
    expect(r.status).toBe(422);
    expect(r.body.errors).toHaveLength(6);
    expect(await unitCount('east-2')).toBe(0);
  });

  it('the fixed file imports in one go; importing it again changes nothing; a changed row updates', async () => {
    const good = [
      HEADER,
      'east-2,101,1,张三,13800000001,',
      'east-2,102,1,李四,13800000002,父 13900000002',
      'east-2,103,1,王五,+86 138 0000 0003,',
      'east-2,104,1,钱七,021-61234567-801,',
      'east-2,105,12,孙八,(010)12345678,',
    ].join('\r\n');
    const dry = await importCsv(good);
    expect(dry.body).toMatchObject({ dryRun: true, created: 5, updated: 0, unchanged: 0, errors: [] });
    expect(await unitCount('east-2')).toBe(0);
    const real = await importCsv(good, { dryRun: 'false' });
    expect(real.status).toBe(200);
    expect(real.body).toMatchObject({ dryRun: false, created: 5, updated: 0, unchanged: 0, errors: [] });
    expect(await unitCount('east-2')).toBe(5);
    const auditRows = await t.hub.db.auditLog.count({ where: { action: 'unit.import' } });

    const again = await importCsv(good, { dryRun: 'false' });
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 5 });
    expect(await unitCount('east-2')).toBe(5);
    expect(await t.hub.db.auditLog.count({ where: { action: 'unit.import' } })).toBe(auditRows);

    const changed = good.replace('李四,13800000002', '李四,13800000022');
    expect((await importCsv(changed)).body).toMatchObject({ created: 0, updated: 1, unchanged: 4 });
    expect((await importCsv(changed, { dryRun: 'false' })).body).toMatchObject({ created: 0, updated: 1, unchanged: 4 });
    expect((await t.hub.db.unit.findFirstOrThrow({ where: { buildingId: 'east-2', number: '102' } })).ownerPhone).toBe('13800000022');
    const a = await t.hub.db.auditLog.findFirstOrThrow({ where: { action: 'unit.import' }, orderBy: { seq: 'desc' } });
    expect(a.data).toMatchObject({ updated: ['east-2/102'], created: [] });
    expect(JSON.stringify(a.data)).not.toContain('13800000022');
  });

  it('a file without the altContact column keeps the stored alternative contacts', async () => {
    const r = await importCsv(['building,number,floor,ownerName,ownerPhone', 'east-2,102,1,李四,13800000022'].join('\n'), {
      dryRun: 'false',
    });
    expect(r.body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect((await t.hub.db.unit.findFirstOrThrow({ where: { buildingId: 'east-2', number: '102' } })).altContact).toBe('父 13900000002');
  });

  it('reads GB18030 (Excel on Chinese Windows), auto-detected or chosen, and UTF-8 with a BOM', async () => {
    const text = [HEADER, 'east-2,201,2,欧阳娜娜,13800000201,', 'east-2,202,2,𠮷野家,13800000202,'].join('\r\n');
    const gb = iconv.encode(text, 'gb18030');
    expect(Buffer.from(gb).equals(Buffer.from(text, 'utf8'))).toBe(false);
    const auto = await importCsv(gb);
    expect(auto.body).toMatchObject({ encoding: 'gb18030', created: 2, errors: [] });
    const chosen = await importCsv(gb, { encoding: 'gb18030', dryRun: 'false' });
    expect(chosen.body).toMatchObject({ encoding: 'gb18030', created: 2 });
    const names = (await t.hub.db.unit.findMany({ where: { buildingId: 'east-2', floor: 2 }, orderBy: { number: 'asc' } })).map(
      (u) => u.ownerName,
    );
    expect(names).toEqual(['欧阳娜娜', '𠮷野家']);
    // the same bytes declared UTF-8: refused with a hint, not imported as mojibake
    const wrong = await importCsv(gb, { encoding: 'utf-8' });
    expect(wrong.body.errors).toMatchObject([{ line: 0, code: 'encoding' }]);

    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([HEADER, 'east-2,203,2,陈一,13800000203,'].join('\n'))]);
    expect((await importCsv(bom, { dryRun: 'false' })).body).toMatchObject({ encoding: 'utf-8', created: 1, errors: [] });
    // Chinese headers as exported from other systems
    const zh = ['楼栋,房号,楼层,业主姓名,业主电话,备用联系人', 'east-2,204,2,陈二,13800000204,'].join('\n');
    expect((await importCsv(zh)).body).toMatchObject({ created: 1, errors: [] });
  });

  it('refuses bad files: malformed CSV, wrong header, empty, UTF-16, no body, bad query, non-admins', async () => {
    expect((await importCsv(`${HEADER}\neast-2,301,3,"unclosed,13800000301,`)).body.errors).toMatchObject([{ code: 'csv' }]);
    expect((await importCsv('楼,number\neast-2,1')).body.errors.map((e) => e.code)).toContain('header');
    expect((await importCsv('')).status).toBe(400);
    expect((await importCsv(`${HEADER}\n`)).body.errors).toMatchObject([{ code: 'empty' }]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEADER, 'utf16le')]);
    expect((await importCsv(utf16)).body.errors).toMatchObject([{ code: 'encoding' }]);
    expect((await importCsv(HEADER, { dryRun: 'maybe' })).status).toBe(400);
    expect((await importCsv(HEADER, { encoding: 'latin1' })).status).toBe(400);
    expect((await importCsv(`${HEADER}\neast-2,9,1,x,13800000009,`, {}, opToken)).status).toBe(403);
  });

  it('imports 10,000 units in well under 10 s, in one transaction', async () => {
    const rows = [HEADER];
    for (let i = 0; i < 10_000; i++) rows.push(`east-1,T${i},${(i % 18) + 1},业主${i},139${String(i).padStart(8, '0')},`);
    const csv = rows.join('\n');
    const t0 = Date.now();
    const dry = await importCsv(csv);
    const tDry = Date.now() - t0;
    expect(dry.body).toMatchObject({ rows: 10_000, created: 10_000, errors: [] });
    const t1 = Date.now();
    const real = await importCsv(csv, { dryRun: 'false' });
    const tReal = Date.now() - t1;
    expect(real.body).toMatchObject({ created: 10_000, updated: 0, errors: [] });
    expect(tDry).toBeLessThan(10_000);
    expect(tReal).toBeLessThan(10_000);
    expect(await t.hub.db.unit.count({ where: { buildingId: 'east-1', number: { startsWith: 'T' } } })).toBe(10_000);
    const again = await importCsv(csv, { dryRun: 'false' });
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 10_000 });
  });
});

describe('building scope (an admin of estate A does not reach estate B)', () => {
  let scopedToken: string;
  beforeAll(async () => {
    await api(t, 'POST', '/api/sites', { id: 'west', name: '西苑' });
    await api(t, 'POST', '/api/buildings', { id: 'west-1', site: 'west', name: '西苑 1 号楼', floors: 6 });
    const u = await api<{ id: string; password: string }>(t, 'POST', '/api/users', {
      username: 'west-admin',
      displayName: '西苑管理员',
      role: 'admin',
      buildings: ['west-1'],
    });
    expect(u.status).toBe(201);
    scopedToken = (await login(t, 'west-admin', u.body.password)).token;
  });

  it('lists only its own sites and buildings', async () => {
    const sites = await api<SiteView[]>(t, 'GET', '/api/sites', undefined, scopedToken);
    expect(sites.body.map((s) => s.id)).toEqual(['west']);
    const b = await api<BuildingView[]>(t, 'GET', '/api/buildings', undefined, scopedToken);
    expect(b.body.map((x) => x.id)).toEqual(['west-1']);
    const me = await api<{ buildings: string[] }>(t, 'GET', '/api/auth/me', undefined, scopedToken);
    expect(me.body.buildings).toEqual(['west-1']);
  });

  it('cannot change other buildings, create estate-wide things, or import into other buildings', async () => {
    expect((await api(t, 'PATCH', '/api/buildings/east-1', { name: 'x' }, scopedToken)).status).toBe(404);
    expect((await api(t, 'POST', '/api/sites', { id: 'north', name: 'x' }, scopedToken)).status).toBe(403);
    expect((await api(t, 'POST', '/api/buildings', { id: 'west-2', site: 'west', name: 'x', floors: 3 }, scopedToken)).status).toBe(403);
    expect(
      (
        await api(
          t,
          'POST',
          '/api/units',
          { building: 'east-1', number: '9', floor: 1, ownerName: 'x', ownerPhone: '13800000000' },
          scopedToken,
        )
      ).status,
    ).toBe(404);
    const r = await importCsv(
      [HEADER, 'east-1,X1,1,x,13800000000,', 'west-1,101,1,y,13800000001,'].join('\n'),
      { dryRun: 'false' },
      scopedToken,
    );
    expect(r.status).toBe(422);
    expect(r.body.errors).toMatchObject([{ line: 2, field: 'building', code: 'out_of_scope' }]);
    expect(await unitCount('west-1')).toBe(0);
    // its own building works
    expect((await api(t, 'PATCH', '/api/buildings/west-1', { address: '西路 2 号' }, scopedToken)).status).toBe(200);
    expect((await importCsv([HEADER, 'west-1,101,1,y,13800000001,'].join('\n'), { dryRun: 'false' }, scopedToken)).body.created).toBe(1);
  });
});

describe('README "Going live"', () => {
  it('examples/units.csv imports cleanly into the buildings the README creates', async () => {
    const file = await import('node:fs/promises').then((fs) => fs.readFile(new URL('../../examples/units.csv', import.meta.url)));
    await api(t, 'POST', '/api/sites', { id: 'harbour', name: '海港花园', address: '上海市浦东新区海港路 9 号' });
    expect(
      (await api(t, 'POST', '/api/buildings', { id: 'tower-a', site: 'harbour', name: 'A 栋', floors: 18, lobbyFloor: 1 })).status,
    ).toBe(201);
    expect(
      (await api(t, 'POST', '/api/buildings', { id: 'tower-b', site: 'harbour', name: 'B 栋', floors: 6, lowestFloor: -1 })).status,
    ).toBe(201);
    const dry = await importCsv(file);
    expect(dry.body).toMatchObject({ rows: 6, created: 6, errors: [] });
    expect((await importCsv(file, { dryRun: 'false' })).body).toMatchObject({ created: 6, errors: [] });
    const u = await t.hub.db.unit.findFirstOrThrow({ where: { buildingId: 'tower-a', number: '1801' } });
    expect(u).toMatchObject({ ownerName: '欧阳, 娜娜', altContact: '保姆 139-0000-1801' });
  });
});
