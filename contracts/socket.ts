// socket.io event maps (CONTRACT.md "socket.io"), typed for server and client alike.
import type { DeviceView } from './api.js';
import type { DeviceClass, OnlineState } from './domain.js';

export interface DeviceStatusEvent {
  deviceId: string;
  site: string;
  building: string;
  class: DeviceClass;
  state: OnlineState;
  ts: number;
}

export interface TelemetryEvent {
  deviceId: string;
  site: string;
  building: string;
  class: DeviceClass;
  ts: number;
  metrics: Record<string, number | boolean | string>;
}

/** Every accepted (stored, de-duplicated) device event, for the live event feed. */
export interface DeviceEventPush {
  deviceId: string;
  site: string;
  building: string;
  class: DeviceClass;
  id: string;
  type: string;
  ts: number;
  receivedAt: number;
  data: Record<string, unknown>;
}

/** An escalation, reminder or flag for the roles in `to` (sent only to sockets of those roles). */
export interface IncidentNoticePush {
  incidentId: string;
  kind: string;
  /** the incident's building: notices reach only sockets whose user may see it (building scope) */
  building: string;
  to: string[];
  /** `escalated.<reason>`, `flag.<code>` or the notice's own key */
  key: string;
  /** the message to show (labels: GET /api/procedures), e.g. `fire_alarm.notify.general_alarm` */
  msg: { key: string; params?: Record<string, unknown> };
  params: Record<string, unknown>;
  at: number;
}

/** The hub opened a shift's handover, or a reminder (unaccepted handover, unsigned shift logs). */
export interface ShiftNoticePush {
  /** `handover_opened` | `handover_pending` | `unsigned_logs`; the label is `records.notify.<key>` */
  key: string;
  shiftId: string;
  params: Record<string, unknown>;
  to: string[];
  at: number;
}

/** Why the server ended a live connection's session (the client goes back to the login page). */
export type SessionEndReason = 'logout' | 'expired' | 'disabled' | 'role_changed' | 'password_changed' | 'scope_changed';
export interface SessionEndedPush {
  reason: SessionEndReason;
}

/** Server → client events of the /control-room namespace. */
export interface ControlRoomEvents {
  'device:status': (e: DeviceStatusEvent) => void;
  /** several status changes of the same instant, in order (a connect storm, a mass drop) */
  'device:statuses': (e: DeviceStatusEvent[]) => void;
  /** the device's whole view after an administrative change (maintenance, service, enabled) */
  'device:changed': (e: DeviceView) => void;
  telemetry: (e: TelemetryEvent) => void;
  'device:event': (e: DeviceEventPush) => void;
  /** several events accepted in the same instant, in arrival order (bursts) */
  'device:events': (e: DeviceEventPush[]) => void;
  'incident:opened': (e: { id: string; kind: string; [k: string]: unknown }) => void;
  'incident:updated': (e: { id: string; kind: string; [k: string]: unknown }) => void;
  'incident:notify': (e: IncidentNoticePush) => void;
  'shift:notify': (e: ShiftNoticePush) => void;
  /** sent just before the server disconnects a socket whose session ended */
  'session:ended': (e: SessionEndedPush) => void;
}

/** Server → client events of the /front-desk namespace. */
export interface FrontDeskEvents {
  'visit:requested': (e: { id: string; [k: string]: unknown }) => void;
  'visit:updated': (e: { id: string; [k: string]: unknown }) => void;
  'incident:notify': (e: IncidentNoticePush) => void;
  'shift:notify': (e: ShiftNoticePush) => void;
  'session:ended': (e: SessionEndedPush) => void;
}

export const NAMESPACES = { controlRoom: '/control-room', frontDesk: '/front-desk' } as const;
