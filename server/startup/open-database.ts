import type { Logger } from 'pino';
import { ConfigError } from '../../shared/errors';
import { migrateLatest, openDb, type Db } from '../db/knex';
import { describeDatabase, type DatabaseTarget } from '../db/target';
import { backoffDelay, formatDelay, pause, START_BACKOFF, type Backoff } from './backoff';

/** SQLite's busy wait while starting (per attempt), and afterwards (as server/db/knex.ts sets it). */
const START_BUSY_TIMEOUT_MS = 1_000;
const RUN_BUSY_TIMEOUT_MS = 5_000;

export interface OpenDatabaseOptions {
  /** The SQLite file or the PostgreSQL database (config.database). */
  target: DatabaseTarget;
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

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);

/**
 * PostgreSQL does not answer (yet): nothing listens, the name does not resolve, the server is
 * starting or shutting down (SQLSTATE 57P03, 57P01), the connection dropped, or no pooled
 * connection came within the acquire timeout. Worth waiting for, unlike a refused password or a
 * missing database.
 */
export function isUnreachableError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; errors?: unknown[] } | undefined;
  if (!e) return false;
  if (e.code && (UNREACHABLE_CODES.has(e.code) || e.code === '57P03' || e.code === '57P01')) return true;
  if (Array.isArray(e.errors) && e.errors.some(isUnreachableError)) return true; // AggregateError (IPv4 and IPv6 tried)
  return /Timeout acquiring a connection|Connection terminated unexpectedly/i.test(e.message ?? '');
}

/**
 * Opens the records and applies pending migrations. While another process holds the database (a
 * second orchestrator or `npm run migrate` on the same SQLite file, a backup taking a write lock,
 * Knex's migration lock) or PostgreSQL does not answer, it logs one line per attempt and retries
 * with backoff, instead of failing or spinning. Any other error is thrown (a PostgreSQL one as a
 * ConfigError naming DATABASE_URL, e.g. a refused password or a database that does not exist).
 * Answers the open handle and the migrations applied.
 */
export async function openDatabase(o: OpenDatabaseOptions): Promise<{ db: Db; applied: string[] }> {
  const name = describeDatabase(o.target);
  const postgres = o.target.client === 'postgres';
  for (let attempt = 0; ; attempt++) {
    const db = openDb(o.target);
    try {
      // At start a held SQLite lock is reported after 1 s rather than the 5 s a request would wait,
      // so the line comes well within 10 s; the usual wait is restored once the database is ours.
      if (!postgres) await db.raw(`PRAGMA busy_timeout = ${START_BUSY_TIMEOUT_MS}`);
      await o.beforeMigrate?.(db);
      const applied = await migrateLatest(db);
      if (!postgres) await db.raw(`PRAGMA busy_timeout = ${RUN_BUSY_TIMEOUT_MS}`);
      return { db, applied };
    } catch (err) {
      await db.destroy();
      const locked = isLockedError(err);
      const unreachable = postgres && !locked && isUnreachableError(err);
      if (!locked && !unreachable) {
        if (postgres && isAccessError(err)) {
          throw new ConfigError(`cannot use the database ${name} (DATABASE_URL): ${(err as Error).message}`);
        }
        throw err;
      }
      const delayMs = backoffDelay(attempt, o.backoff ?? START_BACKOFF);
      if (unreachable) {
        const why = (err as { code?: string }).code ?? (err as Error).message;
        o.logger.warn(`database ${name} does not answer (${why}); retrying in ${formatDelay(delayMs)}`);
        o.onWaiting?.(`database ${name} does not answer`);
      } else {
        const knexLock = (err as Error).name === 'MigrationLocked' || /Migration table is already locked/i.test((err as Error).message);
        o.logger.warn(
          `database ${name} is locked by another process (another orchestrator or npm run migrate on the same ` +
            `${postgres ? 'database' : 'DAC_DB_PATH, or a backup holding a write lock'})` +
            `${knexLock ? '; if no migration is running, a crashed one left knex_migrations_lock set' : ''}` +
            `; retrying in ${formatDelay(delayMs)}`,
        );
        o.onWaiting?.(`database ${name} is locked by another process`);
      }
      await pause(delayMs, 'waiting for the database', o.signal);
    }
  }
}

/**
 * PostgreSQL refused us: wrong password or role (28xxx), no such database (3D000), a refused
 * connection (08xxx), missing privileges (42501), too many connections (53300). The configuration
 * has to change; waiting would not help.
 */
function isAccessError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (/^(28|3D|08)[0-9A-Z]{3}$/.test(code) || code === '42501' || code === '53300');
}
