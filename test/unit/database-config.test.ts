import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { databaseFromEnv, loadConfig, ORCHESTRATOR_ENV_NAMES } from '../../server/config';
import { describeDatabase, redactDatabaseUrl } from '../../server/db/target';
import { loadEnv } from '../../shared/env-sources';
import { ConfigError } from '../../shared/errors';
import { TEST_KEYS } from '../helpers/env';

const SECRET = 's3cr3t-pa55';

describe('DATABASE_URL', () => {
  it('unset: SQLite at DAC_DB_PATH (./data/personas.db by default)', () => {
    expect(databaseFromEnv({})).toEqual({ client: 'sqlite', file: path.resolve('./data/personas.db') });
    expect(databaseFromEnv({ DAC_DB_PATH: '/srv/pc/records.db', DATABASE_URL: '' })).toEqual({ client: 'sqlite', file: '/srv/pc/records.db' });
  });

  it('set: PostgreSQL, with DATABASE_POOL_MAX (default 10), in the orchestrator config', () => {
    const url = `postgres://personas:${SECRET}@db.internal:5432/personas?sslmode=require`;
    expect(databaseFromEnv({ DATABASE_URL: url })).toEqual({ client: 'postgres', url, poolMax: 10, synchronousCommit: 'off' });
    expect(databaseFromEnv({ DATABASE_URL: 'postgresql://db/x', DATABASE_POOL_MAX: '40', DATABASE_SYNCHRONOUS_COMMIT: 'on' }))
      .toEqual({ client: 'postgres', url: 'postgresql://db/x', poolMax: 40, synchronousCommit: 'on' });
    expect(loadConfig({ ...TEST_KEYS, DATABASE_URL: url }).database).toEqual({ client: 'postgres', url, poolMax: 10, synchronousCommit: 'off' });
    expect(ORCHESTRATOR_ENV_NAMES).toEqual(expect.arrayContaining(['DATABASE_URL', 'DATABASE_POOL_MAX', 'DATABASE_SYNCHRONOUS_COMMIT']));
  });

  it.each([
    ['not a URL', `//personas:${SECRET}@db/x`, /DATABASE_URL: must be a URL/],
    ['another scheme', `mysql://u:${SECRET}@db/x`, /DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//],
    ['no database', `postgres://u:${SECRET}@db:5432/`, /DATABASE_URL: names no database/],
    ['no host', `postgres://:5432/x`, /DATABASE_URL: /],
  ])('refuses %s, naming the variable and never the password', (_what, url, message) => {
    for (const parse of [() => databaseFromEnv({ DATABASE_URL: url }), () => loadConfig({ ...TEST_KEYS, DATABASE_URL: url })]) {
      const err = (() => {
        try {
          parse();
        } catch (e) {
          return e as Error;
        }
        throw new Error('accepted');
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(SECRET);
    }
  });

  it('refuses a pool of fewer than 2 connections and an unknown commit level', () => {
    expect(() => databaseFromEnv({ DATABASE_URL: 'postgres://db/x', DATABASE_POOL_MAX: '1' })).toThrow(/DATABASE_POOL_MAX: must be at least 2/);
    expect(() => databaseFromEnv({ DATABASE_URL: 'postgres://db/x', DATABASE_SYNCHRONOUS_COMMIT: 'sometimes' })).toThrow(/DATABASE_SYNCHRONOUS_COMMIT/);
  });

  it('may come from DATABASE_URL_FILE (a Docker or systemd secret)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-dburl-'));
    try {
      const file = path.join(dir, 'database_url');
      fs.writeFileSync(file, `postgres://u:${SECRET}@db/x\n`);
      const { env, fromFiles } = loadEnv(ORCHESTRATOR_ENV_NAMES, { env: { DATABASE_URL_FILE: file }, dotenvFile: path.join(dir, '.env') });
      expect(fromFiles).toEqual(['DATABASE_URL']);
      expect(databaseFromEnv(env)).toMatchObject({ client: 'postgres', url: `postgres://u:${SECRET}@db/x` });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is named in logs without its password', () => {
    expect(redactDatabaseUrl(`postgres://personas:${SECRET}@db.internal:5432/personas`)).toBe('postgres://personas:***@db.internal:5432/personas');
    expect(redactDatabaseUrl(`postgres://db/x?user=u&password=${SECRET}&sslmode=require`)).toBe('postgres://db/x?user=u&password=***&sslmode=require');
    expect(describeDatabase({ client: 'postgres', url: `postgres://u:${SECRET}@h/d`, poolMax: 10 })).not.toContain(SECRET);
    expect(describeDatabase({ client: 'sqlite', file: '/srv/pc/personas.db' })).toBe('/srv/pc/personas.db');
  });
});
