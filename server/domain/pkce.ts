import { createHash, randomBytes } from 'node:crypto';

/**
 * PKCE (RFC 7636, S256) and the authorization URL of the OAuth authorization-code flow.
 * Pure apart from the random source: no network, no database.
 */

/** RFC 7636 §4.1: 43–128 characters from the unreserved set. */
const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;

/** A fresh code_verifier: 32 random bytes as base64url, i.e. 43 characters. */
export function createCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

export function isValidCodeVerifier(verifier: string): boolean {
  return VERIFIER_RE.test(verifier);
}

/** code_challenge = base64url(sha256(ascii(verifier))), without padding. */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** An unguessable `state` (256 bits, base64url). */
export function createState(): string {
  return randomBytes(32).toString('base64url');
}

export interface AuthorizeUrlParams {
  authorizeUrl: string;
  clientId: string;
  redirectUri: string;
  scopes: string;
  codeChallenge: string;
  state: string;
}

/**
 * The URL the user opens to grant access. `code=true` asks Anthropic's callback page to show the code
 * (as `code#state`) for pasting, since the orchestrator is usually not reachable from the browser.
 * Query parameters already present on `authorizeUrl` are kept.
 */
export function buildAuthorizeUrl(p: AuthorizeUrlParams): string {
  const url = new URL(p.authorizeUrl);
  const params: Array<[string, string]> = [
    ['code', 'true'],
    ['client_id', p.clientId],
    ['response_type', 'code'],
    ['redirect_uri', p.redirectUri],
    ['scope', p.scopes],
    ['code_challenge', p.codeChallenge],
    ['code_challenge_method', 'S256'],
    ['state', p.state],
  ];
  for (const [key, value] of params) url.searchParams.set(key, value);
  return url.toString();
}

/**
 * Anthropic's callback page shows `code#state`; users paste it whole. Splits at the first `#`
 * (surrounding whitespace trimmed). Without a `#`, `state` is undefined.
 */
export function splitPastedCode(input: string): { code: string; state?: string } {
  const trimmed = input.trim();
  const hash = trimmed.indexOf('#');
  if (hash < 0) return { code: trimmed };
  const state = trimmed.slice(hash + 1).trim();
  return { code: trimmed.slice(0, hash).trim(), state: state || undefined };
}
