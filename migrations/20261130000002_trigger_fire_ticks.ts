import type { Knex } from 'knex';

/**
 * `trigger_fires.tick`: which scheduler tick a fire answered (the BullMQ job id of that tick), unique
 * per trigger. With several orchestrators a tick's job can run twice (its instance died mid-fire and
 * the job came back as stalled); the second insert is refused, so a tick fires once. Null for fires
 * that are not a scheduler's (manual, webhook, chain).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trigger_fires', (t) => {
    t.string('tick').nullable();
    t.unique(['trigger_id', 'tick']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trigger_fires', (t) => {
    t.dropUnique(['trigger_id', 'tick']);
    t.dropColumn('tick');
  });
}
