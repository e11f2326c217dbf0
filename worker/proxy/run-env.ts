import { randomBytes } from 'node:crypto';
import type { ClaudeTokenKind } from './claude-forward';

/**
 * Pure: turns a run's environment into the one its sandboxed process gets. The Claude token leaves
 * it (the worker's proxy keeps it) and a run-scoped placeholder of the same shape takes its place,
 * so the CLI authenticates the same way; the API base URL and every proxy variable point at the
 * run's proxy; the worker's own proxy settings and NO_PROXY (which could exempt a destination from
 * the egress check) are dropped.
 */

/** The variables the CLI reads a Claude credential from, and how each one is sent. */
const TOKEN_VARS: ReadonlyArray<[string, ClaudeTokenKind]> = [
  ['CLAUDE_CODE_OAUTH_TOKEN', 'oauth'],
  ['ANTHROPIC_API_KEY', 'api_key'],
  ['ANTHROPIC_AUTH_TOKEN', 'bearer'],
];
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];
const DROPPED = ['ANTHROPIC_BASE_URL', 'NO_PROXY', 'no_proxy', ...PROXY_VARS];

export interface RunCredential {
  token: string | undefined;
  kind: ClaudeTokenKind;
  placeholder: string;
}

/** A credential-shaped random value, worthless outside this run's proxy. */
export function placeholderFor(kind: ClaudeTokenKind, random = randomBytes(32).toString('base64url')): string {
  if (kind === 'oauth') return `sk-ant-oat01-personas-run-${random}`;
  if (kind === 'api_key') return `sk-ant-api03-personas-run-${random}`;
  return `personas-run-${random}`;
}

export function sandboxEnv(env: Readonly<Record<string, string>>, proxyUrl: string): { env: Record<string, string>; credential: RunCredential } {
  const out: Record<string, string> = { ...env };
  let found: [string, ClaudeTokenKind] | undefined;
  for (const [name, kind] of TOKEN_VARS) {
    if (out[name] !== undefined && !found) found = [name, kind];
  }
  const token = found ? out[found[0]] : undefined;
  const kind = found ? found[1] : 'api_key';
  for (const [name] of TOKEN_VARS) delete out[name];
  for (const name of DROPPED) delete out[name];
  const placeholder = placeholderFor(kind);
  out[found ? found[0] : 'ANTHROPIC_API_KEY'] = placeholder;
  out.ANTHROPIC_BASE_URL = proxyUrl;
  for (const name of PROXY_VARS) out[name] = proxyUrl;
  return { env: out, credential: { token, kind, placeholder } };
}

/** The same environment with the proxy at another URL (the loopback port known once it listens). */
export function withProxyUrl(env: Readonly<Record<string, string>>, proxyUrl: string): Record<string, string> {
  const out: Record<string, string> = { ...env, ANTHROPIC_BASE_URL: proxyUrl };
  for (const name of PROXY_VARS) out[name] = proxyUrl;
  return out;
}
