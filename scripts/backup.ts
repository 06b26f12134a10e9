// npm run backup [-- --out FILE] [--no-telemetry]
// Writes a consistent backup of the hub's database (services/ops/backup.ts). Default file:
// HUB_DATA_DIR/backups/bops-<UTC time>.backup.gz — copy it off the machine.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../services/core/config.js';
import { HubError } from '../services/core/errors.js';
import { createLogger } from '../services/core/logger.js';
import { backupDatabase } from '../services/ops/backup.js';
import { openTarget } from '../services/ops/backup-target.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-telemetry': { type: 'boolean', default: false } } });
  const config = loadConfig(process.env);
  const log = createLogger(process.env.HUB_LOG_LEVEL ?? 'warn', 'backup');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.resolve(values.out ?? path.join(config.dataDir, 'backups', `bops-${stamp}.backup.gz`));
  const target = await openTarget(config, log, 'backup');
  try {
    console.log(`backing up ${target.describe}`);
    const r = await backupDatabase(target.url, file, { telemetry: !values['no-telemetry'] });
    const total = Object.values(r.rows).reduce((a, b) => a + b, 0);
    console.log(`wrote ${r.file} (${(r.bytes / 1024).toFixed(0)} KB, ${total} rows in ${Object.keys(r.rows).length} tables)`);
    return 0;
  } finally {
    await target.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof HubError ? `${e.code}: ${e.message}` : e);
    process.exit(1);
  },
);
