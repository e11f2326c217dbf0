import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/**
 * The web console: static files built by Vite from `server/console/` into `dist/console/` (at
 * `npm install` / `npm run build`), served at `/` on the API's port. Nothing in it is secret (the
 * browser signs in with an API key and calls `/api` like any client), so no route here needs a key.
 * Hash routing (`/#/executions/…`) means only files are served: no catch-all route.
 */
export const CONSOLE_DIR_NAME = path.join('dist', 'console');

/** The checkout's root (the folder with personas-cloud's package.json), from the sources or from dist/. */
function packageRoot(start: string = __dirname): string | undefined {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && /"name":\s*"personas-cloud"/.test(fs.readFileSync(file, 'utf8'))) return dir;
  }
  return undefined;
}

/** Where the built console is looked for: `<checkout>/dist/console`. */
export function consoleDir(): string {
  return path.join(packageRoot() ?? process.cwd(), CONSOLE_DIR_NAME);
}

/**
 * Same origin only, no inline script, no framing: the page holds an API key in sessionStorage, so
 * nothing but its own bundle may run in it. Style attributes set through the DOM (Preact) need no
 * 'unsafe-inline'.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>personas-cloud</title>
<body style="font:16px system-ui;margin:3rem;max-width:40rem"><h1>The web console is not built</h1>
<p>Run <code>npm run build</code> (or <code>npm install</code>) in the orchestrator's folder, then reload.
The API is at <code>/api</code> and Bull Board at <code>/admin/queues</code>.</p></body></html>`;

/** Serves `dir` (default: the built console) at `/`, with security headers; a page saying how to build it when it is missing. */
export function consoleRouter(dir: string = consoleDir()): Router {
  const r = Router();
  r.use(express.static(dir, {
    index: 'index.html',
    redirect: false,
    setHeaders(res, file) {
      res.setHeader('Content-Security-Policy', CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Frame-Options', 'DENY');
      // Vite puts a content hash in every asset's name; index.html must be checked each time.
      const hashed = file.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  }));
  r.use((req, res, next) => {
    if (req.method !== 'GET' || req.path !== '/' || fs.existsSync(path.join(dir, 'index.html'))) return next();
    // The fallback page's own inline style is allowed for it alone.
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.status(503).type('html').send(NOT_BUILT);
  });
  return r;
}
