// Process helpers shared by the benchmarks (bench/run.ts, bench/connect-storm.ts, bench/hostile.ts,
// bench/scale.ts, bench/import.ts, bench/incident-storm.ts): an ephemeral loopback port, bare aedes
// started as its own process, a redis-server of the bench's own, and a throw-away database.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

/** where the benches create their throw-away databases (BENCH_PG_ADMIN_URL; default: this machine's PostgreSQL) */
export const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * A throw-away database `name` on PG_ADMIN, dropped by `drop()` (connections forced off); null
 * when no PostgreSQL answers there, and the bench falls back to an embedded one.
 */
export async function scratchDatabase(name: string): Promise<{ url: string; drop(): Promise<void> } | null> {
  const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** A port free on loopback right now (the OS picks it; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the bench's own on a free loopback port, without persistence (never the
 * machine's on 6379: scale-out keys are not prefixed by aedes' modules). Resolves once it accepts
 * connections.
 */
export async function startRedisPeer(): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out.slice(-1000)}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        child.stdout!.resume(); // keep draining: a full pipe would block it
        resolve();
      }
    });
    child.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`redis-server exited ${c}: ${out.slice(-1000)}`));
    });
  });
  return { child, url: `redis://127.0.0.1:${port}` };
}

/**
 * Bare aedes (bench/peers/aedes.ts) compiled like the hub and started as its own process: a tsx
 * loader in the peer would charge it tsx's memory and start-up. Resolves once it listens.
 */
export async function startAedesPeer(root: string): Promise<{ child: ChildProcess; port: number }> {
  const out = path.join(root, 'dist/bench/aedes.mjs');
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(root, 'bench/peers/aedes.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
  const child = spawn(process.execPath, [out], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (b: Buffer) => resolve((JSON.parse(b.toString()) as { port: number }).port));
    child.once('exit', (c) => reject(new Error(`aedes exited ${c}`)));
  });
  return { child, port };
}
