import { createScrubber } from '../../shared/scrub';
import { z } from 'zod';

/**
 * Pure rules about Claude tokens: what kind a token is, which CLI variable carries it, how a token
 * endpoint's answer is read, and when a token is due for refresh. No I/O.
 */

export type TokenKind = 'oauth' | 'api_key';

/** Subscription (OAuth) access tokens start `sk-ant-oat`; anything else is treated as an API key. */
export function tokenKind(token: string): TokenKind {
  return token.startsWith('sk-ant-oat') ? 'oauth' : 'api_key';
}

/**
 * The environment variable the Claude CLI reads for this token: `CLAUDE_CODE_OAUTH_TOKEN` for a
 * subscription token, `ANTHROPIC_API_KEY` for an API key.
 */
export function claudeTokenEnv(token: string): Record<string, string> {
  return tokenKind(token) === 'oauth' ? { CLAUDE_CODE_OAUTH_TOKEN: token } : { ANTHROPIC_API_KEY: token };
}

const seconds = z.union([z.number().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

/** The fields we use from an RFC 6749 §5.1 token response (others, e.g. `account`, are ignored). */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: seconds.optional(),
  scope: z.string().optional(),
  token_type: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** ISO expiry from a response's `expires_in` (seconds); null when the provider gave none. */
export function expiresAtFrom(nowMs: number, expiresIn: number | undefined): string | null {
  return expiresIn === undefined ? null : new Date(nowMs + expiresIn * 1000).toISOString();
}

/** True when `expiresAt` lies within `marginMs` of `nowMs` (or has passed). No expiry → never due. */
export function refreshDue(expiresAt: string | null, nowMs: number, marginMs: number): boolean {
  if (!expiresAt) return false;
  const t = Date.parse(expiresAt);
  return Number.isFinite(t) && t - nowMs <= marginMs;
}

export function isExpired(expiresAt: string | null, nowMs: number): boolean {
  return refreshDue(expiresAt, nowMs, 0);
}

/** Replaces every occurrence of each secret (codes, verifiers, tokens we sent) with `[REDACTED]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  return createScrubber(secrets)(text);
}

const MAX_DESCRIPTION = 300;

/**
 * Reads a token endpoint's error answer: RFC 6749 `{error, error_description}` or Anthropic's
 * `{type:'error', error:{type, message}}`. The description is scrubbed of `secrets` and truncated,
 * so an echoing provider cannot leak a code or token into our error message.
 */
export function describeProviderError(
  status: number,
  body: unknown,
  secrets: readonly string[],
): { message: string; details: { status: number; error: string | null; errorDescription: string | null } } {
  let error: string | null = null;
  let description: string | null = null;
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.error === 'string') {
      error = b.error;
      if (typeof b.error_description === 'string') description = b.error_description;
    } else if (b.error && typeof b.error === 'object') {
      const e = b.error as Record<string, unknown>;
      if (typeof e.type === 'string') error = e.type;
      if (typeof e.message === 'string') description = e.message;
    }
  }
  const clean = (s: string | null) => (s === null ? null : scrubSecrets(s, secrets).slice(0, MAX_DESCRIPTION));
  error = clean(error);
  description = clean(description);
  const what = error ? `${error}${description ? ` (${description})` : ''}` : 'no error code in the response';
  return { message: `HTTP ${status}: ${what}`, details: { status, error, errorDescription: description } };
}

export type TokenSource = 'oauth' | 'manual' | 'env';

/** What the API shows about the connection. Never a token or any part of one. */
export interface ClaudeTokenStatus {
  connected: boolean;
  source: TokenSource | null;
  tokenKind: TokenKind | null;
  expiresAt: string | null;
  expired: boolean;
  scope: string | null;
  hasRefreshToken: boolean;
  connectedAt: string | null;
  /** When the stored token was last refreshed; null until its first refresh. */
  refreshedAt: string | null;
  /** Why the last refresh failed (provider code/description only), or why the stored token cannot be read. */
  lastError: string | null;
  /** CLAUDE_TOKEN is set in the orchestrator's environment (its value is never shown). */
  envTokenSet: boolean;
  /** The token executions get now: the stored one, CLAUDE_TOKEN, or none. */
  inUse: 'stored' | 'env' | null;
  /** When a stored token and CLAUDE_TOKEN both exist: which one is used, and how to use the other. */
  note: string | null;
}

/** The stored token's metadata, as far as the status needs it (no secret). */
export interface StoredTokenInfo {
  source: 'oauth' | 'manual';
  kind: TokenKind | null;
  hasRefreshToken: boolean;
  expiresAt: string | null;
  scope: string | null;
  createdAt: string;
  refreshedAt: string | null;
}

/** The status: the stored token if there is one, else CLAUDE_TOKEN (`envKind` set), else not connected. */
export function connectionStatus(
  stored: StoredTokenInfo | undefined,
  envKind: TokenKind | null,
  nowMs: number,
  lastError: string | null,
): ClaudeTokenStatus {
  const envTokenSet = envKind !== null;
  if (!stored) {
    return {
      connected: envTokenSet, source: envKind ? 'env' : null, tokenKind: envKind, expiresAt: null, expired: false,
      scope: null, hasRefreshToken: false, connectedAt: null, refreshedAt: null, lastError: null,
      envTokenSet, inUse: envTokenSet ? 'env' : null, note: null,
    };
  }
  const expired = isExpired(stored.expiresAt, nowMs);
  // Mirrors ClaudeTokenService.current(): the stored token wins unless it has expired and CLAUDE_TOKEN is set.
  const inUse = expired && envTokenSet ? 'env' : 'stored';
  return {
    connected: true, source: stored.source, tokenKind: stored.kind, expiresAt: stored.expiresAt,
    expired, scope: stored.scope, hasRefreshToken: stored.hasRefreshToken,
    connectedAt: stored.createdAt, refreshedAt: stored.refreshedAt, lastError,
    envTokenSet, inUse, note: envTokenSet ? bothTokensNote(stored.source, inUse) : null,
  };
}

/** One sentence for the start-up log and `/api/status` when a stored token and CLAUDE_TOKEN both exist. */
export function bothTokensNote(source: 'oauth' | 'manual', inUse: 'stored' | 'env'): string {
  const stored = source === 'oauth' ? 'the stored OAuth token' : 'the token stored with POST /api/token';
  return inUse === 'env'
    ? `${stored} has expired, so CLAUDE_TOKEN from the environment is used`
    : `${stored} is used; CLAUDE_TOKEN from the environment is ignored while a token is stored (DELETE /api/oauth/disconnect to use CLAUDE_TOKEN)`;
}

/** The POST /api/token shape: `sk-ant-oat…` (subscription) or `sk-ant-api…` (API key), then 20+ of [A-Za-z0-9_-]. */
export const CLAUDE_TOKEN_SHAPE = /^sk-ant-(?:oat|api)[A-Za-z0-9_-]{20,}$/;

/** The start-up line about the Claude token: which one executions use (never any part of it). */
export function claudeTokenLine(s: ClaudeTokenStatus): string {
  if (s.note) return `Claude token: ${s.note}`;
  if (s.inUse === 'env') return 'Claude token: CLAUDE_TOKEN from the environment';
  if (s.inUse === 'stored') return `Claude token: ${s.source === 'oauth' ? 'the stored OAuth token' : 'the token stored with POST /api/token'}`;
  return 'Claude token: none yet; executions cannot authenticate until you connect (POST /api/oauth/authorize), POST /api/token or set CLAUDE_TOKEN';
}
