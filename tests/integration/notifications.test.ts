// Notifications end to end against real receivers on loopback (tests/helpers/notify-receivers.ts):
// every channel kind with its documented signing, escalation levels on time and stopped by an
// acknowledgement, the ack link (GET never acknowledges; POST once only), retries with backoff
// then the fallback channel, storm grouping, resident notices by SMS (and the planned outage's
// notice time), the on-call rota.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentDetail } from '../../contracts/incidents.js';
import type { ChannelView, DeliveryView, NoticeView, PolicyView, WebhookPayload } from '../../contracts/notifications.js';
import { api, login, seedPlace, startTestHub, waitFor, type TestHub } from '../helpers/hub.js';
import { startReceivers, startSmtp, type Mailbox, type Receivers } from '../helpers/notify-receivers.js';

let t: TestHub;
let rx: Receivers;
let smtp: Mailbox;
let opTok: string;
let supTok: string;
const ids = { op: '', sup: '', mgr: '' };
const ch: Record<string, string> = {};

beforeAll(async () => {
  [rx, smtp] = await Promise.all([startReceivers(), startSmtp()]);
  t = await startTestHub({
    env: {
      NOTIFY_GROUP_WINDOW_MS: '300',
      NOTIFY_RETRY_LIMIT: '2',
      NOTIFY_RETRY_DELAY_S: '1',
      NOTIFY_POLL_MS: '200',
      NOTIFY_MAINTENANCE_S: '1',
      NOTIFY_FLAP_WINDOW_S: '5',
    },
  });
  await seedPlace(t);
  ids.op = (await t.hub.auth.createUser('op', 'op-password', 'operator', '值班员 王敏')).id;
  ids.sup = (await t.hub.auth.createUser('sup', 'sup-password', 'supervisor', '主管 张伟')).id;
  ids.mgr = (await t.hub.auth.createUser('mgr', 'mgr-password', 'supervisor', '经理 刘强')).id;
  opTok = (await login(t, 'op', 'op-password')).token;
  supTok = (await login(t, 'sup', 'sup-password')).token;
});
afterAll(async () => {
  await t?.close();
  await rx?.close();
  await smtp?.close();
});

const deliveries = async (incident: string) =>
  (await api<DeliveryView[]>(t, 'GET', `/api/notifications?incident=${incident}`, undefined, opTok)).body;
const fire = async (location: string) => {
  const r = await api<IncidentDetail>(
    t,
    'POST',
    '/api/incidents',
    { kind: 'fire_alarm', building: 'bldg-1', payload: { floor: 5, location } },
    opTok,
  );
  expect(r.status).toBe(201);
  return r.body;
};
const webhookFor = (incidentId: string) =>
  rx.received.filter((r) => r.kind === 'webhook' && (r.body as unknown as WebhookPayload).items?.some((i) => i.incident.id === incidentId));

describe('channels', () => {
  it('each kind reaches its real receiver, signed as the provider documents; secrets are never returned', async () => {
    const mk = async (name: string, kind: string, config: Record<string, unknown>) => {
      const r = await api<{ id: string }>(t, 'POST', '/api/notification-channels', { name, kind, config });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ch[name] = r.body.id;
    };
    await mk('webhook', 'webhook', { url: `${rx.url}/webhook`, secret: rx.secrets.webhook });
    await mk('wecom', 'wecom', { url: `${rx.url}/wecom/send`, key: rx.secrets.wecomKey });
    await mk('dingtalk', 'dingtalk', { url: `${rx.url}/dingtalk/send`, accessToken: rx.secrets.dingToken, secret: rx.secrets.dingSecret });
    await mk('feishu', 'feishu', { url: `${rx.url}/feishu/hook`, hookId: rx.secrets.feishuHook, secret: rx.secrets.feishuSecret });
    await mk('email', 'email', {
      host: '127.0.0.1',
      port: smtp.port,
      security: 'starttls',
      user: 'hub',
      password: 'smtp-pass-1',
      from: 'hub@example.com',
      ca: smtp.ca,
    });
    const aliyun = { endpoint: `${rx.url}/aliyun/`, accessKeyId: rx.secrets.akId, accessKeySecret: rx.secrets.akSecret };
    await mk('sms', 'sms', { ...aliyun, signName: '物业中心', templateCode: 'SMS_0001' });
    await mk('voice', 'voice', { ...aliyun, ttsCode: 'TTS_0001' });
    await mk('ding-bad', 'dingtalk', { url: `${rx.url}/dingtalk/send`, accessToken: rx.secrets.dingToken, secret: 'SECwrong' });

    const list = await api<ChannelView[]>(t, 'GET', '/api/notification-channels');
    const text = JSON.stringify(list.body);
    for (const s of Object.values(rx.secrets).filter((x) => x !== rx.secrets.akId)) expect(text).not.toContain(s);
    expect(text).not.toContain('smtp-pass-1');
    expect(list.body.find((c) => c.id === ch.dingtalk)?.secretsSet.sort()).toEqual(['accessToken', 'secret']);
    // nor in the audit trail
    const audit = await t.hub.db.auditLog.findMany({ where: { action: 'notification_channel.create' } });
    expect(JSON.stringify(audit.map((a) => a.data))).not.toContain(rx.secrets.dingSecret);

    const test = async (name: string, to?: string) =>
      (await api<{ ok: boolean; detail: string }>(t, 'POST', `/api/notification-channels/${ch[name]}/test`, to ? { to } : {})).body;
    for (const name of ['webhook', 'wecom', 'dingtalk', 'feishu']) expect(await test(name), name).toMatchObject({ ok: true });
    expect(await test('email', 'sup@example.com')).toMatchObject({ ok: true });
    expect(await test('sms', '13900000001')).toMatchObject({ ok: true });
    expect(await test('voice', '13900000001')).toMatchObject({ ok: true });
    const bad = await test('ding-bad');
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain('310000');

    for (const kind of ['webhook', 'wecom', 'dingtalk', 'feishu', 'sms', 'voice'] as const) {
      expect(
        rx.received.some((r) => r.kind === kind && r.verified && r.status === 200),
        kind,
      ).toBe(true);
    }
    const mail = smtp.mails.at(-1)!;
    expect(mail).toMatchObject({ to: ['sup@example.com'], user: 'hub', secure: true });
    expect(mail.raw).toContain('Subject:');
    const sms = rx.received.find((r) => r.kind === 'sms' && r.verified)!;
    expect(sms.params).toMatchObject({ Action: 'SendSms', PhoneNumbers: '13900000001', SignName: '物业中心', TemplateCode: 'SMS_0001' });
  });

  it('only supervisors/admins configure; every signed-in user sees deliveries; bad input is a coded 400', async () => {
    const r = await api<{ code: string }>(
      t,
      'POST',
      '/api/notification-channels',
      { name: 'x', kind: 'webhook', config: { url: `${rx.url}/webhook` } },
      opTok,
    );
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('HUB_ERR_FORBIDDEN');
    expect((await api(t, 'GET', '/api/notifications', undefined, opTok)).status).toBe(200);
    const bad = await api<{ code: string }>(t, 'POST', '/api/notification-channels', {
      name: 'x',
      kind: 'dingtalk',
      config: { url: 'ftp://x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('HUB_ERR_BAD_REQUEST');
    expect((await api(t, 'PUT', '/api/escalation-policies/not_a_kind', { levels: [] })).status).toBe(400);
    // a masked secret sent back keeps the stored one
    const p = await api<ChannelView>(t, 'PATCH', `/api/notification-channels/${ch.dingtalk}`, {
      config: { secret: '••••••', accessToken: '' },
      name: '钉钉值班群',
    });
    expect(p.status).toBe(200);
    expect((await api<{ ok: boolean }>(t, 'POST', `/api/notification-channels/${ch.dingtalk}/test`, {})).body.ok).toBe(true);
  });
});

describe('escalation', () => {
  beforeAll(async () => {
    for (const [id, phone, email] of [
      [ids.op, '13900000010', 'op@example.com'],
      [ids.sup, '13900000011', 'sup@example.com'],
      [ids.mgr, '13900000012', 'mgr@example.com'],
    ] as const) {
      expect((await api(t, 'PUT', `/api/notify-profiles/${id}`, { phone, email })).status).toBe(200);
    }
    const now = Date.now();
    expect(
      (await api(t, 'POST', '/api/oncall', { userId: ids.sup, role: 'supervisor', from: now - 3600_000, to: now + 8 * 3600_000 })).status,
    ).toBe(201);
    expect(
      (await api(t, 'POST', '/api/oncall', { userId: ids.mgr, role: 'manager', from: now - 3600_000, to: now + 8 * 3600_000 })).status,
    ).toBe(201);
  });

  it('a fire not acknowledged climbs the levels on time and stops for everyone on acknowledgement', async () => {
    const put = await api<PolicyView>(t, 'PUT', '/api/escalation-policies/fire_alarm', {
      levels: [
        { afterSeconds: 0, targets: [{ channelId: ch.webhook }, { role: 'operator', via: [ch.wecom] }] },
        { afterSeconds: 2, targets: [{ onCall: 'supervisor', via: [ch.sms] }] },
        { afterSeconds: 4, targets: [{ onCall: 'manager', via: [ch.dingtalk] }] },
      ],
      repeatEverySeconds: 10,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const inc = await fire('5F 配电间');
    const t0 = inc.openedAt;
    // level 0: the control-room webhook (operators @-mentioned with their own links) and the operator's WeCom
    const l0 = await waitFor(() => webhookFor(inc.id)[0], 5000, 'level 0 webhook');
    expect(l0.verified).toBe(true);
    const body = l0.body as unknown as WebhookPayload;
    expect(body).toMatchObject({
      incident: { id: inc.id, number: inc.number, kind: 'fire_alarm', building: 'bldg-1' },
      level: 0,
      reason: 'opened',
    });
    expect(body.mentions.map((m) => m.name)).toContain('值班员 王敏');
    expect(body.mentions[0]!.ackUrl).toMatch(/\/ack\//);
    const wecom = await waitFor(
      () => rx.received.find((r) => r.kind === 'wecom' && JSON.stringify(r.body).includes(`#${inc.number} `)),
      5000,
      'wecom to the operator',
    );
    expect(wecom.verified).toBe(true);
    // level 1 at 2 s: the supervisor on call, by SMS (Aliyun stand-in checks the signature)
    const l1 = await waitFor(
      () =>
        rx.received.find(
          (r) => r.kind === 'sms' && r.params?.PhoneNumbers === '13900000011' && r.params.TemplateParam?.includes(`#${inc.number} `),
        ),
      6000,
      'level 1 sms',
    );
    expect(l1.verified).toBe(true);
    // not before its delay, and in order; upper bounds are a benchmark's business (CI shares two cores)
    expect(l1.at - t0).toBeGreaterThanOrEqual(2000);
    expect(l0.at).toBeLessThan(l1.at);
    // level 2 at 4 s: the duty manager on call, DingTalk with their phone @-mentioned
    const l2 = await waitFor(
      () => rx.received.find((r) => r.kind === 'dingtalk' && JSON.stringify(r.body).includes(`#${inc.number} `)),
      8000,
      'level 2 dingtalk',
    );
    expect(l2.verified).toBe(true);
    expect(l2.at - t0).toBeGreaterThanOrEqual(4000);
    expect(l1.at).toBeLessThan(l2.at);
    expect((l2.body.at as { atMobiles: string[] }).atMobiles).toEqual(['13900000012']);

    // acknowledged on the dashboard: the chain stops for everyone
    expect((await api(t, 'POST', `/api/incidents/${inc.id}/actions/acknowledge`, { payload: { notes: '' } }, opTok)).status).toBe(200);
    const chain = await waitFor(
      async () => {
        const c = await t.hub.db.notificationChain.findUnique({ where: { incidentId: inc.id } });
        return c?.stoppedAt ? c : null;
      },
      5000,
      'chain stopped',
    );
    expect(chain).toMatchObject({ stopReason: 'acknowledged', nextAt: null });
    const ds = await deliveries(inc.id);
    // one per person per level (+ the webhook), none repeated after the acknowledgement
    expect(ds.map((d) => `${d.level}.${d.round}:${d.targetName}`).sort()).toEqual([
      '0.0:webhook',
      '0.0:值班员 王敏',
      '1.0:主管 张伟',
      '2.0:经理 刘强',
    ]);
    expect(ds.every((d) => d.state === 'acknowledged')).toBe(true);
  });

  it('repeats the last level until acknowledged', async () => {
    await api(t, 'PUT', '/api/escalation-policies/fire_alarm', {
      levels: [{ afterSeconds: 0, targets: [{ channelId: ch.webhook }] }],
      repeatEverySeconds: 10,
    });
    await t.hub.db.escalationPolicy.update({ where: { kind: 'fire_alarm' }, data: { repeatEverySeconds: 1 } }); // below the API minimum, for speed
    const inc = await fire('6F');
    await waitFor(() => webhookFor(inc.id).length >= 3, 8000, 'two repeats');
    const rounds = webhookFor(inc.id).map((r) => (r.body as unknown as WebhookPayload).items.find((i) => i.incident.id === inc.id)!.reason);
    expect(rounds.slice(0, 3)).toEqual(['opened', 'repeat', 'repeat']);
    await api(t, 'POST', `/api/incidents/${inc.id}/actions/acknowledge`, { payload: { notes: '' } }, opTok);
    await waitFor(async () => (await t.hub.db.notificationChain.findUnique({ where: { incidentId: inc.id } }))?.stoppedAt, 5000, 'stopped');
  });

  it('ack link: GET only shows a confirm page; POST acknowledges once, as that person, on the timeline', async () => {
    await api(t, 'PUT', '/api/escalation-policies/fire_alarm', {
      levels: [{ afterSeconds: 0, targets: [{ userId: ids.sup, via: [ch.webhook] }] }],
    });
    const inc = await fire('7F');
    const msg = await waitFor(() => webhookFor(inc.id)[0], 5000, 'webhook with the link');
    const link = (msg.body as unknown as WebhookPayload).ackUrl!;
    expect(link).toContain(t.http);
    const get = await fetch(link);
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('no-store');
    expect(await get.text()).toContain('主管 张伟');
    // a link preview (GET) acknowledged nothing
    let d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${inc.id}`)).body;
    expect(d.steps.find((s) => s.key === 'acknowledge')?.status).toBe('pending');
    const post = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('ack-done');
    d = (await api<IncidentDetail>(t, 'GET', `/api/incidents/${inc.id}`)).body;
    expect(d.steps.find((s) => s.key === 'acknowledge')).toMatchObject({ status: 'done', doneBy: `user:${ids.sup}` });
    expect(d.timeline.some((e) => e.actor === ids.sup && e.actorType === 'user')).toBe(true);
    // once only
    const again = await fetch(link, { method: 'POST' });
    expect(again.status).toBe(410);
    expect((await fetch(link)).status).toBe(410);
    // tampered
    const forged = link.replace(/\/ack\/([^.]+)\.(\d+)\./, (_m, id: string, exp: string) => `/ack/${id}.${Number(exp) + 1000}.`);
    expect((await fetch(forged, { method: 'POST' })).status).toBe(404);
    expect(await t.hub.db.auditLog.count({ where: { action: 'notification.ack_link', target: `incident:${inc.id}` } })).toBe(1);
  });

  it('a receiver answering 500 is retried with backoff, then the message falls back to the next channel', async () => {
    const down = await api<{ id: string }>(t, 'POST', '/api/notification-channels', {
      name: 'webhook-down',
      kind: 'webhook',
      config: { url: `${rx.url}/webhook-down`, secret: rx.secrets.webhook },
      fallbackChannelId: ch.feishu,
    });
    rx.failing.set('/webhook-down', 500);
    await api(t, 'PUT', '/api/escalation-policies/fire_alarm', { levels: [{ afterSeconds: 0, targets: [{ channelId: down.body.id }] }] });
    const inc = await fire('8F');
    const fb = await waitFor(
      () => rx.received.find((r) => r.kind === 'feishu' && JSON.stringify(r.body).includes(`#${inc.number} `)),
      20_000,
      'fallback to feishu',
    );
    expect(fb.verified).toBe(true);
    const tries = rx.received.filter(
      (r) => r.path === '/webhook-down' && (r.body as unknown as WebhookPayload).items?.some((i) => i.incident.id === inc.id),
    );
    expect(tries.length).toBe(3); // first try + NOTIFY_RETRY_LIMIT=2 retries
    // exponential backoff: the second gap is longer than the first
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThan(tries[1]!.at - tries[0]!.at);
    // the receiver has it; the row says so once the sender has recorded it
    const ds = await waitFor(
      async () => {
        const list = await deliveries(inc.id);
        return list.some((d) => d.channelId === ch.feishu && d.state === 'sent') ? list : null;
      },
      5000,
      'fallback recorded',
    );
    const failed = ds.find((d) => d.channelId === down.body.id)!;
    expect(failed).toMatchObject({ state: 'failed', attempts: 3 });
    expect(failed.lastError).toContain('HTTP 500');
    expect(ds.find((d) => d.channelId === ch.feishu)).toMatchObject({ state: 'sent', fallbackOf: failed.id });
    rx.failing.delete('/webhook-down');
    await api(t, 'POST', `/api/incidents/${inc.id}/actions/acknowledge`, { payload: { notes: '' } }, opTok);
  });

  it('a storm is grouped: 20 incidents at once become a few messages per recipient, each incident in exactly one', async () => {
    await api(t, 'PUT', '/api/escalation-policies/device_fault', { levels: [{ afterSeconds: 0, targets: [{ channelId: ch.webhook }] }] });
    const before = rx.received.length;
    const op = { id: ids.op, role: 'operator' as const };
    const opened = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.hub.incidents.report('device_fault', 'bldg-1', { deviceId: `storm-${i}`, description: '断电后离线' }, op),
      ),
    );
    const wanted = new Set(opened.map((o) => o.id));
    await waitFor(
      () => {
        const seen = rx.received
          .slice(before)
          .flatMap((r) => ((r.body as unknown as WebhookPayload).items ?? []).map((i) => i.incident.id));
        return [...wanted].every((id) => seen.includes(id));
      },
      10_000,
      'every storm incident delivered',
    );
    const msgs = rx.received
      .slice(before)
      .filter((r) => r.kind === 'webhook' && (r.body as unknown as WebhookPayload).items.some((i) => wanted.has(i.incident.id)));
    const items = msgs.flatMap((r) =>
      (r.body as unknown as WebhookPayload).items.filter((i) => wanted.has(i.incident.id)).map((i) => i.incident.id),
    );
    expect(items.length).toBe(20); // each exactly once
    expect(new Set(items).size).toBe(20);
    // at most one message per grouping window (300 ms here) while the storm was opening, and far fewer than 20
    const span = Math.max(...opened.map((o) => o.openedAt)) - Math.min(...opened.map((o) => o.openedAt));
    expect(msgs.length).toBeLessThanOrEqual(Math.ceil(span / 300) + 2);
    expect(msgs.length).toBeLessThan(20);
  });
  it("the procedures' own escalations (contractor overdue, …) reach the duty supervisor's phone; screen reminders stay on screen", async () => {
    const inc = await fire('9F');
    const sent = () =>
      rx.received.filter(
        (r) => r.kind === 'sms' && r.params?.PhoneNumbers === '13900000011' && r.params.TemplateParam?.includes(`#${inc.number} `),
      );
    // the bus is the procedures' real channel to the notification service
    t.hub.bus.emit('incident.notify', {
      incidentId: inc.id,
      kind: 'fire_alarm',
      building: inc.building,
      to: ['supervisor'],
      key: 'recontact_due',
      msg: { key: 'elevator_entrapment.notify.recontact_due' },
      params: {},
      at: Date.now(),
    });
    t.hub.bus.emit('incident.notify', {
      incidentId: inc.id,
      kind: 'fire_alarm',
      building: inc.building,
      to: ['supervisor'],
      key: 'escalated.contractor_overdue',
      // what the engine sends with it: the message to show (labels of the procedure that said it)
      msg: { key: 'elevator_entrapment.escalation.contractor_overdue' },
      params: {},
      at: Date.now(),
    });
    const sms = await waitFor(() => sent()[0], 10_000, 'escalation SMS to the supervisor on call');
    expect(sms.verified).toBe(true);
    expect(sms.params!.TemplateParam).toContain('维保超时未到场');
    // handled in order: the reminder before it produced nothing
    const ds = await deliveries(inc.id);
    expect(ds.filter((d) => d.reason === 'procedure').map((d) => d.targetName)).toContain('主管 张伟');
    expect(sent().length).toBe(1);
    await api(t, 'POST', `/api/incidents/${inc.id}/actions/acknowledge`, { payload: { notes: '' } }, opTok);
  });
  it("a flapping device's repeated faults are sent once, then summarised", async () => {
    await api(t, 'PUT', '/api/escalation-policies/device_fault', { levels: [{ afterSeconds: 0, targets: [{ channelId: ch.webhook }] }] });
    // the incident service already folds a device's repeats into one incident while it is open or
    // recently closed; what still arrives as separate incidents on the bus is summarised here
    const view = (n: number) => ({
      id: randomUUID(),
      number: 9000 + n,
      kind: 'device_fault',
      state: 'open',
      open: true,
      severity: 40,
      site: 'site-1',
      building: 'bldg-1',
      floor: null,
      deviceId: 'flappy-1',
      parentId: null,
      title: '设备故障 Device fault · flappy-1',
      openedAt: Date.now(),
      closedAt: null,
      steps: [{ key: 'acknowledge', ord: 0, required: true, status: 'pending', doneBy: null, doneAt: null, notes: '', data: {} }],
      timers: [],
      data: {},
      commands: [],
      children: [],
    });
    const [a, b, c] = [view(1), view(2), view(3)];
    for (const v of [a, b, c]) t.hub.bus.emit('incident.opened', v);
    const carrying = (id: string) =>
      rx.received
        .filter((r) => r.kind === 'webhook')
        .flatMap((r) => ((r.body as unknown as WebhookPayload).items ?? []).filter((i) => i.incident.id === id));
    // the summary at the end of the window is the positive signal that the repeats were handled
    const summary = await waitFor(() => carrying(c.id).find((i) => i.reason === 'summary'), 15_000, 'flap summary');
    expect(summary.incident.id).toBe(c.id);
    expect(carrying(a.id).map((i) => i.reason)).toEqual(['opened']);
    expect(carrying(b.id)).toEqual([]);
    const msg = rx.received.find((r) =>
      (r.body as unknown as WebhookPayload).items?.some((i) => i.incident.id === c.id && i.reason === 'summary'),
    )!;
    expect((msg.body as unknown as WebhookPayload).text).toContain('又报 2 次');
  });
});

describe('resident notices', () => {
  it('SMS to the affected owners; the 72 h rule counts from when the notice was actually sent', async () => {
    await t.hub.db.unit.createMany({
      data: [
        { buildingId: 'bldg-1', number: '301', floor: 3, ownerName: '刘芳', ownerPhone: '13800000301' },
        { buildingId: 'bldg-1', number: '501', floor: 5, ownerName: '陈建国', ownerPhone: '13800000501' },
        { buildingId: 'bldg-1', number: '502', floor: 5, ownerName: '赵雷', ownerPhone: '' },
        { buildingId: 'bldg-1', number: '901', floor: 9, ownerName: '孙丽', ownerPhone: '13800000901' },
      ],
    });
    const start = Date.now() + 80 * 3600_000;
    const po = await api<{ id: string }>(
      t,
      'POST',
      '/api/planned-outages',
      {
        building: 'bldg-1',
        startsAt: start,
        endsAt: start + 4 * 3600_000,
        noticeAt: Date.now(),
        residentsMustPrepare: true,
        reason: '变压器检修',
      },
      supTok,
    );
    expect(po.status, JSON.stringify(po.body)).toBe(201);
    const n = await api<NoticeView>(
      t,
      'POST',
      '/api/resident-notices',
      {
        kind: 'outage',
        building: 'bldg-1',
        floors: [3, 5],
        text: '1 号楼计划停电检修,请提前做好准备',
        channelId: ch.sms,
        plannedOutageId: po.body.id,
      },
      supTok,
    );
    expect(n.status, JSON.stringify(n.body)).toBe(201);
    expect(n.body.recipients).toBe(2); // floors 3 and 5 with a phone
    const sent = await waitFor(
      async () => {
        const list = (await api<NoticeView[]>(t, 'GET', '/api/resident-notices', undefined, opTok)).body;
        const x = list.find((y) => y.id === n.body.id);
        return x?.sentAt ? x : null;
      },
      10_000,
      'notice sent',
    );
    expect(sent).toMatchObject({ sent: 2, failed: 0, queued: 0, outage: { requiredNoticeHours: 72, meetsRule: true } });
    const phones = rx.received
      .filter((r) => r.kind === 'sms' && r.verified && r.params?.TemplateParam?.includes('计划停电'))
      .map((r) => r.params!.PhoneNumbers);
    expect(phones.sort()).toEqual(['13800000301', '13800000501']);
    const row = await t.hub.db.plannedOutage.findUnique({ where: { id: po.body.id } });
    expect(row?.noticeSentAt?.getTime()).toBe(sent.sentAt);
    expect(await t.hub.db.personalDataAccess.count({ where: { subject: 'units:bldg-1' } })).toBe(1);
    // owners' numbers never appear in the delivery list
    const ds = (await api<DeliveryView[]>(t, 'GET', `/api/notifications?notice=${n.body.id}`, undefined, opTok)).body;
    expect(JSON.stringify(ds)).not.toContain('13800000301');
    expect(ds.map((d) => d.targetName).sort()).toEqual(['bldg-1 301', 'bldg-1 501']);
  });
});

describe('on-call rota', () => {
  it('rotations, overrides, and who is on call at a time', async () => {
    const day = 86_400_000;
    const base = Date.UTC(2030, 0, 1, 0, 0); // 08:00 CST
    const a = await api<{ id: string }>(t, 'POST', '/api/oncall', {
      userId: ids.op,
      role: 'operator',
      from: base,
      to: base + 10 * 3600_000,
      repeatEveryDays: 1,
      buildings: ['bldg-1'],
    });
    expect(a.status).toBe(201);
    const who = async (at: number) =>
      (
        await api<{ onCall: Array<{ userId: string }> }>(t, 'GET', `/api/oncall?at=${at}&role=operator&building=bldg-1`, undefined, opTok)
      ).body.onCall.map((x) => x.userId);
    expect(await who(base + 3 * day + 3600_000)).toEqual([ids.op]);
    expect(await who(base + 3 * day + 11 * 3600_000)).toEqual([]);
    // an override (顶班) on day 3 replaces the rotation while it lasts
    await api(t, 'POST', '/api/oncall', {
      userId: ids.mgr,
      role: 'operator',
      from: base + 3 * day,
      to: base + 3 * day + 5 * 3600_000,
      override: true,
    });
    expect(await who(base + 3 * day + 3600_000)).toEqual([ids.mgr]);
    expect(await who(base + 3 * day + 6 * 3600_000)).toEqual([ids.op]);
    expect((await api(t, 'POST', '/api/oncall', { userId: ids.op, role: 'operator', from: base, to: base - 1 })).status).toBe(400);
    expect((await api(t, 'POST', '/api/oncall', { userId: ids.op, role: 'operator', from: base, to: base + 1 }, opTok)).status).toBe(403);
  });

  it('tells a person when their on-call shift starts', async () => {
    await api(t, 'PUT', `/api/notify-profiles/${ids.mgr}`, { channels: [ch.sms] });
    const from = Date.now() + 1500;
    await api(t, 'POST', '/api/oncall', { userId: ids.mgr, role: 'supervisor', from, to: from + 3600_000 });
    const sms = await waitFor(
      () =>
        rx.received.find((r) => r.kind === 'sms' && r.params?.PhoneNumbers === '13900000012' && r.params.TemplateParam?.includes('值班')),
      10_000,
      'on-call start SMS',
    );
    expect(sms.verified).toBe(true);
    expect(sms.at).toBeGreaterThanOrEqual(from);
  });
});
