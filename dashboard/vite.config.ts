// Build of the browser dashboard (React 19 + uPlot + socket.io-client), served by fastify from
// dashboard/dist (services/hub/app.ts). JSX through vite's built-in esbuild: no plugin needed.
// `npm run build:dashboard` (also part of `pretest`). For live development against a running
// hub: `npx vite --config dashboard/vite.config.ts` with HUB_URL=http://localhost:8080.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const hub = process.env.HUB_URL ?? 'http://localhost:8080';

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      '/api': hub,
      '/socket.io': { target: hub, ws: true },
    },
  },
  logLevel: 'warn',
});
