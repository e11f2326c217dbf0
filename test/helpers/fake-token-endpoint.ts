import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OAuth token endpoint (Anthropic's `/v1/oauth/token`) on 127.0.0.1, for tests of the Claude
 * connection. It checks what a real provider checks: for `authorization_code`, the code it handed out
 * and that sha256(code_verifier) equals the challenge from the authorize URL; for `refresh_token`, that
 * the refresh token is one it issued. Tokens are fresh random strings, so a test can search for them.
 */
export interface FakeTokenEndpoint {
  url: string;
  /** Every request body received, in order. */
  requests: Array<Record<string, string>>;
  /** Every access/refresh token issued, in order. */
  issued: { access: string[]; refresh: string[] };
  /** The code the "user" gets after consenting. */
  readonly code: string;
  /** `expires_in` for the next issued tokens (seconds). */
  expiresIn: number;
  /** Omit `refresh_token` from refresh answers (providers that do not rotate it). */
  rotateRefresh: boolean;
  /** Registers the challenge of an authorize URL (as the provider's consent page would). */
  expectChallenge(challenge: string): void;
  /** The next answer is this error instead (once). */
  failNext(status: number, body: unknown): void;
  close(): Promise<void>;
}

const rand = () => randomBytes(12).toString('hex');

export async function startFakeTokenEndpoint(): Promise<FakeTokenEndpoint> {
  const challenges = new Set<string>();
  const validRefresh = new Set<string>();
  let failure: { status: number; body: unknown } | undefined;

  const issue = (withRefresh: boolean) => {
    const access = `sk-ant-oat01-fake-${rand()}`;
    fake.issued.access.push(access);
    const answer: Record<string, unknown> = { access_token: access, token_type: 'Bearer', expires_in: fake.expiresIn, scope: 'user:inference user:profile' };
    if (withRefresh) {
      const refresh = `sk-ant-ort01-fake-${rand()}`;
      fake.issued.refresh.push(refresh);
      validRefresh.add(refresh);
      answer.refresh_token = refresh;
    }
    return answer;
  };

  const answer = (body: Record<string, string>): { status: number; body: unknown } => {
    if (failure) {
      const f = failure;
      failure = undefined;
      return f;
    }
    if (body.grant_type === 'authorization_code') {
      if (body.code !== fake.code) return { status: 400, body: { error: 'invalid_grant', error_description: 'unknown code' } };
      const challenge = createHash('sha256').update(body.code_verifier ?? '').digest('base64url');
      if (!challenges.delete(challenge)) return { status: 400, body: { error: 'invalid_grant', error_description: 'code_verifier does not match' } };
      if (!body.state || !body.client_id || !body.redirect_uri) return { status: 400, body: { error: 'invalid_request' } };
      return { status: 200, body: issue(true) };
    }
    if (body.grant_type === 'refresh_token') {
      if (!validRefresh.has(body.refresh_token)) return { status: 400, body: { error: 'invalid_grant', error_description: 'unknown refresh token' } };
      return { status: 200, body: issue(fake.rotateRefresh) };
    }
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, string> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = {};
      }
      fake.requests.push(body);
      const out = answer(body);
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeTokenEndpoint = {
    url: `http://127.0.0.1:${port}/v1/oauth/token`,
    requests: [],
    issued: { access: [], refresh: [] },
    code: `code-${rand()}`,
    expiresIn: 3600,
    rotateRefresh: true,
    expectChallenge: (challenge) => void challenges.add(challenge),
    failNext: (status, body) => {
      failure = { status, body };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return fake;
}
