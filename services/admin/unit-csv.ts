// Units-and-owners CSV (CONTRACT.md "Administration": header
// `building,number,floor,ownerName,ownerPhone,altContact`), decoded and checked without any IO,
// so the dry run and the real run see exactly the same rows and errors.
//
// Encodings: what property companies actually export. Excel's "CSV UTF-8" writes UTF-8 with a
// BOM; plain "CSV" on a Chinese Windows writes the ANSI code page 936 (GBK), which GB18030
// decodes as a superset. `auto` takes the bytes as UTF-8 when they are valid UTF-8 (GBK text
// almost never is) and as GB18030 otherwise; the user can also name the encoding.
import { parse } from 'csv-parse/sync';
import { bi } from '../../contracts/records.js';
import { UNIT_CSV_COLUMNS, type ImportError, type UnitCsvColumn } from '../../contracts/admin.js';
import { isOwnerPhone } from './phone.js';

export const MAX_IMPORT_ROWS = 50_000;

/** Header names accepted for each column: the contract's, and the usual Chinese ones. */
const HEADER_ALIASES: Record<UnitCsvColumn, string[]> = {
  building: ['building', '楼栋', '楼栋编号', '楼号'],
  number: ['number', 'unit', '房号', '户号', '单元号'],
  floor: ['floor', '楼层', '层'],
  ownerName: ['ownername', 'owner', '业主', '业主姓名', '姓名'],
  ownerPhone: ['ownerphone', 'phone', '业主电话', '电话', '手机', '联系电话'],
  altContact: ['altcontact', '备用联系人', '紧急联系人', '其他联系方式'],
};
const REQUIRED: readonly UnitCsvColumn[] = ['building', 'number', 'floor', 'ownerName', 'ownerPhone'];
const MAX_LEN: Record<UnitCsvColumn, number> = { building: 64, number: 32, floor: 8, ownerName: 64, ownerPhone: 32, altContact: 200 };

export interface UnitRow {
  line: number;
  building: string;
  number: string;
  floor: number;
  ownerName: string;
  ownerPhone: string;
  /** null when the file has no altContact column (then stored values are kept) */
  altContact: string | null;
}

export interface BuildingFloors {
  floors: number;
  lowestFloor: number;
}

const err = (line: number, field: string, code: ImportError['code'], zh: string, en: string): ImportError => ({
  line,
  field,
  code,
  message: bi(zh, en),
});

export function decodeCsv(
  bytes: Uint8Array,
  encoding: 'auto' | 'utf-8' | 'gb18030',
): { text: string; encoding: 'utf-8' | 'gb18030' } | ImportError {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return err(
      0,
      '',
      'encoding',
      '文件是 UTF-16 编码(Excel“Unicode 文本”),请另存为“CSV UTF-8”',
      'the file is UTF-16 (Excel "Unicode text"): save it as "CSV UTF-8"',
    );
  }
  if (encoding !== 'gb18030') {
    try {
      // fatal: invalid UTF-8 throws instead of turning into U+FFFD; the BOM is dropped
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
    } catch {
      if (encoding === 'utf-8')
        return err(
          0,
          '',
          'encoding',
          '文件不是有效的 UTF-8 编码,可选择 GB18030(Excel 默认的中文 CSV)',
          'the file is not valid UTF-8: choose GB18030 (Excel’s default Chinese CSV)',
        );
    }
  }
  try {
    return { text: new TextDecoder('gb18030', { fatal: true }).decode(bytes), encoding: 'gb18030' };
  } catch {
    return err(0, '', 'encoding', '无法识别文件编码(既不是 UTF-8 也不是 GB18030)', 'the file is neither UTF-8 nor GB18030');
  }
}

/** Parse and check every row; `buildings` = what exists, `inScope` = what this admin may change. */
export function checkUnitCsv(
  text: string,
  buildings: ReadonlyMap<string, BuildingFloors>,
  inScope: (building: string) => boolean,
): { rows: UnitRow[]; errors: ImportError[]; hasAltContact: boolean; total: number } {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 0;
    return {
      rows: [],
      errors: [err(line, '', 'csv', `CSV 格式错误:${(e as Error).message}`, `malformed CSV: ${(e as Error).message}`)],
      hasAltContact: false,
      total: 0,
    };
  }
  const head = records[0];
  if (!head) return { rows: [], errors: [err(0, '', 'empty', '文件为空', 'the file is empty')], hasAltContact: false, total: 0 };

  // header → column index
  const index = new Map<UnitCsvColumn, number>();
  const errors: ImportError[] = [];
  head.record.forEach((raw, i) => {
    const name = raw.trim().toLowerCase().replace(/\s+/g, '');
    if (name === '') return;
    const col = UNIT_CSV_COLUMNS.find((c) => HEADER_ALIASES[c].includes(name));
    if (!col) errors.push(err(1, raw, 'header', `未知的列“${raw}”`, `unknown column "${raw}"`));
    else if (index.has(col)) errors.push(err(1, col, 'header', `列“${raw}”重复`, `column "${raw}" appears twice`));
    else index.set(col, i);
  });
  for (const c of REQUIRED)
    if (!index.has(c)) errors.push(err(1, c, 'header', `缺少列 ${c}`, `missing column ${c} (header: ${UNIT_CSV_COLUMNS.join(',')})`));
  if (errors.length) return { rows: [], errors, hasAltContact: false, total: 0 };
  const body = records.slice(1);
  if (body.length === 0)
    return {
      rows: [],
      errors: [err(0, '', 'empty', '文件只有表头,没有数据', 'the file has a header but no rows')],
      hasAltContact: false,
      total: 0,
    };
  if (body.length > MAX_IMPORT_ROWS)
    return {
      rows: [],
      errors: [err(0, '', 'too_many_rows', `一次最多导入 ${MAX_IMPORT_ROWS} 行`, `at most ${MAX_IMPORT_ROWS} rows per file`)],
      hasAltContact: false,
      total: body.length,
    };

  const hasAltContact = index.has('altContact');
  const rows: UnitRow[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of body) {
    const line = info.lines;
    const get = (c: UnitCsvColumn) => {
      const i = index.get(c);
      return i === undefined ? '' : (record[i] ?? '').trim();
    };
    const before = errors.length;
    const v = Object.fromEntries(UNIT_CSV_COLUMNS.map((c) => [c, get(c)])) as Record<UnitCsvColumn, string>;
    for (const c of UNIT_CSV_COLUMNS) {
      if (REQUIRED.includes(c) && v[c] === '') errors.push(err(line, c, 'missing', `缺少 ${c}`, `${c} is missing`));
      else if (v[c].length > MAX_LEN[c])
        errors.push(err(line, c, 'too_long', `${c} 超过 ${MAX_LEN[c]} 个字符`, `${c} is longer than ${MAX_LEN[c]} characters`));
    }
    const b = buildings.get(v.building);
    if (v.building !== '' && !b)
      errors.push(err(line, 'building', 'unknown_building', `楼栋 ${v.building} 不存在`, `building ${v.building} does not exist`));
    else if (b && !inScope(v.building))
      errors.push(
        err(line, 'building', 'out_of_scope', `楼栋 ${v.building} 不在您的管辖范围内`, `building ${v.building} is outside your scope`),
      );
    const floor = /^-?\d{1,3}$/.test(v.floor) ? Number(v.floor) : NaN;
    if (v.floor !== '') {
      if (!Number.isInteger(floor) || floor === 0)
        errors.push(
          err(
            line,
            'floor',
            'floor',
            `楼层“${v.floor}”不是有效楼层(整数,没有 0 层)`,
            `floor "${v.floor}" is not a floor number (an integer, no floor 0)`,
          ),
        );
      else if (b && (floor < b.lowestFloor || floor > b.floors))
        errors.push(
          err(
            line,
            'floor',
            'floor',
            `楼层 ${floor} 超出楼栋 ${v.building} 的范围(${b.lowestFloor}–${b.floors})`,
            `floor ${floor} is outside building ${v.building} (${b.lowestFloor}–${b.floors})`,
          ),
        );
    }
    // the number itself is personal data: the message says what is wrong, not the value
    if (v.ownerPhone !== '' && v.ownerPhone.length <= MAX_LEN.ownerPhone && !isOwnerPhone(v.ownerPhone))
      errors.push(
        err(
          line,
          'ownerPhone',
          'phone',
          '业主电话格式不正确(手机 11 位,或固话“区号-号码”)',
          'owner phone is malformed (mobile: 11 digits; landline: area code and number)',
        ),
      );
    if (v.building !== '' && v.number !== '') {
      const key = `${v.building}\u0000${v.number}`;
      const first = seen.get(key);
      if (first !== undefined)
        errors.push(
          err(
            line,
            'number',
            'duplicate',
            `${v.building} ${v.number} 与第 ${first} 行重复`,
            `${v.building} ${v.number} duplicates line ${first}`,
          ),
        );
      else seen.set(key, line);
    }
    if (errors.length === before)
      rows.push({
        line,
        building: v.building,
        number: v.number,
        floor,
        ownerName: v.ownerName,
        ownerPhone: v.ownerPhone,
        altContact: hasAltContact ? v.altContact : null,
      });
  }
  return { rows, errors, hasAltContact, total: body.length };
}
