/**
 * `npm run migrate`: applies pending Knex migrations to the records — the PostgreSQL database of
 * DATABASE_URL (or DATABASE_URL_FILE) when set, else the SQLite file at DAC_DB_PATH (default
 * ./data/personas.db); the environment, then .env — and says what it applied. Needs no secrets and
 * no Redis; the orchestrator applies the same migrations at start, so this is for deploy pipelines.
 */
import { DATABASE_ENV_NAMES, databaseFromEnv } from '../server/config';
import { migrateLatest, openDb } from '../server/db/knex';
import { describeDatabase } from '../server/db/target';
import { loadEnv } from '../shared/env-sources';
import { ConfigError } from '../shared/errors';

async function main(): Promise<void> {
  const { env } = loadEnv(DATABASE_ENV_NAMES); // the environment, then .env, then *_FILE
  const target = databaseFromEnv(env);
  const file = describeDatabase(target);
  const db = openDb(target);
  try {
    const applied = await migrateLatest(db);
    if (applied.length === 0) {
      process.stdout.write(`${file}: already up to date\n`);
    } else {
      process.stdout.write(`${file}: applied ${applied.length} migration(s)\n`);
      for (const name of applied) process.stdout.write(`  ${name}\n`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  // A refused connection (wrong password, no such database) says so in one line; the URL's password never shows.
  const known = err instanceof ConfigError || typeof (err as { code?: unknown })?.code === 'string';
  process.stderr.write(`migrate failed: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
