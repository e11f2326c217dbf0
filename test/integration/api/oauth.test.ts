import pino from 'pino';
import request from 'supertest';
import { ClaudeTokenService } from '../../../server/services/claude-token';
import { startFakeTokenEndpoint, type FakeTokenEndpoint } from '../../helpers/fake-token-endpoint';
import { createTestApp, type TestApp } from '../../helpers/test-app';

const AUTHORIZE_URL = 'https://claude.example/oauth/authorize';

/** Runs authorize → (user consents at the fake) → callback; answers the callback response. */
async function connect(t: TestApp, fake: FakeTokenEndpoint, paste = false) {
  const auth = await request(t.app).post('/api/oauth/authorize').set(t.auth);
  expect(auth.status).toBe(200);
  fake.expectChallenge(new URL(auth.body.authUrl).searchParams.get('code_challenge')!);
  const body = paste ? { code: `${fake.code}#${auth.body.state}` } : { code: fake.code, state: auth.body.state };
  return request(t.app).post('/api/oauth/callback').set(t.auth).send(body);
}

/** Fails if any issued secret (or the auth code) appears in `value`. */
function expectNoSecrets(value: unknown, fake: FakeTokenEndpoint) {
  const text = JSON.stringify(value);
  for (const secret of [...fake.issued.access, ...fake.issued.refresh, fake.code]) expect(text).not.toContain(secret);
  expect(text).not.toContain('sk-ant-o');
}

describe('Claude connection API (OAuth with PKCE against a fake token endpoint)', () => {
  let fake: FakeTokenEndpoint;
  let t: TestApp;
  beforeAll(async () => {
    fake = await startFakeTokenEndpoint();
    t = await createTestApp({ extraEnv: { OAUTH_TOKEN_URL: fake.url, OAUTH_AUTHORIZE_URL: AUTHORIZE_URL } });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });
  beforeEach(async () => {
    await t.ctx.claudeToken.disconnect();
  });

  it('requires the team key', async () => {
    expect((await request(t.app).get('/api/oauth/status')).status).toBe(401);
    expect((await request(t.app).post('/api/token').send({ token: 'sk-ant-api03-xxxxxxxx' })).status).toBe(401);
  });

  it('authorize answers a URL with an S256 challenge and a state, and keeps the verifier encrypted', async () => {
    const res = await request(t.app).post('/api/oauth/authorize').set(t.auth);
    expect(res.status).toBe(200);
    const url = new URL(res.body.authUrl);
    expect(url.origin + url.pathname).toBe(AUTHORIZE_URL);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({ code: 'true', client_id: t.config.oauth.clientId, response_type: 'code', code_challenge_method: 'S256' });
    expect(q.redirect_uri).toBe(t.config.oauth.redirectUri);
    expect(q.scope).toBe(t.config.oauth.scopes);
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state).toBe(res.body.state);
    const pending = await t.db('oauth_pending').where({ state: res.body.state }).first();
    expect(Object.keys(JSON.parse(pending.code_verifier_enc)).sort()).toEqual(['encryptedData', 'iv', 'tag']);
  });

  it('refuses a wrong state with a 400 naming state, and each state works only once', async () => {
    const wrong = await request(t.app).post('/api/oauth/callback').set(t.auth).send({ code: fake.code, state: 'not-a-state' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details[0].field).toBe('state');
    const missing = await request(t.app).post('/api/oauth/callback').set(t.auth).send({ code: fake.code });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].field).toBe('state');
    const noCode = await request(t.app).post('/api/oauth/callback').set(t.auth).send({ state: 'x' });
    expect(noCode.status).toBe(400);
    expect(noCode.body.error.details[0].field).toBe('code');

    const auth = await request(t.app).post('/api/oauth/authorize').set(t.auth);
    fake.expectChallenge(new URL(auth.body.authUrl).searchParams.get('code_challenge')!);
    const first = await request(t.app).post('/api/oauth/callback').set(t.auth).send({ code: fake.code, state: auth.body.state });
    expect(first.status).toBe(200);
    const again = await request(t.app).post('/api/oauth/callback').set(t.auth).send({ code: fake.code, state: auth.body.state });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain('state');
  });

  it('exchanges the code with the matching verifier and stores the tokens encrypted', async () => {
    const before = fake.requests.length;
    const res = await connect(t, fake);
    expect(res.status).toBe(200);
    const sent = fake.requests[before];
    expect(sent).toMatchObject({ grant_type: 'authorization_code', code: fake.code, client_id: t.config.oauth.clientId });
    expect(sent.code_verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(res.body).toMatchObject({
      connected: true, source: 'oauth', tokenKind: 'oauth', hasRefreshToken: true, expired: false,
      scope: 'user:inference user:profile', refreshedAt: null, lastError: null,
    });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expectNoSecrets(res.body, fake);

    const rows = await t.db('oauth_tokens').select('*');
    expect(rows).toHaveLength(1);
    expectNoSecrets(rows, fake);
    expect(await t.ctx.claudeToken.current()).toBe(fake.issued.access.at(-1));

    const status = await request(t.app).get('/api/oauth/status').set(t.auth);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ connected: true, source: 'oauth' });
    expectNoSecrets(status.body, fake);
  });

  it('accepts the code pasted as code#state', async () => {
    const res = await connect(t, fake, true);
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('oauth');
  });

  it('refresh replaces the token (keeping the refresh token when none comes back)', async () => {
    await connect(t, fake);
    const oldAccess = fake.issued.access.at(-1);
    const oldRefresh = fake.issued.refresh.at(-1)!;
    fake.rotateRefresh = false;
    try {
      const res = await request(t.app).post('/api/oauth/refresh').set(t.auth);
      expect(res.status).toBe(200);
      expect(fake.requests.at(-1)).toEqual({ grant_type: 'refresh_token', refresh_token: oldRefresh, client_id: t.config.oauth.clientId });
      expect(res.body).toMatchObject({ connected: true, source: 'oauth', hasRefreshToken: true });
      expect(res.body.refreshedAt).toEqual(expect.any(String));
      expectNoSecrets(res.body, fake);
      const now = await t.ctx.claudeToken.current();
      expect(now).toBe(fake.issued.access.at(-1));
      expect(now).not.toBe(oldAccess);
    } finally {
      fake.rotateRefresh = true;
    }
    // The kept refresh token still works.
    expect((await request(t.app).post('/api/oauth/refresh').set(t.auth)).status).toBe(200);
    expect(fake.requests.at(-1)!.refresh_token).toBe(oldRefresh);
  });

  it('a provider error is a 502 naming its code, without any secret', async () => {
    await connect(t, fake);
    const refresh = fake.issued.refresh.at(-1)!;
    fake.failNext(400, { error: 'invalid_grant', error_description: `refresh token ${refresh} was revoked` });
    const res = await request(t.app).post('/api/oauth/refresh').set(t.auth);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('upstream_error');
    expect(res.body.error.message).toContain('invalid_grant');
    expect(res.body.error.message).toContain('refresh_token');
    expectNoSecrets(res.body, fake);
    const status = await request(t.app).get('/api/oauth/status').set(t.auth);
    expect(status.body.lastError).toContain('invalid_grant');
    expectNoSecrets(status.body, fake);

    const auth = await request(t.app).post('/api/oauth/authorize').set(t.auth);
    fake.failNext(400, { error: 'invalid_grant', error_description: `code ${fake.code} is not valid` });
    const cb = await request(t.app).post('/api/oauth/callback').set(t.auth).send({ code: fake.code, state: auth.body.state });
    expect(cb.status).toBe(502);
    expect(cb.body.error.message).toContain('invalid_grant');
    expectNoSecrets(cb.body, fake);
  });

  it('an unreachable token endpoint is a 502', async () => {
    const down = await createTestApp({ extraEnv: { OAUTH_TOKEN_URL: 'http://127.0.0.1:1/v1/oauth/token' } });
    try {
      const auth = await request(down.app).post('/api/oauth/authorize').set(down.auth);
      const res = await request(down.app).post('/api/oauth/callback').set(down.auth).send({ code: 'some-code', state: auth.body.state });
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain('could not be reached');
      expect(res.body.error.message).not.toContain('some-code');
    } finally {
      await down.close();
    }
  });

  it('refreshes automatically when the expiry is near, and on demand in current()', async () => {
    await connect(t, fake);
    let offset = 0;
    const clock = () => Date.now() + offset;
    const service = new ClaudeTokenService({
      db: t.db, masterKey: t.config.masterKey, oauth: t.config.oauth, logger: pino({ level: 'silent' }),
      now: clock, refreshIntervalMs: 20,
    });
    try {
      const issued = fake.issued.access.length;
      service.start();
      await new Promise((r) => setTimeout(r, 100));
      expect(fake.issued.access.length).toBe(issued); // an hour left: nothing to do
      offset = 57 * 60_000; // three minutes before expiry
      const deadline = Date.now() + 5000;
      while (fake.issued.access.length === issued && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(fake.issued.access.length).toBeGreaterThan(issued);
      await service.stop();
      expect(fake.requests.at(-1)!.grant_type).toBe('refresh_token');

      offset += 58 * 60_000; // near expiry again: current() refreshes first
      const count = fake.issued.access.length;
      expect(await service.current()).toBe(fake.issued.access.at(-1));
      expect(fake.issued.access.length).toBe(count + 1);
    } finally {
      await service.stop();
    }
  });

  it('an automatic refresh failure is logged without secrets and retried on the next tick', async () => {
    await connect(t, fake);
    const logs: string[] = [];
    const service = new ClaudeTokenService({
      db: t.db, masterKey: t.config.masterKey, oauth: t.config.oauth, logger: pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) }),
      now: () => Date.now() + 58 * 60_000,
    });
    const issued = fake.issued.access.length;
    fake.failNext(503, { error: 'temporarily_unavailable', error_description: `cannot refresh ${fake.issued.refresh.at(-1)}` });
    await service.tick();
    expect(fake.issued.access.length).toBe(issued);
    expect((await service.status()).lastError).toContain('temporarily_unavailable');
    expect(logs.join('')).toContain('automatic Claude token refresh failed');
    await service.tick();
    expect(fake.issued.access.length).toBe(issued + 1);
    expect((await service.status()).lastError).toBeNull();
    await service.current();
    expect(logs.join('')).toContain('refreshed automatically');
    expectNoSecrets(logs, fake);
  });

  it('disconnect removes the stored token', async () => {
    await connect(t, fake);
    const res = await request(t.app).delete('/api/oauth/disconnect').set(t.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ disconnected: true, connected: false, source: null });
    expect(await t.db('oauth_tokens').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await t.ctx.claudeToken.current()).toBeUndefined();
    const refresh = await request(t.app).post('/api/oauth/refresh').set(t.auth);
    expect(refresh.status).toBe(409);
  });

  it('POST /api/token stores an injected token that current() returns', async () => {
    const token = 'sk-ant-api03-injected-0123456789';
    const res = await request(t.app).post('/api/token').set(t.auth).send({ token, expiresAt: '2099-01-01T00:00:00Z' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ connected: true, source: 'manual', tokenKind: 'api_key', hasRefreshToken: false, expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(JSON.stringify(res.body)).not.toContain('injected');
    expect(JSON.stringify(await t.db('oauth_tokens').select('*'))).not.toContain('injected');
    expect(await t.ctx.claudeToken.current()).toBe(token);
    expect((await request(t.app).post('/api/oauth/refresh').set(t.auth)).status).toBe(409);
  });

  it('POST /api/token names the bad field', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'token'],
      [{ token: 'short' }, 'token'],
      [{ token: 12345678901 }, 'token'],
      [{ token: 'has white space inside' }, 'token'],
      [{ token: 'sk-ant-oat01-…' }, 'token'], // the README's placeholder
      [{ token: 'sk-ant-oat01-abcdefgh' }, 'token'], // too short
      [{ token: 'sk-ant-xyz01-abcdefghijklmnopqrstuvwxyz' }, 'token'],
      [{ token: 'sk-ant-api03-abcdefghij klmnopqrstuvwxyz' }, 'token'],
      [{ token: 'sk-ant-oat01-abcdefghijklmnopqrstuvwxyz', expiresAt: 'tomorrow' }, 'expiresAt'],
    ];
    for (const [body, field] of cases) {
      const res = await request(t.app).post('/api/token').set(t.auth).send(body as object);
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].field).toBe(field);
      if (field === 'token' && typeof (body as { token?: unknown }).token === 'string') {
        expect(res.body.error.message).toMatch(/token: must be a Claude token: sk-ant-oat… .* or sk-ant-api…/);
      }
    }
    for (const token of ['sk-ant-oat01-abcdefghijklmnopqrstuvwxyz', 'sk-ant-api03-AbC_dEf-0123456789xyzXYZ']) {
      expect((await request(t.app).post('/api/token').set(t.auth).send({ token })).status).toBe(200);
    }
    await request(t.app).delete('/api/oauth/disconnect').set(t.auth);
    const notObject = await request(t.app).post('/api/token').set(t.auth).send([1]);
    expect(notObject.status).toBe(400);
  });
});

describe('Claude connection with CLAUDE_TOKEN in the environment', () => {
  const ENV_TOKEN = 'sk-ant-oat01-from-environment-abcdef';
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ extraEnv: { CLAUDE_TOKEN: ENV_TOKEN } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('falls back to CLAUDE_TOKEN when nothing is stored, and never shows it', async () => {
    const status = await request(t.app).get('/api/oauth/status').set(t.auth);
    expect(status.body).toMatchObject({ connected: true, source: 'env', tokenKind: 'oauth', hasRefreshToken: false, envTokenSet: true, inUse: 'env', note: null });
    expect(JSON.stringify(status.body)).not.toContain('from-environment');
    expect(await t.ctx.claudeToken.current()).toBe(ENV_TOKEN);

    await request(t.app).post('/api/token').set(t.auth).send({ token: 'sk-ant-api03-stored-token-1234567' });
    expect(await t.ctx.claudeToken.current()).toBe('sk-ant-api03-stored-token-1234567');
    // Both exist: /api/status says which one runs, and how to use the other.
    const both = await request(t.app).get('/api/status').set(t.auth);
    expect(both.body.claude).toMatchObject({ source: 'manual', envTokenSet: true, inUse: 'stored' });
    expect(both.body.claude.note).toBe(
      'the token stored with POST /api/token is used; CLAUDE_TOKEN from the environment is ignored while a token is stored ' +
        '(DELETE /api/oauth/disconnect to use CLAUDE_TOKEN)',
    );
    expect(JSON.stringify(both.body)).not.toContain('stored-token-1234567');

    const gone = await request(t.app).delete('/api/oauth/disconnect').set(t.auth);
    expect(gone.body).toMatchObject({ disconnected: true, connected: true, source: 'env' });
    expect(await t.ctx.claudeToken.current()).toBe(ENV_TOKEN);
  });

  it('prefers CLAUDE_TOKEN over a stored token that has expired and cannot be refreshed', async () => {
    await request(t.app).post('/api/token').set(t.auth).send({ token: 'sk-ant-api03-expired-token-123', expiresAt: '2020-01-01T00:00:00Z' });
    const status = await request(t.app).get('/api/oauth/status').set(t.auth);
    expect(status.body).toMatchObject({ source: 'manual', expired: true, inUse: 'env', note: 'the token stored with POST /api/token has expired, so CLAUDE_TOKEN from the environment is used' });
    expect(await t.ctx.claudeToken.current()).toBe(ENV_TOKEN);
  });
});
