// Notifications: channels, escalation policies, on-call rota, deliveries, ack links and
// resident notices (CONTRACT.md "Notifications"; PROCEDURES.md "Reaching people 通知与升级"; issue #9).
// Route shapes live here so the OpenAPI document is generated from the same schemas.
import { z } from 'zod';
import { EpochMs, EpochMsQuery } from './common.js';
import { INCIDENT_KINDS, Role } from './domain.js';

/**
 * Incident kinds a policy can be written for: every incident kind once (the policy screen lists
 * one row per entry), complaints (PROCEDURES.md §9) included since they became a procedure.
 */
export const NOTIFY_KINDS = [...INCIDENT_KINDS] as const;
export const NotifyKind = z.enum(NOTIFY_KINDS);
export type NotifyKind = z.infer<typeof NotifyKind>;

/** CONTRACT.md lists webhook | wecom | dingtalk | feishu | email | sms; `voice` is the life-safety call. */
export const CHANNEL_KINDS = ['webhook', 'wecom', 'dingtalk', 'feishu', 'email', 'sms', 'voice'] as const;
export const ChannelKind = z.enum(CHANNEL_KINDS);
export type ChannelKind = z.infer<typeof ChannelKind>;
/** group robots and webhooks post to one place; email/sms/voice reach a person's address */
export const GROUP_CHANNEL_KINDS: readonly ChannelKind[] = ['webhook', 'wecom', 'dingtalk', 'feishu'];

/** Rota duties (值班岗位): the user roles plus the duty manager (值班经理) of PROCEDURES.md §2.4. */
export const ONCALL_ROLES = ['operator', 'frontdesk', 'supervisor', 'manager'] as const;
export const OnCallRole = z.enum(ONCALL_ROLES);
export type OnCallRole = z.infer<typeof OnCallRole>;

const Url = z.url({ protocol: /^https?$/ }).max(2000);
const Secret = z.string().min(1).max(4000);
const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9-]{5,20}$/, 'phone must be digits (optionally +country code)');

// ---------------------------------------------------------------- channel configurations
// Fields named in SECRET_FIELDS are configuration secrets: stored encrypted, never returned.

export const WebhookConfig = z.object({
  url: Url,
  /** HMAC-SHA256 key: the request carries X-Bops-Timestamp and X-Bops-Signature */
  secret: Secret.optional(),
});
export const WecomConfig = z.object({
  /** 企业微信群机器人: https://qyapi.weixin.qq.com/cgi-bin/webhook/send (the key goes in ?key=) */
  url: Url.default('https://qyapi.weixin.qq.com/cgi-bin/webhook/send'),
  key: Secret,
});
export const DingtalkConfig = z.object({
  /** 钉钉自定义机器人: https://oapi.dingtalk.com/robot/send (?access_token=) */
  url: Url.default('https://oapi.dingtalk.com/robot/send'),
  accessToken: Secret,
  /** 加签 secret (SEC…): timestamp + sign query parameters */
  secret: Secret.optional(),
});
export const FeishuConfig = z.object({
  /** 飞书自定义机器人: https://open.feishu.cn/open-apis/bot/v2/hook/<hookId> */
  url: Url.default('https://open.feishu.cn/open-apis/bot/v2/hook'),
  hookId: Secret,
  /** 签名校验 secret: timestamp + sign in the body */
  secret: Secret.optional(),
});
export const EmailConfig = z.object({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(587),
  /** tls: implicit TLS (465); starttls: upgrade required (587); none: plain (loopback relays only) */
  security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
  user: z.string().max(255).optional(),
  password: Secret.optional(),
  from: z.string().min(3).max(255),
  /** group addresses when the channel itself is a target */
  to: z.array(z.email()).max(50).default([]),
  /** PEM of a private CA the server's certificate is signed by */
  ca: z.string().max(20_000).optional(),
});
export const SmsConfig = z.object({
  /** the provider adapter; Aliyun Dysmsapi (RPC signature) is implemented */
  provider: z.enum(['aliyun']).default('aliyun'),
  endpoint: Url.default('https://dysmsapi.aliyuncs.com/'),
  accessKeyId: z.string().min(1).max(128),
  accessKeySecret: Secret,
  regionId: z.string().max(64).default('cn-hangzhou'),
  /** 短信签名 */
  signName: z.string().min(1).max(64),
  /** 模板 code; the template's variables: ${text} (and ${link} when present) */
  templateCode: z.string().min(1).max(64),
  /** group numbers when the channel itself is a target */
  phones: z.array(Phone).max(50).default([]),
});
export const VoiceConfig = z.object({
  provider: z.enum(['aliyun']).default('aliyun'),
  endpoint: Url.default('https://dyvmsapi.aliyuncs.com/'),
  accessKeyId: z.string().min(1).max(128),
  accessKeySecret: Secret,
  regionId: z.string().max(64).default('cn-hangzhou'),
  /** 语音通知 TTS 模板 code; variable ${text} */
  ttsCode: z.string().min(1).max(64),
  calledShowNumber: z.string().max(32).optional(),
  phones: z.array(Phone).max(50).default([]),
});

export const CHANNEL_CONFIGS = {
  webhook: WebhookConfig,
  wecom: WecomConfig,
  dingtalk: DingtalkConfig,
  feishu: FeishuConfig,
  email: EmailConfig,
  sms: SmsConfig,
  voice: VoiceConfig,
} as const;
export type ChannelConfigOf<K extends ChannelKind> = z.infer<(typeof CHANNEL_CONFIGS)[K]>;
export type AnyChannelConfig = ChannelConfigOf<ChannelKind>;

export const SECRET_FIELDS: Record<ChannelKind, readonly string[]> = {
  webhook: ['secret'],
  wecom: ['key'],
  dingtalk: ['accessToken', 'secret'],
  feishu: ['hookId', 'secret'],
  email: ['password'],
  sms: ['accessKeySecret'],
  voice: ['accessKeySecret'],
};

export const ChannelCreateBody = z.object({
  name: z.string().trim().min(1).max(80),
  kind: ChannelKind,
  /** validated against the kind's schema (CHANNEL_CONFIGS) */
  config: z.record(z.string(), z.unknown()),
  enabled: z.boolean().default(true),
  /** where a message goes when this channel keeps failing (after its retries) */
  fallbackChannelId: z.uuid().nullable().default(null),
});
export const ChannelPatchBody = z.object({
  name: z.string().trim().min(1).max(80).optional(),
  /** merged over the stored config; a secret field left out (or sent masked) keeps its value */
  config: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
  fallbackChannelId: z.uuid().nullable().optional(),
});
export const ChannelView = z.object({
  id: z.string(),
  name: z.string(),
  kind: ChannelKind,
  enabled: z.boolean(),
  fallbackChannelId: z.string().nullable(),
  /** the configuration without its secrets */
  config: z.record(z.string(), z.unknown()),
  /** which secret fields are set (their values are never returned) */
  secretsSet: z.array(z.string()),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type ChannelView = z.infer<typeof ChannelView>;
export const ChannelTestBody = z.object({
  /** phone / e-mail for a personal channel (default: the caller's profile) */
  to: z.string().trim().min(3).max(255).optional(),
});
export const ChannelTestResult = z.object({ ok: z.boolean(), detail: z.string() });

// ---------------------------------------------------------------- escalation policies

/** CONTRACT.md targets; `via` (person targets): the channels to reach them by, in fallback order */
export const Target = z.union([
  z.strictObject({ channelId: z.uuid() }),
  z.strictObject({ userId: z.uuid(), via: z.array(z.uuid()).max(5).optional() }),
  z.strictObject({ role: Role, via: z.array(z.uuid()).max(5).optional() }),
  z.strictObject({ onCall: OnCallRole, via: z.array(z.uuid()).max(5).optional() }),
]);
export type Target = z.infer<typeof Target>;
export const Level = z.object({
  afterSeconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 86400),
  targets: z.array(Target).min(1).max(20),
});
export type Level = z.infer<typeof Level>;
export const PolicyBody = z
  .object({
    levels: z.array(Level).min(1).max(10),
    /** after the last level, send it again every N s until acknowledged; null: no repeat */
    repeatEverySeconds: z.number().int().min(10).max(86400).nullable().optional(),
    enabled: z.boolean().default(true),
  })
  .refine((p) => p.levels.every((l, i) => i === 0 || l.afterSeconds > p.levels[i - 1]!.afterSeconds), {
    message: 'levels must have strictly increasing afterSeconds',
    path: ['levels'],
  });
export type PolicyBody = z.infer<typeof PolicyBody>;
export const PolicyView = z.object({
  kind: NotifyKind,
  levels: z.array(Level),
  repeatEverySeconds: z.number().nullable(),
  enabled: z.boolean(),
  /** true when nobody has edited it: the PROCEDURES.md default */
  isDefault: z.boolean(),
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
  /** display name of updatedBy */
  updatedByName: z.string().nullable(),
});
export type PolicyView = z.infer<typeof PolicyView>;
export const KindParams = z.object({ kind: NotifyKind });

// ---------------------------------------------------------------- on-call rota 值班表

export const OnCallBody = z
  .object({
    userId: z.uuid(),
    role: OnCallRole,
    from: EpochMs,
    to: EpochMs,
    /** empty: every building */
    buildings: z.array(z.string().min(1).max(64)).max(100).default([]),
    /** a rotation: the shift repeats every N days (e.g. 1 = daily, 7 = weekly) until `until` */
    repeatEveryDays: z.number().int().min(1).max(60).nullable().default(null),
    until: EpochMs.nullable().default(null),
    /** an override (顶班) replaces the regular shifts of that role/building while it lasts */
    override: z.boolean().default(false),
    note: z.string().trim().max(500).default(''),
  })
  .refine((b) => b.to > b.from, { message: 'to must be after from', path: ['to'] })
  .refine((b) => !b.repeatEveryDays || b.to - b.from <= b.repeatEveryDays * 86_400_000, {
    message: 'a repeating shift cannot be longer than its period',
    path: ['to'],
  });
export const OnCallShiftView = z.object({
  id: z.string(),
  userId: z.string(),
  displayName: z.string(),
  role: OnCallRole,
  from: z.number(),
  to: z.number(),
  buildings: z.array(z.string()),
  repeatEveryDays: z.number().nullable(),
  until: z.number().nullable(),
  override: z.boolean(),
  note: z.string(),
  createdBy: z.string(),
});
export type OnCallShiftView = z.infer<typeof OnCallShiftView>;
export const OnCallNowEntry = z.object({
  role: OnCallRole,
  userId: z.string(),
  displayName: z.string(),
  buildings: z.array(z.string()),
  shiftId: z.string(),
  override: z.boolean(),
  /** this occurrence */
  from: z.number(),
  to: z.number(),
});
export const OnCallQuery = z.object({
  at: EpochMsQuery.optional(),
  role: OnCallRole.optional(),
  building: z.string().min(1).max(64).optional(),
});
export const OnCallResponse = z.object({ at: z.number(), onCall: z.array(OnCallNowEntry), shifts: z.array(OnCallShiftView) });

/** How staff are reached personally (their own phone/e-mail and preferred channels). */
export const ProfileBody = z.object({
  phone: Phone.or(z.literal('')).optional(),
  email: z.email().or(z.literal('')).optional(),
  /** personal channels (email/sms/voice) in the order to try them */
  channels: z.array(z.uuid()).max(5).optional(),
});
export const ProfileView = z.object({
  userId: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: Role,
  phone: z.string(),
  email: z.string(),
  channels: z.array(z.string()),
});

// ---------------------------------------------------------------- deliveries

export const DELIVERY_STATES = ['queued', 'sent', 'failed', 'acknowledged'] as const;
export const DeliveryState = z.enum(DELIVERY_STATES);
export const DeliveryView = z.object({
  id: z.string(),
  incidentId: z.string().nullable(),
  level: z.number(),
  /** 0 for the level's first message, 1… for repeats until acknowledged */
  round: z.number(),
  channelId: z.string(),
  channelName: z.string(),
  channelKind: ChannelKind,
  /** "user:<id>" | "channel:<id>" | "unit:<id>" */
  target: z.string(),
  targetName: z.string(),
  state: DeliveryState,
  attempts: z.number(),
  lastError: z.string().optional(),
  /** when it was queued */
  at: z.number(),
  sentAt: z.number().nullable(),
  reason: z.string(),
  /** the grouped message it went out in (a storm shares one) */
  messageId: z.string().nullable(),
  /** the fallback this one replaced */
  fallbackOf: z.string().nullable(),
  noticeId: z.string().nullable(),
});
export type DeliveryView = z.infer<typeof DeliveryView>;
export const DeliveryQuery = z.object({
  incident: z.uuid().optional(),
  notice: z.uuid().optional(),
  state: DeliveryState.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** CONTRACT.md webhook payload (and `items` when several incidents are grouped into one message). */
export const WebhookIncident = z.object({
  id: z.string(),
  number: z.number(),
  kind: z.string(),
  severity: z.number(),
  building: z.string(),
  title: z.string(),
});
export const WebhookItem = z.object({
  incident: WebhookIncident,
  level: z.number(),
  reason: z.string(),
  ackUrl: z.string().nullable(),
  at: z.number(),
});
export const WebhookPayload = WebhookItem.extend({
  /** every incident this message carries (one unless a storm was grouped) */
  items: z.array(WebhookItem),
  mentions: z.array(z.object({ name: z.string(), phone: z.string().nullable(), ackUrl: z.string().nullable() })),
  text: z.string(),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

// ---------------------------------------------------------------- resident notices 住户通知

export const NOTICE_KINDS = ['outage', 'water', 'weather', 'general'] as const;
export const NoticeBody = z.object({
  kind: z.enum(NOTICE_KINDS),
  building: z.string().min(1).max(64),
  /** only owners on these floors (e.g. the floor of a leak and below); empty: the whole building */
  floors: z.array(z.number().int().min(-10).max(300)).max(300).default([]),
  text: z.string().trim().min(1).max(300),
  channelId: z.uuid(),
  /** the planned outage this notice announces: its 48 h / 72 h rule counts from when this was sent */
  plannedOutageId: z.uuid().optional(),
});
export const NoticeView = z.object({
  id: z.string(),
  kind: z.enum(NOTICE_KINDS),
  building: z.string(),
  floors: z.array(z.number()),
  text: z.string(),
  channelId: z.string(),
  plannedOutageId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.number(),
  recipients: z.number(),
  sent: z.number(),
  failed: z.number(),
  queued: z.number(),
  /** when every owner's message had been sent (null while any is still queued) */
  sentAt: z.number().nullable(),
  /** for a planned outage: hours between sentAt and the outage start, and whether the rule is met */
  outage: z
    .object({
      startsAt: z.number(),
      requiredNoticeHours: z.number(),
      noticeHours: z.number().nullable(),
      meetsRule: z.boolean().nullable(),
    })
    .nullable(),
});
export type NoticeView = z.infer<typeof NoticeView>;
export const NoticeQuery = z.object({
  building: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
