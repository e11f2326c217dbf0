import { loadConfig } from '../../server/config';
import { ConfigError } from '../../shared/errors';
import { TEST_KEYS } from '../helpers/env';

describe('POLL_ALLOW_PRIVATE_HOSTS', () => {
  it('defaults to no allowance and parses a comma-separated host[:port] list once', () => {
    expect(loadConfig({ ...TEST_KEYS }).pollAllowPrivateHosts).toEqual([]);
    const config = loadConfig({ ...TEST_KEYS, POLL_ALLOW_PRIVATE_HOSTS: '127.0.0.1:8080, feeds.internal' });
    expect(config.pollAllowPrivateHosts).toEqual([
      { host: '127.0.0.1', port: 8080 },
      { host: 'feeds.internal', port: null },
    ]);
    expect(Object.isFrozen(config.pollAllowPrivateHosts)).toBe(true);
  });

  it('refuses a bad entry, naming the variable', () => {
    const load = () => loadConfig({ ...TEST_KEYS, POLL_ALLOW_PRIVATE_HOSTS: '127.0.0.1:99999' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/POLL_ALLOW_PRIVATE_HOSTS: "127\.0\.0\.1:99999" has an invalid port/);
  });
});
