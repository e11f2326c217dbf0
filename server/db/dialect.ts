import type { Knex } from 'knex';

export type Dialect = 'sqlite' | 'postgres';

/** Which store a handle (or a transaction) talks to: for the few statements written per dialect. */
export function dialectOf(db: Knex): Dialect {
  // Knex's dialect name: 'postgresql' for its PostgreSQL client (and our subclass), 'better-sqlite3' for SQLite.
  return (db.client as { dialect?: string }).dialect === 'postgresql' ? 'postgres' : 'sqlite';
}
