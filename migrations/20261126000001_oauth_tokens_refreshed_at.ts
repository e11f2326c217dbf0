import type { Knex } from 'knex';

/** When the stored Claude token was last refreshed (null until the first refresh), for `/api/oauth/status`. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth_tokens', (t) => {
    t.string('refreshed_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('oauth_tokens', (t) => {
    t.dropColumn('refreshed_at');
  });
}
