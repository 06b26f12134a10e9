// Operating the hub (issue 15): /metrics scraped from a real hub and parsed as Prometheus text,
// its values following real MQTT/HTTP/socket.io activity; the alert rules and the Grafana
// dashboard naming only series the hub exposes; request logs; the run-time log level; one-line
// database warnings.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pg from 'pg';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/mqtt.js';
import { loadConfig } from '../../services/core/config.js';
import { HubError } from '../../services/core/errors.js';
import { createLogger } from '../../services/core/logger.js';
import { Hub } from '../../services/hub/hub.js';
import { metricsAccess } from '../../services/ops/routes.js';
import {
  ADMIN_PASSWORD,
  api,
  connectDevice,
  connectRaw,
  login,
  provision,
  seedPlace,
  socket,
  waitFor,
  type TestHub,
} from '../helpers/hub.js';
import { startReceivers, type Receivers } from '../helpers/notify-receivers.js';
import { createTestDatabase } from '../helpers/pg.js';
import { parseProm, type PromScrape } from '../helpers/prom.js';

type Line = Record<string, unknown> & { msg?: string; level: number };
const lines: Line[] = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const l of chunk.toString('utf8').split('\n')) {
      if (!l) continue;
      raw.push(l);
      lines.push(JSON.parse(l) as Line);
    }
    cb();
  },
});

let t: TestHub;
let dataDir: string;

beforeAll(async () => {
  // a hub like tests/helpers/hub.ts starts, with its log lines captured (info and up)
  const db = await createTestDatabase();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-ops-'));
  const env = {
    HUB_HOST: '127.0.0.1',
    HUB_HTTP_PORT: '0',
    HUB_MQTT_PORT: '0',
    HUB_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HUB_DEMO: '0',
    HUB_LOG_LEVEL: 'info',
    TELEMETRY_FLUSH_MS: '50',
    NOTIFY_GROUP_WINDOW_MS: '100',
    NOTIFY_POLL_MS: '100',
    NOTIFY_RETRY_LIMIT: '1',
    NOTIFY_RETRY_DELAY_S: '1',
  };
  const config = loadConfig(env);
  const hub = await Hub.start(config, { log: createLogger(config.logLevel, 'ops-test', sink) });
  t = {
    hub,
    db,
    env,
    http: `http://127.0.0.1:${hub.httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${hub.mqttPort}`,
    token: '',
    close: async () => {
      await hub.stop();
      await db.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
    restart: () => Promise.reject(new Error('not used')),
  };
  t.token = (await login(t, 'admin', ADMIN_PASSWORD)).token;
  await seedPlace(t);
});
afterAll(async () => {
  await t?.close();
});

async function scrape(headers: Record<string, string> = {}): Promise<PromScrape> {
  const r = await fetch(`${t.http}/metrics`, { headers });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseProm(await r.text());
}

/** Every metric family named in the contract's minimum (CONTRACT.md "Operations") and by ops. */
const EXPECTED = [
  'bops_mqtt_connections',
  'bops_mqtt_connects_total',
  'bops_mqtt_disconnects_total',
  'bops_mqtt_messages_received_total',
  'bops_mqtt_messages_sent_total',
  'bops_mqtt_rejections_total',
  'bops_events_stored_total',
  'bops_event_store_batches_total',
  'bops_events_duplicate_total',
  'bops_event_store_backlog',
  'bops_event_store_holding',
  'bops_events_refused_total',
  'bops_mqtt_tcp_connections_total',
  'bops_mqtt_events_held',
  'bops_mqtt_connects_throttled_total',
  'bops_mqtt_connects_shed_total',
  'bops_mqtt_connect_queue',
  'bops_mqtt_accept_queue',
  'bops_events_unrouted',
  'bops_mqtt_banned',
  'bops_telemetry_buffered',
  'bops_telemetry_written_total',
  'bops_telemetry_dropped_total',
  'bops_telemetry_store_up',
  'bops_telemetry_insert_fallbacks_total',
  'bops_telemetry_rollup_runs_total',
  'bops_telemetry_rollup_hours_total',
  'bops_telemetry_rollup_failures_total',
  'bops_incidents_open',
  'bops_devices',
  'bops_notification_deliveries_total',
  'bops_http_requests_total',
  'bops_http_request_duration_seconds',
  'bops_socketio_connections',
  'bops_socketio_messages_sent_total',
  'bops_build_info',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
];

describe('GET /metrics', () => {
  it('answers Prometheus text that parses, with every series the contract lists', async () => {
    const s = await scrape();
    for (const name of EXPECTED) expect(s.types.has(name), name).toBe(true);
    expect(s.types.get('bops_mqtt_messages_received_total')).toBe('counter');
    expect(s.types.get('bops_http_request_duration_seconds')).toBe('histogram');
    const info = s.samples.find((x) => x.name === 'bops_build_info');
    expect(info).toMatchObject({ value: 1, labels: { node: process.versions.node } });
    expect(info?.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    // every incident kind is listed, 0 when none is open (an alert on it never sees "no data")
    expect(s.value('bops_incidents_open', { kind: 'fire_alarm' })).toBe(0);
    expect(s.value('bops_telemetry_store_up', { backend: 'embedded-pg' })).toBe(1);
  });

  it('follows activity: connections, telemetry, events, duplicates, rejections, HTTP, socket.io', async () => {
    const before = await scrape();
    const fp = await provision(t, 'fp-metrics', 'fire-panel');
    const c = await connectDevice(t, fp);
    const live = await socket(t);
    try {
      const s1 = await waitFor(
        async () => {
          const s = await scrape();
          return s.value('bops_devices', { class: 'fire-panel', state: 'online' }) === 1 ? s : null;
        },
        5000,
        'device online in metrics',
      );
      expect(s1.value('bops_mqtt_connections')).toBe(1);
      expect(s1.value('bops_mqtt_connects_total')).toBe((before.value('bops_mqtt_connects_total') ?? 0) + 1);
      expect(s1.value('bops_socketio_connections', { namespace: '/control-room' })).toBe(1);

      // three telemetry messages → three in, three points written
      for (let i = 0; i < 3; i++) {
        await c.publishAsync(topics.telemetry(fp), JSON.stringify({ v: 1, ts: Date.now(), metrics: { zones_in_alarm: i } }), { qos: 1 });
      }
      await t.hub.telemetry.flush();
      // a fire alarm event, then the same event again (a QoS1 resend)
      const ev = JSON.stringify({
        v: 1,
        id: 'ev-metrics-1',
        ts: Date.now(),
        type: 'fire.alarm',
        data: { zone: 'z1', floor: 3, detector: 'smoke' },
      });
      await c.publishAsync(topics.event(fp), ev, { qos: 1 });
      await c.publishAsync(topics.event(fp), ev, { qos: 1 });
      // a connect with a wrong secret is refused and counted by reason
      await expect(connectRaw(t.mqttUrl, { clientId: fp.id, username: fp.id, password: 'wrong-secret' })).rejects.toThrow();

      const s2 = await waitFor(
        async () => {
          const s = await scrape();
          return s.value('bops_incidents_open', { kind: 'fire_alarm' }) === 1 ? s : null;
        },
        5000,
        'fire incident open in metrics',
      );
      const inc = (name: string, labels?: Record<string, string>) => (s2.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
      expect(inc('bops_mqtt_messages_received_total', { channel: 'telemetry' })).toBe(3);
      expect(inc('bops_mqtt_messages_received_total', { channel: 'event' })).toBe(2);
      expect(inc('bops_telemetry_written_total')).toBe(3);
      expect(inc('bops_events_stored_total')).toBe(1);
      expect(inc('bops_event_store_batches_total')).toBe(2); // a commit per publish: the event, then its resend (found a duplicate)
      expect(inc('bops_events_duplicate_total')).toBe(1);
      expect(s2.sum('bops_mqtt_rejections_total') - before.sum('bops_mqtt_rejections_total')).toBe(1);
      expect(inc('bops_mqtt_tcp_connections_total')).toBe(2); // the device and the refused connect
      expect(s2.value('bops_event_store_holding')).toBe(0);
      expect(s2.value('bops_event_store_backlog')).toBe(0);
      // the fire event was routed (and its resend settled as a duplicate): nothing left unrouted
      await waitFor(async () => ((await scrape()).value('bops_events_unrouted') === 0 ? true : null), 5000, 'events routed');
      expect(inc('bops_http_requests_total', { method: 'POST', route: '/api/devices', status: '201' })).toBe(1);
      expect(s2.sum('bops_http_request_duration_seconds_count', { route: '/api/devices' })).toBeGreaterThanOrEqual(1);
      // the fire procedure sends no command to a panel, but live pushes did go out
      expect(s2.sum('bops_socketio_messages_sent_total') - before.sum('bops_socketio_messages_sent_total')).toBeGreaterThanOrEqual(4);
    } finally {
      live.close();
      await c.endAsync();
    }
    const s3 = await waitFor(
      async () => {
        const s = await scrape();
        return s.value('bops_devices', { class: 'fire-panel', state: 'offline' }) === 1 ? s : null;
      },
      5000,
      'device offline in metrics',
    );
    expect(s3.value('bops_mqtt_connections')).toBe(0);
    expect(s3.value('bops_mqtt_disconnects_total')).toBeGreaterThanOrEqual(1);
  });

  it('counts notification sends by channel and outcome, as the outbox reports them', async () => {
    const rx: Receivers = await startReceivers();
    try {
      const mk = async (name: string, url: string) => {
        const r = await api<{ id: string }>(t, 'POST', '/api/notification-channels', {
          name,
          kind: 'webhook',
          config: { url, secret: rx.secrets.webhook },
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        return r.body.id;
      };
      const ok = await mk('metrics-ok', `${rx.url}/webhook`);
      const down = await mk('metrics-down', `${rx.url}/down`);
      rx.failing.set('/down', 500);
      const put = await api(t, 'PUT', '/api/escalation-policies/power_outage', {
        levels: [{ afterSeconds: 0, targets: [{ channelId: ok }, { channelId: down }] }],
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const before = await scrape();
      const r = await api(t, 'POST', '/api/incidents', { kind: 'power_outage', building: 'bldg-1', payload: {} });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const s = await waitFor(
        async () => {
          const x = await scrape();
          // the two channels are sent independently: wait for both outcomes, in whichever order they come
          const grew = (outcome: string) =>
            x.sum('bops_notification_deliveries_total', { channel: 'webhook', outcome }) >
            before.sum('bops_notification_deliveries_total', { channel: 'webhook', outcome });
          return grew('failed') && grew('sent') ? x : null;
        },
        20_000,
        'a sent and a failed send counted',
      );
      const inc = (outcome: string) =>
        s.sum('bops_notification_deliveries_total', { channel: 'webhook', outcome }) -
        before.sum('bops_notification_deliveries_total', { channel: 'webhook', outcome });
      expect(inc('sent')).toBeGreaterThanOrEqual(1);
      expect(rx.received.some((x) => x.kind === 'webhook' && x.status === 200)).toBe(true);
      expect(inc('failed')).toBeGreaterThanOrEqual(1);
    } finally {
      await rx.close();
    }
  });

  it('exposes the notification counter other modules increment', async () => {
    const before = await scrape();
    t.hub.metrics.notificationDeliveries.inc({ channel: 'sms', outcome: 'failed' });
    t.hub.metrics.notificationDeliveries.inc({ channel: 'sms', outcome: 'sent' }, 2);
    const s = await scrape();
    const inc = (outcome: string) =>
      (s.value('bops_notification_deliveries_total', { channel: 'sms', outcome }) ?? 0) -
      (before.value('bops_notification_deliveries_total', { channel: 'sms', outcome }) ?? 0);
    expect(inc('failed')).toBe(1);
    expect(inc('sent')).toBe(2);
  });

  it('lets only a bearer of HUB_METRICS_TOKEN, an admin session or (without a token) loopback read it', async () => {
    const app = Fastify();
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (req) => {
      if (req.headers['x-test-admin']) req.user = { id: 'u1', username: 'admin', role: 'admin', displayName: 'A', buildings: [] };
    });
    app.setErrorHandler((e, _req, reply) => reply.code(e instanceof HubError ? e.statusCode : 500).send({ code: (e as HubError).code }));
    app.get('/open', { preHandler: metricsAccess(undefined) }, async () => 'ok');
    app.get('/token', { preHandler: metricsAccess('s3cret-metrics-token-123') }, async () => 'ok');
    const get = (url: string, remoteAddress: string, headers: Record<string, string> = {}) =>
      app.inject({ method: 'GET', url, remoteAddress, headers }).then((r) => r.statusCode);
    try {
      expect(await get('/open', '127.0.0.1')).toBe(200);
      expect(await get('/open', '::1')).toBe(200);
      expect(await get('/open', '10.0.0.7')).toBe(403);
      // a reverse proxy on the same host connects from loopback on behalf of anyone
      expect(await get('/open', '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).toBe(403);
      expect(await get('/open', '127.0.0.1', { forwarded: 'for=203.0.113.9' })).toBe(403);
      expect(await get('/open', '10.0.0.7', { 'x-test-admin': '1' })).toBe(200);
      expect(await get('/token', '127.0.0.1')).toBe(401); // with a token, loopback needs it too
      expect(await get('/token', '10.0.0.7', { authorization: 'Bearer wrong' })).toBe(401);
      expect(await get('/token', '10.0.0.7', { authorization: 'Bearer s3cret-metrics-token-123' })).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('the alert rules and the Grafana dashboard use only series the hub exposes', async () => {
    const s = await scrape();
    const exposed = new Set<string>();
    for (const [name, type] of s.types) {
      exposed.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(name + suffix);
    }
    exposed.add('up'); // Prometheus' own series per target
    const names = (expr: string) =>
      [
        ...expr
          .replace(/\{[^}]*\}/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .matchAll(/\b(bops_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+|up)\b/g),
      ].map((m) => m[1]!);

    const rules = parseYaml(await fs.readFile('deploy/prometheus/alerts.yml', 'utf8')) as {
      groups: Array<{ name: string; rules: Array<Record<string, unknown>> }>;
    };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'HubDown',
        'DeviceOfflineRatioHigh',
        'TelemetryDropping',
        'EventBacklog',
        'EventStoreOutage',
        'NotificationFailures',
      ]),
    );
    for (const r of alerts) {
      expect(typeof r.alert, JSON.stringify(r)).toBe('string');
      expect(typeof r.expr, `${String(r.alert)} expr`).toBe('string');
      expect(['critical', 'warning', 'info']).toContain((r.labels as Record<string, string>)?.severity);
      const ann = r.annotations as Record<string, string>;
      expect(ann?.summary, `${String(r.alert)} summary`).toMatch(/[\u4e00-\u9fff].* · /); // zh-CN first, then en
      expect(ann?.description).toBeTruthy();
      if (r.for !== undefined) expect(String(r.for)).toMatch(/^\d+[smh]$/);
      const used = names(r.expr as string);
      expect(used.length, `${String(r.alert)} names no metric`).toBeGreaterThan(0);
      for (const n of used) expect(exposed.has(n), `${String(r.alert)} uses ${n}`).toBe(true);
      // balanced brackets: a cheap guard against a broken PromQL edit (promtool is not installable here)
      const e = r.expr as string;
      for (const [o, c] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ] as const)
        expect(e.split(o).length, `${String(r.alert)} ${o}${c}`).toBe(e.split(c).length);
    }

    const dash = JSON.parse(await fs.readFile('deploy/grafana/dashboards/bops-hub.json', 'utf8')) as {
      uid: string;
      panels: Array<{ type: string; title: string; targets?: Array<{ expr: string; refId: string }>; gridPos: unknown }>;
    };
    expect(dash.uid).toBe('bops-hub');
    const targets = dash.panels.flatMap((p) => p.targets ?? []);
    expect(targets.length).toBeGreaterThan(15);
    for (const p of dash.panels) {
      expect(p.title).toMatch(/ · |^CPU/);
      expect(p.gridPos).toBeTruthy();
    }
    for (const tg of targets) for (const n of names(tg.expr)) expect(exposed.has(n), `dashboard uses ${n}`).toBe(true);
  });
});

describe('logs', () => {
  it('one info line per request with method, route, status, duration and user — never bodies or secrets', async () => {
    const { token } = await login(t, 'admin', ADMIN_PASSWORD);
    const admin = await t.hub.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
    await api(t, 'GET', '/api/devices', undefined, token);
    const req = (route: string, method = 'GET') =>
      lines.filter((l) => l.msg === 'request' && l.route === route && l.method === method && l.level === 30);
    const loginLine = await waitFor(() => req('/api/auth/login', 'POST').at(-1), 2000, 'login request line');
    expect(loginLine).toMatchObject({ status: 200, userId: null });
    expect(typeof loginLine.ms).toBe('number');
    expect(await waitFor(() => req('/api/devices').at(-1), 2000, 'devices request line')).toMatchObject({ status: 200, userId: admin.id });
    // probes and scrapes are not at info
    await scrape();
    expect(lines.some((l) => l.msg === 'request' && l.route === '/metrics' && l.level >= 30)).toBe(false);
    const all = raw.join('\n');
    expect(all).not.toContain(ADMIN_PASSWORD);
    expect(all).not.toContain(token);
  });

  it('the admin changes the log level at run time (audited): MQTT connects then log at debug', async () => {
    expect((await api(t, 'GET', '/api/ops/log-level')).body).toEqual({ level: 'info', configured: 'info' });
    await t.hub.auth.createUser('op-logs', 'op-logs-password', 'operator', '值班员');
    const op = (await login(t, 'op-logs', 'op-logs-password')).token;
    expect((await api(t, 'PUT', '/api/ops/log-level', { level: 'debug' }, op)).status).toBe(403);
    expect((await api(t, 'PUT', '/api/ops/log-level', { level: 'loud' })).status).toBe(400);

    const dev = await provision(t, 'fp-logs', 'fire-panel');
    const connects = () => lines.filter((l) => l.msg === 'mqtt connect' && l.deviceId === dev.id);
    const online = () => t.hub.registry.get(dev.id)?.state === 'online';
    // at info: the connect happens (positive signal: the device is online), no debug line
    let c = await connectDevice(t, dev);
    await waitFor(online, 5000, 'online');
    await c.endAsync();
    await waitFor(() => !online(), 5000, 'offline');
    expect(connects()).toHaveLength(0);

    const r = await api<{ level: string; previous: string }>(t, 'PUT', '/api/ops/log-level', { level: 'debug' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ level: 'debug', previous: 'info', configured: 'info' });
    const audit = await t.hub.db.auditLog.findFirst({ where: { action: 'ops.log_level' }, orderBy: { seq: 'desc' } });
    expect(audit?.data).toEqual({ from: 'info', to: 'debug' });
    c = await connectDevice(t, dev);
    await waitFor(() => connects().length === 1, 5000, 'debug connect line');
    await c.endAsync();
    await waitFor(
      () => lines.some((l) => l.msg === 'mqtt disconnect' && l.deviceId === dev.id && l.clean === true),
      5000,
      'debug disconnect line',
    );
    expect((await api(t, 'PUT', '/api/ops/log-level', { level: 'info' })).status).toBe(200);
  });

  it('a lost idle database connection is one warning line with its cause, not the pg client object', async () => {
    await fetch(`${t.http}/api/health`); // leaves an idle connection in the hub's pool
    const admin = new pg.Client({ connectionString: t.db.url });
    await admin.connect();
    try {
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
    } finally {
      await admin.end();
    }
    // every pool the hub keeps (events, prisma, notify-outbox, telemetry) says it the same way
    await waitFor(() => lines.find((l) => l.msg === 'events pg pool: idle connection lost'), 5000, 'pool warning');
    for (const w of lines.filter((l) => String(l.msg).endsWith('pg pool: idle connection lost'))) {
      expect(w).toMatchObject({ level: 40, code: '57P01' });
      expect(String(w.cause)).toMatch(/terminat/);
      expect(Object.keys(w)).not.toContain('err');
    }
    for (const l of raw) expect(l.length, l.slice(0, 200)).toBeLessThan(4000);
    expect(raw.some((l) => l.includes('"_connecting"') || l.includes('"_queryable"'))).toBe(false);
    // the hub carries on (pools reconnect)
    await waitFor(async () => (await fetch(`${t.http}/api/health`)).status === 200, 5000, 'healthy again');
  });
});
