// The hub's metrics (CONTRACT.md "Operations"), wired in the composition root. Everything here
// reads state the owning module already keeps (connections, counters, stats) at scrape time, or
// listens to events that are emitted anyway (aedes 'clientReady'/'clientDisconnect'):
// no module outside ops changes its hot path for metrics. Names and meanings are listed in
// docs/operations.md "Metrics"; deploy/prometheus/alerts.yml uses them.
import type { EventEmitter } from 'node:events';
import { DEVICE_CLASSES, INCIDENT_KINDS } from '../../contracts/domain.js';
import { NAMESPACES } from '../../contracts/socket.js';
import { countBy, type Metrics, type Sample } from '../core/metrics.js';
import type { TelemetryStats } from '../telemetry/types.js';

/** The few things read from each module, typed structurally so this file imports none of them. */
export interface HubMetricSources {
  broker: {
    clients(): number;
    aedes: EventEmitter;
    stats(): {
      received: Readonly<Record<string, number>>;
      messagesOut: number;
      connectionsTotal: number;
      connectsQueued: number;
      connectsShed: number;
      connectQueue: number;
      acceptQueue: number;
      eventsHeld: number;
      sessionsMadeClean: number;
      bans: number;
      bannedAddresses: number;
      bannedClients: number;
    };
  };
  rejections: { reasons(): Record<string, number> };
  events: { stored: number; batches: number; duplicates: number; refused: number; outages: number; pending: number; holding: boolean };
  /** events accepted by this process and not yet routed by the incident engine (services/devices/replay.ts) */
  unrouted: () => number;
  telemetry: { stats(): TelemetryStats };
  devices: () => Iterable<{ class: string; state: string; enabled: boolean }>;
  /** open incidents per kind (a database query: runs at scrape time, bounded by the gauge timeout) */
  openIncidents: () => Promise<Record<string, number>>;
  live: () => {
    io: { of(ns: string): { sockets: { size: number } } } | null;
    emitted: Record<string, number>;
  } | null;
}

export function registerHubMetrics(m: Metrics, s: HubMetricSources): void {
  // --- MQTT -----------------------------------------------------------------------------------
  m.gauge('mqtt_connections', 'MQTT clients connected now (TCP and WebSocket)', [], () => s.broker.clients());
  const b = () => s.broker.stats();
  // counted by the broker in plain numbers and read at scrape time: an increment per message
  // through prom-client was ≈ 1 % of the hub's CPU at the telemetry ceiling (issue 12)
  m.counterFrom(
    'mqtt_messages_received_total',
    'MQTT messages accepted from devices, by channel (status | telemetry | event | cmd-res)',
    ['channel'],
    () => Object.entries(b().received).map(([channel, n]): Sample<'channel'> => [{ channel }, n]),
  );
  m.counterFrom('mqtt_messages_sent_total', 'MQTT messages published by the hub to devices, by channel (cmd)', ['channel'], () => [
    [{ channel: 'cmd' }, b().messagesOut],
  ]);
  m.counterFrom(
    'mqtt_tcp_connections_total',
    'Network connections accepted (TCP, TLS, WebSocket), before authentication',
    [],
    () => b().connectionsTotal,
  );
  m.counterFrom(
    'mqtt_sessions_made_clean_total',
    'CONNECTs asking for a persistent session that were given a clean one',
    [],
    () => b().sessionsMadeClean,
  );
  m.counterFrom('mqtt_bans_total', 'Bans issued after repeated failed CONNECTs (per address or device id)', [], () => b().bans);
  m.gauge('mqtt_banned', 'Addresses and device ids banned now', ['kind'], () => [
    [{ kind: 'address' }, b().bannedAddresses],
    [{ kind: 'client' }, b().bannedClients],
  ]);
  // connect storms (broker/throttle.ts, HUB_MQTT_CONNECT_*)
  m.counterFrom(
    'mqtt_connects_throttled_total',
    'CONNECTs that waited in the connect throttle before being handled',
    [],
    () => b().connectsQueued,
  );
  m.counterFrom(
    'mqtt_connects_shed_total',
    'CONNECTs refused with CONNACK 3 because the connect throttle queue was full',
    [],
    () => b().connectsShed,
  );
  m.gauge('mqtt_connect_queue', 'CONNECTs waiting in the connect throttle now', [], () => b().connectQueue);
  m.gauge('mqtt_accept_queue', 'accepted MQTT connections not yet handed to the broker (accept pacing)', [], () => b().acceptQueue);
  m.gauge(
    'mqtt_events_held',
    'Device events whose PUBACK waits for the store while their connection reads on (HUB_EVENT_PIPELINE; during a PostgreSQL outage, every waiting event)',
    [],
    () => b().eventsHeld,
  );
  s.broker.aedes.on('clientReady', () => m.mqttConnects.inc());
  s.broker.aedes.on('clientDisconnect', () => m.mqttDisconnects.inc());
  m.counterFrom('mqtt_rejections_total', 'MQTT connects/publishes/subscribes refused, by reason (CONTRACT.md)', ['reason'], () =>
    Object.entries(s.rejections.reasons()).map(([reason, n]): Sample<'reason'> => [{ reason }, n]),
  );

  // --- device events ----------------------------------------------------------------------------
  m.counterFrom('events_stored_total', 'Device events stored in the event log (first delivery)', [], () => s.events.stored);
  m.counterFrom(
    'events_duplicate_total',
    'Device events received again (QoS1 resends) and not stored twice',
    [],
    () => s.events.duplicates,
  );
  m.counterFrom(
    'event_store_batches_total',
    'Group commits of the event log (INSERTs that succeeded); events stored per commit = events_stored_total / this',
    [],
    () => s.events.batches,
  );
  m.counterFrom('events_refused_total', 'Device events the database refused for good (data errors)', [], () => s.events.refused);
  m.counterFrom('event_store_outages_total', 'Times the event log became unreachable', [], () => s.events.outages);
  m.gauge(
    'event_store_backlog',
    'Device events accepted but not yet stored (queued, being written or retried)',
    [],
    () => s.events.pending,
  );
  m.gauge('event_store_holding', '1 while the event log is unreachable and events are held, else 0', [], () => (s.events.holding ? 1 : 0));
  m.gauge(
    'events_unrouted',
    'Device events accepted here and not yet routed by the incident procedures (being stored, or queued behind other work): how far alarms lag',
    [],
    () => s.unrouted(),
  );

  // --- telemetry --------------------------------------------------------------------------------
  const t = () => s.telemetry.stats();
  m.gauge('telemetry_buffered', 'Telemetry points waiting to be written (in-flight batch included)', [], () => t().buffered);
  m.counterFrom('telemetry_written_total', 'Telemetry points the store confirmed', [], () => t().written);
  m.counterFrom('telemetry_dropped_total', 'Telemetry points lost: buffer full (oldest first) or unsent at stop', [], () => t().dropped);
  m.counterFrom('telemetry_rejected_total', 'Telemetry points refused as invalid (by the hub or the store)', [], () => t().rejected);
  m.counterFrom('telemetry_failed_batches_total', 'Failed telemetry write attempts (each is retried)', [], () => t().failedBatches);
  // embedded store: the rollup job of closed days (no samples with InfluxDB)
  m.counterFrom(
    'telemetry_rollup_runs_total',
    "Completed runs of the embedded store's rollup job (this instance)",
    [],
    () => t().rollup?.runs ?? 0,
  );
  m.counterFrom('telemetry_rollup_hours_total', 'Hours rolled up (built or rebuilt) by this instance', [], () => t().rollup?.hours ?? 0);
  m.counterFrom(
    'telemetry_rollup_failures_total',
    'Failed runs of the rollup job (retried at the next run)',
    [],
    () => t().rollup?.failures ?? 0,
  );
  m.counterFrom(
    'telemetry_insert_fallbacks_total',
    'Embedded store: batches COPY refused (a row already stored, a bad value) and an INSERT stored instead',
    [],
    () => t().insertFallbacks ?? 0,
  );
  m.gauge('telemetry_store_up', '1 while the telemetry store accepts writes, else 0', ['backend'], () => {
    const st = t();
    return [[{ backend: st.backend }, st.ok ? 1 : 0]];
  });

  // --- devices and incidents --------------------------------------------------------------------
  m.gauge('devices', 'Enabled devices by class and connection state (online | offline | lost)', ['class', 'state'], () => {
    const counts = new Map<string, number>();
    for (const c of DEVICE_CLASSES) for (const st of ['online', 'offline', 'lost']) counts.set(`${c}\u0000${st}`, 0);
    for (const d of s.devices()) {
      if (!d.enabled) continue;
      const k = `${d.class}\u0000${d.state}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts].map(([k, v]): Sample<'class' | 'state'> => {
      const [cls, state] = k.split('\u0000') as [string, string];
      return [{ class: cls, state }, v];
    });
  });
  m.gauge('incidents_open', 'Open incidents by kind', ['kind'], async () => {
    const byKind = await s.openIncidents();
    return countBy('kind', [], INCIDENT_KINDS).map(([l]): Sample<'kind'> => [l, byKind[l.kind!] ?? 0]);
  });

  // --- live push (socket.io) --------------------------------------------------------------------
  m.gauge('socketio_connections', 'Dashboard socket.io connections now, by namespace', ['namespace'], () => {
    const io = s.live()?.io;
    return Object.values(NAMESPACES).map((ns): Sample<'namespace'> => [{ namespace: ns }, io ? io.of(ns).sockets.size : 0]);
  });
  m.counterFrom('socketio_messages_sent_total', 'Live messages pushed to dashboards, by kind', ['kind'], () =>
    Object.entries(s.live()?.emitted ?? {}).map(([kind, n]): Sample<'kind'> => [{ kind }, n]),
  );
}
