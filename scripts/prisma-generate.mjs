/* global URL */
// Runs `prisma generate` offline. Prisma 7 only needs the schema-engine binary path to exist
// (it is not executed by generate), so point it at node itself (ENVIRONMENT-NOTES.md).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let cli;
try {
  cli = require.resolve('prisma/build/index.js');
} catch {
  console.log('prisma CLI not installed (production install without dev deps): skipping generate');
  process.exit(0);
}
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const r = spawnSync(process.execPath, [cli, 'generate'], { stdio: 'inherit', env });
if (r.status === 0) lighterWasmLoad();
process.exit(r.status ?? 1);

/**
 * The generated client loads Prisma's query compiler from a JS module holding it as one base64
 * string, through `import()`: the module (its 2.3 MB source and the 2.3 MB string) then stays in
 * the ES module cache for the life of the process — 4.6 MB of the hub's idle heap (issue 12,
 * heap snapshot). Reading the same file as text and decoding it leaves nothing behind once the
 * wasm module is compiled. Same bytes, same decoder; if Prisma changes the generated code and
 * the pattern is not found, the client is left as generated (and this says so).
 */
function lighterWasmLoad() {
  const file = new URL('../prisma/generated/internal/class.ts', import.meta.url);
  const src = fs.readFileSync(file, 'utf8');
  const pattern = /const \{ wasm \} = await import\("(@prisma\/client\/runtime\/[\w.]+\.wasm-base64\.mjs)"\)/;
  const m = pattern.exec(src);
  if (!m) {
    if (!src.includes('lighter wasm load')) console.log('prisma-generate: query compiler import not found; left as generated');
    return;
  }
  const replacement =
    `// lighter wasm load (scripts/prisma-generate.mjs): read as text, not kept as a module\n` +
    `    const { readFile } = await import('node:fs/promises')\n` +
    `    const { createRequire } = await import('node:module')\n` +
    `    const text = await readFile(createRequire(import.meta.url).resolve(${JSON.stringify(m[1])}), 'utf8')\n` +
    `    const wasm = text.slice(text.indexOf('"') + 1, text.lastIndexOf('"'))`;
  fs.writeFileSync(file, src.replace(pattern, replacement));
}
