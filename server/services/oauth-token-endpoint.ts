import { UpstreamError } from '../../shared/errors';
import { describeProviderError, scrubSecrets, tokenResponseSchema, type TokenResponse } from '../domain/claude-token';

export type FetchFn = typeof fetch;

export interface TokenEndpoint {
  url: string;
  fetch: FetchFn;
  timeoutMs: number;
}

/** Network failures carry the useful part (ECONNREFUSED, ENOTFOUND …) in `cause`. */
function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? 'unknown error';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * POSTs a grant (JSON body) to the OAuth token endpoint and returns the parsed token response.
 * Throws UpstreamError (→ 502) on a network failure, a non-2xx answer or an answer without an
 * access_token. The error names the grant and the provider's error code/description, scrubbed of
 * `secrets` (the code, verifier or refresh token sent); it never contains the request or response body.
 */
export async function requestTokens(
  endpoint: TokenEndpoint,
  body: Record<string, string>,
  secrets: readonly string[],
): Promise<TokenResponse> {
  const grant = body.grant_type;
  // Called unbound: a fetch implementation may insist on its own `this`.
  const doFetch = endpoint.fetch;
  let res: Response;
  try {
    res = await doFetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
  } catch (err) {
    const reason = scrubSecrets(networkReason(err), secrets);
    throw new UpstreamError(`OAuth token endpoint could not be reached for the ${grant} grant: ${reason}`, { grant, reason });
  }
  let text = '';
  try {
    text = await res.text();
  } catch (err) {
    throw new UpstreamError(`OAuth token endpoint's answer to the ${grant} grant could not be read: ${networkReason(err)}`, { grant });
  }
  const json = parseJson(text);
  if (!res.ok) {
    const { message, details } = describeProviderError(res.status, json, secrets);
    throw new UpstreamError(`OAuth token endpoint refused the ${grant} grant: ${message}`, { grant, ...details });
  }
  const parsed = tokenResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new UpstreamError(`OAuth token endpoint answered the ${grant} grant with HTTP ${res.status} but no usable access_token`, {
      grant,
      status: res.status,
    });
  }
  return parsed.data;
}
