import type { Knex } from 'knex';

/**
 * Webhook deliveries seen in the last 24 h (`X-GitHub-Delivery`, `X-Gitlab-Event-UUID`, Slack's
 * `event_id`), each with the event it created. The primary key is what makes a re-delivery create
 * nothing: two concurrent copies cannot both insert. Rows older than 24 h are deleted as new ones arrive.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.string('source').notNullable();
    t.string('delivery_id').notNullable();
    t.string('event_id').notNullable().references('events.id').onDelete('CASCADE');
    t.string('created_at').notNullable();
    t.primary(['source', 'delivery_id']);
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
}
