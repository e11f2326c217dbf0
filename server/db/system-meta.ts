import type { Knex } from 'knex';

/** One value of the `system_meta` table, or undefined. */
export async function getMeta(db: Knex, key: string): Promise<string | undefined> {
  const row = (await db('system_meta').where({ key }).first('value')) as { value: string } | undefined;
  return row?.value;
}

/** Writes (or replaces) one value. */
export async function putMeta(db: Knex, key: string, value: string, now: string): Promise<void> {
  await db('system_meta').insert({ key, value, updated_at: now }).onConflict('key').merge();
}
