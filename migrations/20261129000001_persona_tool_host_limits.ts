import type { Knex } from 'knex';

/**
 * A persona's run limits: `allowed_tools` (JSON array in the Claude CLI's syntax; null = the default
 * list) and `allowed_hosts` (JSON array of host patterns the run may connect to, `[]` by default).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('personas', (t) => {
    t.text('allowed_tools');
    t.text('allowed_hosts').notNullable().defaultTo('[]');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('personas', (t) => {
    t.dropColumn('allowed_tools');
    t.dropColumn('allowed_hosts');
  });
}
