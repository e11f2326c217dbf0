import type { Knex } from 'knex';

/**
 * SQLite: `auto_vacuum = INCREMENTAL`, so that retention can give the space of pruned rows back to
 * the file system in small steps (`PRAGMA incremental_vacuum`). Switching an existing database
 * needs one full `VACUUM`, which rewrites the file (the orchestrator logs it; on a large database it
 * takes a while, once). A new database is empty, so that costs nothing. No-op on PostgreSQL.
 * Outside a transaction: VACUUM cannot run inside one.
 */
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  const client = (knex.client as { config: { client: unknown } }).config.client;
  if (client !== 'better-sqlite3' && client !== 'sqlite3') return;
  const [{ auto_vacuum: mode }] = (await knex.raw('PRAGMA auto_vacuum')) as Array<{ auto_vacuum: number }>;
  if (mode === 2) return;
  await knex.raw('PRAGMA auto_vacuum = INCREMENTAL');
  await knex.raw('VACUUM');
}

export async function down(knex: Knex): Promise<void> {
  const client = (knex.client as { config: { client: unknown } }).config.client;
  if (client !== 'better-sqlite3' && client !== 'sqlite3') return;
  await knex.raw('PRAGMA auto_vacuum = NONE');
  await knex.raw('VACUUM');
}

/** This migration's name, for the orchestrator's start-up line. */
export const INCREMENTAL_VACUUM_MIGRATION = '20261130000003_sqlite_incremental_vacuum';
