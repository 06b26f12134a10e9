// Pure parts of the administration (issue 8): phone formats, the units CSV check, the
// password policy, and the guard that every procedure timer is an admin setting.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { NON_PROCEDURE_DEFAULTS, SETTING_DEFS, SettingsPatch } from '../../contracts/admin.js';
import { registry } from './procedures/helpers.js';

/** the procedures the hub runs (the composition root's list) */
const allProcedures = () => registry.all().map((p) => p.definition);
import { isContactPhone, isLandline, isMobile, isOwnerPhone } from '../../services/admin/phone.js';
import { checkUnitCsv, decodeCsv } from '../../services/admin/unit-csv.js';
import { generatePassword, passwordProblem } from '../../services/admin/users.js';

describe('mainland phone numbers', () => {
  it.each(['13812345678', '+86 138 1234 5678', '008613812345678', '138-1234-5678', '19912345678'])('mobile %s', (p) =>
    expect(isMobile(p)).toBe(true),
  );
  it.each([
    '021-61234567',
    '0755-8765432',
    '(010)12345678',
    '021-61234567-801',
    '+86 21 61234567',
    '0571 87654321 转 123',
    '010 1234 5678',
  ])('landline %s', (p) => expect(isLandline(p)).toBe(true));
  it.each(['12345678901', '1381234567', '138123456789', '021-123', 'abc', '2161234567', '', '11012345678', '0211234567'])(
    'not an owner phone: %s',
    (p) => expect(isOwnerPhone(p)).toBe(false),
  );
  it.each(['95598', '96333', '400-820-1234', '800 820 1234', '120', '119', '12345'])('contact service number %s', (p) =>
    expect(isContactPhone(p)).toBe(true),
  );
  it.each(['123', '95', '4008201234567', 'call me'])('not a contact number: %s', (p) => expect(isContactPhone(p)).toBe(false));
});

describe('units CSV', () => {
  const buildings = new Map([['b1', { floors: 10, lowestFloor: -1 }]]);
  const all = () => true;

  it('reads quoted fields, CRLF and blank lines, with the file’s line numbers', () => {
    const text =
      'building,number,floor,ownerName,ownerPhone,altContact\r\nb1,101,1,"张,三",13800000001,"家属 ""老张"""\r\n\r\nb1,B101,-1,李四,13800000002,\r\n';
    const r = checkUnitCsv(text, buildings, all);
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([
      { line: 2, building: 'b1', number: '101', floor: 1, ownerName: '张,三', ownerPhone: '13800000001', altContact: '家属 "老张"' },
      { line: 4, building: 'b1', number: 'B101', floor: -1, ownerName: '李四', ownerPhone: '13800000002', altContact: '' },
    ]);
  });

  it('one row can have several problems; each is reported with its column', () => {
    const r = checkUnitCsv('building,number,floor,ownerName,ownerPhone\nb1,,0,,12', buildings, all);
    expect(r.errors.map((e) => [e.line, e.field, e.code])).toEqual([
      [2, 'number', 'missing'],
      [2, 'ownerName', 'missing'],
      [2, 'floor', 'floor'],
      [2, 'ownerPhone', 'phone'],
    ]);
    expect(r.rows).toEqual([]);
  });

  it('header problems stop before the rows: unknown and repeated columns, missing ones', () => {
    const r = checkUnitCsv('building,number,number,owner,楼层,phone,extra\nb1,1,1,x,1,13800000000,', buildings, all);
    expect(r.errors.map((e) => [e.field, e.code])).toEqual([
      ['number', 'header'],
      ['extra', 'header'],
    ]);
  });

  it('decodes UTF-8 (with BOM) and GB18030; refuses UTF-16', () => {
    const text = '楼栋,房号\n';
    expect(decodeCsv(Buffer.from(`\uFEFF${text}`), 'auto')).toEqual({ text, encoding: 'utf-8' });
    expect(decodeCsv(iconv.encode(text, 'gb18030'), 'auto')).toEqual({ text, encoding: 'gb18030' });
    expect(decodeCsv(iconv.encode(text, 'gb18030'), 'utf-8')).toMatchObject({ code: 'encoding' });
    expect(decodeCsv(Buffer.from([0xff, 0xfe, 0x41, 0]), 'auto')).toMatchObject({ code: 'encoding' });
  });
});

describe('password policy (NIST SP 800-63B §5.1.1.2)', () => {
  it('length ≥ 10, not containing the username (any case)', () => {
    expect(passwordProblem('zhang', 'short-pw')).toMatch(/10/);
    expect(passwordProblem('zhang', 'my-Zhang-2026')).toMatch(/username/);
    expect(passwordProblem('zhang', 'correct horse')).toBeNull();
    expect(passwordProblem('admin', 'hub-test-pass-1')).toBeNull();
  });
  it('generated passwords satisfy it', () => {
    for (let i = 0; i < 50; i++) expect(passwordProblem('ab', generatePassword('ab'))).toBeNull();
  });
});

describe('every procedure timer is an admin setting (PROCEDURES.md: never constants buried in code)', () => {
  it('each setting maps onto its machine’s config with a default inside its range', () => {
    for (const d of SETTING_DEFS) {
      if (!d.config) {
        expect(NON_PROCEDURE_DEFAULTS[d.key], d.key).toBeGreaterThanOrEqual(d.min);
        continue;
      }
      const p = allProcedures().find((x) => x.kind === d.group);
      expect(p, d.key).toBeDefined();
      const v = (p!.config.parse({}) as Record<string, unknown>)[d.config];
      if (d.unit === 'bool') {
        expect(typeof v, d.key).toBe('boolean');
        continue;
      }
      expect(typeof v, d.key).toBe('number');
      const shown = (v as number) / (d.factor ?? 1);
      expect(Number.isInteger(shown), d.key).toBe(true);
      expect(shown, d.key).toBeGreaterThanOrEqual(d.min);
      expect(shown, d.key).toBeLessThanOrEqual(d.max);
    }
  });

  it('no machine has a timer (…Ms) that is not a setting', () => {
    const mapped = new Set(SETTING_DEFS.filter((d) => d.config).map((d) => `${d.group}.${d.config}`));
    const missing: string[] = [];
    for (const p of allProcedures()) {
      const shape = (p.config as unknown as { shape: Record<string, unknown> }).shape;
      for (const k of Object.keys(shape)) if (k.endsWith('Ms') && !mapped.has(`${p.kind}.${k}`)) missing.push(`${p.kind}.${k}`);
    }
    expect(missing).toEqual([]);
  });

  it('the PATCH schema rejects out-of-range values and unknown keys', () => {
    expect(SettingsPatch.safeParse({ values: { 'fire_alarm.ackSeconds': 4 } }).success).toBe(false);
    expect(SettingsPatch.safeParse({ values: { 'fire_alarm.ackSeconds': 20 } }).success).toBe(true);
    expect(SettingsPatch.safeParse({ values: { 'fire_alarm.bogus': 20 } }).success).toBe(false);
  });
});
