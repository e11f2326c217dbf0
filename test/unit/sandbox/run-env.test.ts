import { placeholderFor, sandboxEnv, withProxyUrl } from '../../../worker/proxy/run-env';
import { ProtocolCap } from '../../../worker/protocol-cap';

describe('sandboxEnv', () => {
  const env = {
    PATH: '/usr/bin', HOME: '/tmp/r/home', CONNECTOR_X_TOKEN: 'cred',
    ANTHROPIC_API_KEY: 'sk-ant-api03-real-key', ANTHROPIC_BASE_URL: 'https://api.anthropic.com',
    HTTPS_PROXY: 'http://corp:3128', NO_PROXY: '127.0.0.1', no_proxy: 'localhost',
  };

  it('takes the token out, puts a same-shaped placeholder in, and points every proxy variable at the run proxy', () => {
    const { env: out, credential } = sandboxEnv(env, 'http://127.0.0.1:3128');
    expect(credential).toMatchObject({ token: 'sk-ant-api03-real-key', kind: 'api_key' });
    expect(out.ANTHROPIC_API_KEY).toBe(credential.placeholder);
    expect(credential.placeholder).toMatch(/^sk-ant-api03-personas-run-[A-Za-z0-9_-]{43}$/);
    expect(Object.values(out)).not.toContain('sk-ant-api03-real-key');
    for (const name of ['ANTHROPIC_BASE_URL', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY']) {
      expect(out[name]).toBe('http://127.0.0.1:3128');
    }
    expect(out.NO_PROXY).toBeUndefined();
    expect(out.no_proxy).toBeUndefined();
    expect(out.CONNECTOR_X_TOKEN).toBe('cred'); // credentials are the run's to use
  });

  it('keeps the token kind: OAuth tokens become an oauth-shaped placeholder in the same variable', () => {
    const { env: out, credential } = sandboxEnv({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-real' }, 'http://127.0.0.1:3128');
    expect(credential.kind).toBe('oauth');
    expect(out.CLAUDE_CODE_OAUTH_TOKEN).toMatch(/^sk-ant-oat01-personas-run-/);
    expect(out.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it('placeholders differ per run', () => {
    expect(placeholderFor('api_key')).not.toBe(placeholderFor('api_key'));
  });

  it('withProxyUrl moves every proxy variable to another port', () => {
    const { env: out } = sandboxEnv(env, 'http://127.0.0.1:3128');
    const moved = withProxyUrl(out, 'http://127.0.0.1:40000');
    expect(moved.ANTHROPIC_BASE_URL).toBe('http://127.0.0.1:40000');
    expect(moved.https_proxy).toBe('http://127.0.0.1:40000');
  });
});

describe('ProtocolCap', () => {
  const emit = { kind: 'emit_event', payload: { type: 'x' } };
  const memory = { kind: 'agent_memory', payload: { title: 't' } };

  it('passes up to max work-starting messages per run, counts the rest, and never caps other kinds', () => {
    const cap = new ProtocolCap(2);
    expect(cap.admit([emit, memory, emit])).toEqual([emit, memory, emit]);
    expect(cap.admit([emit, { kind: 'persona_action', payload: {} }, memory])).toEqual([memory]);
    expect(cap.dropped).toBe(2);
    expect(cap.notice()).toBe('[personas] 2 emit_event/persona_action messages over this run\'s limit of 2 (RUN_MAX_EVENTS) were dropped');
  });
});
