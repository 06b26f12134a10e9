// `npm run bench:import`: the owners CSV import (issue 8: "10,000 units import in well under
// 10 s"), through the real HTTP route into PostgreSQL, timed end to end (upload, decode,
// check every row, one set-based upsert in one transaction, audit row).
//   1. dry run of 10,000 new units (nothing written)
//   2. real run: 10,000 created
//   3. the same file again: 10,000 unchanged (idempotent)
//   4. every owner changed: 10,000 updated
//   5. the file as GB18030 (Excel on Chinese Windows), auto-detected, dry run
// Options (env): BENCH_UNITS=10000 BENCH_PG_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import type { ImportResult } from '../contracts/admin.js';
import { SYSTEM_DEMO } from '../services/admin/common.js';
import { loadConfig } from '../services/core/config.js';
import { createLogger } from '../services/core/logger.js';
import { Hub } from '../services/hub/hub.js';
import { PG_ADMIN, scratchDatabase } from './peers/start.js';

const UNITS = Number(process.env.BENCH_UNITS ?? 10_000);
const PASSWORD = 'bench-hub-pass';
const SURNAMES = ['陈', '刘', '赵', '孙', '王', '李', '张', '欧阳'];

async function scratchDb(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  const db = await scratchDatabase(`bops_bench_import_${process.pid}`);
  if (db) return db;
  console.log(`(no PostgreSQL at ${PG_ADMIN}: using the embedded one)`);
  return { url: undefined, drop: async () => undefined };
}

/** UNITS rows over 20 buildings of 30 floors; `variant` changes every owner's phone. */
function csv(variant: number): string {
  const rows = ['building,number,floor,ownerName,ownerPhone,altContact'];
  for (let i = 0; i < UNITS; i++) {
    const b = `bench-${String(i % 20).padStart(2, '0')}`;
    const n = Math.floor(i / 20);
    const floor = (n % 30) + 1;
    rows.push(
      `${b},${floor}${String(Math.floor(n / 30) + 1).padStart(2, '0')},${floor},${SURNAMES[i % 8]}业主${i},13${variant}${String(i).padStart(8, '0')},家属 1390000${String(i % 10000).padStart(4, '0')}`,
    );
  }
  return rows.join('\r\n');
}

async function main() {
  const db = await scratchDb();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bops-bench-import-'));
  await fs.chmod(dataDir, 0o755);
  const config = loadConfig({
    HUB_HOST: '127.0.0.1',
    HUB_HTTP_PORT: '0',
    HUB_MQTT_PORT: '0',
    HUB_EMBEDDED_PG_PORT: '54332',
    HUB_DATA_DIR: dataDir,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    HUB_ADMIN_PASSWORD: PASSWORD,
    HUB_LOG_LEVEL: 'error',
  });
  const hub = await Hub.start(config, { log: createLogger('error', 'bench') });
  try {
    await hub.estate.createSite(SYSTEM_DEMO, { id: 'bench', name: 'bench' });
    for (let b = 0; b < 20; b++)
      await hub.estate.createBuilding(SYSTEM_DEMO, {
        id: `bench-${String(b).padStart(2, '0')}`,
        site: 'bench',
        name: `楼 ${b}`,
        floors: 30,
      });
    const token = (await hub.auth.login('admin', PASSWORD)).token;
    const base = `http://127.0.0.1:${hub.httpPort}`;
    const run = async (label: string, body: Buffer, dryRun: boolean) => {
      const t0 = performance.now();
      const r = await fetch(`${base}/api/units/import?dryRun=${dryRun}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: new Uint8Array(body),
      });
      const res = (await r.json()) as ImportResult;
      const ms = performance.now() - t0;
      if (res.errors.length) throw new Error(`${label}: ${JSON.stringify(res.errors.slice(0, 3))}`);
      return { label, ms, server: res.ms, bytes: body.length, res };
    };
    const first = Buffer.from(csv(8), 'utf8');
    const changed = Buffer.from(csv(9), 'utf8');
    const gb = iconv.encode(csv(8), 'gb18030');
    const results = [
      await run(`dry run, ${UNITS} new`, first, true),
      await run(`real run, ${UNITS} created`, first, false),
      await run('same file again (idempotent)', first, false),
      await run(`every owner changed, ${UNITS} updated`, changed, false),
      await run('GB18030 file, auto-detected, dry run', gb, true),
    ];
    const count = await hub.db.unit.count();
    console.log(`\nbench:import — ${UNITS} units, 20 buildings; node ${process.version}, ${os.cpus().length} cores\n`);
    console.log('| run | file | HTTP round trip (ms) | server (ms) | created | updated | unchanged |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results)
      console.log(
        `| ${r.label} | ${(r.bytes / 1024).toFixed(0)} KiB | ${r.ms.toFixed(0)} | ${r.server} | ${r.res.created} | ${r.res.updated} | ${r.res.unchanged} |`,
      );
    console.log(`\nunits stored: ${count} (expected ${UNITS}); target: well under 10,000 ms per run`);
    if (count !== UNITS) process.exitCode = 1;
  } finally {
    await hub.stop();
    await db.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
