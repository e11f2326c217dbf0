import { createEgressCheck } from '../../../worker/proxy/egress-check';

const dnsTable: Record<string, string[]> = {
  'api.github.com': ['140.82.112.5'],
  'rebind.example.com': ['127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
  'gitlab.internal': ['10.0.0.7'],
};
const lookup = async (host: string) => {
  const found = dnsTable[host];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};

describe('createEgressCheck', () => {
  const check = createEgressCheck({
    patterns: ['api.github.com', '*.example.com', '127.0.0.1:8080', 'gitlab.internal:443', 'not a pattern'],
    claudeApi: { host: 'api.anthropic.com', port: 443 },
    lookup,
  });

  it('allows listed names on any port and connects to the address it checked', async () => {
    expect(await check('api.github.com', 443, 'https')).toEqual({ ok: true, address: '140.82.112.5' });
    expect(await check('API.GitHub.com.', 80, 'https')).toEqual({ ok: true, address: '140.82.112.5' });
  });

  it('refuses unlisted hosts and ports with a reason the model can read', async () => {
    expect(await check('evil.com', 443, 'https')).toMatchObject({ ok: false, reason: expect.stringContaining('egress to evil.com:443 is not allowed') });
    expect(await check('127.0.0.1', 6379, 'https')).toMatchObject({ ok: false, reason: expect.stringContaining('127.0.0.1:6379') });
    expect(await check('example.com', 443, 'https')).toMatchObject({ ok: false }); // *.example.com covers subdomains only
  });

  it('allows a loopback service only as listed with its port', async () => {
    expect(await check('127.0.0.1', 8080, 'https')).toEqual({ ok: true, address: '127.0.0.1' });
    expect(await check('::ffff:127.0.0.1', 8080, 'https')).toEqual({ ok: true, address: '::ffff:127.0.0.1' });
  });

  it('refuses a wildcard or port-less name that resolves to a non-public address (DNS rebinding, metadata)', async () => {
    expect(await check('rebind.example.com', 80, 'https')).toMatchObject({ ok: false, reason: expect.stringContaining('non-public') });
    expect(await check('metadata.example.com', 80, 'https')).toMatchObject({ ok: false, reason: expect.stringContaining('non-public') });
    expect(await check('gitlab.internal', 443, 'https')).toEqual({ ok: true, address: '10.0.0.7' }); // named with its port
  });

  it('never lets a run reach the Claude API directly, even when listed', async () => {
    const listed = createEgressCheck({ patterns: ['api.anthropic.com', '127.0.0.1:9000'], claudeApi: { host: 'api.anthropic.com', port: 443 }, lookup: async () => ['160.79.104.10'] });
    expect(await listed('api.anthropic.com', 443, 'https')).toMatchObject({ ok: false, reason: expect.stringContaining("worker's proxy") });
    expect(await listed('api.anthropic.com', 80, 'https')).toMatchObject({ ok: true });
    const local = createEgressCheck({ patterns: ['127.0.0.1:9000', '127.0.0.1:9001'], claudeApi: { host: '127.0.0.1', port: 9000 } });
    expect(await local('127.0.0.1', 9000, 'https')).toMatchObject({ ok: false });
    expect(await local('127.0.0.1', 9001, 'https')).toEqual({ ok: true, address: '127.0.0.1' });
  });

  it('reports names that do not resolve', async () => {
    expect(await check('nothing.example.com', 443, 'https')).toMatchObject({ ok: false, reason: expect.stringContaining('ENOTFOUND') });
  });
});
