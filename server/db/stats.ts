import type { Knex } from 'knex';

/** How many personas are registered (for `/api/status`). */
export async function countPersonas(db: Knex): Promise<number> {
  const row = (await db('personas').count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
