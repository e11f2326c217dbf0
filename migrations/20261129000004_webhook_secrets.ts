import type { Knex } from 'knex';

/**
 * Per-source webhook secrets (GitHub, GitLab, Slack, generic). Verifying an HMAC needs the secret
 * itself, so it is kept encrypted with MASTER_KEY (AES-256-GCM), never hashed. A secret bound to a
 * persona goes with it. Names are unique per source.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_secrets', (t) => {
    t.string('id').primary();
    t.string('source').notNullable();
    t.string('name').notNullable();
    t.string('persona_id').nullable().references('personas.id').onDelete('CASCADE');
    t.text('encrypted_secret').notNullable();
    t.string('iv').notNullable();
    t.string('tag').notNullable();
    t.string('created_at').notNullable();
    t.string('last_used_at').nullable();
    t.unique(['source', 'name']);
    t.index(['persona_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_secrets');
}
