import fs from 'node:fs';
import path from 'node:path';
import { parseMasterKey } from '../../shared/crypto';
import { ConfigError } from '../../shared/errors';
import { bootstrapSecrets, dataDirFor, readSecretsFile } from '../../server/secrets-file';
import { tempDir } from '../helpers/env';

describe('bootstrapSecrets', () => {
  let dir: string;
  let printed: string[];
  const log = (text: string) => printed.push(text);

  beforeEach(() => {
    dir = path.join(tempDir('pc-secrets'), 'data');
    printed = [];
  });
  afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('generates every missing secret once into <dataDir>/secrets.env with mode 0600', () => {
    const input = { PATH: '/usr/bin' };
    const { env, generated } = bootstrapSecrets({ env: input, dataDir: dir, log });

    expect(generated.sort()).toEqual(['MASTER_KEY', 'TEAM_API_KEY', 'WORKER_TOKEN']);
    expect(parseMasterKey(env.MASTER_KEY as string)).toHaveLength(32);
    expect(env.TEAM_API_KEY).toMatch(/^dac_[0-9a-f]{48}$/);
    expect(env.WORKER_TOKEN).toMatch(/^[0-9a-f]{64}$/);
    expect(env.PATH).toBe('/usr/bin');
    expect(input).toEqual({ PATH: '/usr/bin' }); // the caller's env is not modified

    const file = path.join(dir, 'secrets.env');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readSecretsFile(file)).toMatchObject({
      MASTER_KEY: env.MASTER_KEY,
      TEAM_API_KEY: env.TEAM_API_KEY,
      WORKER_TOKEN: env.WORKER_TOKEN,
    });
  });

  it('prints the API key once, with where it is stored, and never the other secrets', () => {
    const { env } = bootstrapSecrets({ env: {}, dataDir: dir, log });
    const out = printed.join('');
    expect(out).toContain(env.TEAM_API_KEY);
    expect(out).toContain(path.join(dir, 'secrets.env'));
    expect(out).not.toContain(env.MASTER_KEY);
    expect(out).not.toContain(env.WORKER_TOKEN);

    printed = [];
    const again = bootstrapSecrets({ env: {}, dataDir: dir, log });
    expect(printed).toEqual([]);
    expect(again.generated).toEqual([]);
  });

  it('is idempotent: a second call reads the same values and does not grow the file', () => {
    const first = bootstrapSecrets({ env: {}, dataDir: dir, log });
    const size = fs.statSync(path.join(dir, 'secrets.env')).size;
    const second = bootstrapSecrets({ env: {}, dataDir: dir, log });
    for (const name of ['MASTER_KEY', 'TEAM_API_KEY', 'WORKER_TOKEN']) expect(second.env[name]).toBe(first.env[name]);
    expect(fs.statSync(path.join(dir, 'secrets.env')).size).toBe(size);
  });

  it('lets the environment win and only generates what is missing', () => {
    const { env, generated } = bootstrapSecrets({ env: { TEAM_API_KEY: 'dac_from_env_0123456789', MASTER_KEY: '' }, dataDir: dir, log });
    expect(env.TEAM_API_KEY).toBe('dac_from_env_0123456789');
    expect(generated.sort()).toEqual(['MASTER_KEY', 'WORKER_TOKEN']); // '' counts as unset
    expect(printed).toEqual([]); // no key was generated, so nothing is printed
    const stored = readSecretsFile(path.join(dir, 'secrets.env'));
    expect(stored.TEAM_API_KEY).toBeUndefined();

    // Later the key is missing from env: it is generated and appended, the others are reused.
    const later = bootstrapSecrets({ env: {}, dataDir: dir, log });
    expect(later.generated).toEqual(['TEAM_API_KEY']);
    expect(later.env.MASTER_KEY).toBe(env.MASTER_KEY);
    expect(fs.statSync(path.join(dir, 'secrets.env')).mode & 0o777).toBe(0o600);
  });

  it('does nothing when every secret is set', () => {
    const all = { MASTER_KEY: 'a'.repeat(64), TEAM_API_KEY: 'dac_x'.repeat(5), WORKER_TOKEN: 'w'.repeat(20) };
    const { env, generated } = bootstrapSecrets({ env: all, dataDir: dir, log });
    expect(env).toEqual(all);
    expect(generated).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('in production throws one ConfigError naming every missing variable, and writes nothing', () => {
    const call = () => bootstrapSecrets({ env: { NODE_ENV: 'production', WORKER_TOKEN: 'w'.repeat(20) }, dataDir: dir, log });
    expect(call).toThrow(ConfigError);
    expect(call).toThrow(/MASTER_KEY, TEAM_API_KEY/);
    expect(call).not.toThrow(/WORKER_TOKEN/);
    expect(fs.existsSync(dir)).toBe(false);
    expect(printed).toEqual([]);
  });

  it('in production ignores an existing secrets.env', () => {
    bootstrapSecrets({ env: {}, dataDir: dir, log });
    expect(() => bootstrapSecrets({ env: { NODE_ENV: 'production' }, dataDir: dir, log })).toThrow(/MASTER_KEY, TEAM_API_KEY \(/);
  });

  it('in production lets WORKER_TOKEN stay unset (only enrolled worker tokens connect then)', () => {
    const env = { NODE_ENV: 'production', MASTER_KEY: 'a'.repeat(64), TEAM_API_KEY: 'k'.repeat(20) };
    expect(bootstrapSecrets({ env, dataDir: dir, log })).toEqual({ env, generated: [] });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('defaults the data dir to the folder of DAC_DB_PATH', () => {
    expect(dataDirFor({})).toBe(path.resolve('data'));
    const db = path.join(dir, 'nested', 'x.db');
    const { env } = bootstrapSecrets({ env: { DAC_DB_PATH: db }, log });
    expect(readSecretsFile(path.join(dir, 'nested', 'secrets.env')).MASTER_KEY).toBe(env.MASTER_KEY);
  });
});
