import { bothTokensNote, claudeTokenLine, connectionStatus, CLAUDE_TOKEN_SHAPE } from '../../server/domain/claude-token';

describe('which Claude token is used, said at start and in /api/status', () => {
  const stored = { source: 'manual' as const, kind: 'api_key' as const, hasRefreshToken: false, expiresAt: null, scope: null, createdAt: 'x', refreshedAt: null };
  const now = Date.parse('2026-06-01T00:00:00Z');

  it('says the stored token wins over CLAUDE_TOKEN, and how to use CLAUDE_TOKEN instead', () => {
    const s = connectionStatus(stored, 'oauth', now, null);
    expect(s).toMatchObject({ inUse: 'stored', envTokenSet: true, note: bothTokensNote('manual', 'stored') });
    expect(claudeTokenLine(s)).toBe(
      'Claude token: the token stored with POST /api/token is used; CLAUDE_TOKEN from the environment is ignored while a token ' +
        'is stored (DELETE /api/oauth/disconnect to use CLAUDE_TOKEN)',
    );
  });

  it('says CLAUDE_TOKEN is used once the stored token has expired', () => {
    const s = connectionStatus({ ...stored, source: 'oauth', expiresAt: '2026-01-01T00:00:00Z' }, 'api_key', now, null);
    expect(s).toMatchObject({ inUse: 'env', note: 'the stored OAuth token has expired, so CLAUDE_TOKEN from the environment is used' });
  });

  it('has nothing to note with one token or none', () => {
    expect(claudeTokenLine(connectionStatus(stored, null, now, null))).toBe('Claude token: the token stored with POST /api/token');
    expect(claudeTokenLine(connectionStatus(undefined, 'oauth', now, null))).toBe('Claude token: CLAUDE_TOKEN from the environment');
    expect(connectionStatus(undefined, null, now, null)).toMatchObject({ inUse: null, envTokenSet: false, note: null });
  });

  it('POST /api/token shape: sk-ant-oat… or sk-ant-api… and at least 20 of [A-Za-z0-9_-]', () => {
    for (const ok of ['sk-ant-oat01-' + 'a'.repeat(17), 'sk-ant-api03-AbC_dEf-0123456789xyz']) expect(CLAUDE_TOKEN_SHAPE.test(ok)).toBe(true);
    for (const bad of ['sk-ant-oat01-…', 'sk-ant-oat01-' + 'a'.repeat(16), 'sk-ant-xyz01-' + 'a'.repeat(30), `sk-ant-api03-${'a'.repeat(20)} `, 'Bearer sk-ant-api03-' + 'a'.repeat(30)]) {
      expect(CLAUDE_TOKEN_SHAPE.test(bad)).toBe(false);
    }
  });
});
