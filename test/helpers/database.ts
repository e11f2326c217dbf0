import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { migrateLatest, openDb, type Db } from '../../server/db/knex';
import type { DatabaseTarget } from '../../server/db/target';

/**
 * The record store the suite runs against: SQLite (temp files) unless TEST_DB=postgres, which
 * `npm test` sets for its second pass. Then every test database is a fresh PostgreSQL database,
 * `pc_test_<run>_<random>`, created on the server of PG_TEST_URL and dropped afterwards.
 */
export const TEST_DB: 'sqlite' | 'postgres' = process.env.TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
export const onPostgres = TEST_DB === 'postgres';

/** The server the test databases are made on (an administrative connection: any existing database). */
export const PG_TEST_URL = process.env.PG_TEST_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every test database name starts with this; npm test drops what a crashed test left (scripts/test.js). */
export const TEST_DB_PREFIX = 'pc_test_';

export interface TestDatabase {
  /** What an orchestrator or a script is given: DAC_DB_PATH always (it also names the data folder), DATABASE_URL on PostgreSQL. */
  env: { DAC_DB_PATH: string; DATABASE_URL?: string };
  target: DatabaseTarget;
  /** The SQLite file or the PostgreSQL database's name. */
  name: string;
  /** Removes a PostgreSQL database (a SQLite file goes with its temp folder); a second call does nothing. */
  drop(): Promise<void>;
}

/** The databases this process created: the only ones it ever drops. */
const created = new Set<string>();

/** `<run id>` from npm test (TEST_RUN_ID), else this process: lower-case letters, digits and `_` only. */
function runTag(): string {
  const raw = process.env.TEST_RUN_ID || `p${process.pid}`;
  return raw.toLowerCase().replace(/[^a-z0-9]/g, '_').slice(0, 30);
}

/** PG_TEST_URL pointing at another database of the same server. */
export function postgresUrlFor(database: string, base = PG_TEST_URL): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG_TEST_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty PostgreSQL database of our own; answers its name and URL. */
export async function createPostgresDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${TEST_DB_PREFIX}${runTag()}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  created.add(name);
  return { name, url: postgresUrlFor(name), drop: () => dropPostgresDatabase(name) };
}

/** Drops a database this process created (its connections are ended first); any other name is refused. */
export async function dropPostgresDatabase(name: string): Promise<void> {
  if (!created.has(name)) throw new Error(`refusing to drop database ${name}: this process did not create it`);
  created.delete(name);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/**
 * An empty record store for one test app or orchestrator: on SQLite `<dir>/<file>` (the caller's
 * temp folder, removed with it), on PostgreSQL a new database. Not migrated: the orchestrator does
 * that at start; use `openTestDb` for a handle.
 */
export async function createTestDatabase(dir: string, file = 'personas.db'): Promise<TestDatabase> {
  const dbPath = path.join(dir, file);
  if (!onPostgres) {
    return { env: { DAC_DB_PATH: dbPath }, target: { client: 'sqlite', file: dbPath }, name: dbPath, drop: async () => undefined };
  }
  const pg = await createPostgresDatabase();
  return {
    env: { DAC_DB_PATH: dbPath, DATABASE_URL: pg.url },
    target: { client: 'postgres', url: pg.url, poolMax: 10 },
    name: pg.name,
    drop: pg.drop,
  };
}

/** A test database, created and migrated, with an open handle; `close()` destroys the handle and drops the database. */
export async function openTestDb(dir: string, file = 'personas.db'): Promise<{ db: Db; database: TestDatabase; close(): Promise<void> }> {
  const database = await createTestDatabase(dir, file);
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
