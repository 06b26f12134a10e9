// Live push over socket.io (docs/contract.md "socket.io"): /control-room for every role,
// /front-desk for front desk, supervisors and admins. After every (re)connect the page asks
// for the current state (`sync` with ack) and refetches incidents/visits over HTTP, so a
// board that missed pushes while the network was down is right again without a reload.
import { io, type Socket } from 'socket.io-client';
import type { Role } from '../../contracts/domain.js';
import type { DeviceStatusEvent, TelemetryEvent, DeviceEventPush, IncidentNoticePush, ShiftNoticePush } from '../../contracts/socket.js';
import { api, ApiError, type DeviceView, type IncidentView, type VisitView } from './api.js';
import {
  currentI18n,
  getState,
  patchDevice,
  patchDevices,
  addDevice,
  listMark,
  replaceDevices,
  replaceIncidents,
  replaceVisits,
  setState,
  toast,
  upsertIncident,
  upsertVisit,
} from './store.js';

type TelemetryListener = (e: TelemetryEvent) => void;
const telemetryListeners = new Set<TelemetryListener>();

/** Charts subscribe to live telemetry of their device. */
export function onTelemetry(fn: TelemetryListener): () => void {
  telemetryListeners.add(fn);
  return () => telemetryListeners.delete(fn);
}

interface SyncAck {
  ok: boolean;
  at?: number;
  devices?: DeviceView[];
  incidents?: IncidentView[];
  visits?: VisitView[];
  /** the hub's recent live feed, oldest first */
  events?: DeviceEventPush[];
}

/** How long the connection indicator's "synced at" may lag the live data it shows. */
const SYNC_MARK_MS = 1000;
let syncMarkedAt = 0;
/** Live data arrived: the indicator's "synced at" follows it (at most once a second). */
function markSynced(): void {
  const now = Date.now();
  if (now - syncMarkedAt < SYNC_MARK_MS) return;
  syncMarkedAt = now;
  setState({ lastSyncAt: now });
}

/** The feed after a (re)connect: what the hub kept plus what we had, newest first, no duplicates. */
function mergeEvents(kept: DeviceEventPush[], had: DeviceEventPush[]): DeviceEventPush[] {
  const seen = new Set<string>();
  return [...had, ...kept]
    .filter((e) => {
      const k = `${e.deviceId}/${e.id}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => b.receivedAt - a.receivedAt)
    .slice(0, 40);
}

const FRONT_DESK_ROLES: Role[] = ['frontdesk', 'supervisor', 'admin'];

let sockets: Socket[] = [];
let visitTimer: ReturnType<typeof setTimeout> | null = null;
const seenNotices = new Set<string>();

/** A toast for a notice meant for this role (the same notice may arrive on both namespaces). */
function notice(n: IncidentNoticePush, _ns: string): void {
  const st = getState();
  const role = st.user?.role;
  if (!role || !Array.isArray(n.to) || !(n.to.includes(role) || role === 'admin')) return;
  const id = `${n.incidentId}/${n.key}/${n.at}`;
  if (seenNotices.has(id)) return;
  seenNotices.add(id);
  if (seenNotices.size > 200) seenNotices.clear();
  const t = currentI18n();
  // the notice's message (key + params) in the UI's language; escalations and flags say so first
  const head = n.key.startsWith('escalated.') ? `${t.t('sup.escalated')}:` : n.key.startsWith('flag.') ? `${t.t('incident.flags')}:` : '';
  const text = `${head}${t.msg(n.msg)}`;
  const urgent = head === 'escalated' || head === 'flag' || /119|general_alarm|unlock_failed|recall/.test(n.key);
  toast(`${t.kind(n.kind)} · ${text}`, urgent ? 'error' : 'info', urgent ? 12_000 : 6000);
}
/** The hub opened a handover or reminds (unaccepted handover, unsigned logs): a toast and a refetch. */
function shiftNotice(n: ShiftNoticePush): void {
  const role = getState().user?.role;
  setState((s) => ({ shiftRev: s.shiftRev + 1 }));
  if (!role || !Array.isArray(n.to) || !(n.to.includes(role) || role === 'admin')) return;
  const id = `shift/${n.shiftId}/${n.key}/${n.at}`;
  if (seenNotices.has(id)) return;
  seenNotices.add(id);
  const t = currentI18n();
  toast(t.msg({ key: `records.notify.${n.key}`, params: n.params }), n.key === 'handover_pending' ? 'error' : 'info', 10_000);
}
let cleanup: Array<() => void> = [];
let onAuthLost: (() => void) | null = null;

function isIncident(v: unknown): v is IncidentView {
  return typeof v === 'object' && v !== null && typeof (v as IncidentView).id === 'string' && Array.isArray((v as IncidentView).steps);
}
function isVisit(v: unknown): v is VisitView {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as VisitView).id === 'string' &&
    typeof (v as VisitView).state === 'string' &&
    'unit' in (v as object)
  );
}

let everConnected = false;

function updateConn(): void {
  if (sockets.length > 0 && sockets.every((s) => s.connected)) {
    everConnected = true;
    setState({ conn: 'online' });
  } else {
    setState({ conn: everConnected || navigator.onLine === false ? 'offline' : 'connecting' });
  }
}

/** Current state over HTTP: incidents (with the caller's allowedActions) and visits. */
export async function refetch(
  what: { incidents?: boolean; visits?: boolean; devices?: boolean } = { incidents: true, visits: true, devices: true },
): Promise<void> {
  const role = getState().user?.role;
  const jobs: Promise<unknown>[] = [];
  const since = listMark();
  if (what.devices)
    jobs.push(
      api
        .devices()
        .then((list) => replaceDevices(list, since))
        .catch(() => undefined),
    );
  if (what.incidents) {
    jobs.push(
      api
        .incidents('open')
        .then((list) => {
          replaceIncidents(list, since);
          setState({ incidentsApi: true });
        })
        .catch((e: unknown) => {
          if (e instanceof ApiError && e.status === 404) setState({ incidentsApi: false });
        }),
    );
  }
  if (what.visits && role && FRONT_DESK_ROLES.includes(role)) {
    jobs.push(
      api
        .visits()
        .then((list) => {
          replaceVisits(list, since);
          setState({ visitsApi: true });
        })
        .catch((e: unknown) => {
          if (e instanceof ApiError && e.status === 404) setState({ visitsApi: false });
        }),
    );
  }
  await Promise.all(jobs);
}

function resync(sock: Socket, ns: string): void {
  const since = listMark();
  sock.timeout(8000).emit('sync', (err: Error | null, ack: SyncAck) => {
    if (err || !ack?.ok) return;
    if (ns === '/control-room') {
      if (Array.isArray(ack.devices)) replaceDevices(ack.devices, since);
      if (Array.isArray(ack.events)) setState((s) => ({ events: mergeEvents(ack.events!, s.events) }));
      // the HTTP list carries allowedActions; the sync snapshot is the fallback
      if (Array.isArray(ack.incidents) && ack.incidents.length > 0 && getState().incidentsApi !== true)
        replaceIncidents(ack.incidents.filter(isIncident), since);
    } else if (Array.isArray(ack.visits) && ack.visits.length > 0 && getState().visitsApi !== true) {
      replaceVisits(ack.visits.filter(isVisit), since);
    }
    setState({ lastSyncAt: ack.at ?? Date.now() });
    void refetch(ns === '/control-room' ? { incidents: true } : { visits: true });
  });
}

function connect(ns: string, token: string | null): Socket {
  const sock = io(ns, {
    ...(token ? { auth: { token } } : {}),
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
    timeout: 8000,
  });
  sock.on('connect', () => {
    updateConn();
    resync(sock, ns);
  });
  sock.on('disconnect', (reason) => {
    updateConn();
    // a server-side disconnect is not retried by socket.io itself; the session may still be fine
    if (reason === 'io server disconnect') setTimeout(() => sockets.includes(sock) && sock.connect(), 1000);
  });
  // the server ended this session (logout elsewhere, disabled, role changed, expired)
  sock.on('session:ended', () => onAuthLost?.());
  sock.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    updateConn();
    if (err.message === 'unauthenticated' || err.data?.code === 'HUB_ERR_UNAUTHENTICATED') onAuthLost?.();
  });
  if (ns === '/control-room') {
    sock.on('device:status', (e: DeviceStatusEvent) => {
      patchDevice(e.deviceId, { state: e.state, lastSeenAt: e.ts });
      markSynced();
      if (!getState().devices[e.deviceId]) void refetch({ devices: true });
    });
    sock.on('device:statuses', (list: DeviceStatusEvent[]) => {
      if (!Array.isArray(list)) return;
      patchDevices(list.map((e) => [e.deviceId, { state: e.state, lastSeenAt: e.ts }] as const));
      markSynced();
      if (list.some((e) => !getState().devices[e.deviceId])) void refetch({ devices: true });
    });
    // an administrative change (maintenance who/why/until, in or out of service, enabled): the
    // record's own fields; the online state and telemetry the client has may be newer than the view
    sock.on('device:changed', (v: DeviceView) => {
      if (!v || typeof v.id !== 'string') return;
      if (getState().devices[v.id]) {
        const { state: _s, lastSeenAt: _l, lastTelemetry: _t, ...record } = v;
        patchDevice(v.id, record);
      } else addDevice(v);
      markSynced();
    });
    sock.on('telemetry', (e: TelemetryEvent) => {
      const d = getState().devices[e.deviceId];
      if (d) patchDevice(e.deviceId, { lastTelemetry: { ...(d.lastTelemetry ?? {}), ...e.metrics }, lastSeenAt: e.ts });
      markSynced();
      for (const l of telemetryListeners) l(e);
    });
    sock.on('device:event', (e: DeviceEventPush) => {
      setState((s) => ({ events: [e, ...s.events].slice(0, 40) }));
      markSynced();
    });
    // a burst of events accepted in the same instant (arrival order)
    sock.on('device:events', (list: DeviceEventPush[]) => {
      if (Array.isArray(list)) setState((s) => ({ events: [...[...list].reverse(), ...s.events].slice(0, 40) }));
    });
    const onIncident = (e: unknown) => {
      if (isIncident(e)) upsertIncident(e, true);
      else if (e && typeof (e as { id?: unknown }).id === 'string') void refetch({ incidents: true });
    };
    sock.on('incident:opened', onIncident);
    sock.on('incident:updated', onIncident);
  } else {
    // visit pushes carry the whole visit view; anything else (an older hub) triggers a coalesced refetch
    const onVisit = (e: unknown) => {
      if (isVisit(e)) upsertVisit(e);
      else {
        if (visitTimer) clearTimeout(visitTimer);
        visitTimer = setTimeout(() => {
          visitTimer = null;
          void refetch({ visits: true });
        }, 150);
      }
    };
    sock.on('visit:requested', onVisit);
    sock.on('visit:updated', onVisit);
  }
  // escalations, reminders and flags for people in the given roles (each namespace sends them)
  sock.on('incident:notify', (n: IncidentNoticePush) => notice(n, ns));
  sock.on('shift:notify', (n: ShiftNoticePush) => shiftNotice(n));
  return sock;
}

/** Open the namespaces this role may use. */
export function startLive(role: Role, token: string | null, authLost: () => void): void {
  stopLive();
  everConnected = false;
  onAuthLost = authLost;
  setState({ conn: 'connecting' });
  sockets = [connect('/control-room', token)];
  if (FRONT_DESK_ROLES.includes(role)) sockets.push(connect('/front-desk', token));
  // The browser knows about a dropped network before the heartbeat does.
  const offline = () => setState({ conn: 'offline' });
  const online = () => {
    for (const s of sockets) {
      if (!s.connected) {
        s.disconnect();
        s.connect();
      }
    }
  };
  window.addEventListener('offline', offline);
  window.addEventListener('online', online);
  cleanup.push(
    () => window.removeEventListener('offline', offline),
    () => window.removeEventListener('online', online),
  );
}

export function stopLive(): void {
  for (const s of sockets) {
    s.removeAllListeners();
    s.disconnect();
  }
  sockets = [];
  for (const c of cleanup) c();
  cleanup = [];
}
