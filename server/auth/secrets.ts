import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison; hashing first makes the lengths equal without leaking the length. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The presented key: `Authorization: Bearer …`, or the password of HTTP Basic when allowed. */
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

/** API keys start with this, so a leaked one is recognisable (and scannable) as ours. */
export const API_KEY_PREFIX = 'pck_';

/** A new API key: the prefix and 256 random bits, base64url. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * What is stored for a key: its SHA-256. A key has 256 random bits, so a fast hash is as strong as a
 * slow one here (nothing to brute-force) and can be checked on every request; lookups go by this value.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
