import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { migrationSource } from '../../migrations';
import { cachePreparedStatements } from './statement-cache';

export type Db = Knex;

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
 * Opens the SQLite file (creating its folder) in WAL mode with a busy timeout and foreign keys on.
 * One connection: better-sqlite3 is synchronous, so a pool adds nothing but a chance of reopening.
 */
export function openDb(file: string): Db {
  if (file !== ':memory:') privateFile(file);
  return knexFactory({
    client: 'better-sqlite3',
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

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest({ migrationSource });
  return applied as string[];
}

export const nowIso = (): string => new Date().toISOString();
