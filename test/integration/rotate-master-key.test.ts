import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { decrypt, encrypt, parseMasterKey } from '../../shared/crypto';
import { getCredential, insertCredential } from '../../server/db/credentials';
import { migrateLatest, openDb, type Db } from '../../server/db/knex';
import { describeDatabase } from '../../server/db/target';
import { getToken, upsertToken } from '../../server/db/oauth';
import { getMeta } from '../../server/db/system-meta';
import { rotateMasterKey, RotationError } from '../../server/services/master-key-rotation';
import { openSealedText, sealText } from '../../server/services/sealed-text';
import { MASTER_KEY_CHECK, masterKeyCheckValue } from '../../server/startup/master-key';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { tempDir } from '../helpers/env';

const OLD_HEX = 'a'.repeat(64);
const NEW_HEX = 'c'.repeat(64);
const OLD = parseMasterKey(OLD_HEX);
const NEW = parseMasterKey(NEW_HEX);
const now = '2026-01-01T00:00:00.000Z';
const SCRIPT = path.resolve(__dirname, '../../dist/scripts/rotate-master-key.js');

describe('rotating MASTER_KEY', () => {
  let dir: string;
  let database: TestDatabase;
  let db: Db;

  const credential = (id: string, key: Buffer, secret = '{"token":"glpat-secret"}') =>
    insertCredential(db, { id, name: id, serviceType: 'x', metadata: null, ...encrypt(secret, key), lastUsedAt: null, createdAt: now, updatedAt: now });

  beforeEach(async () => {
    dir = tempDir('pc-rotate');
    // The installation folder's data/personas.db, or a PostgreSQL database of its own (TEST_DB=postgres).
    fs.mkdirSync(path.join(dir, 'data'));
    database = await createTestDatabase(path.join(dir, 'data'));
    db = openDb(database.target);
    await migrateLatest(db);
    await credential('c1', OLD);
    await upsertToken(db, {
      source: 'oauth', accessTokenEnc: sealText('sk-ant-oat01-access-0123456789abcdefghij', OLD), refreshTokenEnc: sealText('refresh-1', OLD),
      tokenType: 'Bearer', scope: null, expiresAt: null, refreshedAt: null, createdAt: now, updatedAt: now,
    });
  });
  afterEach(async () => {
    await db.destroy();
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Every row of the tables a rotation touches, read through a connection of its own. */
  const snapshot = async () => {
    const other = openDb(database.target);
    try {
      const rows: Record<string, unknown[]> = {};
      for (const table of ['credentials', 'oauth_tokens', 'oauth_pending', 'system_meta', 'webhook_secrets']) rows[table] = await other(table).select('*').orderBy(1);
      return rows;
    } finally {
      await other.destroy();
    }
  };

  it('re-seals every stored secret and records the new key, in one go', async () => {
    await db('oauth_pending').insert({ state: 's', code_verifier_enc: sealText('v', OLD), created_at: now });
    const counts = await rotateMasterKey(db, OLD, NEW);
    expect(counts).toMatchObject({ credentials: 1, oauth_tokens: 1, oauth_pending: 1 });
    expect(decrypt((await getCredential(db, 'c1'))!, NEW)).toBe('{"token":"glpat-secret"}');
    const token = (await getToken(db))!;
    expect(openSealedText(token.accessTokenEnc, NEW)).toBe('sk-ant-oat01-access-0123456789abcdefghij');
    expect(openSealedText(token.refreshTokenEnc!, NEW)).toBe('refresh-1');
    expect(await getMeta(db, MASTER_KEY_CHECK)).toBe(masterKeyCheckValue(NEW));
  });

  it('changes nothing when one stored secret does not open with the given key', async () => {
    await credential('c2', parseMasterKey('d'.repeat(64)));
    await expect(rotateMasterKey(db, OLD, NEW)).rejects.toBeInstanceOf(RotationError);
    expect(decrypt((await getCredential(db, 'c1'))!, OLD)).toBe('{"token":"glpat-secret"}');
    expect(await getMeta(db, MASTER_KEY_CHECK)).toBeUndefined();
  });

  describe('npm run rotate-master-key (the compiled script, in the installation folder)', () => {
    // In the installation folder: data/personas.db by default; on PostgreSQL, DATABASE_URL names the database.
    const run = (env: NodeJS.ProcessEnv, args: string[] = []) =>
      spawnSync(process.execPath, [SCRIPT, ...args], {
        cwd: dir, env: { PATH: process.env.PATH, ...(database.env.DATABASE_URL ? { DATABASE_URL: database.env.DATABASE_URL } : {}), ...env }, encoding: 'utf8',
      });
    const secrets = () => path.join(dir, 'data', 'secrets.env');

    it('rotates with the key of data/secrets.env and updates that file', async () => {
      await db.destroy();
      fs.writeFileSync(secrets(), `MASTER_KEY=${OLD_HEX}\nTEAM_API_KEY=dac_kept_0123456789\n`, { mode: 0o600 });
      const r = run({ NEW_MASTER_KEY: NEW_HEX });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/re-encrypted with the new key \(credentials: 1, (.+, )?oauth_tokens: 1/);
      expect(fs.readFileSync(secrets(), 'utf8')).toBe(`MASTER_KEY=${NEW_HEX}\nTEAM_API_KEY=dac_kept_0123456789\n`);
      expect(fs.statSync(secrets()).mode & 0o777).toBe(0o600);
      db = openDb(database.target);
      expect(decrypt((await getCredential(db, 'c1'))!, NEW)).toBe('{"token":"glpat-secret"}');
    });

    it('refuses a wrong current key and changes nothing; --lost-key deletes what only the lost key opened', async () => {
      await db('system_meta').insert({ key: MASTER_KEY_CHECK, value: masterKeyCheckValue(OLD), updated_at: now });
      await db.destroy();
      const before = await snapshot();
      const wrong = run({ MASTER_KEY: 'b'.repeat(64), NEW_MASTER_KEY: NEW_HEX });
      expect(wrong.status).toBe(1);
      expect(wrong.stderr).toContain(
        `rotate-master-key: the MASTER_KEY from MASTER_KEY is not the key of ${describeDatabase(database.target)}; nothing was changed`,
      );
      expect(wrong.stderr).toContain('--lost-key');
      expect(await snapshot()).toEqual(before);

      const lost = run({ NEW_MASTER_KEY: NEW_HEX }, ['--lost-key']);
      expect(lost.status).toBe(0);
      expect(lost.stdout).toContain('deleted what the lost key protected (credentials: 1');
      expect(lost.stdout).toContain('Now set MASTER_KEY to the new key');
      db = openDb(database.target);
      expect(await db('credentials').count({ n: '*' })).toEqual([{ n: 0 }]);
      expect(await getMeta(db, MASTER_KEY_CHECK)).toBe(masterKeyCheckValue(NEW));
    });
  });
});
