import { hostAllowed, parseHostPattern, type HostPattern } from '../../shared/host-pattern';

describe('parseHostPattern', () => {
  it.each<[string, HostPattern]>([
    ['api.github.com', { kind: 'name', host: 'api.github.com' }],
    ['API.GitHub.com.', { kind: 'name', host: 'api.github.com' }],
    ['gitlab:8443', { kind: 'name', host: 'gitlab', port: 8443 }],
    ['*.example.com', { kind: 'subdomains', suffix: 'example.com' }],
    ['*.Example.COM:443', { kind: 'subdomains', suffix: 'example.com', port: 443 }],
    ['93.184.216.34', { kind: 'ip', address: '93.184.216.34' }],
    ['93.184.216.34:80', { kind: 'ip', address: '93.184.216.34', port: 80 }],
    ['127.0.0.1:8080', { kind: 'ip', address: '127.0.0.1', port: 8080 }],
    ['10.1.2.3:5432', { kind: 'ip', address: '10.1.2.3', port: 5432 }],
    ['2606:4700:0:0::1111', { kind: 'ip', address: '2606:4700::1111' }],
    ['[2606:4700::1111]', { kind: 'ip', address: '2606:4700::1111' }],
    ['[2606:4700::1111]:443', { kind: 'ip', address: '2606:4700::1111', port: 443 }],
    ['[::1]:8080', { kind: 'ip', address: '::1', port: 8080 }],
    ['[::ffff:127.0.0.1]:9000', { kind: 'ip', address: '127.0.0.1', port: 9000 }],
    ['localhost:3000', { kind: 'name', host: 'localhost', port: 3000 }],
    ['x.localhost:65535', { kind: 'name', host: 'x.localhost', port: 65535 }],
  ])('parses %s', (entry, expected) => {
    expect(parseHostPattern(entry)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['', /must not be empty/],
    ['127.0.0.1', /reachable only when listed with their port/],
    ['192.168.1.10', /only when listed with their port.*"192\.168\.1\.10:8080"/],
    ['169.254.169.254', /only when listed with their port/],
    ['100.64.0.1', /only when listed with their port/],
    ['0.0.0.0', /only when listed with their port/],
    ['::1', /only when listed with their port.*"\[::1\]:8080"/],
    ['[fd00::5]', /only when listed with their port/],
    ['fe80::1', /only when listed with their port/],
    ['::ffff:10.0.0.1', /only when listed with their port/],
    ['localhost', /only when listed with their port/],
    ['app.localhost', /only when listed with their port/],
    ['*.localhost:80', /at least two labels/],
    ['https://api.github.com', /no scheme, path/],
    ['api.github.com/path', /no scheme, path/],
    ['user@host.com', /no scheme/],
    ['api github.com', /no scheme/],
    ['a.com\nb.com', /no scheme/],
    ['fe80::1%eth0', /zone id/],
    ['api.github.com:0', /port must be a number from 1 to 65535/],
    ['api.github.com:65536', /port must be/],
    ['api.github.com:', /port must be/],
    ['api.github.com:http', /port must be/],
    ['api.github.com:+80', /port must be/],
    ['::1:8080:', /not a valid address/],
    ['2606:4700::1:443x', /not a valid address/],
    ['[api.github.com]:443', /brackets must hold an IPv6 address/],
    ['[127.0.0.1]:80', /brackets must hold an IPv6 address/],
    ['[::1', /brackets must hold/],
    ['*', /only allowed as a leading/],
    ['*.com', /at least two labels/],
    ['a.*.example.com', /only allowed as a leading/],
    ['*example.com', /only allowed as a leading/],
    ['**.example.com', /only allowed as a leading/],
    ['exa_mple.com', /not a valid host name/],
    ['-bad.example.com', /not a valid host name/],
    ['a..b', /not a valid host name/],
    [`${'a'.repeat(64)}.com`, /not a valid host name/],
    ['127.1', /standard notation/],
    ['127.0.0.01', /standard notation/],
    ['0x7f000001', /standard notation/],
    ['0x7f.0.0.1:80', /standard notation/],
    ['999.1.1.1', /standard notation/],
    ['example.123', /standard notation/],
    [`${'a.'.repeat(150)}com`, /at most 300 characters/],
  ])('refuses %j', (entry, message) => {
    expect(() => parseHostPattern(entry)).toThrow(message);
  });

  it('quotes the entry in its error', () => {
    expect(() => parseHostPattern('127.0.0.1')).toThrow('"127.0.0.1": loopback and private addresses are reachable only when listed with their port');
  });
});

describe('hostAllowed', () => {
  const patterns = ['api.github.com', '*.example.com', 'gitlab.internal:8443', '93.184.216.34', '127.0.0.1:8080', '[::1]:9000', '[2606:4700::1111]:443', 'localhost:3000']
    .map(parseHostPattern);

  it.each<[string, number, boolean]>([
    ['api.github.com', 443, true],
    ['api.github.com', 22, true], // a name without a port: any port
    ['API.GITHUB.COM.', 443, true],
    ['github.com', 443, false],
    ['evil-api.github.com', 443, false],
    ['api.github.com.evil.net', 443, false],
    ['a.example.com', 443, true],
    ['a.b.c.example.com', 80, true], // any depth
    ['example.com', 443, false], // not the bare domain
    ['badexample.com', 443, false],
    ['gitlab.internal', 8443, true],
    ['gitlab.internal', 443, false],
    ['93.184.216.34', 22, true],
    ['[93.184.216.34]', 22, true], // the same address, however it is written
    ['127.0.0.1', 8080, true],
    ['127.0.0.1', 6379, false],
    ['::ffff:127.0.0.1', 8080, true], // the mapped form is the same address
    ['localhost', 8080, false], // names are not resolved here
    ['localhost', 3000, true],
    ['::1', 9000, true],
    ['[::1]', 9000, true],
    ['[0:0:0:0:0:0:0:1]', 9000, true],
    ['::1', 8080, false],
    ['[2606:4700::1111]', 443, true],
    ['2606:4700::1111', 80, false],
    ['10.0.0.1', 8080, false],
    ['', 80, false],
  ])('%s:%d → %s', (host, port, expected) => {
    expect(hostAllowed(patterns, host, port)).toBe(expected);
  });

  it('never matches a non-public address or localhost from a hand-made pattern without a port', () => {
    expect(hostAllowed([{ kind: 'ip', address: '127.0.0.1' }], '127.0.0.1', 80)).toBe(false);
    expect(hostAllowed([{ kind: 'name', host: 'localhost' }], 'localhost', 80)).toBe(false);
    expect(hostAllowed([{ kind: 'subdomains', suffix: 'localhost' }], 'a.localhost', 80)).toBe(false);
    expect(hostAllowed([{ kind: 'ip', address: '8.8.8.8' }], '8.8.8.8', 53)).toBe(true);
  });

  it('allows nothing with no patterns', () => {
    expect(hostAllowed([], 'api.github.com', 443)).toBe(false);
  });
});
