import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../../shared/errors';

/** Constant-time comparison; hashing first makes the lengths equal without leaking the length. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The presented team key: `Authorization: Bearer …`, or the password of HTTP Basic when allowed. */
export function presentedKey(authorization: string | undefined, allowBasic: boolean): string | undefined {
  if (!authorization) return undefined;
  const [scheme, value] = authorization.split(/\s+/, 2);
  if (!value) return undefined;
  if (scheme.toLowerCase() === 'bearer') return value;
  if (allowBasic && scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** Requires the team key as Bearer on every request it guards. */
export function requireTeamKey(teamApiKey: string): RequestHandler {
  return (req, _res, next) => {
    const key = presentedKey(req.headers.authorization, false);
    if (key !== undefined && safeEqual(key, teamApiKey)) return next();
    next(new UnauthorizedError('a valid "Authorization: Bearer <TEAM_API_KEY>" header is required'));
  };
}

/**
 * For pages a browser opens (Bull Board): Bearer, or HTTP Basic with the key as password.
 * Without credentials it asks the browser for them.
 */
export function requireTeamKeyOrBasic(teamApiKey: string): RequestHandler {
  return (req, res, next) => {
    const key = presentedKey(req.headers.authorization, true);
    if (key !== undefined && safeEqual(key, teamApiKey)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="personas-cloud", charset="UTF-8"');
    next(new UnauthorizedError('team API key required (HTTP Basic with the key as password, or Bearer)'));
  };
}
