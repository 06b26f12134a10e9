// npm run restore -- FILE [--force]
// Restores a backup (npm run backup) into the hub's database: DATABASE_URL, or the embedded
// PostgreSQL under HUB_DATA_DIR (created when the directory is new). The hub must be stopped.
// A target that already has tables is refused unless --force (which replaces them).
// Start the hub afterwards: it applies any migrations newer than the backup.
import { parseArgs } from 'node:util';
import { loadConfig } from '../services/core/config.js';
import { HubError } from '../services/core/errors.js';
import { createLogger } from '../services/core/logger.js';
import { restoreDatabase } from '../services/ops/backup.js';
import { openTarget } from '../services/ops/backup-target.js';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { force: { type: 'boolean', default: false } } });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    console.error('usage: npm run restore -- <backup file> [--force]');
    return 2;
  }
  const config = loadConfig(process.env);
  const log = createLogger(process.env.HUB_LOG_LEVEL ?? 'warn', 'restore');
  const target = await openTarget(config, log, 'restore');
  try {
    console.log(`restoring ${file} into ${target.describe}`);
    const r = await restoreDatabase(target.url, file, { force: values.force, log: (m) => log.info(m) });
    const total = Object.values(r.rows).reduce((a, b) => a + b, 0);
    console.log(
      `restored ${total} rows in ${Object.keys(r.rows).length} tables (backup of ${new Date(r.meta.createdAt).toISOString()}); start the hub`,
    );
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
