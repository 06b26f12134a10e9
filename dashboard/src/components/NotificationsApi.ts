// HTTP calls of the notification screens (CONTRACT.md "Notifications"); types only from the
// contract (no zod in the bundle).
import type { z } from 'zod';
import type {
  ChannelView,
  DeliveryView,
  NoticeView,
  OnCallResponse,
  OnCallShiftView,
  PolicyView,
  ProfileView,
  Target,
} from '../../../contracts/notifications.js';
import { request } from '../api.js';

export type { ChannelView, DeliveryView, NoticeView, OnCallShiftView, PolicyView, Target };
export type OnCallNow = z.infer<typeof OnCallResponse>;
export type Profile = z.infer<typeof ProfileView>;
export type PolicyLevel = PolicyView['levels'][number];

// contracts/notifications.ts (not imported at run time: that module pulls zod into the bundle)
export const CHANNEL_KINDS = ['webhook', 'wecom', 'dingtalk', 'feishu', 'email', 'sms', 'voice'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const NOTIFY_KINDS = [
  'fire_alarm',
  'elevator_entrapment',
  'power_outage',
  'device_fault',
  'visitor_approval',
  'water_leak',
  'medical_emergency',
  'severe_weather',
  'repair',
  'complaint',
] as const;
export const ONCALL_ROLES = ['operator', 'frontdesk', 'supervisor', 'manager'] as const;
export const USER_ROLES = ['operator', 'frontdesk', 'supervisor', 'admin'] as const;

/** The form fields of each channel kind; `secret` ones are never shown back. */
export const CHANNEL_FIELDS: Record<
  ChannelKind,
  Array<{ name: string; secret?: boolean; type?: 'number' | 'list' | 'security' | 'text'; def?: string }>
> = {
  webhook: [{ name: 'url' }, { name: 'secret', secret: true }],
  wecom: [
    { name: 'url', def: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send' },
    { name: 'key', secret: true },
  ],
  dingtalk: [
    { name: 'url', def: 'https://oapi.dingtalk.com/robot/send' },
    { name: 'accessToken', secret: true },
    { name: 'secret', secret: true },
  ],
  feishu: [
    { name: 'url', def: 'https://open.feishu.cn/open-apis/bot/v2/hook' },
    { name: 'hookId', secret: true },
    { name: 'secret', secret: true },
  ],
  email: [
    { name: 'host' },
    { name: 'port', type: 'number', def: '587' },
    { name: 'security', type: 'security', def: 'starttls' },
    { name: 'user' },
    { name: 'password', secret: true },
    { name: 'from' },
    { name: 'to', type: 'list' },
    { name: 'ca', type: 'text' },
  ],
  sms: [
    { name: 'endpoint', def: 'https://dysmsapi.aliyuncs.com/' },
    { name: 'accessKeyId' },
    { name: 'accessKeySecret', secret: true },
    { name: 'regionId', def: 'cn-hangzhou' },
    { name: 'signName' },
    { name: 'templateCode' },
    { name: 'phones', type: 'list' },
  ],
  voice: [
    { name: 'endpoint', def: 'https://dyvmsapi.aliyuncs.com/' },
    { name: 'accessKeyId' },
    { name: 'accessKeySecret', secret: true },
    { name: 'regionId', def: 'cn-hangzhou' },
    { name: 'ttsCode' },
    { name: 'calledShowNumber' },
    { name: 'phones', type: 'list' },
  ],
};

const enc = encodeURIComponent;

export const notifyApi = {
  channels: () => request<ChannelView[]>('GET', '/api/notification-channels'),
  createChannel: (body: { name: string; kind: ChannelKind; config: Record<string, unknown>; fallbackChannelId: string | null }) =>
    request<{ id: string }>('POST', '/api/notification-channels', body),
  patchChannel: (id: string, body: Record<string, unknown>) => request<ChannelView>('PATCH', `/api/notification-channels/${enc(id)}`, body),
  testChannel: (id: string, to?: string) =>
    request<{ ok: boolean; detail: string }>('POST', `/api/notification-channels/${enc(id)}/test`, to ? { to } : {}),
  policies: () => request<PolicyView[]>('GET', '/api/escalation-policies'),
  putPolicy: (kind: string, body: { levels: PolicyLevel[]; repeatEverySeconds: number | null; enabled: boolean }) =>
    request<PolicyView>('PUT', `/api/escalation-policies/${enc(kind)}`, body),
  resetPolicy: (kind: string) => request<PolicyView>('DELETE', `/api/escalation-policies/${enc(kind)}`),
  deliveries: (incident: string) => request<DeliveryView[]>('GET', `/api/notifications?incident=${enc(incident)}`),
  onCall: (at?: number) => request<OnCallNow>('GET', `/api/oncall${at ? `?at=${at}` : ''}`),
  addShift: (body: Record<string, unknown>) => request<OnCallShiftView>('POST', '/api/oncall', body),
  removeShift: (id: string) => request<null>('DELETE', `/api/oncall/${enc(id)}`),
  profiles: () => request<Profile[]>('GET', '/api/notify-profiles'),
  putProfile: (id: string, body: { phone?: string; email?: string; channels?: string[] }) =>
    request<Profile>('PUT', `/api/notify-profiles/${enc(id)}`, body),
  notices: () => request<NoticeView[]>('GET', '/api/resident-notices'),
  createNotice: (body: Record<string, unknown>) => request<NoticeView>('POST', '/api/resident-notices', body),
  outages: () =>
    request<Array<{ id: string; building: string; startsAt: number; reason: string; status: string }>>('GET', '/api/planned-outages'),
};
