// `npm start` (through scripts/build.mjs --if-stale) and `npm test` run this first: build the
// dashboard when it was never built (fresh clone) or its sources changed since, so the
// zero-setup start serves the real UI. Without vite (a production
// install without dev dependencies) an existing build is used as it is.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dashboard/dist/index.html');
const sources = [
  path.join(root, 'dashboard/src'),
  path.join(root, 'dashboard/index.html'),
  path.join(root, 'contracts'),
  path.join(root, 'services/core/i18n-procedures.ts'),
];

function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((f) => newest(path.join(p, f))));
}

const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
const force = process.argv.includes('--force'); // `npm run build`: always build
if (!force && builtAt && Math.max(...sources.filter((s) => fs.existsSync(s)).map(newest)) <= builtAt) process.exit(0);
let vite;
try {
  vite = path.join(path.dirname(fileURLToPath(import.meta.resolve('vite/package.json'))), 'bin/vite.js');
} catch {
  console.log(
    builtAt
      ? 'vite not installed: serving the existing dashboard build'
      : 'vite not installed and no dashboard build: serving the plain live page',
  );
  process.exit(0);
}
console.log('building the dashboard (vite)…');
const r = spawnSync(process.execPath, [vite, 'build', '--config', path.join(root, 'dashboard/vite.config.ts'), '--logLevel', 'warn'], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
