import type { Knex } from 'knex';

/** Every durable record of the orchestrator. Timestamps are ISO-8601 UTC strings (sortable as text). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('personas', (t) => {
    t.string('id').primary();
    t.string('name').notNullable();
    t.text('description');
    t.text('system_prompt');
    t.text('structured_prompt');
    t.string('icon');
    t.string('color');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.integer('max_concurrent').notNullable().defaultTo(1);
    t.integer('timeout_ms');
    t.string('model_profile');
    t.float('max_budget_usd');
    t.integer('max_turns');
    t.text('design_context');
    t.string('group_id');
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
  });

  await knex.schema.createTable('tool_definitions', (t) => {
    t.string('id').primary();
    t.string('name').notNullable().unique();
    t.string('category');
    t.text('description');
    t.string('script_path');
    t.text('input_schema');
    t.text('output_schema');
    t.text('implementation_guide');
    t.string('requires_credential_type');
    t.boolean('is_builtin').notNullable().defaultTo(false);
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
  });

  await knex.schema.createTable('persona_tools', (t) => {
    t.string('persona_id').notNullable().references('personas.id').onDelete('CASCADE');
    t.string('tool_id').notNullable().references('tool_definitions.id').onDelete('CASCADE');
    t.string('created_at').notNullable();
    t.primary(['persona_id', 'tool_id']);
    t.index(['tool_id']);
  });

  await knex.schema.createTable('credentials', (t) => {
    t.string('id').primary();
    t.string('name').notNullable();
    t.string('service_type').notNullable();
    t.text('encrypted_data').notNullable();
    t.string('iv').notNullable();
    t.string('tag').notNullable();
    t.text('metadata');
    t.string('last_used_at');
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
  });

  await knex.schema.createTable('persona_credentials', (t) => {
    t.string('persona_id').notNullable().references('personas.id').onDelete('CASCADE');
    t.string('credential_id').notNullable().references('credentials.id').onDelete('CASCADE');
    t.string('created_at').notNullable();
    t.primary(['persona_id', 'credential_id']);
    t.index(['credential_id']);
  });

  await knex.schema.createTable('event_subscriptions', (t) => {
    t.string('id').primary();
    t.string('persona_id').notNullable().references('personas.id').onDelete('CASCADE');
    t.string('event_type').notNullable();
    t.string('source_filter');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
    // The matcher's query: exact event type among enabled subscriptions.
    t.index(['event_type', 'enabled']);
    t.index(['persona_id']);
  });

  await knex.schema.createTable('triggers', (t) => {
    t.string('id').primary();
    t.string('persona_id').notNullable().references('personas.id').onDelete('CASCADE');
    t.string('trigger_type').notNullable();
    t.text('config').notNullable().defaultTo('{}');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('last_triggered_at');
    t.string('next_trigger_at');
    /** Trigger-type private state, e.g. the polling trigger's last content hash. */
    t.text('state');
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
    t.index(['persona_id']);
    t.index(['trigger_type', 'enabled']);
  });

  await knex.schema.createTable('events', (t) => {
    t.string('id').primary();
    t.string('event_type').notNullable();
    t.string('source_type').notNullable();
    t.string('source_id');
    t.string('target_persona_id');
    t.text('payload');
    t.string('status').notNullable();
    t.text('error');
    t.integer('chain_depth').notNullable().defaultTo(0);
    t.string('parent_execution_id');
    t.string('created_at').notNullable();
    t.string('processed_at');
    t.index(['event_type']);
    t.index(['status', 'created_at']);
    t.index(['created_at']);
  });

  await knex.schema.createTable('trigger_fires', (t) => {
    t.string('id').primary();
    t.string('trigger_id').notNullable().references('triggers.id').onDelete('CASCADE');
    t.string('event_id');
    t.string('status').notNullable();
    t.text('error');
    t.string('fired_at').notNullable();
    t.index(['trigger_id', 'fired_at']);
  });

  await knex.schema.createTable('executions', (t) => {
    t.string('id').primary();
    // No foreign key: history outlives the persona it ran.
    t.string('persona_id');
    t.string('event_id');
    t.string('status').notNullable();
    t.text('prompt');
    t.text('input_data');
    t.integer('timeout_ms');
    t.string('worker_id');
    t.string('started_at');
    t.string('completed_at');
    t.integer('duration_ms');
    t.integer('exit_code');
    t.text('error');
    t.float('cost_usd');
    t.string('session_id');
    t.integer('num_turns');
    t.text('result');
    t.integer('chain_depth').notNullable().defaultTo(0);
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
    // A retried event job must not create a second execution for the same persona.
    t.unique(['event_id', 'persona_id']);
    t.index(['persona_id', 'status']);
    t.index(['status', 'created_at']);
    t.index(['created_at']);
  });

  await knex.schema.createTable('execution_output', (t) => {
    t.increments('id');
    t.string('execution_id').notNullable().references('executions.id').onDelete('CASCADE');
    t.integer('seq').notNullable();
    t.string('stream').notNullable();
    t.text('content').notNullable();
    t.string('created_at').notNullable();
    t.unique(['execution_id', 'seq']);
  });

  await knex.schema.createTable('protocol_messages', (t) => {
    t.string('id').primary();
    t.string('execution_id').references('executions.id').onDelete('CASCADE');
    t.string('persona_id');
    t.string('kind').notNullable();
    t.text('payload').notNullable();
    /** Reviews: `open` until a person resolves them; other kinds: `recorded`. */
    t.string('status').notNullable();
    t.text('resolution');
    t.string('resolved_at');
    t.string('created_at').notNullable();
    t.index(['persona_id', 'kind', 'created_at']);
    t.index(['execution_id']);
  });

  await knex.schema.createTable('oauth_tokens', (t) => {
    t.string('id').primary();
    t.string('source').notNullable();
    t.text('access_token_enc').notNullable();
    t.text('refresh_token_enc');
    t.string('token_type');
    t.string('scope');
    t.string('expires_at');
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
  });

  await knex.schema.createTable('oauth_pending', (t) => {
    t.string('state').primary();
    t.text('code_verifier_enc').notNullable();
    t.string('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'oauth_pending', 'oauth_tokens', 'protocol_messages', 'execution_output', 'executions', 'trigger_fires',
    'events', 'triggers', 'event_subscriptions', 'persona_credentials', 'credentials', 'persona_tools',
    'tool_definitions', 'personas',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
