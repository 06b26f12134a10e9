// HTTP routes of notifications (CONTRACT.md "Notifications"): supervisors and admins configure,
// everyone signed in sees deliveries. The ack link pages (/ack/:token) need no session: the
// signed single-use token is the credential, and only a POST acknowledges.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorView } from '../../contracts/api.js';
import {
  ChannelCreateBody,
  ChannelPatchBody,
  ChannelTestBody,
  ChannelTestResult,
  ChannelView,
  DeliveryQuery,
  DeliveryView,
  KindParams,
  NoticeBody,
  NoticeQuery,
  NoticeView,
  OnCallBody,
  OnCallQuery,
  OnCallResponse,
  OnCallShiftView,
  PolicyBody,
  PolicyView,
  ProfileBody,
  ProfileView,
} from '../../contracts/notifications.js';
import type { NotificationService } from './service.js';

const Uuid = z.object({ id: z.uuid() });
const errs = { 400: ErrorView, 401: ErrorView, 403: ErrorView, 404: ErrorView, 409: ErrorView };
const tags = ['notifications'];

export const notificationRoutes: FastifyPluginAsyncZod<{ notify: NotificationService }> = async (app, { notify }) => {
  const anyone = app.requireRole();
  const supervisor = app.requireRole('supervisor');
  const desk = app.requireRole('frontdesk', 'supervisor');
  const me = (req: { user: { id: string; role: import('../../contracts/domain.js').Role; buildings: string[] } | null }) => ({
    id: req.user!.id,
    role: req.user!.role,
    buildings: req.user!.buildings,
  });

  // ---------------------------------------------------------------- channels
  app.post(
    '/api/notification-channels',
    {
      schema: {
        tags,
        summary: 'Add a channel (webhook, wecom, dingtalk, feishu, email, sms, voice)',
        body: ChannelCreateBody,
        response: { 201: z.object({ id: z.string() }), ...errs },
      },
      preHandler: supervisor,
    },
    async (req, reply) => reply.code(201).send(await notify.createChannel(me(req), req.body)),
  );
  app.get(
    '/api/notification-channels',
    {
      schema: { tags, summary: 'Channels (secrets are never returned: see secretsSet)', response: { 200: z.array(ChannelView), ...errs } },
      preHandler: supervisor,
    },
    async () => notify.listChannels(),
  );
  app.patch(
    '/api/notification-channels/:id',
    {
      schema: {
        tags,
        summary: 'Change a channel (omitted or masked secrets keep their value)',
        params: Uuid,
        body: ChannelPatchBody,
        response: { 200: ChannelView, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => notify.patchChannel(me(req), req.params.id, req.body),
  );
  app.post(
    '/api/notification-channels/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a test message through the channel now',
        params: Uuid,
        body: ChannelTestBody.optional(),
        response: { 200: ChannelTestResult, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => notify.testChannel(me(req), req.params.id, req.body?.to),
  );

  // ---------------------------------------------------------------- escalation policies
  app.get(
    '/api/escalation-policies',
    {
      schema: {
        tags,
        summary: 'Escalation policy of every incident kind (defaults from PROCEDURES.md until edited)',
        response: { 200: z.array(PolicyView), ...errs },
      },
      preHandler: anyone,
    },
    async () => notify.listPolicies(),
  );
  app.get(
    '/api/escalation-policies/:kind',
    { schema: { tags, summary: 'One escalation policy', params: KindParams, response: { 200: PolicyView, ...errs } }, preHandler: anyone },
    async (req) => notify.getPolicy(req.params.kind),
  );
  app.put(
    '/api/escalation-policies/:kind',
    {
      schema: {
        tags,
        summary: 'Set the escalation chain of an incident kind',
        params: KindParams,
        body: PolicyBody,
        response: { 200: PolicyView, ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => notify.putPolicy(me(req), req.params.kind, req.body),
  );
  app.delete(
    '/api/escalation-policies/:kind',
    {
      schema: { tags, summary: 'Back to the default policy', params: KindParams, response: { 200: PolicyView, ...errs } },
      preHandler: supervisor,
    },
    async (req) => notify.resetPolicy(me(req), req.params.kind),
  );

  // ---------------------------------------------------------------- on-call rota
  app.post(
    '/api/oncall',
    {
      schema: {
        tags,
        summary: 'Add an on-call shift (rotation with repeatEveryDays, or an override)',
        body: OnCallBody,
        response: { 201: OnCallShiftView, ...errs },
      },
      preHandler: supervisor,
    },
    async (req, reply) => reply.code(201).send(await notify.createShift(me(req), req.body)),
  );
  app.get(
    '/api/oncall',
    {
      schema: {
        tags,
        summary: 'Who is on call at `at` (default now), and the rota',
        querystring: OnCallQuery,
        response: { 200: OnCallResponse, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => notify.onCall(req.query, me(req)),
  );
  app.delete(
    '/api/oncall/:id',
    {
      schema: { tags, summary: 'Remove a shift from the rota', params: Uuid, response: { 204: z.null(), ...errs } },
      preHandler: supervisor,
    },
    async (req, reply) => {
      await notify.deleteShift(me(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  // ---------------------------------------------------------------- how staff are reached
  app.get(
    '/api/notify-profiles',
    {
      schema: {
        tags,
        summary: 'Staff phones / e-mails / preferred channels for notifications',
        response: { 200: z.array(ProfileView), ...errs },
      },
      preHandler: supervisor,
    },
    async (req) => notify.profiles(me(req)),
  );
  app.put(
    '/api/notify-profiles/:id',
    {
      schema: {
        tags,
        summary: "Set a user's notification phone / e-mail / channels (own, or any as supervisor)",
        params: Uuid,
        body: ProfileBody,
        response: { 200: ProfileView, ...errs },
      },
      preHandler: anyone,
    },
    async (req) => notify.putProfile(me(req), req.params.id, req.body),
  );

  // ---------------------------------------------------------------- deliveries
  app.get(
    '/api/notifications',
    {
      schema: {
        tags,
        summary: 'Deliveries (queued | sent | failed | acknowledged) with attempts and last error',
        querystring: DeliveryQuery,
        response: { 200: z.array(DeliveryView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => notify.deliveries(req.query, me(req)),
  );

  // ---------------------------------------------------------------- resident notices
  app.post(
    '/api/resident-notices',
    {
      schema: {
        tags,
        summary: 'Notify the affected owners by SMS (outage / water / weather)',
        body: NoticeBody,
        response: { 201: NoticeView, ...errs },
      },
      preHandler: desk,
    },
    async (req, reply) => reply.code(201).send(await notify.createNotice(me(req), req.body)),
  );
  app.get(
    '/api/resident-notices',
    {
      schema: {
        tags,
        summary: 'Notice board: resident notices with their delivery counts',
        querystring: NoticeQuery,
        response: { 200: z.array(NoticeView), ...errs },
      },
      preHandler: anyone,
    },
    async (req) => notify.notices(req.query, me(req)),
  );

  // ---------------------------------------------------------------- ack links (no session)
  // the confirm page's form posts url-encoded; nothing in its body is used
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) => done(null, {}));
  const Token = z.object({ token: z.string().min(10).max(200) });
  const page = (
    title: string,
    body: string,
  ) => `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111}h1{font-size:1.3rem}button{font-size:1.1rem;padding:.7rem 1.4rem;background:#b91c1c;color:#fff;border:0;border-radius:6px}.muted{color:#555}.ok{color:#166534}.err{color:#b91c1c}</style></head><body>${body}</body></html>`;
  const reasonText: Record<string, string> = {
    invalid: '链接无效 / This link is not valid.',
    expired: '链接已过期 / This link has expired.',
    used: '链接已使用过(每个链接只能确认一次)/ This link has already been used (each link works once).',
    refused: '无法确认 / Could not acknowledge',
  };
  const noStore = {
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  };

  app.get('/ack/:token', { schema: { hide: true, params: Token } }, async (req, reply) => {
    const info = await notify.ackInfo(req.params.token);
    reply.headers(noStore).type('text/html; charset=utf-8');
    if (!info.ok)
      return reply
        .code(info.reason === 'invalid' ? 404 : 410)
        .send(page('确认 Acknowledge', `<h1 class="err" data-testid="ack-error">${esc(reasonText[info.reason]!)}</h1>`));
    const [zh, en] = notify.kindText(info.incident.kind);
    const head = `<h1>#${info.incident.number} ${esc(zh)} ${esc(en)}</h1><p>${esc(info.incident.building)} · ${esc(info.incident.title)}</p>`;
    if (info.incident.acknowledged)
      return reply.send(
        page('已确认 Acknowledged', `${head}<p class="ok" data-testid="ack-already">已有人确认 / Already acknowledged.</p>`),
      );
    return reply.send(
      page(
        '确认事件 Acknowledge',
        `${head}<p class="muted">以 <b>${esc(info.person)}</b> 的身份确认此事件,升级通知随即停止。<br>Acknowledge as <b>${esc(info.person)}</b>; the escalation stops for everyone.</p>
<form method="post"><button type="submit" data-testid="ack-confirm">确认 Acknowledge</button></form>`,
      ),
    );
  });
  app.post('/ack/:token', { schema: { hide: true, params: Token } }, async (req, reply) => {
    const r = await notify.ackConfirm(req.params.token);
    reply.headers(noStore).type('text/html; charset=utf-8');
    if (!r.ok) {
      const detail = r.reason === 'refused' && r.detail ? `<p class="muted">${esc(r.detail)}</p>` : '';
      return reply
        .code(r.reason === 'invalid' ? 404 : r.reason === 'refused' ? 409 : 410)
        .send(page('确认 Acknowledge', `<h1 class="err" data-testid="ack-error">${esc(reasonText[r.reason]!)}</h1>${detail}`));
    }
    return reply.send(
      page(
        '已确认 Acknowledged',
        `<h1 class="ok" data-testid="ack-done">#${r.number} ${r.already ? '已有人确认 / Already acknowledged' : '已确认,升级已停止 / Acknowledged; escalation stopped'}</h1>`,
      ),
    );
  });
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
