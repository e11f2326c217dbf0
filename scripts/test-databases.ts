import { Client } from 'pg';
import { migrateLatest, openDb } from '../server/db/knex';

/**
 * The PostgreSQL databases of a test run: every one is named `pc_test_<run>_<suffix>`, created on the
 * server of an administrative URL and dropped by whoever created it; `npm test` drops what a crashed
 * test file left of its own run. Nothing here touches a database of another name.
 */

export const TEST_DB_PREFIX = 'pc_test_';

/** `pc_test_<run>_`: lower-case letters, digits and `_` only (a run id from npm test, or a process id). */
export function runPrefix(runId: string): string {
  return `${TEST_DB_PREFIX}${runId.toLowerCase().replace(/[^a-z0-9]/g, '_').slice(0, 30)}_`;
}

/** `base` (any URL of the server) pointing at `database`. */
export function databaseUrl(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

const quoteIdent = (name: string) => {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a test database name: ${name}`);
  return `"${name}"`;
};

async function withAdmin<T>(adminUrl: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE `name` (a copy of `template` when given: no connection may be open to it). */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`));
}

/** DROP DATABASE `name`, ending its connections first (PostgreSQL 13+). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** Drops every database whose name starts with `prefix` (a run's own `pc_test_<run>_`); answers their names. */
export async function dropDatabasesWithPrefix(adminUrl: string, prefix: string): Promise<string[]> {
  if (!prefix.startsWith(TEST_DB_PREFIX) || prefix.length <= TEST_DB_PREFIX.length) throw new Error(`refusing to drop databases by the prefix ${prefix}`);
  const names = await withAdmin(adminUrl, async (c) =>
    (await c.query('select datname from pg_database where starts_with(datname, $1) order by datname', [prefix])).rows.map((r) => r.datname as string),
  );
  for (const name of names) await dropDatabase(adminUrl, name);
  return names;
}

/**
 * Creates `name` and applies every migration to it: the template a test run copies its databases
 * from (a copy takes a tenth of the time migrating does).
 */
export async function createMigratedTemplate(adminUrl: string, name: string): Promise<void> {
  await createDatabase(adminUrl, name);
  const db = openDb({ client: 'postgres', url: databaseUrl(adminUrl, name), poolMax: 2 });
  try {
    await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}
