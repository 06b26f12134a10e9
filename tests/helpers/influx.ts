// A real InfluxDB 1.6.7 (Debian's `influxd`) per test file, on loopback ephemeral ports with
// its own temp data/meta/wal dirs, so parallel test files (and a developer's own influxd on
// 8086/8088) never collide. restart() reuses the same port and data dir: that is what the
// outage tests need (the store keeps its URL; the points written before the outage survive).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface InfluxdHandle {
  /** http://127.0.0.1:<port> */
  url: string;
  /** a database name the tests may use (not created: the store's start() creates it) */
  db: string;
  dataDir: string;
  /** pid of the running influxd (undefined while stopped) — for CPU measurements */
  pid(): number | undefined;
  /** final cleanup: graceful stop (SIGTERM, SIGKILL after 5 s) and delete the temp dir */
  stop(): Promise<void>;
  /** graceful stop that keeps the data dir (an outage; bring it back with restart()) */
  terminate(): Promise<void>;
  /** hard kill (SIGKILL), data dir kept: what a crash looks like to the client */
  kill(): Promise<void>;
  /** (re)start on the same port with the same data; stops it first if it is running */
  restart(): Promise<void>;
  /** raw InfluxQL against /query (POST, epoch=ms) — for assertions independent of the store */
  influxql(q: string, db?: string): Promise<InfluxQLResult[]>;
}

export interface InfluxQLResult {
  statement_id?: number;
  error?: string;
  series?: { name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> }[];
}

const INFLUXD = process.env.INFLUXD_BIN ?? 'influxd';

/** Every influxd this process started, so an `exit` handler can SIGKILL them synchronously. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function influxdConfig(dir: string, httpPort: number, rpcPort: number): string {
  // Only what differs from influxd's defaults. `bind-address` at the top level is the RPC
  // (backup/restore) listener: its default 127.0.0.1:8088 collides between parallel runs.
  // Monitoring (_internal db), access/query logs and reporting are off: noise and CPU.
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${path.join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${path.join(dir, 'data')}"
  wal-dir = "${path.join(dir, 'wal')}"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`influxd exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) });
      if (res.status === 204) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`influxd did not answer ${url}/ping within ${timeoutMs} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Start influxd. Ports are chosen by binding :0 and releasing; if influxd then loses the race
 * for a port it exits early and we retry with fresh ports (only on the first start: restart()
 * must keep the URL the store was given).
 */
export async function startInfluxd(opts: { db?: string; readyTimeoutMs?: number } = {}): Promise<InfluxdHandle> {
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bops-influxd-'));
  const confPath = path.join(dir, 'influxd.conf');
  const logPath = path.join(dir, 'influxd.log');
  const db = opts.db ?? 'bops_test';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  let httpPort = 0;
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const out = openSync(logPath, 'a');
    const c = spawn(INFLUXD, ['run', '-config', confPath], { stdio: ['ignore', out, out] });
    closeSync(out);
    live.add(c);
    c.once('exit', () => live.delete(c));
    child = c;
    // Safety net for a test worker that is SIGKILLed (no `exit` handler runs): a tiny shell
    // watchdog kills influxd and removes its temp dir once our process is gone, and ends by
    // itself when influxd ends normally.
    const wd = spawn(
      'sh',
      [
        '-c',
        `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${c.pid} 2>/dev/null; do sleep 1; done; ` +
          `if ! kill -0 ${process.pid} 2>/dev/null; then kill -9 ${c.pid} 2>/dev/null; sleep 1; rm -rf '${dir}'; fi`,
      ],
      { stdio: 'ignore', detached: true },
    );
    wd.unref();
    await waitForPing(`http://127.0.0.1:${httpPort}`, c, readyTimeoutMs);
  };

  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    httpPort = await freePort();
    const rpcPort = await freePort();
    writeFileSync(confPath, influxdConfig(dir, httpPort, rpcPort));
    try {
      await launch();
      lastErr = undefined;
      break;
    } catch (e) {
      lastErr = e;
      const c = child as ChildProcess | null;
      if (c) {
        c.kill('SIGKILL');
        await exited(c);
      }
    }
  }
  if (lastErr) {
    rmSync(dir, { recursive: true, force: true });
    throw lastErr;
  }
  const url = `http://127.0.0.1:${httpPort}`;

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited(c);
    clearTimeout(timer);
  };

  const handle: InfluxdHandle = {
    url,
    db,
    dataDir: dir,
    pid: () => {
      const c = child as ChildProcess | null;
      return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
    },
    terminate: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    async restart() {
      await stopWith('SIGTERM');
      await launch();
    },
    async stop() {
      await stopWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async influxql(q: string, database = db) {
      const res = await fetch(`${url}/query?epoch=ms&db=${encodeURIComponent(database)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ q }).toString(),
      });
      const body = (await res.json()) as { results?: InfluxQLResult[]; error?: string };
      if (!res.ok || body.error) throw new Error(`InfluxQL ${res.status}: ${body.error ?? JSON.stringify(body)}`);
      return body.results ?? [];
    },
  };
  return handle;
}

/** True when an influxd binary is on PATH (the suite fails loudly rather than skipping). */
export function influxdAvailable(): boolean {
  try {
    execFileSync(INFLUXD, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
