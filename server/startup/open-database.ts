import type { Logger } from 'pino';
import { migrateLatest, openDb, type Db } from '../db/knex';
import { backoffDelay, formatDelay, pause, START_BACKOFF, type Backoff } from './backoff';

export interface OpenDatabaseOptions {
  file: string;
  logger: Logger;
  onWaiting?: (reason: string) => void;
  signal?: AbortSignal;
  backoff?: Backoff;
  /** Runs on the open database before the migrations (read-only checks); its errors are thrown as they are. */
  beforeMigrate?: (db: Db) => Promise<void>;
}

/** SQLite's "database is locked" (past the busy timeout), or Knex's lock on the migrations table. */
export function isLockedError(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | undefined;
  return e?.code === 'SQLITE_BUSY' || e?.name === 'MigrationLocked' || /database is locked|Migration table is already locked/i.test(e?.message ?? '');
}

/**
 * Opens the SQLite file and applies pending migrations. While another process holds the database
 * (a second orchestrator or `npm run migrate` on the same DAC_DB_PATH, a backup taking a write lock)
 * it logs one line per attempt and retries with backoff, instead of failing or spinning. Any other
 * error is thrown. Answers the open handle and the migrations applied.
 */
export async function openDatabase(o: OpenDatabaseOptions): Promise<{ db: Db; applied: string[] }> {
  for (let attempt = 0; ; attempt++) {
    const db = openDb(o.file);
    try {
      await o.beforeMigrate?.(db);
      return { db, applied: await migrateLatest(db) };
    } catch (err) {
      await db.destroy();
      if (!isLockedError(err)) throw err;
      const delayMs = backoffDelay(attempt, o.backoff ?? START_BACKOFF);
      const knexLock = (err as Error).name === 'MigrationLocked' || /Migration table is already locked/i.test((err as Error).message);
      o.logger.warn(
        `database ${o.file} is locked by another process (another orchestrator or npm run migrate on the same DAC_DB_PATH, ` +
          `or a backup holding a write lock)${knexLock ? '; if no migration is running, a crashed one left knex_migrations_lock set' : ''}` +
          `; retrying in ${formatDelay(delayMs)}`,
      );
      o.onWaiting?.(`database ${o.file} is locked by another process`);
      await pause(delayMs, 'waiting for the database', o.signal);
    }
  }
}
