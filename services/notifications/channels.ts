// Channel adapters: one small adapter per channel kind behind one interface. Each builds the
// provider's documented request (signing in signing.ts) and turns the provider's answer into
// "sent" or an error that the outbox retries. Secrets arrive in the config and are never logged.
import type { ChannelConfigOf, ChannelKind, WebhookPayload } from '../../contracts/notifications.js';
import { aliyunRpcParams, dingtalkSign, feishuSign, webhookSignature } from './signing.js';

/** What one outgoing message says, in every shape a channel may need. */
export interface OutMessage {
  /** the outbox message id: sent as Idempotency-Key so receivers can drop a resend after a crash */
  id: string;
  title: string;
  /** plain text (SMS, WeCom/Feishu text, e-mail text part) */
  text: string;
  /** markdown (DingTalk) */
  markdown: string;
  /** CONTRACT.md webhook body */
  payload: WebhookPayload;
  /** people to @-mention in a group (their phones) */
  mentions: Array<{ name: string; phone: string | null }>;
}

/** A person's address for personal channels (email/sms/voice); group channels ignore it. */
export interface Recipient {
  address: string | null;
  name: string;
}

export interface SendContext {
  now: () => number;
  timeoutMs: number;
}

export class SendError extends Error {
  constructor(
    message: string,
    /** false: retrying cannot help (bad config, rejected number) — go to the fallback at once */
    readonly retryable = true,
  ) {
    super(message);
  }
}

export interface ChannelAdapter<K extends ChannelKind = ChannelKind> {
  kind: K;
  /** personal channels need an address per person; group channels post to one place */
  personal: boolean;
  send(cfg: ChannelConfigOf<K>, msg: OutMessage, to: Recipient, ctx: SendContext): Promise<string>;
}

async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  ctx: SendContext,
): Promise<{ status: number; text: string }> {
  let r: Response;
  try {
    r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (err) {
    throw new SendError(`request failed: ${(err as Error).message}`);
  }
  const text = await r.text().catch(() => '');
  if (r.status < 200 || r.status >= 300)
    throw new SendError(
      `HTTP ${r.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      r.status >= 500 || r.status === 429 || r.status === 408,
    );
  return { status: r.status, text };
}

function parse(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** robots answer 200 with an error code in the body (e.g. DingTalk 310000 sign mismatch) */
function robotResult(text: string, codeField: 'errcode' | 'code'): string {
  const b = parse(text);
  const code = b[codeField] ?? (codeField === 'code' ? b.StatusCode : undefined);
  if (code !== undefined && code !== 0) {
    const msg = String(b.errmsg ?? b.msg ?? b.StatusMessage ?? '');
    throw new SendError(`${codeField} ${String(code)}: ${msg.slice(0, 200)}`);
  }
  return 'ok';
}

const webhook: ChannelAdapter<'webhook'> = {
  kind: 'webhook',
  personal: false,
  async send(cfg, msg, _to, ctx) {
    const body = JSON.stringify(msg.payload);
    const ts = ctx.now();
    const headers: Record<string, string> = { 'idempotency-key': msg.id, 'x-bops-timestamp': String(ts) };
    if (cfg.secret) headers['x-bops-signature'] = webhookSignature(cfg.secret, ts, body);
    const r = await postJson(cfg.url, body, headers, ctx);
    return `HTTP ${r.status}`;
  },
};

/** 企业微信群机器人: text message; mentioned_mobile_list @-mentions by phone. */
const wecom: ChannelAdapter<'wecom'> = {
  kind: 'wecom',
  personal: false,
  async send(cfg, msg, _to, ctx) {
    const url = new URL(cfg.url);
    url.searchParams.set('key', cfg.key);
    const phones = msg.mentions.map((m) => m.phone).filter((p): p is string => !!p);
    const body = JSON.stringify({ msgtype: 'text', text: { content: msg.text, mentioned_mobile_list: phones } });
    const r = await postJson(url.toString(), body, {}, ctx);
    return robotResult(r.text, 'errcode');
  },
};

/** 钉钉自定义机器人: markdown; at.atMobiles @-mentions by phone (the text must contain @phone). */
const dingtalk: ChannelAdapter<'dingtalk'> = {
  kind: 'dingtalk',
  personal: false,
  async send(cfg, msg, _to, ctx) {
    const url = new URL(cfg.url);
    url.searchParams.set('access_token', cfg.accessToken);
    if (cfg.secret) {
      const ts = ctx.now();
      url.searchParams.set('timestamp', String(ts));
      url.searchParams.set('sign', dingtalkSign(cfg.secret, ts));
    }
    const phones = msg.mentions.map((m) => m.phone).filter((p): p is string => !!p);
    const text = phones.length ? `${msg.markdown}\n\n${phones.map((p) => `@${p}`).join(' ')}` : msg.markdown;
    const body = JSON.stringify({ msgtype: 'markdown', markdown: { title: msg.title, text }, at: { atMobiles: phones, isAtAll: false } });
    const r = await postJson(url.toString(), body, {}, ctx);
    return robotResult(r.text, 'errcode');
  },
};

/** 飞书自定义机器人: text; signed with timestamp (s) + sign in the body. Feishu @-mentions need open ids, so names are written out. */
const feishu: ChannelAdapter<'feishu'> = {
  kind: 'feishu',
  personal: false,
  async send(cfg, msg, _to, ctx) {
    const url = `${cfg.url.replace(/\/+$/, '')}/${encodeURIComponent(cfg.hookId)}`;
    const signed: Record<string, string> = {};
    if (cfg.secret) {
      const ts = Math.floor(ctx.now() / 1000);
      signed.timestamp = String(ts);
      signed.sign = feishuSign(cfg.secret, ts);
    }
    const body = JSON.stringify({ ...signed, msg_type: 'text', content: { text: msg.text } });
    const r = await postJson(url, body, {}, ctx);
    return robotResult(r.text, 'code');
  },
};

const email: ChannelAdapter<'email'> = {
  kind: 'email',
  personal: true,
  async send(cfg, msg, to, ctx) {
    const recipients = to.address ? [to.address] : cfg.to;
    if (!recipients.length) throw new SendError('no e-mail address', false);
    // loaded on first use: most estates never configure e-mail, and nodemailer costs ≈ 3 MB of
    // heap held for the process' life (BENCHMARKS.md "Idle memory")
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.security === 'tls',
      requireTLS: cfg.security === 'starttls',
      ignoreTLS: cfg.security === 'none',
      ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password ?? '' } } : {}),
      ...(cfg.ca ? { tls: { ca: cfg.ca } } : {}),
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
    });
    try {
      const info = await transport.sendMail({
        from: cfg.from,
        to: recipients,
        subject: msg.title,
        text: msg.text,
        headers: { 'X-Bops-Message-Id': msg.id },
      });
      return `accepted ${info.accepted.length}`;
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      // 5xx: permanent (bad address, auth refused) — 4xx and network errors are worth a retry
      throw new SendError(`smtp: ${e.message}`, !(e.responseCode && e.responseCode >= 500 && e.code !== 'ECONNECTION'));
    } finally {
      transport.close();
    }
  },
};

/**
 * SMS and voice go through a provider adapter, so another provider (Tencent Cloud, …) is one
 * more implementation of this interface.
 */
export interface PhoneProvider {
  sms(cfg: ChannelConfigOf<'sms'>, phones: string[], text: string, ctx: SendContext): Promise<string>;
  call(cfg: ChannelConfigOf<'voice'>, phone: string, text: string, ctx: SendContext): Promise<string>;
}

async function aliyunCall(endpoint: string, params: Record<string, string>, ctx: SendContext): Promise<Record<string, unknown>> {
  let r: Response;
  try {
    r = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (err) {
    throw new SendError(`request failed: ${(err as Error).message}`);
  }
  const b = parse(await r.text().catch(() => ''));
  if (r.status >= 500) throw new SendError(`HTTP ${r.status} ${String(b.Code ?? '')}`);
  // Code "OK" is success; throttling codes are worth a retry, the rest (bad number, template) are not
  if (b.Code !== 'OK') {
    const code = String(b.Code ?? `HTTP ${r.status}`);
    throw new SendError(`${code}: ${String(b.Message ?? '').slice(0, 200)}`, /Throttling|LIMIT|ServiceUnavailable/i.test(code));
  }
  return b;
}

/** Alibaba Cloud Dysmsapi SendSms / Dyvmsapi SingleCallByTts (API version 2017-05-25, RPC signature). */
export const aliyunProvider: PhoneProvider = {
  async sms(cfg, phones, text, ctx) {
    const params = aliyunRpcParams(
      'SendSms',
      '2017-05-25',
      cfg.accessKeyId,
      cfg.accessKeySecret,
      {
        RegionId: cfg.regionId,
        PhoneNumbers: phones.join(','),
        SignName: cfg.signName,
        TemplateCode: cfg.templateCode,
        TemplateParam: JSON.stringify({ text }),
      },
      ctx.now(),
    );
    const b = await aliyunCall(cfg.endpoint, params, ctx);
    return `BizId ${String(b.BizId ?? '')}`;
  },
  async call(cfg, phone, text, ctx) {
    const params = aliyunRpcParams(
      'SingleCallByTts',
      '2017-05-25',
      cfg.accessKeyId,
      cfg.accessKeySecret,
      {
        RegionId: cfg.regionId,
        CalledNumber: phone,
        TtsCode: cfg.ttsCode,
        TtsParam: JSON.stringify({ text }),
        ...(cfg.calledShowNumber ? { CalledShowNumber: cfg.calledShowNumber } : {}),
      },
      ctx.now(),
    );
    const b = await aliyunCall(cfg.endpoint, params, ctx);
    return `CallId ${String(b.CallId ?? '')}`;
  },
};

const PROVIDERS: Record<'aliyun', PhoneProvider> = { aliyun: aliyunProvider };

const sms: ChannelAdapter<'sms'> = {
  kind: 'sms',
  personal: true,
  async send(cfg, msg, to, ctx) {
    const phones = to.address ? [to.address] : cfg.phones;
    if (!phones.length) throw new SendError('no phone number', false);
    return PROVIDERS[cfg.provider].sms(cfg, phones, msg.text.slice(0, 300), ctx);
  },
};

const voice: ChannelAdapter<'voice'> = {
  kind: 'voice',
  personal: true,
  async send(cfg, msg, to, ctx) {
    const phones = to.address ? [to.address] : cfg.phones;
    if (!phones.length) throw new SendError('no phone number', false);
    const out: string[] = [];
    // a TTS call says the headline only
    for (const p of phones) out.push(await PROVIDERS[cfg.provider].call(cfg, p, msg.title.slice(0, 120), ctx));
    return out.join(', ');
  },
};

export const ADAPTERS: { [K in ChannelKind]: ChannelAdapter<K> } = { webhook, wecom, dingtalk, feishu, email, sms, voice };

export function adapterFor(kind: ChannelKind): ChannelAdapter {
  return ADAPTERS[kind] as unknown as ChannelAdapter;
}
