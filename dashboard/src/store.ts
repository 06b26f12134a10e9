// One small external store for the whole UI (React reads it with useSyncExternalStore).
// Live data (devices, incidents, visits) is kept as id-keyed records that the socket.io
// handlers and the resync after a reconnect replace or patch; screens derive lists from them.
import { useSyncExternalStore } from 'react';
import { setRequestLocale, type DeviceView, type IncidentView, type ProceduresView, type SessionUser, type VisitView } from './api.js';
import type { DeviceEventPush } from '../../contracts/socket.js';
import { i18n, setPlaceNames, type I18n, type Locale } from './i18n.js';

export type ConnState = 'connecting' | 'online' | 'offline';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'ok';
  text: string;
}

export interface State {
  user: SessionUser | null;
  token: string | null;
  /** true once the stored session was checked at start-up */
  ready: boolean;
  locale: Locale;
  /** the hub's procedures and the labels of their message keys (GET /api/procedures) */
  procedures: ProceduresView | null;
  conn: ConnState;
  lastSyncAt: number | null;
  devices: Record<string, DeviceView>;
  incidents: Record<string, IncidentView>;
  visits: Record<string, VisitView>;
  /** whether the incident / visit endpoints answered (the UI says so when they do not) */
  incidentsApi: boolean | null;
  visitsApi: boolean | null;
  events: DeviceEventPush[];
  toasts: Toast[];
  /** alarm sound muted by the user for these incident ids */
  muted: Record<string, true>;
  /** bumps whenever an incident push arrives (detail pages refetch on it) */
  incidentRev: Record<string, number>;
  visitRev: number;
  /** bumps on every shift push (handover opened, reminders): the shift screen refetches */
  shiftRev: number;
}

const LOCALE_KEY = 'bops_locale';
function initialLocale(): Locale {
  try {
    const v = localStorage.getItem(LOCALE_KEY);
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    /* storage blocked */
  }
  return 'zh-CN';
}

let state: State = {
  user: null,
  token: null,
  ready: false,
  locale: initialLocale(),
  procedures: null,
  conn: 'connecting',
  lastSyncAt: null,
  devices: {},
  incidents: {},
  visits: {},
  incidentsApi: null,
  visitsApi: null,
  events: [],
  toasts: [],
  muted: {},
  incidentRev: {},
  visitRev: 0,
  shiftRev: 0,
};
const listeners = new Set<() => void>();

export function getState(): State {
  return state;
}

export function setState(patch: Partial<State> | ((s: State) => Partial<State>)): void {
  const p = typeof patch === 'function' ? patch(state) : patch;
  state = { ...state, ...p };
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Select a slice; the selector must return a stored reference (or a primitive). */
export function useStore<T>(sel: (s: State) => T): T {
  return useSyncExternalStore(subscribe, () => sel(state));
}

export function useI18n(): I18n {
  const labels = useStore((s) => s.procedures?.labels ?? null);
  return i18n(
    useStore((s) => s.locale),
    labels,
  );
}

/** The UI's words outside React (toasts from the live push). */
export function currentI18n(): I18n {
  return i18n(state.locale, state.procedures?.labels ?? null);
}
setRequestLocale(state.locale);

// building names, rebuilt only when the device list object changes
let namesOf: { devices: State['devices']; buildings: Map<string, string> } | null = null;
setPlaceNames((what, id) => {
  if (what === 'device') return state.devices[id]?.name;
  if (namesOf?.devices !== state.devices) {
    const buildings = new Map<string, string>();
    for (const d of Object.values(state.devices)) if (d.buildingName) buildings.set(d.building, d.buildingName);
    namesOf = { devices: state.devices, buildings };
  }
  return namesOf.buildings.get(id);
});

export function setLocale(locale: Locale): void {
  try {
    localStorage.setItem(LOCALE_KEY, locale);
  } catch {
    /* storage blocked */
  }
  document.documentElement.lang = locale;
  // API responses (refusals, rendered texts) come back in the UI's language
  setRequestLocale(locale);
  setState({ locale });
}

let toastSeq = 0;
export function toast(text: string, kind: Toast['kind'] = 'info', ms = 5000): void {
  const id = ++toastSeq;
  setState((s) => ({ toasts: [...s.toasts.slice(-4), { id, kind, text }] }));
  setTimeout(() => setState((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) })), ms);
}

// ---- live data patches ----
// A list asked for over HTTP, or the socket's sync snapshot, can be read at the hub before a push
// that reaches the browser first; replacing the store with it wiped that push (CI once saw a new
// incident's card never appear, a device's tile could fall back to its older state). Each live
// patch is numbered; a list replaces only the records not patched after it was asked for
// (`listMark()` taken before asking).
let patchSeq = 0;
const patchedAt = { devices: new Map<string, number>(), incidents: new Map<string, number>(), visits: new Map<string, number>() };
type Patched = keyof typeof patchedAt;

/** The mark to take before asking for a list (pass it to replaceDevices/Incidents/Visits). */
export function listMark(): number {
  return patchSeq;
}

function markPatched(kind: Patched, id: string): void {
  patchedAt[kind].set(id, ++patchSeq);
}

/** `list` as the new records, except those patched after `since`: the store's newer copy stays (with `keep`'s merge). */
function replaceSince<T extends { id: string }>(
  kind: Patched,
  current: Record<string, T>,
  list: T[],
  since: number,
  keep: (cur: T, listed: T | undefined) => T = (cur) => cur,
): Record<string, T> {
  const next: Record<string, T> = {};
  for (const x of list) next[x.id] = x;
  for (const [id, at] of patchedAt[kind]) {
    if (at <= since) continue;
    const cur = current[id];
    if (cur) next[id] = keep(cur, next[id]);
  }
  return next;
}

export function upsertIncident(v: IncidentView, fromPush: boolean): void {
  markPatched('incidents', v.id);
  setState((s) => {
    const prev = s.incidents[v.id];
    // pushes carry no allowedActions (they differ per role): keep the last fetched ones
    const next: IncidentView = fromPush && prev?.allowedActions && !v.allowedActions ? { ...v, allowedActions: prev.allowedActions } : v;
    return {
      incidents: { ...s.incidents, [v.id]: next },
      incidentRev: fromPush ? { ...s.incidentRev, [v.id]: (s.incidentRev[v.id] ?? 0) + 1 } : s.incidentRev,
    };
  });
}

export function replaceIncidents(list: IncidentView[], since: number): void {
  // a pushed view has no allowedActions (they differ per role): the list's are the newest there are
  setState((s) => ({
    incidents: replaceSince('incidents', s.incidents, list, since, (cur, listed) => ({
      ...cur,
      allowedActions: listed?.allowedActions ?? cur.allowedActions,
    })),
  }));
}

export function upsertVisit(v: VisitView): void {
  markPatched('visits', v.id);
  setState((s) => ({ visits: { ...s.visits, [v.id]: v }, visitRev: s.visitRev + 1 }));
}

export function replaceVisits(list: VisitView[], since: number): void {
  setState((s) => ({ visits: replaceSince('visits', s.visits, list, since), visitRev: s.visitRev + 1 }));
}

export function replaceDevices(list: DeviceView[], since: number): void {
  setState((s) => ({ devices: replaceSince('devices', s.devices, list, since) }));
}

/** A device the store did not have yet (an administrative push): added whole. */
export function addDevice(v: DeviceView): void {
  markPatched('devices', v.id);
  setState((s) => ({ devices: { ...s.devices, [v.id]: v } }));
}

export function patchDevice(id: string, patch: Partial<DeviceView>): void {
  markPatched('devices', id);
  setState((s) => {
    const d = s.devices[id];
    if (!d) return {};
    return { devices: { ...s.devices, [id]: { ...d, ...patch } } };
  });
}

/** Several devices' patches in one state change (a burst of statuses: one render, not thousands). */
export function patchDevices(patches: ReadonlyArray<readonly [string, Partial<DeviceView>]>): void {
  for (const [id] of patches) markPatched('devices', id);
  setState((s) => {
    let devices: Record<string, DeviceView> | null = null;
    for (const [id, patch] of patches) {
      const d = (devices ?? s.devices)[id];
      if (!d) continue;
      devices ??= { ...s.devices };
      devices[id] = { ...d, ...patch };
    }
    return devices ? { devices } : {};
  });
}

/** A procedure the hub marks as life safety (GET /api/procedures `attention`): fire, entrapment. */
export function isLifeSafety(kind: string, procedures: ProceduresView | null = state.procedures): boolean {
  return Boolean(procedures?.kinds.find((k) => k.kind === kind)?.attention);
}

/** The incident needs attention (banner + sound): life safety and not yet acknowledged. */
export function needsAttention(i: IncidentView, procedures: ProceduresView | null = state.procedures): boolean {
  if (!i.open || !isLifeSafety(i.kind, procedures)) return false;
  // a snoozed incident is muted until its limit (issue 14; the hub never lets a life-safety kind
  // be snoozed, services/core/procedure/snooze.ts — this only keeps the screen true to the hub)
  const snooze = (i.data as { snooze?: { until?: number } | null }).snooze;
  if (typeof snooze?.until === 'number' && snooze.until > Date.now()) return false;
  const ack = i.steps.find((s) => s.key === 'acknowledge');
  return ack ? ack.status === 'pending' : i.state === 'awaiting_ack';
}

/** Board order: severity first, then the oldest first. */
export function boardOrder(a: IncidentView, b: IncidentView): number {
  return b.severity - a.severity || a.openedAt - b.openedAt;
}
