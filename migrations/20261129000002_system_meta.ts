import type { Knex } from 'knex';

/**
 * Facts about the installation itself, one row per key. First use: `master_key_check`, a value
 * derived from the MASTER_KEY the database is written with (never the key), so a start with another
 * key is refused instead of failing every credential later.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('system_meta', (t) => {
    t.string('key').primary();
    t.text('value').notNullable();
    t.string('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('system_meta');
}
