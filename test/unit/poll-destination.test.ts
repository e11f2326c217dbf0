import { destinationRefusal, normalizeHost, parseHostAllowances } from '../../server/domain/poll-destination';
import { nonPublicRange } from '../../shared/address-range';

describe('nonPublicRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'linkLocal'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['::7f00:1', 'ipv4Compatible'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['240.0.0.1', 'reserved'],
    ['not-an-ip', 'not an IP address'],
  ])('%s is %s', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(nonPublicRange(address)).toBeNull();
  });
});

describe('parseHostAllowances', () => {
  it('parses host[:port] lists, normalizing hosts', () => {
    expect(parseHostAllowances(undefined)).toEqual({ ok: true, allowances: [] });
    expect(parseHostAllowances('  ')).toEqual({ ok: true, allowances: [] });
    expect(parseHostAllowances('127.0.0.1:8080, Intranet.Example.com., [::1]:9000, ::ffff:10.0.0.1, [fd00::2], localhost')).toEqual({
      ok: true,
      allowances: [
        { host: '127.0.0.1', port: 8080 },
        { host: 'intranet.example.com', port: null },
        { host: '::1', port: 9000 },
        { host: '10.0.0.1', port: null },
        { host: 'fd00::2', port: null },
        { host: 'localhost', port: null },
      ],
    });
  });

  it.each([
    ['127.0.0.1:0', /invalid port/],
    ['127.0.0.1:65536', /invalid port/],
    ['host:http', /invalid port/],
    ['a,,b', /empty entry/],
    ['10.0.0.0/8', /not a host name/],
    ['127.1', /not a host name/],
    ['http://x', /invalid port/],
    ['https//x', /not a host name/],
    ['[nope]:80', /IPv6 address in brackets/],
    ['under_score.example', /not a host name/],
  ])('refuses %s', (value, message) => {
    const r = parseHostAllowances(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('destinationRefusal', () => {
  const allow = (value: string) => {
    const r = parseHostAllowances(value);
    if (!r.ok) throw new Error(r.message);
    return r.allowances;
  };

  it('lets public addresses through without any allowance', () => {
    expect(destinationRefusal([], { host: 'example.com', port: 443, address: '93.184.215.14' })).toBeNull();
  });

  it('refuses non-public addresses, saying what to list', () => {
    expect(destinationRefusal([], { host: '127.0.0.1', port: 6379, address: '127.0.0.1' })).toBe(
      '127.0.0.1 is not a public address (loopback); list "127.0.0.1:6379" in POLL_ALLOW_PRIVATE_HOSTS to allow it',
    );
    expect(destinationRefusal([], { host: 'metadata.example', port: 80, address: '169.254.169.254' })).toMatch(/link-local/);
    expect(destinationRefusal([], { host: 'x', port: 80, address: '::ffff:127.0.0.1' })).toMatch(/^127\.0\.0\.1 is not a public address/);
    expect(destinationRefusal([], { host: 'x', port: 80, address: '::1' })).toMatch(/"\[::1\]:80"/);
  });

  it('allows a listed host or address, on the listed port only', () => {
    const allowances = allow('127.0.0.1:8080,intranet.example,[::1]');
    expect(destinationRefusal(allowances, { host: '127.0.0.1', port: 8080, address: '127.0.0.1' })).toBeNull();
    expect(destinationRefusal(allowances, { host: 'feed.test', port: 8080, address: '127.0.0.1' })).toBeNull();
    expect(destinationRefusal(allowances, { host: '127.0.0.1', port: 8081, address: '127.0.0.1' })).toMatch(/loopback/);
    expect(destinationRefusal(allowances, { host: 'INTRANET.example.', port: 1234, address: '10.9.8.7' })).toBeNull();
    expect(destinationRefusal(allowances, { host: 'other.example', port: 1234, address: '10.9.8.7' })).toMatch(/private/);
    expect(destinationRefusal(allowances, { host: '[::1]', port: 5, address: '::1' })).toBeNull();
    expect(destinationRefusal(allowances, { host: 'localhost', port: 5, address: '127.0.0.1' })).toMatch(/loopback/);
  });

  it('normalizes hosts the way URLs and DNS answers spell them', () => {
    expect(normalizeHost('[::FFFF:7F00:1]')).toBe('127.0.0.1');
    expect(normalizeHost('Example.COM.')).toBe('example.com');
    expect(normalizeHost('[0:0:0:0:0:0:0:1]')).toBe('::1');
  });
});
