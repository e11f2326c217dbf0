/**
 * What each pooled PostgreSQL session does beyond the driver (server/db/postgres.ts prepareSession):
 * statements are prepared once per session and reused, and a prepared statement whose table gained
 * a column since (another orchestrator migrated during a rolling upgrade) is prepared again instead
 * of failing. PostgreSQL only: runs in the suite's PostgreSQL pass.
 */
import fs from 'node:fs';
import { openDb, type Db } from '../../server/db/knex';
import { openTestDb, onPostgres, type TestDatabase } from '../helpers/database';
import { tempDir } from '../helpers/env';

(onPostgres ? describe : describe.skip)('PostgreSQL sessions', () => {
  let dir: string;
  let db: Db;
  let database: TestDatabase;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = tempDir('pc-pg-sessions');
    ({ db, database, close } = await openTestDb(dir));
  });
  afterAll(async () => {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const prepared = (trx: Db) => trx.raw('select name, statement from pg_prepared_statements order by name');

  it('prepares each statement once per session, and not DDL', async () => {
    const statements = await db.transaction(async (trx) => {
      for (let i = 0; i < 3; i++) await trx('system_meta').where({ key: `k${i}` }).first();
      await trx.raw('create temporary table scratch (x int)');
      return (await prepared(trx)).rows as Array<{ name: string; statement: string }>;
    });
    const meta = statements.filter((s) => s.statement.includes('"system_meta"'));
    expect(meta).toHaveLength(1);
    expect(statements.some((s) => /create temporary table/i.test(s.statement))).toBe(false);
  });

  it('prepares again, and answers, when a table gained a column under a prepared select *', async () => {
    const other = openDb(database.target);
    try {
      await db('system_meta').insert({ key: 'stale', value: 'v', updated_at: 'now' });
      const one = (trx: Db) => trx('system_meta').select('*').where({ key: 'stale' });
      const before = await one(db);
      expect(Object.keys(before[0])).not.toContain('added_later');
      // Every pooled session has it prepared now or soon; change the table from another handle.
      await Promise.all(Array.from({ length: 4 }, () => one(db)));
      await other.raw('alter table system_meta add column added_later text');
      const after = await Promise.all(Array.from({ length: 4 }, () => one(db)));
      for (const rows of after) expect(rows[0]).toMatchObject({ key: 'stale', added_later: null });
    } finally {
      await other.raw('alter table system_meta drop column if exists added_later');
      await other.destroy();
    }
  });
});
