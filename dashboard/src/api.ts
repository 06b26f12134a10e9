// HTTP client for the hub's JSON API (docs/contract.md "HTTP"). Errors come back as
// `{code, message, statusCode}`; they are thrown as ApiError so screens can show the
// translated code (i18n `error.<code>`) with the server's message as detail.
import type { DeviceView, SessionView, TelemetrySeries } from '../../contracts/api.js';
import type {
  IncidentDetail,
  IncidentView,
  PreAuthView as PreAuthViewSchema,
  ProceduresView,
  VisitView,
} from '../../contracts/incidents.js';
import type {
  DutyLogResponse,
  FollowUpView as FollowUpViewSchema,
  HandoverResponse,
  OpenItem as OpenItemSchema,
  PlannedOutageView as PlannedOutageViewSchema,
  UserRef as UserRefSchema,
} from '../../contracts/records.js';
import type {
  HandoverDraft as HandoverDraftSchema,
  MonthReviewView as MonthReviewSchema,
  OnDutyView as OnDutySchema,
  ShiftLogResponse as ShiftLogSchema,
  ShiftView as ShiftViewSchema,
} from '../../contracts/shifts.js';
import type { z } from 'zod';

export type { DeviceView, IncidentDetail, IncidentView, ProceduresView, SessionView, TelemetrySeries, VisitView };
export type SessionUser = SessionView['user'];

// Record shapes: the server's zod schemas (contracts/records.ts), as types only (no zod in the bundle).
export type UserRef = z.infer<typeof UserRefSchema>;
/** GET /api/duty-log */
export type DutyLogView = z.infer<typeof DutyLogResponse>;
export type OpenItem = z.infer<typeof OpenItemSchema>;
/** GET /api/handovers */
export type HandoverView = z.infer<typeof HandoverResponse>;
export type FollowUpView = z.infer<typeof FollowUpViewSchema>;
/** shifts 班次 (contracts/shifts.ts) */
export type ShiftView = z.infer<typeof ShiftViewSchema>;
export type ShiftLogView = z.infer<typeof ShiftLogSchema>;
export type OnDutyView = z.infer<typeof OnDutySchema>;
export type HandoverDraftView = z.infer<typeof HandoverDraftSchema>;
export type MonthReviewView = z.infer<typeof MonthReviewSchema>;
export interface CheckInput {
  item: string;
  ok: boolean;
  note: string;
}
/** GET /api/preauthorizations */
export type PreAuthView = z.infer<typeof PreAuthViewSchema>;
/** GET /api/planned-outages */
export type PlannedOutageView = z.infer<typeof PlannedOutageViewSchema>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let token: string | null = null;
let locale = 'zh-CN';
let onUnauthenticated: (() => void) | null = null;

/** The UI's language: refusals and texts the hub renders come back in it (Accept-Language). */
export function setRequestLocale(l: string): void {
  locale = l;
}

export function setToken(t: string | null): void {
  token = t;
}
/** The auth and CSRF headers for requests that send no JSON (e.g. a CSV upload). */
export function authHeaders(): Record<string, string> {
  return { 'x-requested-with': 'bops-dashboard', ...(token ? { authorization: `Bearer ${token}` } : {}) };
}
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

export async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  let r: Response;
  try {
    r = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        // The hub refuses cookie-authenticated changes without it (CSRF defence,
        // services/auth/plugin.ts): a page on another origin cannot add a custom header.
        'x-requested-with': 'bops-dashboard',
        'accept-language': locale,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', (err as Error).message);
  }
  const text = await r.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!r.ok) {
    const e = (parsed && typeof parsed === 'object' ? parsed : {}) as { code?: string; message?: string };
    if (r.status === 401 && url !== '/api/auth/login') onUnauthenticated?.();
    throw new ApiError(r.status, e.code ?? `HTTP_${r.status}`, e.message ?? r.statusText);
  }
  return parsed as T;
}

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') s.set(k, String(v));
  const str = s.toString();
  return str ? `?${str}` : '';
};
const enc = encodeURIComponent;

export const api = {
  login: (username: string, password: string) => request<SessionView>('POST', '/api/auth/login', { username, password }),
  me: () => request<SessionUser | { user: SessionUser }>('GET', '/api/auth/me'),
  logout: () => request<unknown>('POST', '/api/auth/logout', {}),

  devices: () => request<DeviceView[]>('GET', '/api/devices'),
  createDevice: (body: Record<string, unknown>) => request<{ id: string; secret: string }>('POST', '/api/devices', body),
  rotateSecret: (id: string) => request<{ id: string; secret: string }>('POST', `/api/devices/${enc(id)}/secret`, {}),
  patchDevice: (id: string, body: { enabled: boolean }) => request<DeviceView>('PATCH', `/api/devices/${enc(id)}`, body),
  startMaintenance: (id: string, body: { reason: string; until: number }) =>
    request<DeviceView>('PUT', `/api/devices/${enc(id)}/maintenance`, body),
  endMaintenance: (id: string) => request<DeviceView>('DELETE', `/api/devices/${enc(id)}/maintenance`),
  telemetry: (deviceId: string, metric: string, from: number, to: number) =>
    request<TelemetrySeries>('GET', `/api/telemetry${q({ deviceId, metric, from, to })}`),

  incidents: (state: 'open' | 'closed' | 'all' = 'open', extra: { kind?: string; building?: string; limit?: number } = {}) =>
    request<IncidentView[]>('GET', `/api/incidents${q({ state, ...extra })}`),
  procedures: () => request<ProceduresView>('GET', '/api/procedures'),
  /** with a reason, personal data (a visitor's name) comes back unmasked and the read is logged */
  incident: (id: string, reason?: string) => request<IncidentDetail>('GET', `/api/incidents/${enc(id)}${q({ reason })}`),
  report: (kind: string, building: string, payload: Record<string, unknown>) =>
    request<IncidentDetail>('POST', '/api/incidents', { kind, building, payload }),
  act: (id: string, action: string, payload: unknown) =>
    request<IncidentDetail>('POST', `/api/incidents/${enc(id)}/actions/${enc(action)}`, { payload }),
  reportUrl: (id: string) => `/api/incidents/${enc(id)}/report`,

  /** default: the active visits (waiting, approved, inside) */
  visits: (state?: string) => request<VisitView[]>('GET', `/api/visits${q({ state })}`),
  // visit decisions go through the visitor procedure and answer with its incident (same id)
  registerVisit: (body: Record<string, unknown>) => request<IncidentDetail>('POST', '/api/visits', body),
  approveVisit: (id: string, body: { channel?: string; notes?: string; preAuthId?: string; idVerified?: boolean } = {}) =>
    request<IncidentDetail>('POST', `/api/visits/${enc(id)}/approve`, body),
  denyVisit: (id: string, body: { channel?: string; notes?: string } = {}) =>
    request<IncidentDetail>('POST', `/api/visits/${enc(id)}/deny`, body),
  visitAction: (id: string, action: string, payload: unknown) =>
    request<IncidentDetail>('POST', `/api/visits/${enc(id)}/actions/${enc(action)}`, { payload }),
  preauths: () => request<PreAuthView[]>('GET', '/api/preauthorizations'),
  createPreauth: (body: Record<string, unknown>) => request<PreAuthView>('POST', '/api/preauthorizations', body),

  dutyLog: (day: string) => request<DutyLogView>('GET', `/api/duty-log${q({ day })}`),
  signDutyLog: (day: string, note: string) => request<DutyLogView>('POST', `/api/duty-log/${enc(day)}/sign`, { note }),
  handovers: () => request<HandoverView[]>('GET', '/api/handovers'),
  createHandover: (notes: string, incomingUsername?: string, extra: { shiftId?: string; checks?: CheckInput[] } = {}) =>
    request<HandoverView>('POST', '/api/handovers', { notes, ...(incomingUsername ? { incomingUsername } : {}), ...extra }),
  shifts: (query: { month?: string; unsigned?: 'true' } = {}) => request<ShiftView[]>('GET', `/api/shifts${q(query)}`),
  onDuty: () => request<OnDutyView>('GET', '/api/shifts/current'),
  shiftLog: (shift?: string) => request<ShiftLogView>('GET', `/api/shift-log${q({ shift })}`),
  addShiftEntry: (text: string) => request<ShiftLogView>('POST', '/api/shift-log', { text }),
  signShift: (id: string, note: string) => request<ShiftLogView>('POST', `/api/shifts/${enc(id)}/sign`, { note }),
  spotCheck: (id: string, note: string) => request<ShiftView>('POST', `/api/shifts/${enc(id)}/spot-check`, { note }),
  handoverDraft: (shift?: string) => request<HandoverDraftView>('GET', `/api/handover-draft${q({ shift })}`),
  dutyMonth: (month: string) => request<MonthReviewView>('GET', `/api/duty-review/${enc(month)}`),
  reviewMonth: (month: string, note: string) => request<MonthReviewView>('POST', `/api/duty-review/${enc(month)}`, { note }),
  acceptHandover: (id: string, note?: string) => request<HandoverView>('POST', `/api/handovers/${enc(id)}/accept`, note ? { note } : {}),
  refuseHandover: (id: string, reason: string) => request<HandoverView>('POST', `/api/handovers/${enc(id)}/refuse`, { reason }),
  followups: () => request<FollowUpView[]>('GET', '/api/followups'),
  followupDone: (id: string, notes: string) => request<FollowUpView>('POST', `/api/followups/${enc(id)}/done`, { notes }),
  outages: () => request<PlannedOutageView[]>('GET', '/api/planned-outages'),
  createOutage: (body: Record<string, unknown>) => request<PlannedOutageView>('POST', '/api/planned-outages', body),
};
