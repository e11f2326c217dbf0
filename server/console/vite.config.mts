import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web console's build: Preact + TypeScript sources here, compiled into `dist/console/` (served
 * by the orchestrator at `/`, see server/http/console.ts). Relative asset paths (`base: './'`) and
 * relative API calls keep it working behind a reverse proxy under any path.
 */
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Nothing is fetched at run time from anywhere but this origin; no source maps shipped.
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npx vite --config server/console/vite.config.mts` for development against a running orchestrator.
    proxy: { '/api': 'http://127.0.0.1:3001' },
  },
});
