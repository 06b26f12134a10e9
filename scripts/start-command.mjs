// The node flags and environment `npm start` runs the hub with, read from package.json's `start`
// script (`[NAME=value …] node <--flags …> dist/server/hub.mjs`), so scripts/measure-start.mjs and
// `npm run bench` measure what users run, not a copy of it that drifts.
// Plain JavaScript: measure-start.mjs runs on bare node.
import fs from 'node:fs';
import path from 'node:path';

/** @param {string} root the repository root @returns {{ env: Record<string, string>, flags: string[] }} */
export function startCommand(root) {
  const words = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start.split(/\s+/);
  const nodeAt = words.indexOf('node');
  const env = Object.fromEntries(words.slice(0, nodeAt).map((w) => w.split('=', 2)));
  return { env, flags: words.slice(nodeAt + 1).filter((w) => w.startsWith('--')) };
}
