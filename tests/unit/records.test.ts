// Pure parts of the records: masking, the planned-outage message translation (pinned to the
// rule's own messages), attachment sniffing and naming, and the report's HTML escaping.
import { describe, expect, it } from 'vitest';
import { validatePlannedOutage } from '../../services/power/machine.js';
import { esc, fmtDuration, fmtTime, renderReportHtml } from '../../services/records/report.js';
import { contentDisposition } from '../../services/records/routes.js';
import type { SpecialReport } from '../../contracts/records.js';
import { maskName, maskPhone, safeFilename, sniffMime, userIdOf } from '../../services/records/service.js';
import { registry } from './procedures/helpers.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 20, 2, 0, 0); // 10:00 CST

describe('masking (seed 002 §3.1.2)', () => {
  it('keeps the first 3 and last 4 of a phone number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+8613812345678')).toBe('+86*******5678');
    expect(maskPhone('1234567')).toBe('*******');
    expect(maskPhone('')).toBe('');
  });
  it('keeps the first character of a name', () => {
    expect(maskName('张三丰')).toBe('张**');
    expect(maskName('李')).toBe('*');
    expect(maskName('Wang Wei')).toBe('W*******');
    expect(maskName('𠮷野家')).toBe('𠮷**');
  });
  it('reads user ids from actor refs', () => {
    expect(userIdOf('user:abc')).toBe('abc');
    expect(userIdOf('device:x')).toBeNull();
    expect(userIdOf(null)).toBeNull();
  });
});

describe('planned-outage refusals: a message key, rendered in each reader’s language', () => {
  const base = { buildingId: 'b', startsAt: NOW + 47 * HOUR, endsAt: NOW + 50 * HOUR, reason: 'maintenance' };
  const op = { id: 'u1', role: 'operator' as const };
  const sup = { id: 'u2', role: 'supervisor' as const };
  /** "中文 / English" as the two readers see it */
  const msg = (input: unknown, actor: typeof op | typeof sup = op) => {
    const r = validatePlannedOutage(input, actor, NOW);
    if (r.ok) throw new Error('expected a refusal');
    expect(registry.catalog.render(r.msg, 'en')).toBe(r.message);
    return `${registry.catalog.render(r.msg, 'zh-CN')} / ${r.message}`;
  };

  it('renders every refusal of validatePlannedOutage in both languages', () => {
    expect(msg(base)).toBe(
      '停电通知须提前至少48小时张贴(seed 000 §2.1.5.3),当前仅提前47小时 / 48 h notice required (seed 000 §2.1.5.3), 47 h given',
    );
    expect(msg({ ...base, startsAt: NOW + 60 * HOUR, endsAt: NOW + 61 * HOUR, residentsMustPrepare: true })).toMatch(
      /^停电通知须提前至少72小时.*当前仅提前60小时 \/ 72 h notice required/,
    );
    expect(msg({ ...base, acceptShortNotice: true, shortNoticeReason: 'x' })).toMatch(
      /^只有主管可以接受.* \/ only a supervisor may accept short notice/,
    );
    expect(msg({ ...base, acceptShortNotice: true }, sup)).toMatch(
      /^接受提前时间不足的通知须填写原因.* \/ accepting short notice needs a reason$/,
    );
    expect(msg({ ...base, startsAt: NOW - HOUR })).toMatch(/^计划停电的开始时间必须在将来 \/ /);
    expect(msg({ ...base, noticeAt: NOW + 48 * HOUR })).toMatch(/^停电通知必须在停电开始前张贴 \/ /);
    expect(msg({ ...base, endsAt: base.startsAt })).toMatch(/^结束时间必须晚于开始时间 \/ /);
  });
  it('accepts 49 h without flags and flags a supervisor’s short notice', () => {
    const ok = validatePlannedOutage({ ...base, startsAt: NOW + 49 * HOUR, endsAt: NOW + 50 * HOUR }, op, NOW);
    expect(ok).toMatchObject({ ok: true, value: { flags: [] } });
    const flagged = validatePlannedOutage({ ...base, acceptShortNotice: true, shortNoticeReason: 'urgent' }, sup, NOW);
    expect(flagged).toMatchObject({ ok: true, value: { flags: ['short_notice'] } });
  });
});

describe('attachments', () => {
  it('recognises the accepted types by their magic numbers', () => {
    expect(sniffMime(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0]))).toBe('image/jpeg');
    expect(sniffMime(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(sniffMime(Buffer.from('GIF89a....'))).toBe('image/gif');
    expect(sniffMime(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffMime(Buffer.from('%PDF-1.7\n'))).toBe('application/pdf');
    expect(sniffMime(Buffer.from('<html><script>'))).toBeNull();
    expect(sniffMime(Buffer.alloc(0))).toBeNull();
  });
  it('strips paths, quotes and control characters from file names', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('C:\\Users\\a\\照片.jpg')).toBe('照片.jpg');
    expect(safeFilename('a"b\r\nc.png')).toBe('abc.png');
    expect(safeFilename('..')).toBe('attachment');
    expect(safeFilename('   ')).toBe('attachment');
  });
  it('puts an ASCII fallback and the UTF-8 name in Content-Disposition', () => {
    expect(contentDisposition('inline', '现场照片 1.png')).toBe(
      `inline; filename="____ 1.png"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87%201.png`,
    );
    expect(contentDisposition('attachment', "it's (1).pdf")).toBe(
      `attachment; filename="it's (1).pdf"; filename*=UTF-8''it%27s%20%281%29.pdf`,
    );
  });
});

describe('report HTML', () => {
  const evil = '<script>alert(1)</script>';
  const report: SpecialReport = {
    title: { zh: '特别事件报告', en: 'Special incident report' },
    generatedAt: NOW,
    generatedBy: { id: 'u1', username: 'op"1', displayName: `Op ${evil}`, role: 'operator' },
    final: true,
    incident: {
      id: 'i1',
      number: 42,
      kind: 'fire_alarm',
      kindLabel: { zh: '火警', en: 'Fire alarm' },
      state: 'closed',
      stateLabel: { zh: '已结案', en: 'Closed' },
      open: false,
      severity: 100,
      site: 's',
      building: { id: 'b1', name: `A栋${evil}`, address: '<b>addr</b>' },
      floor: 3,
      deviceId: 'panel-1',
      parentId: null,
      children: [],
      title: `火警 ${evil}`,
      openedAt: NOW,
      closedAt: NOW + 3_725_000,
      durationMs: 3_725_000,
      data: { outcome: `false_alarm ${evil}` },
    },
    steps: [
      {
        key: 'verify',
        label: { zh: '确认', en: 'Verify' },
        ord: 1,
        required: true,
        status: 'done',
        doneBy: 'user:u1',
        doneByName: `N${evil}`,
        doneAt: NOW + 1000,
        notes: `notes ${evil}`,
        data: { person: `P${evil}`, calledAt: NOW, list: ['<i>'], nested: { a: '<u>' } },
      },
    ],
    timeline: [
      {
        seq: 1,
        at: NOW,
        actorType: 'device',
        actor: `d${evil}`,
        actorName: null,
        type: 'note',
        text: { zh: `备注 — ${evil}`, en: `Note — ${evil}` },
        message: evil,
        data: {},
      },
    ],
    people: {
      staff: [
        { id: 'u1', username: 'op1', displayName: `S${evil}`, role: 'operator', roleLabel: { zh: '值班员', en: 'Operator' }, actions: 2 },
      ],
      parties: [{ step: 'verify', stepLabel: { zh: '确认', en: 'Verify' }, field: 'person', value: `P${evil}` }],
      devices: [`dev${evil}`],
    },
    commands: [
      {
        corr: `c${evil}`,
        deviceId: 'lift-1',
        name: 'recall',
        state: 'confirmed',
        sentAt: NOW,
        expiresAt: NOW + 60_000,
        resolvedAt: NOW + 5000,
        result: { floor: '<1>' },
      },
    ],
    attachments: [
      {
        id: 'a"1',
        incidentId: 'i1',
        filename: `p${evil}.png`,
        mime: 'image/png',
        size: 2048,
        uploadedBy: 'user:u1',
        uploadedByName: `U${evil}`,
        uploadedAt: NOW,
        url: '/api/attachments/a"1',
      },
    ],
  };

  it('escapes every value that came from a device, a visitor or a user', () => {
    const html = renderReportHtml(report);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<b>addr');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('<u>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('src="/api/attachments/a&quot;1"');
    expect(html).toContain('&lt;b&gt;addr&lt;/b&gt;');
  });
  it('prints times in China Standard Time, durations in both languages, no draft mark when closed', () => {
    const html = renderReportHtml(report);
    expect(html).toContain('2026-11-20 10:00:00');
    expect(html).toContain('1小时2分5秒 / 1 h 2 min 5 s');
    expect(html).not.toContain('草稿');
    expect(fmtTime(null)).toBe('—');
    expect(fmtDuration(0)).toBe('0秒 / 0 s');
    expect(esc(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
  });
});
