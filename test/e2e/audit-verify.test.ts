/**
 * `npm run audit:verify` (dist/scripts/audit-verify.js) against a real database (a SQLite file, or
 * PostgreSQL through DATABASE_URL when TEST_DB=postgres): intact → exit 0; one row changed behind
 * the orchestrator's back → exit 1 naming that row; without MASTER_KEY → exit 2 saying so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { AuditLog } from '../../server/audit/audit-log';
import { openDb } from '../../server/db/knex';
import { parseMasterKey } from '../../shared/crypto';
import { openTestDb, type TestDatabase } from '../helpers/database';
import { TEST_KEYS, tempDir } from '../helpers/env';

const SCRIPT = path.resolve(__dirname, '../../dist/scripts/audit-verify.js');

describe('npm run audit:verify', () => {
  let dir: string;
  let database: TestDatabase;
  beforeAll(async () => {
    dir = tempDir('pc-audit');
    const { db, database: d } = await openTestDb(dir);
    database = d;
    const log = new AuditLog({ db, logger: pino({ level: 'silent' }), masterKey: parseMasterKey(TEST_KEYS.MASTER_KEY) });
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        log.append({
          at: new Date().toISOString(), actorKeyId: 'bootstrap', actorName: 'TEAM_API_KEY', actorRole: 'admin',
          action: 'persona.save', targetType: 'persona', targetId: `p${i}`, outcome: 201, remoteAddress: '127.0.0.1',
        }),
      ),
    );
    await db.destroy();
  });
  afterAll(async () => {
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // cwd = the temp dir, so no .env of the checkout is read.
  const verify = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [SCRIPT], { cwd: dir, env: { PATH: process.env.PATH, ...database.env, ...env }, encoding: 'utf8' });

  it('says the chain is intact', () => {
    const r = verify({ MASTER_KEY: TEST_KEYS.MASTER_KEY });
    expect(r.stdout).toContain('audit chain intact: 25 row(s) checked (last row 25)');
    expect(r.status).toBe(0);
  });

  it('names the row that was changed in the database', async () => {
    const file = openDb(database.target);
    try {
      await file('audit_log').where({ seq: 17 }).update({ actor_name: 'someone else' });
    } finally {
      await file.destroy();
    }
    const r = verify({ MASTER_KEY: TEST_KEYS.MASTER_KEY });
    expect(r.stdout).toContain('audit chain BROKEN at row 17: its content does not match its hash: the row was changed (16 row(s) before it are intact)');
    expect(r.status).toBe(1);
  });

  it('cannot check without the MASTER_KEY, and says so', () => {
    const r = verify({});
    expect(r.stderr).toContain('MASTER_KEY is required');
    expect(r.status).toBe(2);
  });
});
