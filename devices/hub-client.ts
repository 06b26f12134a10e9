// A small typed HTTP client for the control-room side of the hub (the people's steps of a
// procedure), used by `simulate scenario … --hub URL`. Responses are checked against the
// shapes in contracts/ (the same zod schemas the hub serialises with), so a drift shows up
// as a clear error instead of an undefined deep in a scenario. Uses the global fetch.
import { z } from 'zod';
import { DeviceView, SessionView } from '../contracts/api.js';
import type { IncidentKind, Role } from '../contracts/domain.js';
import { ComplaintMonthReport } from '../contracts/complaints.js';
import {
  FollowUpView,
  IncidentDetail,
  IncidentView,
  PreAuthView as PreAuthViewContract,
  ProceduresView,
  VisitView,
} from '../contracts/incidents.js';
import { HandoverResponse } from '../contracts/records.js';
import { HandoverDraft, OnDutyView, ShiftLogResponse } from '../contracts/shifts.js';

export type HubErrorKind =
  /** no answer: connection refused, DNS, timeout */
  | 'unreachable'
  /** 401 at login or later */
  | 'auth'
  /** 403: this user's role may not do that */
  | 'forbidden'
  /** any other 4xx/5xx: the hub refused the request (the procedure said no, bad payload, …) */
  | 'rejected'
  /** the answer is not what contracts/ says */
  | 'protocol';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    readonly kind: HubErrorKind,
    readonly status: number | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

export type HubUser = SessionView['user'];
export type { DeviceView, HandoverDraft, HandoverResponse, IncidentDetail, IncidentView, OnDutyView, ShiftLogResponse, VisitView };
export type FollowUpView = z.infer<typeof FollowUpView>;

/** `POST /api/preauthorizations` answer: the fields a drill uses, checked against contracts/. */
export const PreAuthView = z.looseObject(
  PreAuthViewContract.pick({ id: true, building: true, unit: true, visitorName: true, idMasked: true, validFrom: true, validTo: true })
    .shape,
);
export type PreAuthView = z.infer<typeof PreAuthView>;

/** `POST /api/incidents/:id/attachments` answer (what a drill needs of it). */
export const AttachmentRef = z.looseObject({ id: z.string(), filename: z.string(), size: z.number() });
export type AttachmentRef = z.infer<typeof AttachmentRef>;

const ErrorBody = z.looseObject({ code: z.string().optional(), message: z.string().optional() });

// What a drill relies on is checked against contracts/; anything else the hub sends (newer
// fields) is kept, and a field this client does not use may be missing (an older hub). A CLI
// and a hub of slightly different versions still drill together.
const IncidentCore = z.looseObject(
  IncidentView.pick({
    id: true,
    number: true,
    kind: true,
    state: true,
    open: true,
    severity: true,
    site: true,
    building: true,
    deviceId: true,
    parentId: true,
    title: true,
    openedAt: true,
    closedAt: true,
    steps: true,
    timers: true,
    data: true,
    commands: true,
    children: true,
  }).shape,
);
const IncidentDetailCore = z.looseObject({ ...IncidentCore.shape, timeline: IncidentDetail.shape.timeline });
/** Checked with `check`, typed as the full contract shape `T`. */
const as = <T>(check: z.ZodType) => check as unknown as z.ZodType<T>;
const IncidentOut = as<IncidentView>(IncidentCore);
const IncidentDetailOut = as<IncidentDetail>(IncidentDetailCore);
const loose = <S extends z.ZodObject>(schema: S) => as<z.infer<S>>(z.looseObject(schema.shape));
const VisitOut = loose(VisitView);
const FollowUpOut = loose(FollowUpView);
const DeviceOut = loose(DeviceView);
const OnDutyOut = loose(OnDutyView);
const ShiftLogOut = loose(ShiftLogResponse);
const HandoverDraftOut = loose(HandoverDraft);
const HandoverOut = loose(HandoverResponse);

export interface IncidentQuery {
  kind?: IncidentKind;
  building?: string;
  state?: 'open' | 'closed' | 'all';
  limit?: number;
}

/** Outcome of a request that may legitimately be refused (e.g. checking a rule holds). */
export type Attempt<T> = { ok: true; status: number; value: T } | { ok: false; status: number; code: string | null; message: string };

export interface HubClientOptions {
  /** per-request timeout, ms (default 15 s) */
  timeoutMs?: number;
}

function qs(q: Record<string, string | number | boolean | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** One logged-in user of the hub. Create with `HubSession.login()`. */
export class HubSession {
  private constructor(
    readonly base: string,
    readonly token: string,
    readonly user: HubUser,
    private readonly opts: HubClientOptions,
  ) {}

  /** `POST /api/auth/login`; HubError kind `auth` when the hub refuses the credentials. */
  static async login(base: string, username: string, password: string, opts: HubClientOptions = {}): Promise<HubSession> {
    const url = normaliseBase(base);
    const r = await send(url, 'POST', '/api/auth/login', { username, password, token: true }, null, opts);
    if (r.status === 401 || r.status === 403)
      throw new HubError(`hub ${url} refused the login of ${JSON.stringify(username)} (${r.status})`, 'auth', r.status);
    const s = expectOk(r, SessionView, `login ${username}`);
    if (!s.token) throw new HubError(`hub ${url} answered the login without a token`, 'protocol', r.status);
    return new HubSession(url, s.token, s.user, opts);
  }

  get role(): Role {
    return this.user.role;
  }

  /** "operator 监控中心值班员 王敏" */
  get who(): string {
    return `${this.user.username} (${this.user.role}${this.user.displayName ? `, ${this.user.displayName}` : ''})`;
  }

  async logout(): Promise<void> {
    await send(this.base, 'POST', '/api/auth/logout', undefined, this.token, this.opts).catch(() => undefined);
  }

  // ---- incidents ----

  /** `GET /api/procedures`: the procedures and the labels of every message key (zh-CN, en). */
  async procedures(): Promise<ProceduresView> {
    return this.get('/api/procedures', ProceduresView);
  }

  async incidents(q: IncidentQuery = {}): Promise<IncidentView[]> {
    return this.get(`/api/incidents${qs({ ...q })}`, z.array(IncidentOut));
  }

  async incident(id: string): Promise<IncidentDetail> {
    return this.get(`/api/incidents/${encodeURIComponent(id)}`, IncidentDetailOut);
  }

  /** `POST /api/incidents/:id/actions/:action {payload}`; throws HubError when refused. */
  async act(id: string, action: string, payload: unknown = {}): Promise<IncidentDetail> {
    return unwrap(await this.tryAct(id, action, payload), `${action} on incident ${id}`);
  }

  /** Like act(), but a refusal (403/400/409) is returned, not thrown. */
  async tryAct(id: string, action: string, payload: unknown = {}): Promise<Attempt<IncidentDetail>> {
    return this.attempt(
      'POST',
      `/api/incidents/${encodeURIComponent(id)}/actions/${encodeURIComponent(action)}`,
      { payload },
      IncidentDetailOut,
    );
  }

  /**
   * `POST /api/incidents {kind, building, payload}`: a person reports or declares an incident
   * (a supervisor's severe-weather warning, a phone call); a refusal is returned, not thrown.
   */
  async tryReport(kind: IncidentKind, building: string, payload: unknown): Promise<Attempt<IncidentDetail>> {
    return this.attempt('POST', '/api/incidents', { kind, building, payload }, IncidentDetailOut);
  }

  /** `POST /api/work-orders`: 接单登记 of a repair work order (desk, operator, supervisor). */
  async registerWorkOrder(body: {
    building: string;
    category: string;
    area: 'unit' | 'common';
    unit?: string;
    location?: string;
    description: string;
    source: 'resident_phone' | 'resident_visit' | 'staff';
  }): Promise<IncidentDetail> {
    return unwrap(await this.attempt('POST', '/api/work-orders', body, IncidentDetailOut), `register work order ${body.description}`);
  }

  async followUps(q: { incidentId?: string; open?: boolean } = {}): Promise<FollowUpView[]> {
    return this.get(`/api/followups${qs(q)}`, z.array(FollowUpOut));
  }

  async devices(q: { building?: string; class?: string } = {}): Promise<DeviceView[]> {
    return this.get(`/api/devices${qs(q)}`, z.array(DeviceOut));
  }

  async device(id: string): Promise<DeviceView> {
    return this.get(`/api/devices/${encodeURIComponent(id)}`, DeviceOut);
  }

  /** `POST /api/incidents/:id/attachments`: a photo or PDF for the special report. */
  async attach(
    id: string,
    file: { filename: string; mime: 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'application/pdf'; dataBase64: string },
  ): Promise<AttachmentRef> {
    return unwrap(
      await this.attempt('POST', `/api/incidents/${encodeURIComponent(id)}/attachments`, file, AttachmentRef),
      `attach ${file.filename}`,
    );
  }

  // ---- shifts, duty log and handover 交接班 (docs/records.md "Shifts") ----

  /** `GET /api/shifts/current`: the shift by the clock and who holds the desk. */
  async onDuty(): Promise<OnDutyView> {
    return this.get('/api/shifts/current', OnDutyOut);
  }

  /** `GET /api/shift-log?shift=`: a shift's duty log (default: the current shift's). */
  async shiftLog(shift?: string): Promise<ShiftLogResponse> {
    return this.get(shift ? `/api/shift-log?shift=${encodeURIComponent(shift)}` : '/api/shift-log', ShiftLogOut);
  }

  /** `POST /api/shift-log {text}`: a manual entry in the current shift's log. */
  async addShiftLog(text: string): Promise<ShiftLogResponse> {
    return unwrap(await this.attempt('POST', '/api/shift-log', { text }, ShiftLogOut), 'duty-log entry');
  }

  /** `POST /api/shifts/:id/sign`: a supervisor signs an ended shift's log (refusals returned). */
  async trySignShift(id: string, note = ''): Promise<Attempt<ShiftLogResponse>> {
    return this.attempt('POST', `/api/shifts/${encodeURIComponent(id)}/sign`, { note }, ShiftLogOut);
  }

  /** `GET /api/handover-draft`: what the handover lists now. */
  async handoverDraft(): Promise<HandoverDraft> {
    return this.get('/api/handover-draft', HandoverDraftOut);
  }

  /** `POST /api/handovers`: the outgoing operator signs the handover (refusals returned). */
  async tryHandover(body: {
    notes: string;
    incomingUsername?: string;
    checks?: Array<{ item: string; ok: boolean; note?: string }>;
  }): Promise<Attempt<HandoverResponse>> {
    return this.attempt('POST', '/api/handovers', body, HandoverOut);
  }

  /** `POST /api/handovers/:id/accept`: the incoming person accepts (refusals returned). */
  async tryAcceptHandover(id: string, note?: string): Promise<Attempt<HandoverResponse>> {
    return this.attempt('POST', `/api/handovers/${encodeURIComponent(id)}/accept`, note ? { note } : {}, HandoverOut);
  }

  // ---- visitors (front desk; operators are refused by the hub) ----

  async visits(q: { state?: string; building?: string; limit?: number } = {}): Promise<VisitView[]> {
    return this.get(`/api/visits${qs(q)}`, z.array(VisitOut));
  }

  async visit(id: string, reason = 'drill check'): Promise<VisitView> {
    return this.get(`/api/visits/${encodeURIComponent(id)}${qs({ reason })}`, VisitOut);
  }

  async approveVisit(
    id: string,
    body: { channel?: 'phone' | 'intercom' | 'alt_contact' | 'in_person'; notes?: string; preAuthId?: string; idVerified?: boolean } = {},
  ): Promise<IncidentDetail> {
    return unwrap(
      await this.attempt('POST', `/api/visits/${encodeURIComponent(id)}/approve`, body, IncidentDetailOut),
      `approve visit ${id}`,
    );
  }

  async denyVisit(
    id: string,
    body: { channel?: 'phone' | 'intercom' | 'alt_contact' | 'in_person'; notes?: string } = {},
  ): Promise<IncidentDetail> {
    return unwrap(await this.attempt('POST', `/api/visits/${encodeURIComponent(id)}/deny`, body, IncidentDetailOut), `deny visit ${id}`);
  }

  async visitAction(id: string, action: string, payload: unknown = {}): Promise<IncidentDetail> {
    return unwrap(
      await this.attempt(
        'POST',
        `/api/visits/${encodeURIComponent(id)}/actions/${encodeURIComponent(action)}`,
        { payload },
        IncidentDetailOut,
      ),
      `${action} on visit ${id}`,
    );
  }

  /** Walk-in registration (访客登记): the hub masks the ID number before storing anything. */
  async registerVisit(body: {
    building: string;
    unit: string;
    visitorName: string;
    idNumber?: string;
    plannedMinutes?: number;
    notes?: string;
    startedAt?: number;
    preAuthId?: string;
    idVerified?: boolean;
  }): Promise<IncidentDetail> {
    return unwrap(await this.attempt('POST', '/api/visits', body, IncidentDetailOut), `register visitor ${body.visitorName}`);
  }

  async preauthorize(body: {
    building: string;
    unit: string;
    visitorName: string;
    idNumber?: string;
    validFrom: number;
    validTo: number;
  }): Promise<PreAuthView> {
    return unwrap(await this.attempt('POST', '/api/preauthorizations', body, PreAuthView), `pre-authorise ${body.visitorName}`);
  }

  // ---- complaints 投诉 (PROCEDURES.md §9) ----

  /** 投诉登记 (`POST /api/complaints`): a resident's unit is checked against the owner file. */
  async registerComplaint(body: {
    building: string;
    complainantType: 'resident' | 'outside';
    unit?: string;
    complainantName?: string;
    complainantPhone?: string;
    channel: string;
    category: string;
    location?: string;
    description: string;
  }): Promise<IncidentDetail> {
    return unwrap(await this.attempt('POST', '/api/complaints', body, IncidentDetailOut), 'register a complaint');
  }

  /** The monthly complaint report as JSON (`GET /api/complaints/report`; supervisors and admins). */
  async complaintReport(q: { month?: string; building?: string } = {}): Promise<ComplaintMonthReport> {
    return this.get(`/api/complaints/report${qs({ ...q, format: 'json' })}`, loose(ComplaintMonthReport));
  }

  // ---- plumbing ----

  private async get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
    const r = await send(this.base, 'GET', path, undefined, this.token, this.opts);
    return expectOk(r, schema, `GET ${path}`);
  }

  private async attempt<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S): Promise<Attempt<z.infer<S>>> {
    const r = await send(this.base, method, path, body, this.token, this.opts);
    if (r.status === 401) throw new HubError(`${method} ${path}: session refused (401) — logged out or expired`, 'auth', 401);
    if (r.status >= 200 && r.status < 300) return { ok: true, status: r.status, value: parseBody(r, schema, `${method} ${path}`) };
    const e = ErrorBody.safeParse(r.body);
    return {
      ok: false,
      status: r.status,
      code: e.success ? (e.data.code ?? null) : null,
      message: e.success && e.data.message ? e.data.message : r.text.slice(0, 300),
    };
  }
}

function unwrap<T>(a: Attempt<T>, what: string): T {
  if (a.ok) return a.value;
  throw new HubError(
    `${what}: ${a.status} ${a.code ?? ''} ${a.message}`.replace(/\s+/g, ' ').trim(),
    a.status === 403 ? 'forbidden' : 'rejected',
    a.status,
    a.code,
  );
}

function normaliseBase(base: string): string {
  let u: URL;
  try {
    u = new URL(/^https?:\/\//.test(base) ? base : `http://${base}`);
  } catch {
    throw new HubError(`not a hub URL: ${JSON.stringify(base)} (use e.g. http://127.0.0.1:8080)`, 'unreachable');
  }
  return u.origin;
}

interface Raw {
  status: number;
  text: string;
  body: unknown;
}

async function send(base: string, method: string, path: string, body: unknown, token: string | null, opts: HubClientOptions): Promise<Raw> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new HubError(`hub ${base} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`, 'unreachable');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, text, body: json };
}

function expectOk<S extends z.ZodType>(r: Raw, schema: S, what: string): z.infer<S> {
  if (r.status === 401) throw new HubError(`${what}: not logged in (401)`, 'auth', 401);
  if (r.status < 200 || r.status >= 300) {
    const e = ErrorBody.safeParse(r.body);
    const msg = e.success && e.data.message ? e.data.message : r.text.slice(0, 300);
    throw new HubError(
      `${what}: ${r.status} ${msg}`,
      r.status === 403 ? 'forbidden' : 'rejected',
      r.status,
      e.success ? (e.data.code ?? null) : null,
    );
  }
  return parseBody(r, schema, what);
}

function parseBody<S extends z.ZodType>(r: Raw, schema: S, what: string): z.infer<S> {
  const p = schema.safeParse(r.body);
  if (!p.success) throw new HubError(`${what}: unexpected answer from the hub:\n${z.prettifyError(p.error)}`, 'protocol', r.status);
  return p.data;
}
