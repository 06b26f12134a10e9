// `npm start` and `npm test` run this first. The hub targets Node 22 LTS (package.json
// "engines"): Node 20 reached its end of life in April 2026 and some dependencies (cookie@2,
// content-disposition@3, @prisma/streams-local) declare Node >= 22. On Node 20 the hub and the
// suite still run (measured: the whole suite passes on 20.20 and on 22.23), so this warns and
// says how to get Node 22; below 20 it stops, because the code uses Node 20 APIs
// (import.meta.dirname, String.prototype.isWellFormed, fetch without a flag).
// Plain JavaScript on purpose: it must run on whatever node is installed.
const [major] = process.versions.node.split('.').map(Number);
const howTo = [
  '  Get Node 22 LTS, any of:',
  '    - your OS packages / nodejs.org / nvm: nvm install 22',
  '    - from the npm registry, without root:',
  '        npm install --prefix ~/.cache/bops-node22 node@22',
  '        export PATH="$HOME/.cache/bops-node22/node_modules/node/bin:$PATH"',
  '  (.ci/run does the latter by itself.)',
].join('\n');
if (major < 20) {
  console.error(`Node ${process.versions.node} is too old for the Building Operations Hub (needs Node 22 LTS).\n${howTo}`);
  process.exit(1);
}
if (major < 22) {
  console.warn(`warning: Node ${process.versions.node} is past its end of life; the hub is supported on Node 22 LTS.\n${howTo}\n`);
}
