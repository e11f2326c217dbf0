import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { encrypt, parseMasterKey } from '../../shared/crypto';
import { ConfigError } from '../../shared/errors';
import { insertCredential } from '../../server/db/credentials';
import { migrateLatest, openDb, type Db } from '../../server/db/knex';
import { describeDatabase } from '../../server/db/target';
import { upsertToken } from '../../server/db/oauth';
import { databaseHoldsSecrets } from '../../server/db/sealed-samples';
import { getMeta } from '../../server/db/system-meta';
import { bootstrapSecrets } from '../../server/secrets-file';
import { sealText } from '../../server/services/sealed-text';
import {
  MASTER_KEY_CHECK, MasterKeyMismatchError, masterKeyCheckValue, recordMasterKeyCheck, verifyMasterKey,
} from '../../server/startup/master-key';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { tempDir } from '../helpers/env';

const KEY = parseMasterKey('a'.repeat(64));
const OTHER = parseMasterKey('b'.repeat(64));
const logger = pino({ level: 'silent' });
const now = '2026-01-01T00:00:00.000Z';

describe('the MASTER_KEY check value', () => {
  let dir: string;
  /** The database's name in messages (the SQLite file, or the PostgreSQL URL without password). */
  let file: string;
  let database: TestDatabase;
  let db: Db;

  beforeEach(async () => {
    dir = tempDir('pc-keycheck');
    // Empty: not even Knex's tables, as on a first start.
    database = await createTestDatabase(dir, { empty: true });
    file = describeDatabase(database.target);
    db = openDb(database.target);
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const storeCredential = (key: Buffer) =>
    insertCredential(db, {
      id: 'c1', name: 'gitlab', serviceType: 'gitlab', metadata: null, ...encrypt('{"token":"t"}', key),
      lastUsedAt: null, createdAt: now, updatedAt: now,
    });

  it('is derived from the key, differs between keys, and does not contain it', () => {
    const value = masterKeyCheckValue(KEY);
    expect(value).toMatch(/^v1:[0-9a-f]{64}$/);
    expect(value).toBe(masterKeyCheckValue(parseMasterKey('A'.repeat(64))));
    expect(value).not.toBe(masterKeyCheckValue(OTHER));
    expect(value).not.toContain('a'.repeat(16));
  });

  it('on a new database: verified before the migrations (nothing to read yet), recorded after them, then enforced', async () => {
    expect(await verifyMasterKey(db, KEY, { dbPath: file })).toEqual({ record: true });
    await migrateLatest(db);
    await recordMasterKeyCheck(db, KEY, logger);
    expect(await getMeta(db, MASTER_KEY_CHECK)).toBe(masterKeyCheckValue(KEY));
    expect(await verifyMasterKey(db, KEY, { dbPath: file })).toEqual({ record: false });
    const err = await verifyMasterKey(db, OTHER, { dbPath: file }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(MasterKeyMismatchError);
    expect(err).toBeInstanceOf(ConfigError); // main prints it as one message, no stack
    expect((err as Error).message).toContain(`refusing to start: MASTER_KEY is not the key the database ${file} was written with`);
    expect((err as Error).message).toContain('nothing was changed');
    expect((err as Error).message).toContain('restore data/secrets.env');
    expect((err as Error).message).toContain('npm run rotate-master-key');
  });

  it('on a database from before the check: recorded only once a stored credential decrypts with the key', async () => {
    await migrateLatest(db);
    await storeCredential(KEY);
    await expect(verifyMasterKey(db, OTHER, { dbPath: file })).rejects.toThrow('its stored credentials and Claude token do not decrypt with it');
    expect(await getMeta(db, MASTER_KEY_CHECK)).toBeUndefined();
    expect(await verifyMasterKey(db, KEY, { dbPath: file })).toEqual({ record: true });
  });

  it('a stored Claude token counts too', async () => {
    await migrateLatest(db);
    await upsertToken(db, {
      source: 'manual', accessTokenEnc: sealText('sk-ant-api03-abcdefghijklmnopqrstuvwxyz', KEY), refreshTokenEnc: null,
      tokenType: null, scope: null, expiresAt: null, refreshedAt: null, createdAt: now, updatedAt: now,
    });
    await expect(verifyMasterKey(db, OTHER, { dbPath: file })).rejects.toBeInstanceOf(MasterKeyMismatchError);
    expect(await verifyMasterKey(db, KEY, { dbPath: file })).toEqual({ record: true });
  });

  it('databaseHoldsSecrets: nothing for a missing or empty database, something once a secret or the check is stored', async () => {
    expect(databaseHoldsSecrets(path.join(dir, 'missing.db'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false); // it never creates the file
    await migrateLatest(db);
    expect(databaseHoldsSecrets(database.target)).toBe(false);
    await storeCredential(KEY);
    expect(databaseHoldsSecrets(database.target)).toBe(true);
    await db('credentials').delete();
    await recordMasterKeyCheck(db, KEY, logger);
    expect(databaseHoldsSecrets(database.target)).toBe(true);
  });

  it('bootstrapSecrets never generates secrets over such a database, and leaves the secrets file as it was', async () => {
    await migrateLatest(db);
    await recordMasterKeyCheck(db, KEY, logger);
    const secrets = path.join(dir, 'secrets.env');
    fs.writeFileSync(secrets, 'TEAM_API_KEY=dac_kept_0123456789abcdef\n', { mode: 0o600 });
    const attempt = () => bootstrapSecrets({ env: { ...database.env }, dataDir: dir, log: () => undefined });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      `refusing to generate MASTER_KEY, WORKER_TOKEN: the database ${file} already holds encrypted secrets, which new secrets would not open`,
    );
    expect(attempt).toThrow(`Restore ${secrets} from your backup`);
    expect(fs.readFileSync(secrets, 'utf8')).toBe('TEAM_API_KEY=dac_kept_0123456789abcdef\n');
    // With every secret given, nothing is generated and nothing is refused.
    const env = { ...database.env, MASTER_KEY: 'a'.repeat(64), WORKER_TOKEN: 'worker_token_0123456789abcdef' };
    expect(bootstrapSecrets({ env, dataDir: dir }).generated).toEqual([]);
  });
});
