import type { Knex } from 'knex';

/**
 * The audit log: one row per mutating API call by an authenticated caller. Each row carries the
 * previous row's hash and its own (an HMAC chain), so a changed or removed row is found by
 * `npm run audit:verify`. Never a secret or a body.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.increments('seq');
    t.string('at').notNullable();
    t.string('actor_key_id').notNullable();
    t.string('actor_name').notNullable();
    t.string('actor_role').notNullable();
    t.string('action').notNullable();
    t.string('target_type').nullable();
    t.string('target_id').nullable();
    t.integer('outcome').notNullable();
    t.string('remote_address').nullable();
    t.string('prev_hash').notNullable();
    t.string('hash').notNullable();
    t.index(['action', 'seq']);
    t.index(['actor_key_id', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
}
