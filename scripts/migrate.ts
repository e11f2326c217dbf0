/**
 * `npm run migrate`: applies pending Knex migrations to the SQLite file at DAC_DB_PATH (environment, then .env)
 * (default ./data/personas.db) and says what it applied. Needs no secrets and no Redis;
 * the orchestrator applies the same migrations at start, so this is for deploy pipelines.
 */
import path from 'node:path';
import { migrateLatest, openDb } from '../server/db/knex';
import { loadEnv } from '../shared/env-sources';

async function main(): Promise<void> {
  const { env } = loadEnv(['DAC_DB_PATH']); // the environment, then .env
  const file = path.resolve(env.DAC_DB_PATH || './data/personas.db');
  const db = openDb(file);
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
  process.stderr.write(`migrate failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
