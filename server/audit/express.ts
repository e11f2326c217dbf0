import type { RequestHandler } from 'express';
import { matchedRoute } from '../auth/express';
import { describeAction } from './actions';
import type { AuditLog } from './audit-log';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A target id longer than this is cut (ids are short; a longer one is someone probing). */
const MAX_TARGET_ID = 256;

/** The id of what an answer names (`id`, or `executionId` for `POST /execute`), never anything else of it. */
function answeredId(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { id?: unknown; executionId?: unknown };
  if (typeof b.id === 'string') return b.id;
  return typeof b.executionId === 'string' ? b.executionId : undefined;
}

/**
 * Audits every mutating call made by an authenticated caller that reached a route: actor, action,
 * target (the route's parameters, else the id in the answer), outcome (the status answered, 499 when
 * the client went away first) and remote address. Never a body, a header or a secret. Calls without
 * a caller (401, signature-authenticated webhooks) are not audited; they are logged and counted elsewhere.
 * Mount it ahead of the routers it watches: it only registers a hook for the end of the answer.
 */
export function auditTrail(audit: AuditLog): RequestHandler {
  return (req, res, next) => {
    if (!MUTATING.has(req.method)) return next();
    let id: string | undefined;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      id = answeredId(body);
      return json(body);
    };
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const caller = req.auth;
      const match = matchedRoute(res);
      if (!caller || !match) return;
      const { action, targetType } = describeAction(req.method, match.pattern);
      const params = Object.values(match.params);
      void audit.append({
        at: new Date().toISOString(),
        actorKeyId: caller.keyId,
        actorName: caller.name,
        actorRole: caller.role,
        action,
        targetType,
        targetId: (params.length ? params.join('/') : (id ?? null))?.slice(0, MAX_TARGET_ID) ?? null,
        outcome: res.writableFinished || res.headersSent ? res.statusCode : 499,
        remoteAddress: req.socket.remoteAddress ?? null,
      });
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
