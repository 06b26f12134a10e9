// `npm start`: the zero-setup hub. Embedded PostgreSQL and telemetry store under HUB_DATA_DIR,
// a demo site with simulated devices (HUB_DEMO, on by default here), and the URL and logins
// printed. Every setting can be overridden by environment variables (README "Configuration").
import net from 'node:net';
import { loadConfig } from '../core/config.js';
import { HubError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { seedDemo } from './demo.js';
import { Hub } from './hub.js';
import { startDemoFleet } from './fleet.js';

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * Zero setup also on machines that already run a broker on 1883 (or anything on 8080): a port
 * left at its default moves to the next free one, and the banner says which. A port set
 * explicitly is used as given (a clash is then a clear error).
 */
async function choosePort(name: string, preferred: number, host: string, log: Logger): Promise<number> {
  if (process.env[name] !== undefined || preferred === 0) return preferred;
  for (let p = preferred; p < preferred + 50; p++) {
    if (await portFree(p, host)) {
      if (p !== preferred) log.warn({ [name]: p }, `port ${preferred} is in use; using ${p} (set ${name} to choose)`);
      return p;
    }
  }
  return 0; // any free port
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, true);
  } catch (e) {
    console.error(e instanceof HubError ? e.message : e);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  config.mqttPort = await choosePort('HUB_MQTT_PORT', config.mqttPort, config.host, log);
  config.httpPort = await choosePort('HUB_HTTP_PORT', config.httpPort, config.host, log);
  if (!config.databaseUrl) config.embeddedPgPort = await choosePort('HUB_EMBEDDED_PG_PORT', config.embeddedPgPort, '127.0.0.1', log);
  let demoInfo: Awaited<ReturnType<typeof seedDemo>> | null = null;
  const opts = {
    log,
    onStarted: async (h: Hub) => {
      if (!config.demo) return;
      demoInfo = await seedDemo(h);
      if (config.demoFleet) return startDemoFleet(h, demoInfo.fleet);
    },
  };
  const hub = Hub.create(config, opts);

  // Ctrl-C (SIGINT) and SIGTERM stop the hub the same way, in order: devices and browsers
  // first, the final telemetry flush and counters next, the database last. The embedded
  // PostgreSQL runs in its own session (services/core/db.ts), so the terminal's SIGINT to the
  // whole foreground process group does not stop it under the hub's feet. Handlers are in
  // place before the start: a signal while waiting for the database ends the wait cleanly.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      log.error('stop did not finish in 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    await hub.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // With TLS: certificate rotation without a restart (replace the files, `kill -HUP <pid>`).
  // Without: a hangup (the terminal closed) stops the hub in order, like SIGTERM.
  process.on('SIGHUP', () => {
    if (!config.tls) return void shutdown('SIGHUP');
    try {
      hub.reloadTls();
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'TLS reload failed; the old certificate stays in use');
    }
  });
  try {
    await hub.run(opts);
  } catch (err) {
    if (stopping) return; // stopped by a signal during the start: shutdown() exits
    throw err;
  }
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${hub.httpPort}/`;
  const lines = [
    '',
    '  楼宇运营中枢 Building Operations Hub is running',
    `  Dashboard 控制台:   ${url}`,
    ...(hub.httpsPort ? [`  HTTPS:              https://${shownHost}:${hub.httpsPort}/`] : []),
    `  API docs:           ${url}api/docs`,
    `  MQTT (TCP):         mqtt://${shownHost}:${hub.mqttPort}   MQTT over WebSocket: ws://${shownHost}:${hub.httpPort}/mqtt`,
    `  Database:           ${config.databaseUrl ? 'external PostgreSQL (DATABASE_URL)' : `embedded PostgreSQL in ${config.dataDir}/pg`}`,
    `  Telemetry:          ${hub.telemetry.stats().backend}`,
    hub.adminPassword
      ? `  Login admin / ${hub.adminPassword}   (first start: shown once — store it now)`
      : '  Login admin / (password set on first start or by HUB_ADMIN_PASSWORD)',
  ];
  if (demoInfo) {
    const d = demoInfo as Awaited<ReturnType<typeof seedDemo>>;
    for (const u of d.users) lines.push(`  Login ${u.username.padEnd(10)} / ${u.password}   (${u.role})`);
    lines.push(
      config.demoFleet
        ? `  Demo: ${d.fleet.length} simulated devices in 2 buildings (credentials in ${config.dataDir}/demo-credentials.json)`
        : `  Demo: ${d.fleet.length} devices seeded, not simulated (HUB_DEMO_FLEET=0): npm run simulate -- fleet --fleet ${config.dataDir}/demo-credentials.json --port ${hub.mqttPort}`,
    );
  }
  console.log(lines.join('\n') + '\n');
  // Start-up leaves garbage behind (migrations, the demo seed, module initialisation) that V8
  // collects only at its next full GC, when the heap has grown enough: an idle hub kept 20–40 MB
  // of it. With `--expose-gc` (package.json start, Dockerfile) one full collection now returns
  // it at once (BENCHMARKS.md "Idle memory"); without the flag (tsx, tests) this does nothing.
  (globalThis as { gc?: () => void }).gc?.();
}

main().catch((err: NodeJS.ErrnoException & { port?: number }) => {
  if (err?.code === 'EADDRINUSE')
    console.error(`port ${err.port ?? ''} is already in use: set HUB_HTTP_PORT / HUB_MQTT_PORT / HUB_EMBEDDED_PG_PORT to free ports`);
  else console.error(err instanceof HubError ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
