import type { Knex } from 'knex';

export type Dialect = 'sqlite' | 'postgres';

/** Which store a handle (or a transaction) talks to: for the few statements written per dialect. */
export function dialectOf(db: Knex): Dialect {
  const client = (db.client as { config: { client: unknown } }).config.client;
  return client === 'pg' || client === 'postgres' || client === 'postgresql' ? 'postgres' : 'sqlite';
}
