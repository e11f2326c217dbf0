import type { Knex } from 'knex';

/**
 * Enrolled workers: one token per worker, whose name is the worker's identity. Only the token's
 * SHA-256 is stored. A revoked token keeps its row (the audit log names it) and frees its name.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('worker_tokens', (t) => {
    t.string('id').primary();
    t.string('name').notNullable();
    t.string('token_hash').notNullable().unique();
    t.string('created_at').notNullable();
    t.string('last_seen_at').nullable();
    t.string('revoked_at').nullable();
  });
  await knex.raw('CREATE UNIQUE INDEX worker_tokens_live_name ON worker_tokens (name) WHERE revoked_at IS NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('worker_tokens');
}
