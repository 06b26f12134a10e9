// `npm start` and `npm test` run this first, so a fresh clone needs no separate install step:
// when node_modules is missing, or was installed from another package.json / package-lock.json
// (a pull that changed dependencies), it runs `npm install` once. The fingerprint of what was
// installed is kept in node_modules/.bops-deps (content hashes, not mtimes: `npm install`
// may rewrite the lock file without changing it).
// Plain JavaScript with no dependencies: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'node_modules', '.bops-deps');

function fingerprint() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) {
    const p = path.join(root, f);
    h.update(f).update(fs.existsSync(p) ? fs.readFileSync(p) : '');
  }
  return h.digest('hex');
}

const want = fingerprint();
const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : '';
// the generated Prisma client is part of an install (postinstall); without it nothing starts
const generated = fs.existsSync(path.join(root, 'prisma', 'generated', 'client.ts'));
if (have === want && generated) process.exit(0);

console.log(have ? 'dependencies changed since the last install: npm install…' : 'first run: installing dependencies (npm install)…');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('npm install failed; fix the error above and run the command again.');
  process.exit(r.status ?? 1);
}
// the lock file may have been normalised by the install: stamp what is there now
fs.writeFileSync(stamp, fingerprint() + '\n');
