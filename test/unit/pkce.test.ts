import { createHash } from 'node:crypto';
import {
  buildAuthorizeUrl, codeChallengeS256, createCodeVerifier, createState, isValidCodeVerifier, splitPastedCode,
} from '../../server/domain/pkce';
import { claudeTokenEnv, describeProviderError, refreshDue, tokenKind } from '../../server/domain/claude-token';

describe('PKCE helpers', () => {
  it('computes the RFC 7636 appendix B challenge', () => {
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes fresh 43-character base64url verifiers and states', () => {
    const a = createCodeVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isValidCodeVerifier(a)).toBe(true);
    expect(createCodeVerifier()).not.toBe(a);
    expect(createState()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(codeChallengeS256(a)).toBe(createHash('sha256').update(a).digest('base64url'));
  });

  it('rejects verifiers outside 43-128 unreserved characters', () => {
    expect(isValidCodeVerifier('x'.repeat(42))).toBe(false);
    expect(isValidCodeVerifier('x'.repeat(129))).toBe(false);
    expect(isValidCodeVerifier(`${'x'.repeat(42)}+`)).toBe(false);
    expect(isValidCodeVerifier('x'.repeat(128))).toBe(true);
  });

  it('builds the authorize URL with every parameter, keeping existing ones', () => {
    const url = new URL(buildAuthorizeUrl({
      authorizeUrl: 'https://claude.example/oauth/authorize?tenant=t1',
      clientId: 'client-1',
      redirectUri: 'https://console.example/oauth/code/callback',
      scopes: 'user:profile user:inference',
      codeChallenge: 'CHALLENGE',
      state: 'STATE',
    }));
    expect(url.origin + url.pathname).toBe('https://claude.example/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 't1', code: 'true', client_id: 'client-1', response_type: 'code',
      redirect_uri: 'https://console.example/oauth/code/callback', scope: 'user:profile user:inference',
      code_challenge: 'CHALLENGE', code_challenge_method: 'S256', state: 'STATE',
    });
  });

  it('splits a pasted code#state', () => {
    expect(splitPastedCode(' abc#xyz \n')).toEqual({ code: 'abc', state: 'xyz' });
    expect(splitPastedCode('abc')).toEqual({ code: 'abc' });
    expect(splitPastedCode('abc#')).toEqual({ code: 'abc', state: undefined });
  });
});

describe('Claude token rules', () => {
  it('tells subscription tokens from API keys and names the CLI variable', () => {
    expect(tokenKind('sk-ant-oat01-abc')).toBe('oauth');
    expect(tokenKind('sk-ant-api03-abc')).toBe('api_key');
    expect(claudeTokenEnv('sk-ant-oat01-abc')).toEqual({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-abc' });
    expect(claudeTokenEnv('sk-ant-api03-abc')).toEqual({ ANTHROPIC_API_KEY: 'sk-ant-api03-abc' });
  });

  it('is due for refresh within the margin, never without an expiry', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(refreshDue('2026-01-01T00:04:00Z', now, 5 * 60_000)).toBe(true);
    expect(refreshDue('2026-01-01T00:06:00Z', now, 5 * 60_000)).toBe(false);
    expect(refreshDue('2025-12-31T00:00:00Z', now, 0)).toBe(true);
    expect(refreshDue(null, now, 5 * 60_000)).toBe(false);
  });

  it('reads provider errors in both shapes and scrubs secrets', () => {
    const rfc = describeProviderError(400, { error: 'invalid_grant', error_description: 'code SECRET-1 is spent' }, ['SECRET-1']);
    expect(rfc.message).toBe('HTTP 400: invalid_grant (code [REDACTED] is spent)');
    expect(rfc.details).toEqual({ status: 400, error: 'invalid_grant', errorDescription: 'code [REDACTED] is spent' });
    const anthropic = describeProviderError(429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, []);
    expect(anthropic.message).toBe('HTTP 429: rate_limit_error (slow down)');
    expect(describeProviderError(500, undefined, []).message).toBe('HTTP 500: no error code in the response');
  });
});
