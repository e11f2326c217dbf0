import type { RequestHandler } from 'express';
import type { z } from 'zod';

/** One answer of a route, for the OpenAPI document. */
export interface ResponseDoc {
  description: string;
  /** `json` (default), `none` (no body), `sse` (text/event-stream), `text` (text/plain), `html`. */
  kind?: 'json' | 'none' | 'sse' | 'text' | 'html';
  /** For `json`: a zod schema of the body, or `object` / `array` when no schema is kept. */
  schema?: z.ZodType | 'object' | 'array';
}

/**
 * What a route says about itself. `body`, `query` and `params` are the very zod schemas the route
 * validates with, so the document cannot drift from what the route accepts.
 */
export interface RouteDoc {
  summary: string;
  description?: string;
  /** Groups in the API reference; default: the first path segment after /api. */
  tag?: string;
  body?: z.ZodType;
  /** Content type of the body when it is not JSON (e.g. a webhook's raw payload). */
  bodyContentType?: string;
  query?: z.ZodObject;
  /** Statuses answered on success (default: 200 with a JSON object). Errors are added for every route. */
  responses?: Record<number, ResponseDoc>;
}

const ROUTE_DOC = Symbol('routeDoc');
type Documented = RequestHandler & { [ROUTE_DOC]?: RouteDoc };

/**
 * A no-op handler carrying the route's description; put it right after the route's guard:
 * `r.post('/personas', requireRole('operator'), describeRoute({ summary, body: personaBody }), handler)`.
 * A route without one is still in the document (every mounted route is), with what the path and
 * guard tell.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function describeRoute(doc: RouteDoc): RequestHandler<any> {
  const marker: Documented = (_req, _res, next) => next();
  marker[ROUTE_DOC] = doc;
  return marker;
}

export function routeDocOf(handler: unknown): RouteDoc | undefined {
  return typeof handler === 'function' ? (handler as Documented)[ROUTE_DOC] : undefined;
}
