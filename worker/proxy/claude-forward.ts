import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';

/**
 * The token half of the run proxy: checks the run's placeholder credential, puts the real Claude
 * token in its place exactly as the CLI itself would send it, and streams the API's answer back
 * as it arrives (SSE included: nothing is buffered).
 */
/** `oauth`: a subscription token (Bearer + OAuth beta); `api_key`: x-api-key; `bearer`: ANTHROPIC_AUTH_TOKEN. */
export type ClaudeTokenKind = 'oauth' | 'api_key' | 'bearer';

export interface ClaudeUpstream {
  /** The real Messages API base (the worker's ANTHROPIC_BASE_URL, default https://api.anthropic.com). */
  baseUrl: URL;
  /** The real token; undefined when the assignment carried none (requests then go out unauthenticated). */
  token: string | undefined;
  kind: ClaudeTokenKind;
  /** What the run holds instead of the token. */
  placeholder: string;
  /** Kept-alive connections to the API, shared by every run of the worker. */
  agents: { http: http.Agent; https: https.Agent };
}

/** The OAuth beta the CLI sends with a subscription token. */
export const OAUTH_BETA = 'oauth-2025-04-20';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'x-api-key', 'authorization',
]);

function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The credential the CLI sent: `x-api-key`, or the Bearer of `authorization`. */
export function presentedCredential(headers: http.IncomingHttpHeaders): string | undefined {
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key) return key;
  const auth = headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m ? m[1].trim() : undefined;
}

/** Pure: the headers sent upstream — the client's minus hop-by-hop and credentials, plus the real ones. */
export function upstreamHeaders(headers: http.IncomingHttpHeaders, up: Pick<ClaudeUpstream, 'token' | 'kind' | 'baseUrl'>): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  out.host = up.baseUrl.host;
  if (up.token === undefined) return out;
  if (up.kind === 'api_key') {
    out['x-api-key'] = up.token;
  } else if (up.kind === 'bearer') {
    out.authorization = `Bearer ${up.token}`;
  } else {
    out.authorization = `Bearer ${up.token}`;
    const betas = String(out['anthropic-beta'] ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    if (!betas.includes(OAUTH_BETA)) betas.push(OAUTH_BETA);
    out['anthropic-beta'] = betas.join(',');
  }
  return out;
}

function apiError(res: http.ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

export function forwardToClaude(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathAndQuery: string,
  up: ClaudeUpstream & { isOpen(): boolean },
  logger: Logger,
): void {
  if (!up.isOpen() || !sameSecret(presentedCredential(req.headers), up.placeholder)) {
    req.resume();
    apiError(res, 401, 'authentication_error', 'personas worker proxy: this credential is not valid for any running execution');
    return;
  }
  const base = up.baseUrl;
  const basePath = base.pathname.replace(/\/+$/, '');
  const secure = base.protocol === 'https:';
  const upstream = (secure ? https : http).request({
    protocol: base.protocol,
    hostname: base.hostname,
    port: base.port || (secure ? 443 : 80),
    method: req.method,
    path: `${basePath}${pathAndQuery}`,
    headers: upstreamHeaders(req.headers, up),
    agent: secure ? up.agents.https : up.agents.http,
  });
  upstream.on('response', (answer) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && name !== 'connection' && name !== 'keep-alive' && name !== 'transfer-encoding') headers[name] = value;
    }
    res.writeHead(answer.statusCode ?? 502, headers);
    res.flushHeaders();
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  upstream.on('error', (err) => {
    // The message names the API host, never a credential.
    logger.warn({ err: err.message, host: base.host }, 'Claude API request through the run proxy failed');
    apiError(res, 502, 'api_error', `personas worker proxy: could not reach the Claude API at ${base.host}: ${err.message}`);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
