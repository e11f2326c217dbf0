import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { migrationSource } from '../../migrations';
import { dialectOf } from './dialect';
import { normalizePostgresSchema, pgTypes, PortablePgClient, prepareSession, withMigrationLock } from './postgres';
import { GroupCommitSqliteClient } from './group-commit';
import { cachePreparedStatements } from './statement-cache';
import type { DatabaseTarget, SynchronousCommit } from './target';

export type Db = Knex;
export { dialectOf, type Dialect } from './dialect';

/**
 * The database file readable by its owner only (SQLite gives its -wal and -shm files the same mode),
 * in a folder created 0700: on a worker host that also runs the orchestrator, a run under another
 * uid cannot read the records even where no mount namespace hides them.
 */
function privateFile(file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, 'a', 0o600);
  try {
    if ((fs.fstatSync(fd).mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens the records: a SQLite file (a plain string is a file path) or a PostgreSQL database.
 * Nothing is connected until the first query.
 */
export function openDb(target: string | DatabaseTarget): Db {
  const t: DatabaseTarget = typeof target === 'string' ? { client: 'sqlite', file: target } : target;
  return t.client === 'sqlite' ? openSqlite(t.file) : openPostgres(t);
}

/**
 * SQLite in WAL mode with a busy timeout and foreign keys on, its statements prepared once
 * (statement-cache) and the statements of one event-loop turn committed together (group-commit).
 * One connection: better-sqlite3 is synchronous, so a pool adds nothing but a chance of reopening.
 */
function openSqlite(file: string): Db {
  if (file !== ':memory:') privateFile(file);
  return knexFactory({
    client: GroupCommitSqliteClient as unknown as typeof knexFactory.Client,
    connection: { filename: file },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma: (s: string) => unknown; prepare: (sql: string) => unknown }, done: (err: Error | null, conn: unknown) => void) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          conn.pragma('synchronous = NORMAL');
          cachePreparedStatements(conn);
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
  });
}

/**
 * PostgreSQL through a pool: requests, the dispatcher and the event processors run queries at the
 * same time, and PostgreSQL runs them in parallel. Idle connections close after 30 s. Each session
 * gets `synchronous_commit` (target.ts: `off` by default, SQLite's durability), the U+0000
 * encoding of its bound strings and its statements prepared once (prepareSession, postgres.ts).
 */
function openPostgres(t: Extract<DatabaseTarget, { client: 'postgres' }>): Db {
  const synchronousCommit: SynchronousCommit = t.synchronousCommit ?? 'off';
  return knexFactory({
    client: PortablePgClient as unknown as typeof knexFactory.Client,
    connection: { connectionString: t.url, application_name: 'personas-cloud', types: pgTypes } as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: t.poolMax,
      idleTimeoutMillis: 30_000,
      afterCreate: (conn: { query: (...args: unknown[]) => unknown }, done: (err: Error | null, conn: unknown) => void) => {
        // A fixed word from SYNCHRONOUS_COMMIT_LEVELS (checked by the config), never user text.
        conn.query(`set synchronous_commit to ${synchronousCommit}`, (err: Error | null) => {
          if (!err) prepareSession(conn, { prepare: t.prepareStatements ?? true });
          done(err, conn);
        });
      },
    },
    acquireConnectionTimeout: 30_000,
  });
}

/**
 * Applies pending migrations; answers their names. On PostgreSQL one process migrates at a time
 * (an advisory lock), and the column types are then brought to SQLite's behaviour (postgres.ts).
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  const migrate = async () => {
    const [, applied] = await db.migrate.latest({ migrationSource });
    return applied as string[];
  };
  if (dialectOf(db) === 'sqlite') return migrate();
  return withMigrationLock(db, async () => {
    const applied = await migrate();
    await normalizePostgresSchema(db);
    return applied;
  });
}

export const nowIso = (): string => new Date().toISOString();
