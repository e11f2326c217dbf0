import type { Express } from 'express';
import { routeAuthOf, type RouteAuth } from '../auth/express';
import { routeDocOf, type RouteDoc } from './openapi/describe';

export interface MountedRoute {
  /** Upper-case method, or ALL for a mount guarded as a whole (Bull Board). */
  method: string;
  /** The full path as declared, e.g. `/api/personas/:id`. */
  path: string;
  /** What the route's guard declares (undefined: no guard at all). */
  auth?: RouteAuth;
  /** What the route says about itself (`describeRoute`), for the OpenAPI document. */
  doc?: RouteDoc;
}

interface LayerLike {
  route?: { path: string; methods: Record<string, boolean>; stack: Array<{ handle: unknown }> };
  handle: unknown;
  rawPath?: unknown;
}

/**
 * Every route an Express 5 app answers, found by walking its router stacks (router 2.x layers keep
 * their declared path in `rawPath`). A mount whose own middleware carries a role guard (Bull Board)
 * is one `ALL` entry: everything below it is covered by that guard. Static file middleware (the
 * console, the API reference's assets) has no route layers and is not listed.
 */
export function listRoutes(app: Express): MountedRoute[] {
  const out: MountedRoute[] = [];
  const root = (app as unknown as { router: { stack: LayerLike[] } }).router;
  walk(root.stack, '', out);
  return out;
}

function walk(stack: LayerLike[], prefix: string, out: MountedRoute[]): void {
  const guardedMounts = new Set<string>();
  for (const layer of stack) {
    const raw = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    if (layer.route) {
      const handlers = layer.route.stack.map((h) => h.handle);
      const auth = handlers.map(routeAuthOf).find(Boolean);
      const doc = handlers.map(routeDocOf).find(Boolean);
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') out.push({ method: method.toUpperCase(), path: prefix + layer.route.path, auth, doc });
      }
      continue;
    }
    const auth = routeAuthOf(layer.handle);
    if (auth && raw) {
      guardedMounts.add(raw);
      out.push({ method: 'ALL', path: prefix + raw, auth });
      continue;
    }
    const nested = (layer.handle as { stack?: LayerLike[] }).stack;
    if (Array.isArray(nested) && !guardedMounts.has(raw)) walk(nested, prefix + raw, out);
  }
}
