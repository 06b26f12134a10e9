// Typed in-process event bus (ARCHITECTURE.md example 2, after zigbee2mqtt lib/eventBus.ts):
// a map of event name → payload type; a listener that throws (or rejects) is logged and does
// not take the process down; listeners are removed by owner on stop.
import type { DeviceClass, OnlineState } from '../../contracts/domain.js';
import type { CommandResult, DeviceEvent } from '../../contracts/mqtt.js';
import type { DeviceView } from '../../contracts/api.js';
import type { IncidentNoticePush, SessionEndReason, ShiftNoticePush } from '../../contracts/socket.js';
import type { Logger } from './logger.js';

export interface DeviceRef {
  deviceId: string;
  site: string;
  building: string;
  class: DeviceClass;
}

export interface CommandUpdate {
  corr: string;
  deviceId: string;
  name: string;
  state: 'sent' | 'confirmed' | 'failed' | 'expired';
  incidentId: string | null;
  visitId: string | null;
  at: number;
  result: Record<string, unknown> | null;
}

/** escalations, reminders and flags; the same shape goes to browsers as `incident:notify` */
export type IncidentNotice = IncidentNoticePush;

export interface BusEvents {
  /** An accepted, de-duplicated and durably stored device event: what procedures act on. */
  'device.event': { device: DeviceRef; event: DeviceEvent; receivedAt: number };
  /**
   * A valid event seen for the first time by this process, before it is stored: only for the
   * live feed, which must not wait for a disk flush (procedures wait for 'device.event').
   */
  'device.event.live': { device: DeviceRef; event: DeviceEvent; receivedAt: number };
  'device.telemetry': { device: DeviceRef; ts: number; metrics: Record<string, number | boolean | string> };
  'device.status': { device: DeviceRef; state: OnlineState; ts: number; reason: string };
  /** a new connection with a connected device's id was accepted; the older one is closed next */
  'device.takeover': { device: DeviceRef; ts: number };
  'device.command_result': { device: DeviceRef; command: string; result: CommandResult };
  /**
   * A device's administrative record changed through this instance (provisioned, enabled or
   * disabled, in or out of service, maintenance set or ended): its whole view, for the live push.
   */
  'device.changed': { view: DeviceView };
  /** A command's lifecycle: sent → confirmed | failed | expired (never retried past exp). */
  'command.updated': CommandUpdate;
  /** Domain notifications for the live push (incidents, visits); payload is the public view. */
  'incident.opened': { id: string; kind: string; [k: string]: unknown };
  'incident.updated': { id: string; kind: string; [k: string]: unknown };
  /** escalations, reminders and flags for people in the given roles (toasts, sound) */
  'incident.notify': IncidentNotice;
  /** shift reminders and the hub-opened handover (services/records/shift-service.ts); browsers get `shift:notify` */
  'shift.notify': ShiftNoticePush;
  'visit.requested': { id: string; [k: string]: unknown };
  'visit.updated': { id: string; [k: string]: unknown };
  /**
   * Sessions ended by the server (logout, user disabled, role or password changed): every live
   * connection holding one of them must end at once. `sessionId` (sha256 of the token) names one
   * session; `userId` names all of that user's sessions.
   */
  'auth.sessions_ended': { userId: string | null; sessionId: string | null; reason: SessionEndReason };
}
export type BusEventName = keyof BusEvents;
type Listener<K extends BusEventName> = (payload: BusEvents[K]) => void | Promise<void>;

export class EventBus {
  private readonly listeners = new Map<BusEventName, Array<{ owner: object; fn: Listener<BusEventName> }>>();

  constructor(private readonly log: Logger) {}

  on<K extends BusEventName>(name: K, owner: object, fn: Listener<K>): void {
    const list = this.listeners.get(name) ?? [];
    list.push({ owner, fn: fn as Listener<BusEventName> });
    this.listeners.set(name, list);
  }

  removeListeners(owner: object): void {
    for (const [name, list] of this.listeners) {
      this.listeners.set(
        name,
        list.filter((l) => l.owner !== owner),
      );
    }
  }

  emit<K extends BusEventName>(name: K, payload: BusEvents[K]): void {
    const list = this.listeners.get(name);
    if (!list) return;
    for (const { fn, owner } of list) {
      try {
        const r = fn(payload);
        if (r && typeof (r as Promise<void>).catch === 'function') {
          (r as Promise<void>).catch((err: unknown) => this.fail(name, owner, err));
        }
      } catch (err) {
        this.fail(name, owner, err);
      }
    }
  }

  private fail(name: string, owner: object, err: unknown): void {
    this.log.error({ err, event: name, owner: owner.constructor?.name }, 'bus listener failed');
  }
}
