// Cross-cutting records against a real hub (PostgreSQL, incident service): duty log and its
// signature, shift handover, special incident report (HTML escaping, JSON), attachments,
// follow-ups, planned-outage notice rule, owner records with the personal-data access log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dutyDay } from '../../services/incidents/service.js';
import type { z } from 'zod';
import type {
  AccessLogView,
  AttachmentView,
  AuditView,
  DutyLogResponse,
  FollowUpView,
  HandoverResponse,
  PlannedOutageView,
  SpecialReport,
  UnitDetail,
  UnitListItem,
} from '../../contracts/records.js';
import { login, seedPlace, startTestHub, type TestHub } from '../helpers/hub.js';

type Err = { code: string; message: string };
type Outage = z.infer<typeof PlannedOutageView>;
type FollowUp = z.infer<typeof FollowUpView>;

let t: TestHub;
let base = '';
const tok: Record<'admin' | 'op1' | 'op2' | 'sup' | 'fd', string> = { admin: '', op1: '', op2: '', sup: '', fd: '' };
const ids: Record<string, string> = {};
const HOUR = 3_600_000;

async function call<T = Err>(
  method: string,
  url: string,
  body?: unknown,
  who: keyof typeof tok = 'admin',
  /** the reader's language (Accept-Language); without it the user's locale (zh-CN) */
  lang?: string,
): Promise<{ status: number; body: T }> {
  const r = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${tok[who]}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(lang ? { 'accept-language': lang } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

beforeAll(async () => {
  t = await startTestHub();
  await seedPlace(t, 'site-1', ['bldg-1']);
  for (const [u, role, name] of [
    ['op1', 'operator', 'Operator One'],
    ['op2', 'operator', 'Operator Two'],
    ['sup', 'supervisor', '王主管'],
    ['fd', 'frontdesk', 'Front Desk'],
  ] as const) {
    const user = await t.hub.auth.createUser(u, `${u}-password`, role, name);
    ids[u] = user.id;
    tok[u] = (await login(t, u, `${u}-password`)).token;
  }
  tok.admin = t.token;
  base = t.http;
});
afterAll(async () => {
  await t?.close();
});

async function reportEntrapment(floor: number, who: keyof typeof tok = 'op1'): Promise<{ id: string; number: number }> {
  const r = await call<{ id: string; number: number }>(
    'POST',
    '/api/incidents',
    { kind: 'elevator_entrapment', building: 'bldg-1', payload: { car: `C${floor}`, floor } },
    who,
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

const png = (extra = 64) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(extra, 7)]);

describe('duty log 值班记录', () => {
  let incidentId = '';
  const today = () => dutyDay(Date.now());

  it('is filled automatically when an incident is reported, and takes manual entries', async () => {
    incidentId = (await reportEntrapment(5)).id;
    const m = await call('POST', '/api/duty-log', { text: '22:00 巡查完毕 patrol done' }, 'op1');
    expect(m.status).toBe(201);
    const log = await call<DutyLogResponse>('GET', '/api/duty-log');
    expect(log.status).toBe(200);
    expect(log.body.day).toBe(today());
    // stored as a key with params, rendered per reader
    const auto = log.body.entries.find((e) => e.incidentId === incidentId);
    expect(auto).toMatchObject({ key: 'engine.duty.opened', params: { kind: 'elevator_entrapment' } });
    expect(auto?.text).toMatch(/^【电梯困人】电梯困人.* 立案$/);
    expect(auto?.text).not.toMatch(/[A-Za-z]{4}/);
    const inEnglish = await call<DutyLogResponse>('GET', '/api/duty-log', undefined, 'admin', 'en');
    expect(inEnglish.body.entries.find((e) => e.incidentId === incidentId)?.text).toMatch(
      /^\[Elevator entrapment\] Elevator entrapment.* opened$/,
    );
    expect(await t.hub.db.dutyLogEntry.count({ where: { legacyText: { not: null } } })).toBe(0);
    const manual = log.body.entries.find((e) => e.text.includes('巡查完毕'));
    expect(manual).toMatchObject({ actor: `user:${ids.op1}`, actorName: 'Operator One', afterSignature: false });
    expect(log.body.signature).toBeNull();
    expect((await call('GET', '/api/duty-log?day=2026-13')).status).toBe(400);
    expect((await call('POST', '/api/duty-log', { text: '' }, 'op1')).status).toBe(400);
  });

  it('is signed once by a supervisor; operators may not sign; a future day cannot be signed', async () => {
    expect((await call('POST', `/api/duty-log/${today()}/sign`, { note: 'x' }, 'op1')).status).toBe(403);
    expect((await call('POST', '/api/duty-log/2999-01-01/sign', { note: '' }, 'sup')).status).toBe(400);
    const s = await call<DutyLogResponse>('POST', `/api/duty-log/${today()}/sign`, { note: '本班无异常' }, 'sup');
    expect(s.status).toBe(200);
    expect(s.body.signature).toMatchObject({ signedBy: `user:${ids.sup}`, signedByName: '王主管', note: '本班无异常' });
    const again = await call('POST', `/api/duty-log/${today()}/sign`, { note: '' }, 'admin');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('HUB_ERR_CONFLICT');
    expect(await t.hub.db.auditLog.count({ where: { action: 'duty_log.sign', target: `duty_log:${today()}` } })).toBe(1);
  });

  it('refuses manual entries on a signed day; automatic entries still land, marked after-signature', async () => {
    expect((await call('POST', '/api/duty-log', { text: 'late entry' }, 'op1')).status).toBe(409);
    const late6 = await reportEntrapment(6);
    const log = await call<DutyLogResponse>('GET', '/api/duty-log');
    const late = log.body.entries.find((e) => e.incidentId === late6.id);
    expect(late?.afterSignature).toBe(true);
    expect(log.body.entries.find((e) => e.incidentId === incidentId)?.afterSignature).toBe(false);
  });
});

describe('shift handover 交接班', () => {
  let entrapment = { id: '', number: 0 };
  let followUpId = '';
  let visitId = '';

  beforeAll(async () => {
    entrapment = await reportEntrapment(7);
    followUpId = (await t.hub.db.followUp.create({ data: { subject: '回访被困乘客 handover test', dueAt: new Date(Date.now() - HOUR) } }))
      .id;
    visitId = (
      await t.hub.db.visit.create({
        data: {
          buildingId: 'bldg-1',
          unitNumber: '1203',
          visitorName: 'Visitor Li',
          channel: 'walk_in',
          state: 'opened',
          enteredAt: new Date(Date.now() - 2 * HOUR),
          plannedMinutes: 60,
        },
      })
    ).id;
  });

  it('lists open incidents, open follow-ups and visitors inside; the outgoing operator signs on creation', async () => {
    const r = await call<HandoverResponse>('POST', '/api/handovers', { notes: '3号梯待维保签字', incomingUsername: 'op2' }, 'op1');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    ids.handover1 = r.body.id;
    expect(r.body).toMatchObject({
      state: 'open',
      outgoingId: ids.op1,
      incomingId: ids.op2,
      notes: '3号梯待维保签字',
      incomingSignedAt: null,
      refusedReason: null,
    });
    expect(r.body.outgoing?.displayName).toBe('Operator One');
    expect(typeof r.body.outgoingSignedAt).toBe('number');
    expect(r.body.openItems).toContainEqual(
      expect.objectContaining({
        type: 'incident',
        id: entrapment.id,
        number: entrapment.number,
        kind: 'elevator_entrapment',
        state: 'awaiting_ack',
      }),
    );
    expect(r.body.openItems).toContainEqual(expect.objectContaining({ type: 'followup', id: followUpId, overdue: true }));
    expect(r.body.openItems).toContainEqual(expect.objectContaining({ type: 'visit', id: visitId, unit: '1203', overstay: true }));
    // one open handover per outgoing operator
    expect((await call('POST', '/api/handovers', { notes: 'again' }, 'op1')).status).toBe(409);
  });

  it('the outgoing user cannot accept their own; only the named incoming operator answers; a refusal needs a reason', async () => {
    const id = ids.handover1!;
    expect((await call('POST', `/api/handovers/${id}/accept`, {}, 'op1')).status).toBe(403);
    expect((await call('POST', `/api/handovers/${id}/accept`, {}, 'sup')).status).toBe(403);
    expect((await call('POST', `/api/handovers/${id}/refuse`, {}, 'op2')).status).toBe(400);
    const blank = await call('POST', `/api/handovers/${id}/refuse`, { reason: '   ' }, 'op2');
    expect(blank.status).toBe(400);
    expect(blank.body.message).toContain('原因');
    const r = await call<HandoverResponse>(
      'POST',
      `/api/handovers/${id}/refuse`,
      { reason: '未说明3号梯状况 / lift 3 status unclear' },
      'op2',
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'refused', incomingId: ids.op2, refusedReason: '未说明3号梯状况 / lift 3 status unclear' });
    expect(typeof r.body.incomingSignedAt).toBe('number');
    expect((await call('POST', `/api/handovers/${id}/accept`, {}, 'op2')).status).toBe(409);
  });

  it('any other operator accepts an unaddressed handover; both signatures, audit and duty log are recorded', async () => {
    const c = await call<HandoverResponse>('POST', '/api/handovers', { notes: '已补充说明' }, 'op1');
    expect(c.status).toBe(201);
    const a = await call<HandoverResponse>('POST', `/api/handovers/${c.body.id}/accept`, { note: 'ok' }, 'op2');
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ state: 'accepted', outgoingId: ids.op1, incomingId: ids.op2 });
    expect(a.body.incomingSignedAt).toBeGreaterThanOrEqual(a.body.outgoingSignedAt);
    const list = await call<HandoverResponse[]>('GET', '/api/handovers?state=accepted', undefined, 'fd');
    expect(list.body.map((h) => h.id)).toContain(c.body.id);
    const audit = await call<z.infer<typeof AuditView>[]>('GET', `/api/audit?target=handover:${ids.handover1}`, undefined, 'sup');
    expect(audit.status).toBe(200);
    expect(audit.body.map((e) => e.action).sort()).toEqual(['handover.create', 'handover.refuse']);
    expect((await call('GET', '/api/audit', undefined, 'op1')).status).toBe(403);
    const log = await call<DutyLogResponse>('GET', '/api/duty-log');
    expect(log.body.entries.some((e) => e.text.includes('拒绝接班'))).toBe(true);
  });
});

describe('special incident report 特别事件报告 and attachments', () => {
  let inc = { id: '', number: 0 };

  beforeAll(async () => {
    inc = await reportEntrapment(9);
    const n = await call('POST', `/api/incidents/${inc.id}/notes`, { notes: 'caller said <script>alert(1)</script> & "hi"' }, 'op1');
    expect(n.status, JSON.stringify(n.body)).toBe(200);
    const ack = await call('POST', `/api/incidents/${inc.id}/acknowledge`, { payload: { notes: '<img src=x onerror=alert(2)>' } }, 'op1');
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
  });

  it('uploads and downloads an attachment byte for byte, with its mime type and file name', async () => {
    const bytes = png(2048);
    const up = await call<z.infer<typeof AttachmentView>>(
      'POST',
      `/api/incidents/${inc.id}/attachments`,
      { filename: '../现场照片 "1".png', mime: 'image/png', dataBase64: bytes.toString('base64') },
      'op1',
    );
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expect(up.body).toMatchObject({
      incidentId: inc.id,
      filename: '现场照片 1.png',
      mime: 'image/png',
      size: bytes.length,
      uploadedBy: `user:${ids.op1}`,
    });
    ids.attachment = up.body.id;
    const r = await fetch(`${base}${up.body.url}`, { headers: { authorization: `Bearer ${tok.fd}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('现场照片')}`);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
    const list = await call<unknown[]>('GET', `/api/incidents/${inc.id}/attachments`);
    expect(list.body).toHaveLength(1);
    expect(await t.hub.db.auditLog.count({ where: { action: 'attachment.upload', target: `incident:${inc.id}` } })).toBe(1);
  });

  it('refuses files over 5 MB, content that is not the declared type, and unknown incidents', async () => {
    const big = await call(
      'POST',
      `/api/incidents/${inc.id}/attachments`,
      { filename: 'big.png', mime: 'image/png', dataBase64: png(5 * 1024 * 1024).toString('base64') },
      'op1',
    );
    expect(big.status).toBe(413);
    const fake = await call(
      'POST',
      `/api/incidents/${inc.id}/attachments`,
      { filename: 'x.pdf', mime: 'application/pdf', dataBase64: png().toString('base64') },
      'op1',
    );
    expect(fake.status).toBe(400);
    const html = await call(
      'POST',
      `/api/incidents/${inc.id}/attachments`,
      { filename: 'x.html', mime: 'text/html', dataBase64: Buffer.from('<b>').toString('base64') },
      'op1',
    );
    expect(html.status).toBe(400);
    expect(
      (
        await call('POST', `/api/incidents/00000000-0000-4000-8000-000000000000/attachments`, {
          filename: 'a.png',
          mime: 'image/png',
          dataBase64: png().toString('base64'),
        })
      ).status,
    ).toBe(404);
    expect(
      (await fetch(`${base}/api/attachments/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${tok.op1}` } }))
        .status,
    ).toBe(404);
  });

  it('renders printable HTML (zh-CN first, English) with the timeline, steps, people and attachments, escaping all markup', async () => {
    const r = await fetch(`${base}/api/incidents/${inc.id}/report`, { headers: { authorization: `Bearer ${tok.op2}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await r.text();
    expect(html).toContain('特别事件报告');
    expect(html).toContain('Special incident report');
    expect(html.indexOf('特别事件报告')).toBeLessThan(html.indexOf('Special incident report'));
    expect(html).toContain(`#${inc.number}`);
    expect(html).toContain('草稿'); // still open → draft
    // timeline (labels from i18n-procedures) and steps with who/when/notes
    expect(html).toContain('立案');
    expect(html).toContain('接警并安抚乘客');
    expect(html).toContain('Operator One');
    // escaping: the note and the step notes show as text, never as markup
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;hi&quot;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    // attachment listed with a link
    expect(html).toContain(`/api/attachments/${ids.attachment}`);
    expect(html).toContain('现场照片 1.png');
  });

  it('serves the same report as JSON', async () => {
    const r = await call<SpecialReport>('GET', `/api/incidents/${inc.id}/report?format=json`, undefined, 'op1');
    expect(r.status).toBe(200);
    expect(r.body.incident).toMatchObject({
      id: inc.id,
      number: inc.number,
      kind: 'elevator_entrapment',
      open: true,
      building: { id: 'bldg-1', address: 'bldg-1 address' },
    });
    expect(r.body.final).toBe(false);
    expect(r.body.timeline.some((e) => e.type === 'note' && e.message.includes('<script>') && e.actorName === 'Operator One')).toBe(true);
    expect(r.body.steps.find((s) => s.key === 'acknowledge')).toMatchObject({
      status: 'done',
      doneBy: `user:${ids.op1}`,
      doneByName: 'Operator One',
      label: { zh: '接警并安抚乘客(对讲)' },
    });
    expect(r.body.people.staff.map((p) => p.username)).toContain('op1');
    expect(r.body.attachments).toHaveLength(1);
    expect(r.body.generatedBy.username).toBe('op1');
  });

  it('has no special report for device faults or visitors; unknown incidents are 404', async () => {
    const fault = await t.hub.db.incident.create({
      data: { kind: 'device_fault', state: 'open', severity: 20, siteId: 'site-1', buildingId: 'bldg-1', title: 'fault' },
    });
    const r = await call('GET', `/api/incidents/${fault.id}/report`);
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('设备故障类事件没有特别事件报告');
    expect((await call('GET', `/api/incidents/${fault.id}/report`, undefined, 'admin', 'en')).body.message).toContain(
      'no special report for this kind',
    );
    expect((await call('GET', '/api/incidents/00000000-0000-4000-8000-000000000000/report')).status).toBe(404);
    expect((await call('GET', `/api/incidents/${inc.id}/report?format=xml`)).status).toBe(400);
  });
});

describe('follow-ups 回访', () => {
  it('lists open ones with overdue computed; done needs notes, once', async () => {
    const f = await t.hub.db.followUp.create({ data: { subject: '回访 1203 业主', dueAt: new Date(Date.now() - 60_000) } });
    const open = await call<FollowUp[]>('GET', '/api/followups?open=true', undefined, 'fd');
    expect(open.status).toBe(200);
    expect(open.body.find((x) => x.id === f.id)).toMatchObject({ overdue: true, doneAt: null });
    expect((await call('POST', `/api/followups/${f.id}/done`, {}, 'fd')).status).toBe(400);
    const d = await call<FollowUp>('POST', `/api/followups/${f.id}/done`, { notes: '业主表示满意' }, 'fd');
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ id: f.id, doneBy: `user:${ids.fd}`, notes: '业主表示满意' });
    expect((await call('POST', `/api/followups/${f.id}/done`, { notes: 'again' }, 'fd')).status).toBe(409);
    expect((await call('POST', '/api/followups/00000000-0000-4000-8000-000000000000/done', { notes: 'x' }, 'fd')).status).toBe(404);
    const after = await call<FollowUp[]>('GET', '/api/followups?open=true');
    expect(after.body.some((x) => x.id === f.id)).toBe(false);
    expect(await t.hub.db.auditLog.count({ where: { action: 'followup.done', target: `followup:${f.id}` } })).toBe(1);
  });
});

describe('planned outages 计划停电', () => {
  const body = (startInH: number, extra: Record<string, unknown> = {}) => ({
    building: 'bldg-1',
    startsAt: Date.now() + startInH * HOUR,
    endsAt: Date.now() + (startInH + 4) * HOUR,
    reason: '变压器检修 transformer maintenance',
    ...extra,
  });

  it('refuses 47 h notice and accepts 49 h', async () => {
    const short = await call('POST', '/api/planned-outages', body(47), 'op1');
    expect(short.status).toBe(400);
    expect(short.body.message).toContain('48小时');
    expect((await call('POST', '/api/planned-outages', body(47), 'op1', 'en')).body.message).toContain('48 h notice required');
    const ok = await call<Outage>('POST', '/api/planned-outages', body(49), 'op1');
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({
      building: 'bldg-1',
      flags: [],
      requiredNoticeHours: 48,
      status: 'upcoming',
      createdBy: `user:${ids.op1}`,
    });
    ids.outage = ok.body.id;
  });

  it('needs 72 h when residents must prepare: 60 h is refused', async () => {
    const r = await call('POST', '/api/planned-outages', body(60, { residentsMustPrepare: true }), 'op1');
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('72');
    expect((await call('POST', '/api/planned-outages', body(73, { residentsMustPrepare: true }), 'op1')).status).toBe(201);
  });

  it('a supervisor may accept short notice with a reason: stored flagged; an operator may not', async () => {
    expect(
      (await call('POST', '/api/planned-outages', body(10, { acceptShortNotice: true, shortNoticeReason: 'urgent' }), 'op1')).status,
    ).toBe(403);
    expect((await call('POST', '/api/planned-outages', body(10, { acceptShortNotice: true }), 'sup')).status).toBe(400);
    const r = await call<Outage>(
      'POST',
      '/api/planned-outages',
      body(10, { acceptShortNotice: true, shortNoticeReason: '紧急抢修 emergency repair' }),
      'sup',
    );
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ flags: ['short_notice'], shortNoticeReason: '紧急抢修 emergency repair' });
    const list = await call<Outage[]>('GET', '/api/planned-outages?building=bldg-1', undefined, 'fd');
    expect(list.body.find((o) => o.id === r.body.id)?.flags).toEqual(['short_notice']);
  });

  it('validates the window, the building and the role; cancels once', async () => {
    expect((await call('POST', '/api/planned-outages', body(50, { endsAt: Date.now() + 50 * HOUR }), 'op1')).status).toBe(400);
    const nb = await call('POST', '/api/planned-outages', body(50, { building: 'no-such' }), 'op1');
    expect(nb.status).toBe(400);
    expect(nb.body.message).toBe('未知楼栋 no-such');
    expect((await call('POST', '/api/planned-outages', body(50, { building: 'no-such' }), 'op1', 'en')).body.message).toContain(
      'unknown building',
    );
    expect((await call('POST', '/api/planned-outages', body(50), 'fd')).status).toBe(403);
    const c = await call<Outage>('POST', `/api/planned-outages/${ids.outage}/cancel`, { reason: '改期' }, 'op1');
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ cancelled: true, status: 'cancelled' });
    expect((await call('POST', `/api/planned-outages/${ids.outage}/cancel`, {}, 'op1')).status).toBe(409);
    const current = await call<Outage[]>('GET', '/api/planned-outages?current=true');
    expect(current.body.some((o) => o.id === ids.outage)).toBe(false);
  });
});

describe('owner records and personal data 业主资料', () => {
  let unitId = '';
  beforeAll(async () => {
    unitId = (
      await t.hub.db.unit.create({
        data: {
          buildingId: 'bldg-1',
          number: '1203',
          floor: 12,
          ownerName: '张三丰',
          ownerPhone: '13812345678',
          altContact: '13900001111',
        },
      })
    ).id;
  });

  it('lists owners masked', async () => {
    const r = await call<z.infer<typeof UnitListItem>[]>('GET', '/api/units?building=bldg-1', undefined, 'fd');
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      { id: unitId, building: 'bldg-1', number: '1203', floor: 12, ownerName: '张**', ownerPhone: '138****5678', hasAltContact: true },
    ]);
    expect(JSON.stringify(r.body)).not.toContain('13812345678');
  });

  it('refuses the full record without a reason; with one, returns it and logs who/why/when', async () => {
    const no = await call('GET', `/api/units/${unitId}`, undefined, 'fd');
    expect(no.status).toBe(400);
    expect(no.body.message).toContain('reason');
    expect(await t.hub.db.personalDataAccess.count({ where: { subject: `unit:${unitId}` } })).toBe(0);
    const r = await call<z.infer<typeof UnitDetail>>(
      'GET',
      `/api/units/${unitId}?reason=${encodeURIComponent('访客来访,联系业主')}`,
      undefined,
      'fd',
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      ownerName: '张三丰',
      ownerPhone: '13812345678',
      altContact: '13900001111',
      access: { reason: '访客来访,联系业主' },
    });
    const rows = await t.hub.db.personalDataAccess.findMany({ where: { subject: `unit:${unitId}` } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId: ids.fd, reason: '访客来访,联系业主' });
    const log = await call<z.infer<typeof AccessLogView>[]>('GET', `/api/personal-data-access?subject=unit:${unitId}`, undefined, 'sup');
    expect(log.status).toBe(200);
    expect(log.body).toHaveLength(1);
    expect(log.body[0]).toMatchObject({ userId: ids.fd, user: { username: 'fd' }, subject: `unit:${unitId}` });
    expect((await call('GET', '/api/personal-data-access', undefined, 'fd')).status).toBe(403);
    expect((await call('GET', `/api/units/00000000-0000-4000-8000-000000000000?reason=test`, undefined, 'fd')).status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents every records route from its zod schemas', async () => {
    const r = await fetch(`${base}/api/openapi.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/api/duty-log', 'get'],
      ['/api/duty-log/{day}/sign', 'post'],
      ['/api/handovers', 'post'],
      ['/api/handovers/{id}/refuse', 'post'],
      ['/api/incidents/{id}/report', 'get'],
      ['/api/incidents/{id}/attachments', 'post'],
      ['/api/attachments/{id}', 'get'],
      ['/api/followups/{id}/done', 'post'],
      ['/api/planned-outages', 'post'],
      ['/api/units/{id}', 'get'],
      ['/api/personal-data-access', 'get'],
      ['/api/audit', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });
});
