/**
 * The one file of server/auth that knows it runs inside Express: resolve the caller once
 * (`authenticate`), then each route states what it needs (`requireRole`) or says that its own
 * signature check is its authentication (`signatureAuthenticated`).
 */
import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors';
import type { ApiKeyService } from './api-keys';
import { forbiddenMessage, satisfies, type Caller, type Role } from './roles';
import { presentedKey, safeEqual } from './secrets';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The authenticated caller; set by `authenticate`, absent on signature-authenticated routes. */
      auth?: Caller;
    }
  }
}

/** How a route authenticates, as declared by its first handler; read back by the route × role test. */
export type RouteAuth =
  | { kind: 'role'; role: Role }
  | { kind: 'signature'; scheme: string }
  | { kind: 'role-or-signature'; role: Role; scheme: string };

const ROUTE_AUTH = Symbol('routeAuth');
/**
 * A guard placed first in a route's handlers. Typed with open route parameters so it does not
 * replace the ones Express infers from the path for the handlers after it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RouteGuard = RequestHandler<any> & { [ROUTE_AUTH]?: RouteAuth };
type Tagged = RouteGuard;

/** The declaration carried by a handler, if it is `requireRole(…)` or `signatureAuthenticated(…)`. */
export function routeAuthOf(handler: unknown): RouteAuth | undefined {
  return typeof handler === 'function' ? (handler as Tagged)[ROUTE_AUTH] : undefined;
}

const MATCHED = Symbol('matchedRoute');

/** The route a request reached (as declared, e.g. `/api/personas/:id`) and its parameters. */
export interface MatchedRoute {
  pattern: string;
  params: Record<string, string>;
}

/**
 * The route recorded by the route's guard (`requireRole`), or undefined when no guarded route was
 * reached (401 before it, or no route at all). Read after the answer, e.g. by the audit trail.
 */
export function matchedRoute(res: Response): MatchedRoute | undefined {
  return (res.locals as Record<symbol, MatchedRoute | undefined>)[MATCHED];
}

function recordMatch(req: Request, res: Response): void {
  // Inside a route: its declared path; at a mount (Bull Board): the mount and the path below it.
  const pattern = req.route ? `${req.baseUrl}${String(req.route.path)}` : `${req.baseUrl}${req.path}`;
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.params ?? {})) params[k] = Array.isArray(v) ? v.join('/') : String(v);
  (res.locals as Record<symbol, MatchedRoute>)[MATCHED] = { pattern, params };
}

export interface AuthenticateOptions {
  /** Accept HTTP Basic with the key as password (Bull Board, which a browser opens) and ask for it on 401. */
  allowBasic?: boolean;
}

/**
 * Resolves `Authorization: Bearer <key>` (the bootstrap TEAM_API_KEY or an API key) to `req.auth`.
 * No key, an unknown key or a revoked key → 401. Roles are checked later, per route.
 */
export function authenticate(keys: ApiKeyService, opts: AuthenticateOptions = {}): RequestHandler {
  const allowBasic = opts.allowBasic ?? false;
  const message = allowBasic
    ? 'an API key is required (HTTP Basic with the key as password, or Bearer)'
    : 'a valid "Authorization: Bearer <API key>" header is required';
  return async (req, res, next) => {
    const key = presentedKey(req.headers.authorization, allowBasic);
    const caller = key === undefined ? undefined : await keys.resolve(key);
    if (caller) {
      req.auth = caller;
      return next();
    }
    if (allowBasic) res.setHeader('WWW-Authenticate', 'Basic realm="personas-cloud", charset="UTF-8"');
    next(new UnauthorizedError(message));
  };
}

/**
 * For a route mounted ahead of `authenticate` that takes a Bearer key *or* a signature: a valid key
 * sets `req.auth`; a presented but unknown or revoked key → 401; no key → on to the route, which
 * then checks its signature (and must refuse when there is neither).
 */
export function authenticateOptional(keys: ApiKeyService): RequestHandler {
  return async (req, _res, next) => {
    const key = presentedKey(req.headers.authorization, false);
    if (key === undefined) return next();
    const caller = await keys.resolve(key);
    if (!caller) return next(new UnauthorizedError('the Bearer key presented is unknown or revoked'));
    req.auth = caller;
    next();
  };
}

/**
 * The route needs a caller whose role satisfies `role` (admin always does); otherwise 403 naming the
 * role needed. Put it first in the route's handlers: `r.get('/personas', requireRole('reader'), …)`.
 */
export function requireRole(role: Role): RouteGuard {
  const guard: Tagged = (req, res, next) => {
    recordMatch(req, res);
    if (!req.auth) return next(new UnauthorizedError());
    if (!satisfies(req.auth.role, role)) return next(new ForbiddenError(forbiddenMessage(req.auth.role, role)));
    next();
  };
  guard[ROUTE_AUTH] = { kind: 'role', role };
  return guard;
}

/**
 * Marks a route that takes no Bearer key because it checks a signature or token of its own
 * (`scheme` says which, e.g. `X-Hub-Signature-256`). Mount such routes ahead of `authenticate`.
 */
export function signatureAuthenticated(scheme: string): RouteGuard {
  const marker: Tagged = (_req, _res, next) => next();
  marker[ROUTE_AUTH] = { kind: 'signature', scheme };
  return marker;
}

/**
 * For a route that takes a Bearer key *or* a signature (mounted after `authenticateOptional`): with a
 * caller, its role must satisfy `role` (else 403); without one, the route's next handler must verify
 * the signature and refuse (401) when it is missing or wrong.
 */
export function requireRoleOrSignature(role: Role, scheme: string): RouteGuard {
  const guard: Tagged = (req, res, next) => {
    recordMatch(req, res);
    if (req.auth && !satisfies(req.auth.role, role)) return next(new ForbiddenError(forbiddenMessage(req.auth.role, role)));
    next();
  };
  guard[ROUTE_AUTH] = { kind: 'role-or-signature', role, scheme };
  return guard;
}

/**
 * For a route outside `/api` that resolves its caller itself (`/metrics`): a Bearer API key whose
 * role satisfies `role`, or, when `token` is set, that exact token (METRICS_TOKEN, compared in
 * constant time). No key or an unknown/revoked one → 401; a key with too small a role → 403.
 * Declared as `role` for the route × role table.
 */
export function requireRoleOrStaticToken(keys: ApiKeyService, role: Role, token?: string): RouteGuard {
  const guard: Tagged = async (req, res, next) => {
    recordMatch(req, res);
    const key = presentedKey(req.headers.authorization, false);
    if (key !== undefined && token && safeEqual(key, token)) return next();
    const caller = key === undefined ? undefined : await keys.resolve(key);
    if (!caller) return next(new UnauthorizedError());
    req.auth = caller;
    if (!satisfies(caller.role, role)) return next(new ForbiddenError(forbiddenMessage(caller.role, role)));
    next();
  };
  guard[ROUTE_AUTH] = { kind: 'role', role };
  return guard;
}
