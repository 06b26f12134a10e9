// Live push over socket.io, authenticated with the same session token as HTTP
// (handshake `auth.token` or the session cookie). Namespaces per CONTRACT.md:
//  /control-room: device:status, telemetry (throttled per device), incident:opened/updated
//  /front-desk:   visit:requested, visit:updated
// After a reconnect a client calls `sync` (ack) to get the current state, so a board is right
// without a page reload.
import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace, type ServerOptions, type Socket } from 'socket.io';
import type { Role } from '../contracts/domain.js';
import {
  NAMESPACES,
  type ControlRoomEvents,
  type DeviceEventPush,
  type DeviceStatusEvent,
  type SessionEndReason,
  type TelemetryEvent,
} from '../contracts/socket.js';
import type { DeviceView } from '../contracts/api.js';
import { originAllowed, type OriginPolicy } from '../services/auth/origin.js';
import { SESSION_COOKIE, tokenFrom } from '../services/auth/plugin.js';
import type { AuthService, AuthSession } from '../services/auth/service.js';
import type { DeviceRef, EventBus } from '../services/core/bus.js';
import { Scope } from '../services/auth/scope.js';
import { ALL_BUILDINGS, buildingRooms, onlyBuildingRoom, roleRooms, roomsOf, sessionRoom, userRoom } from './rooms.js';
import type { Logger } from '../services/core/logger.js';

/**
 * Per-recipient handling of pushes that carry personal data (services/incidents/privacy.ts):
 * masked for roles without the duty, logged per recipient otherwise.
 */
export interface LiveGate {
  isPersonal(event: string, payload: unknown): boolean;
  forRecipient<T>(user: { id: string; role: Role }, event: string, payload: T): T;
}

export interface LiveOptions {
  auth: AuthService;
  bus: EventBus;
  log: Logger;
  throttleMs: number;
  /** which browser origins may open a live connection (the hub's own + HUB_ALLOWED_ORIGINS) */
  origins: OriginPolicy;
  /** personal data in pushes: masked or logged per recipient (absent: every push is broadcast as is) */
  gate?: LiveGate;
  /**
   * Scale-out (docs/scale-out.md): socket.io's adapter shared by every hub instance
   * (`@socket.io/redis-adapter`), so a push made here reaches dashboards connected anywhere.
   * Absent: the in-memory adapter of the single-process hub.
   */
  adapter?: ServerOptions['adapter'];
  /** the hub's clock, the one sessions expire by (AuthService); pacing uses the real clock */
  now: () => number;
  /** current state for `sync` after (re)connect */
  snapshot: {
    devices(): DeviceView[];
    incidents?(): Promise<unknown[]>;
    visits?(): Promise<unknown[]>;
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const NS_ROLES: Record<string, Role[]> = {
  [NAMESPACES.controlRoom]: ['operator', 'supervisor', 'admin', 'frontdesk'],
  [NAMESPACES.frontDesk]: ['frontdesk', 'supervisor', 'admin'],
};

type SocketData = AuthSession;

/** server-to-server event (scale-out): a push with personal data, gated per recipient by each instance */
const PERSONAL = 'hub:personal';

/** Tell the client why, then disconnect; the client returns to the login page. */
function endSocket(socket: Socket, reason: SessionEndReason): void {
  socket.emit('session:ended', { reason });
  socket.disconnect(true);
}

export class LivePush {
  io: Server | null = null;
  private readonly pending = new Map<
    string,
    { device: DeviceRef; ts: number; metrics: TelemetryEvent['metrics'] | null; timer: NodeJS.Timeout | null; lastSent: number }
  >();
  emitted = { status: 0, changed: 0, telemetry: 0, telemetryCoalesced: 0 };
  /**
   * The recent live feed, newest last, sent with every `sync`: a reload or a reconnect shows
   * what just happened instead of 暂无事件 (issue 14). As many as the control room keeps.
   */
  private readonly recent: DeviceEventPush[] = [];
  static readonly RECENT_EVENTS = 40;

  constructor(private readonly o: LiveOptions) {}

  attach(http: HttpServer): void {
    const io = new Server(http, {
      path: '/socket.io',
      serveClient: true, // /socket.io/socket.io.js for the plain live page
      // The MQTT-over-WebSocket endpoint shares the HTTP server: leave other upgrades alone.
      destroyUpgrade: false,
      pingInterval: 10_000,
      pingTimeout: 10_000,
      ...(this.o.adapter ? { adapter: this.o.adapter } : {}),
      // The session cookie goes with any request to the hub, from any page on the same site —
      // another port or a sibling host (SameSite does not separate those), and WebSockets are
      // not subject to CORS. A page from a foreign origin must not read the front desk's live
      // visitor data with a victim's cookie: the handshake is refused (403) unless the Origin
      // is the hub's own or allowed (issue 7 item 13). No Origin = not a browser page.
      allowRequest: (req, done) => {
        const ok = originAllowed(req, this.o.origins);
        if (!ok) this.o.log.warn({ origin: req.headers.origin }, 'live connection from a foreign origin refused');
        done(null, ok);
      },
    });
    this.io = io;
    for (const [ns, roles] of Object.entries(NS_ROLES)) {
      const nsp = io.of(ns);
      nsp.use(async (socket, next) => {
        try {
          const token = tokenFrom(
            typeof socket.handshake.auth?.token === 'string' ? `Bearer ${socket.handshake.auth.token}` : undefined,
            cookieValue(socket.handshake.headers.cookie, SESSION_COOKIE),
          );
          const session = await this.o.auth.verifySession(token);
          if (!session) return next(Object.assign(new Error('unauthenticated'), { data: { code: 'HUB_ERR_UNAUTHENTICATED' } }));
          if (!roles.includes(session.user.role))
            return next(Object.assign(new Error('forbidden'), { data: { code: 'HUB_ERR_FORBIDDEN' } }));
          Object.assign(socket.data as SocketData, session);
          next();
        } catch (err) {
          next(err as Error);
        }
      });
      nsp.on('connection', (socket: Socket) => {
        const data = socket.data as SocketData;
        // rooms by session, user, role and building scope (./rooms.ts): pushes reach only sockets
        // whose user may see the building; a logout or a changed user ends exactly its connections
        void socket.join(roomsOf(data.user, data.sessionId));
        // the session's own expiry ends the connection too (setTimeout's limit is ~24.8 days)
        const expiry = setTimeout(() => endSocket(socket, 'expired'), Math.min(Math.max(0, data.expiresAt - this.o.now()), 2 ** 31 - 1));
        expiry.unref();
        socket.on('disconnect', () => clearTimeout(expiry));
        socket.on('sync', async (ack: unknown) => {
          if (typeof ack !== 'function') return;
          try {
            const user = data.user;
            // the current state within the user's building scope, like the pushes
            const scope = Scope.of(user);
            const mine = <T>(list: T[]) => list.filter((x) => scope.allows((x as { building?: string }).building));
            const each = (event: string, list: unknown[]) =>
              this.o.gate ? mine(list).map((x) => this.o.gate!.forRecipient(user, event, x)) : mine(list);
            ack({
              ok: true,
              at: this.o.now(),
              devices: mine(this.o.snapshot.devices()),
              incidents: each('sync:incident', (await this.o.snapshot.incidents?.()) ?? []),
              visits: ns === NAMESPACES.frontDesk ? each('sync:visit', (await this.o.snapshot.visits?.()) ?? []) : [],
              // each event as this user may see it (a visitor's name masked for roles without visitor duties)
              events: ns === NAMESPACES.controlRoom ? each('device:event', this.recent) : [],
            });
          } catch (err) {
            this.o.log.error({ err }, 'sync failed');
            ack({ ok: false });
          }
        });
      });
    }
    const cr = io.of(NAMESPACES.controlRoom) as unknown as {
      to: (rooms: string[]) => { emit: <K extends keyof ControlRoomEvents>(e: K, ...a: Parameters<ControlRoomEvents[K]>) => boolean };
    };
    const { bus } = this.o;
    // Every push names the rooms it is for (./rooms.ts: at least its building's). A push with
    // personal data goes to each socket as its user may see it (seed 000 §2.1.6.2: masked, or
    // whole and logged); anything else is one broadcast to those rooms.
    const send = (nsp: Namespace, event: string, payload: unknown, rooms: string[]) => {
      if (!this.reaches(nsp, rooms)) return;
      const gate = this.o.gate;
      const personal = gate && (Array.isArray(payload) ? payload.some((x) => gate.isPersonal(event, x)) : gate.isPersonal(event, payload));
      if (!personal) {
        nsp.to(rooms).emit(event, payload);
        return;
      }
      // per recipient: this instance's sockets here, the other instances' by their own gate
      if (this.o.adapter) nsp.serverSideEmit(PERSONAL, event, payload, rooms);
      sendPersonal(nsp, event, payload, rooms);
    };
    const sendPersonal = (nsp: Namespace, event: string, payload: unknown, rooms: string[]) => {
      const gate = this.o.gate!;
      const single = Array.isArray(payload) ? event.replace(/s$/, '') : event;
      for (const socket of nsp.sockets.values()) {
        if (!rooms.some((r) => socket.rooms.has(r))) continue;
        const user = (socket.data as SocketData).user;
        socket.emit(
          event,
          Array.isArray(payload) ? payload.map((x) => gate.forRecipient(user, single, x)) : gate.forRecipient(user, event, payload),
        );
      }
    };
    const crNsp = io.of(NAMESPACES.controlRoom);
    const fdNsp = io.of(NAMESPACES.frontDesk);
    if (this.o.adapter) {
      for (const nsp of [crNsp, fdNsp]) {
        nsp.on(PERSONAL, (event: string, payload: unknown, rooms: string[]) => {
          if (this.o.gate && Array.isArray(rooms)) sendPersonal(nsp, event, payload, rooms);
        });
      }
    }
    bus.on('auth.sessions_ended', this, (e) => this.endSessions(e));
    // Pushes of one event-loop turn go out as one frame: under a burst (an outage makes every
    // device talk at once, a network blip drops thousands of connections) browsers get a few
    // large frames instead of thousands of small ones — and with scale-out each frame is one
    // Redis publish that every instance decodes (BENCHMARKS.md "bench:storm", hub-cluster). A
    // lone push still goes out at once as `single`; a burst goes whole to the unscoped and split
    // by building (arrival order kept) to the scoped.
    const burst = <T extends { building: string }>(single: string, many: string) => {
      let batch: T[] = [];
      return (push: T) => {
        batch.push(push);
        if (batch.length > 1) return;
        setImmediate(() => {
          const out = batch;
          batch = [];
          if (out.length === 1) return send(crNsp, single, out[0]!, buildingRooms(out[0]!.building));
          send(crNsp, many, out, [ALL_BUILDINGS]);
          const byBuilding = new Map<string, T[]>();
          for (const e of out) {
            const list = byBuilding.get(e.building);
            if (list) list.push(e);
            else if (this.reaches(crNsp, [onlyBuildingRoom(e.building)])) byBuilding.set(e.building, [e]);
          }
          for (const [b, list] of byBuilding) send(crNsp, many, list, [onlyBuildingRoom(b)]);
        });
      };
    };
    const pushStatus = burst<DeviceStatusEvent>('device:status', 'device:statuses');
    bus.on('device.status', this, ({ device, state, ts }) => {
      this.emitted.status++;
      pushStatus({ ...device, state, ts });
    });
    // maintenance set or ended, in or out of service, enabled: every dashboard's tile follows at
    // once (PROCEDURES.md "Device health": the tile shows who, why, until when). Emitted by the
    // instance where the change happened; the socket.io adapter carries it to the others.
    bus.on('device.changed', this, ({ view }) => {
      this.emitted.changed++;
      cr.to(buildingRooms(view.building)).emit('device:changed', view);
    });
    const sendTelemetry = (ev: TelemetryEvent) => cr.to(buildingRooms(ev.building)).emit('telemetry', ev);
    bus.on('device.telemetry', this, ({ device, ts, metrics }) => this.telemetry(device, ts, metrics, sendTelemetry));
    // The live feed shows an event as soon as it passed the contract (not after the disk flush
    // that procedures wait for); a burst as one frame (`burst` above).
    const pushEvent = burst<DeviceEventPush>('device:event', 'device:events');
    bus.on('device.event.live', this, ({ device, event, receivedAt }) => {
      const push: DeviceEventPush = {
        ...device,
        id: event.id,
        type: event.type,
        ts: event.ts,
        receivedAt,
        data: event.data as Record<string, unknown>,
      };
      this.recent.push(push);
      if (this.recent.length > LivePush.RECENT_EVENTS) this.recent.splice(0, this.recent.length - LivePush.RECENT_EVENTS);
      pushEvent(push);
    });
    const about = (e: Record<string, unknown>) => buildingRooms(String(e.building));
    bus.on('incident.opened', this, (e) => send(crNsp, 'incident:opened', e, about(e)));
    bus.on('incident.updated', this, (e) => send(crNsp, 'incident:updated', e, about(e)));
    bus.on('incident.notify', this, (e) => {
      const rooms = roleRooms([...e.to, 'admin'], e.building);
      for (const nsp of [crNsp, fdNsp]) send(nsp, 'incident:notify', e, rooms);
    });
    bus.on('shift.notify', this, (e) => {
      // no personal data in it (shift ids and counts): one broadcast per namespace to the roles
      // named; it concerns the whole estate (a shift is not a building's), so every scope gets it
      const rooms = [...new Set([...e.to, 'admin'])].map((r) => `role:${r}`);
      for (const nsp of [crNsp, fdNsp]) nsp.to(rooms).emit('shift:notify', e);
    });
    bus.on('visit.requested', this, (e) => send(fdNsp, 'visit:requested', e, about(e)));
    bus.on('visit.updated', this, (e) => send(fdNsp, 'visit:updated', e, about(e)));
  }

  /**
   * Whether a push to these rooms can reach anyone. socket.io encodes a broadcast before it looks
   * for recipients (socket.io-adapter's in-memory `broadcast`), so a burst split by building for
   * scoped dashboards was encoded again for buildings nobody scoped was watching (issue 12
   * profile: `encodeAsString` 5.5 % of the hub's CPU at the QoS1 ceiling). With a shared adapter
   * (scale-out) the other instances' sockets are not known here: always true.
   */
  private reaches(nsp: Namespace, rooms: string[]): boolean {
    if (this.o.adapter) return true;
    const all = nsp.adapter.rooms;
    for (const r of rooms) if ((all.get(r)?.size ?? 0) > 0) return true;
    return false;
  }

  /**
   * End this instance's live connections of the given sessions (logout, user disabled, role or
   * password changed). Scale-out: also called for sessions ended through another instance.
   */
  endSessions({ userId, sessionId, reason }: { userId: string | null; sessionId: string | null; reason: SessionEndReason }): void {
    const io = this.io;
    if (!io) return;
    const room = sessionId ? sessionRoom(sessionId) : userRoom(userId ?? '');
    for (const ns of Object.keys(NS_ROLES)) {
      for (const socket of io.of(ns).sockets.values()) if (socket.rooms.has(room)) endSocket(socket, reason);
    }
  }

  /**
   * At most one telemetry message per device per throttle window; metrics arriving inside the
   * window are merged (in place: this runs for every message of the fleet) into one trailing
   * message, so browsers see the latest values without a chatty device flooding them.
   */
  private telemetry(device: DeviceRef, ts: number, metrics: TelemetryEvent['metrics'], send: (ev: TelemetryEvent) => void): void {
    const now = Date.now();
    let p = this.pending.get(device.deviceId);
    if (!p) this.pending.set(device.deviceId, (p = { device, ts: 0, metrics: null, timer: null, lastSent: 0 }));
    if (!p.timer && now - p.lastSent >= this.o.throttleMs) {
      p.lastSent = now;
      this.emitted.telemetry++;
      return send({ ...device, ts, metrics });
    }
    this.emitted.telemetryCoalesced++;
    if (p.metrics) Object.assign(p.metrics, metrics);
    else p.metrics = { ...metrics };
    p.ts = ts;
    if (!p.timer) {
      const q = p;
      q.timer = setTimeout(
        () => {
          q.timer = null;
          q.lastSent = Date.now();
          const merged = q.metrics ?? {};
          q.metrics = null;
          this.emitted.telemetry++;
          send({ ...q.device, ts: q.ts, metrics: merged });
        },
        this.o.throttleMs - (now - p.lastSent),
      );
      q.timer.unref();
    }
  }

  async close(): Promise<void> {
    this.o.bus.removeListeners(this);
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
    if (this.io) await new Promise<void>((r) => this.io!.close(() => r()));
    this.io = null;
  }
}
