import type { Knex } from 'knex';

export type TriggerFireStatus = 'fired' | 'failed';

export interface TriggerFire {
  id: string;
  triggerId: string;
  eventId: string | null;
  status: TriggerFireStatus;
  error: string | null;
  firedAt: string;
}

function fromRow(r: Record<string, unknown>): TriggerFire {
  return {
    id: r.id as string,
    triggerId: r.trigger_id as string,
    eventId: (r.event_id as string) ?? null,
    status: r.status as TriggerFireStatus,
    error: (r.error as string) ?? null,
    firedAt: r.fired_at as string,
  };
}

export async function insertTriggerFire(db: Knex, f: TriggerFire): Promise<void> {
  await db('trigger_fires').insert({ id: f.id, trigger_id: f.triggerId, event_id: f.eventId, status: f.status, error: f.error, fired_at: f.firedAt });
}

/**
 * Inserts the fire of one scheduler tick unless that tick of that trigger already has one (unique
 * `trigger_id, tick`); answers whether this insert is the tick's fire.
 */
export async function insertTickFire(db: Knex, f: TriggerFire, tick: string): Promise<boolean> {
  const rows = await db('trigger_fires')
    .insert({ id: f.id, trigger_id: f.triggerId, event_id: f.eventId, status: f.status, error: f.error, fired_at: f.firedAt, tick })
    .onConflict(['trigger_id', 'tick'])
    .ignore()
    .returning('id');
  return rows.length > 0;
}

/** Newest first (index `trigger_id, fired_at`). */
export async function listTriggerFires(db: Knex, triggerId: string, limit: number): Promise<TriggerFire[]> {
  const rows = await db('trigger_fires').where({ trigger_id: triggerId }).orderBy('fired_at', 'desc').orderBy('id', 'desc').limit(limit);
  return rows.map(fromRow);
}

/** Whether `triggerId` already fired for source execution `executionId` (its event's parent): chains fire once per source run. */
export async function hasFireForParentExecution(db: Knex, triggerId: string, executionId: string): Promise<boolean> {
  const row = await db('trigger_fires as f')
    .join('events as e', 'e.id', 'f.event_id')
    .where('f.trigger_id', triggerId)
    .andWhere('e.parent_execution_id', executionId)
    .first('f.id');
  return row !== undefined;
}
