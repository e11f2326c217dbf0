import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { migrateLatest, openDb, type Db } from '../../server/db/knex';
import type { DatabaseTarget } from '../../server/db/target';
import { createDatabase, databaseUrl, dropDatabase, runPrefix } from '../../scripts/test-databases';

/**
 * The record store the suite runs against: SQLite (temp files) unless TEST_DB=postgres, which
 * `npm test` sets for its second pass. Then every test database is a fresh PostgreSQL database,
 * `pc_test_<run>_<random>`, created on the server of PG_TEST_URL and dropped afterwards.
 */
export const TEST_DB: 'sqlite' | 'postgres' = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = TEST_DB === 'postgres';

/** The server the test databases are made on (an administrative connection: any existing database). */
export const PG_TEST_URL = process.env.PG_TEST_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A migrated database npm test made for this run (scripts/test.js): new test databases are copies
 * of it, which is much faster than migrating each. Unset (jest run by hand): they are migrated.
 */
const TEMPLATE = process.env.PG_TEST_TEMPLATE || undefined;

/** The databases this process created: the only ones it ever drops. */
const created = new Set<string>();

/** `pc_test_<run>_`: npm test's TEST_RUN_ID, else this process. */
const prefix = runPrefix(process.env.TEST_RUN_ID || `p${process.pid}`);

/** PG_TEST_URL pointing at another database of the same server. */
export function postgresUrlFor(database: string): string {
  return databaseUrl(PG_TEST_URL, database);
}

/**
 * Creates a PostgreSQL database of our own, `pc_test_<run>_<hex>` — whatever TEST_DB says (for a
 * test that needs PostgreSQL itself). Migrated already when npm test made a template, unless `empty`.
 */
export async function createPostgresDatabase(opts: { empty?: boolean } = {}): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}${randomBytes(5).toString('hex')}`;
  await createDatabase(PG_TEST_URL, name, opts.empty ? undefined : TEMPLATE);
  created.add(name);
  return { name, url: postgresUrlFor(name), drop: () => dropPostgresDatabase(name) };
}

/** Drops a database this process created (its connections are ended first); a second call does nothing. */
export async function dropPostgresDatabase(name: string): Promise<void> {
  if (!created.has(name)) return;
  created.delete(name);
  await dropDatabase(PG_TEST_URL, name);
}

export interface TestDatabase {
  /** What an orchestrator or a script is given: DAC_DB_PATH always (it also names the data folder), DATABASE_URL on PostgreSQL. */
  env: { DAC_DB_PATH: string; DATABASE_URL?: string };
  target: DatabaseTarget;
  /** The SQLite file or the PostgreSQL database's name. */
  name: string;
  /** Removes a PostgreSQL database (a SQLite file goes with its temp folder); a second call does nothing. */
  drop(): Promise<void>;
}

/**
 * A record store for one test app or orchestrator: on SQLite `<dir>/<file>` (the caller's temp
 * folder, removed with it; nothing is created yet), on PostgreSQL a new database (a copy of the
 * run's migrated template when there is one; `empty` for one without even Knex's tables). `client`
 * forces one store whatever the suite runs on (a test of SQLite's own behaviour). The orchestrator
 * migrates at start; `openTestDb` answers a migrated handle.
 */
export async function createTestDatabase(
  dir: string,
  opts: { file?: string; empty?: boolean; client?: 'sqlite' | 'postgres' } = {},
): Promise<TestDatabase> {
  const dbPath = path.join(dir, opts.file ?? 'personas.db');
  if ((opts.client ?? TEST_DB) === 'sqlite') {
    return { env: { DAC_DB_PATH: dbPath }, target: { client: 'sqlite', file: dbPath }, name: dbPath, drop: async () => undefined };
  }
  const pg = await createPostgresDatabase({ empty: opts.empty });
  return {
    env: { DAC_DB_PATH: dbPath, DATABASE_URL: pg.url },
    target: { client: 'postgres', url: pg.url, poolMax: 10 },
    name: pg.name,
    drop: pg.drop,
  };
}

/** A test database, created and migrated, with an open handle; `close()` destroys the handle and drops the database. */
export async function openTestDb(dir: string, opts: { file?: string } = {}): Promise<{ db: Db; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase(dir, opts);
  const db = openDb(database.target);
  await migrateLatest(db);
  return {
    db,
    database,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
