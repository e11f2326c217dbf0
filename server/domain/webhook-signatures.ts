import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How webhook senders prove who they are (pure: no I/O, the clock is an argument).
 * - GitHub (and our generic webhooks): `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body.
 * - Slack: `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`.
 * - GitLab: `X-Gitlab-Token`, the secret itself.
 * Each verifier tries every candidate secret (so none is favoured by timing) and answers the one
 * that matched. The body must be the bytes as received: a re-serialised JSON body would not match.
 */

export type SignatureFailure = 'missing_signature' | 'malformed_signature' | 'missing_timestamp' | 'stale_timestamp' | 'mismatch';

export type Verification<T> = { ok: true; match: T } | { ok: false; reason: SignatureFailure };

/** A secret to try; callers attach whatever they need to know about the one that matched. */
export interface Candidate {
  secret: string;
}

/** Slack's replay window: a request timestamped further than this from now is refused. */
export const SLACK_TOLERANCE_SECONDS = 5 * 60;

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

function hmac(secret: string, ...parts: Array<string | Buffer>): Buffer {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Runs `matches` on every candidate (no early exit) and answers the first that matched. */
function firstMatch<T extends Candidate>(candidates: readonly T[], matches: (c: T) => boolean): T | undefined {
  let found: T | undefined;
  for (const c of candidates) if (matches(c) && !found) found = c;
  return found;
}

/** The `X-Hub-Signature-256` value GitHub would send for `body` signed with `secret`. */
export function hubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${hmac(secret, body).toString('hex')}`;
}

/** Verifies `X-Hub-Signature-256` (`sha256=<64 hex>`) over the raw body against each candidate. */
export function verifyHubSignature<T extends Candidate>(body: Buffer, header: unknown, candidates: readonly T[]): Verification<T> {
  if (typeof header !== 'string' || header === '') return { ok: false, reason: 'missing_signature' };
  const [scheme, hex] = header.trim().split('=', 2);
  if (scheme !== 'sha256' || hex === undefined || !HEX_DIGEST.test(hex)) return { ok: false, reason: 'malformed_signature' };
  const given = Buffer.from(hex, 'hex');
  const match = firstMatch(candidates, (c) => timingSafeEqual(hmac(c.secret, body), given));
  return match ? { ok: true, match } : { ok: false, reason: 'mismatch' };
}

/** The `X-Slack-Signature` value Slack would send. */
export function slackSignature(secret: string, timestamp: string | number, body: string | Buffer): string {
  return `v0=${hmac(secret, `v0:${timestamp}:`, body).toString('hex')}`;
}

export interface SlackRequest {
  body: Buffer;
  /** `X-Slack-Request-Timestamp`: Unix seconds. */
  timestamp: unknown;
  /** `X-Slack-Signature`. */
  signature: unknown;
  nowSeconds: number;
  toleranceSeconds?: number;
}

/**
 * Verifies Slack's v0 signature. The timestamp is checked first: a request older (or further in the
 * future) than the tolerance is refused whatever its signature, so a captured request cannot be replayed.
 */
export function verifySlackSignature<T extends Candidate>(req: SlackRequest, candidates: readonly T[]): Verification<T> {
  if (typeof req.signature !== 'string' || req.signature === '') return { ok: false, reason: 'missing_signature' };
  if (typeof req.timestamp !== 'string' || req.timestamp === '') return { ok: false, reason: 'missing_timestamp' };
  if (!/^\d{1,12}$/.test(req.timestamp)) return { ok: false, reason: 'malformed_signature' };
  const age = Math.abs(req.nowSeconds - Number(req.timestamp));
  if (age > (req.toleranceSeconds ?? SLACK_TOLERANCE_SECONDS)) return { ok: false, reason: 'stale_timestamp' };
  const [version, hex] = req.signature.trim().split('=', 2);
  if (version !== 'v0' || hex === undefined || !HEX_DIGEST.test(hex)) return { ok: false, reason: 'malformed_signature' };
  const given = Buffer.from(hex, 'hex');
  const timestamp = req.timestamp;
  const match = firstMatch(candidates, (c) => timingSafeEqual(hmac(c.secret, `v0:${timestamp}:`, req.body), given));
  return match ? { ok: true, match } : { ok: false, reason: 'mismatch' };
}

/** Constant-time string equality; hashing first makes the lengths equal without revealing them. */
export function tokenEquals(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/** A shared-secret header (GitLab's `X-Gitlab-Token`) compared with each candidate in constant time. */
export function verifyToken<T extends Candidate>(given: unknown, candidates: readonly T[]): Verification<T> {
  if (typeof given !== 'string' || given === '') return { ok: false, reason: 'missing_signature' };
  const match = firstMatch(candidates, (c) => tokenEquals(given, c.secret));
  return match ? { ok: true, match } : { ok: false, reason: 'mismatch' };
}
