import type { Knex } from 'knex';

/**
 * Queued executions created before `before`, oldest first: the outbox checks each still has its job.
 * Selects ids only (uses the status+created_at index).
 */
export async function listQueuedExecutionIdsBefore(db: Knex, before: string, limit: number): Promise<string[]> {
  const rows = await db('executions').select('id').where('status', 'queued').andWhere('created_at', '<', before).orderBy('created_at', 'asc').orderBy('rowid', 'asc').limit(limit);
  return rows.map((r: { id: string }) => r.id);
}
