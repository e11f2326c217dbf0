import type { Knex } from 'knex';

/**
 * API keys with roles. Only the key's SHA-256 is stored. A revoked key keeps its row (audit rows
 * name it) but frees its name: names are unique among live keys only (a partial unique index).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_keys', (t) => {
    t.string('id').primary();
    t.string('name').notNullable();
    t.string('role').notNullable();
    t.string('key_hash').notNullable().unique();
    t.string('created_at').notNullable();
    t.string('last_used_at').nullable();
    t.string('revoked_at').nullable();
  });
  await knex.raw('CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_keys');
}
