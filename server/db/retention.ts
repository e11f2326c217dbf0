import type { Knex } from 'knex';
import { FINAL_EVENT_STATUSES } from './events';
import { TERMINAL_STATUSES } from './executions';

/**
 * The statements retention runs, each small enough to hold the database for a few milliseconds:
 * every delete takes at most `limit` rows. What is never deleted here: agent memories, reviews not
 * resolved yet (both outlive their execution, detached from it), the audit log, and anything not
 * finished (queued/running executions, pending/processing events).
 */

/** Messages that stay when their execution goes. */
const keptMessages = (q: Knex.QueryBuilder) =>
  q.where('kind', 'agent_memory').orWhere((w) => w.where('kind', 'manual_review').whereNot('status', 'resolved'));

/** Finished executions that ended before `cutoff` (ISO), oldest first. */
export async function oldExecutionIds(db: Knex, cutoff: string, limit: number): Promise<string[]> {
  const rows = await db('executions')
    .select('id')
    .whereIn('status', TERMINAL_STATUSES as string[])
    .where((w) => w.where('completed_at', '<', cutoff).orWhere((o) => o.whereNull('completed_at').where('updated_at', '<', cutoff)))
    .orderBy('created_at', 'asc')
    .limit(limit);
  return rows.map((r: { id: string }) => r.id);
}

/** Deletes up to `limit` output lines of these executions; answers how many went. */
export async function deleteOutputOf(db: Knex, executionIds: string[], limit: number): Promise<number> {
  return db('execution_output')
    .whereIn('id', db('execution_output').select('id').whereIn('execution_id', executionIds).limit(limit))
    .delete();
}

/** Memories and open reviews of these executions lose the link (they stay); answers how many. */
export async function detachKeptMessages(db: Knex, executionIds: string[]): Promise<number> {
  return db('protocol_messages').whereIn('execution_id', executionIds).where(keptMessages).update({ execution_id: null });
}

/** Deletes the other messages of these executions (user messages, resolved reviews, …). */
export async function deleteMessagesOf(db: Knex, executionIds: string[]): Promise<number> {
  return db('protocol_messages').whereIn('execution_id', executionIds).whereNot(keptMessages).delete();
}

export async function deleteExecutions(db: Knex, executionIds: string[]): Promise<number> {
  return db('executions').whereIn('id', executionIds).whereIn('status', TERMINAL_STATUSES as string[]).delete();
}

/** Final events created before `cutoff` that no execution refers to any more, oldest first. */
function oldEvents(db: Knex, cutoff: string) {
  return db('events')
    .whereIn('status', FINAL_EVENT_STATUSES as string[])
    .where('created_at', '<', cutoff)
    .whereNotExists(db('executions').select(db.raw('1')).whereRaw('executions.event_id = events.id'));
}

/** Deletes up to `limit` of those events (their webhook delivery records go with them). */
export async function deleteOldEvents(db: Knex, cutoff: string, limit: number): Promise<number> {
  return db('events').whereIn('id', oldEvents(db, cutoff).select('id').orderBy('created_at', 'asc').limit(limit)).delete();
}

export interface RetentionCounts {
  executions: number;
  outputLines: number;
  messages: number;
  /** Memories and open reviews that stay, detached from their pruned execution. */
  messagesKept: number;
  events: number;
}

const countOf = async (q: Knex.QueryBuilder): Promise<number> => Number(((await q.count({ n: '*' })) as Array<{ n: number | string }>)[0].n);

/** What a prune with this cutoff would delete now (the dry run). */
export async function countPrunable(db: Knex, cutoff: string): Promise<RetentionCounts> {
  const old = db('executions')
    .select('id')
    .whereIn('status', TERMINAL_STATUSES as string[])
    .where((w) => w.where('completed_at', '<', cutoff).orWhere((o) => o.whereNull('completed_at').where('updated_at', '<', cutoff)));
  // Events whose every execution is old go in the same pass, once those executions are gone.
  const events = db('events')
    .whereIn('status', FINAL_EVENT_STATUSES as string[])
    .where('created_at', '<', cutoff)
    .whereNotExists(db('executions').select(db.raw('1')).whereRaw('executions.event_id = events.id').whereNotIn('id', old.clone()));
  return {
    executions: await countOf(old.clone().clearSelect()),
    outputLines: await countOf(db('execution_output').whereIn('execution_id', old.clone())),
    messages: await countOf(db('protocol_messages').whereIn('execution_id', old.clone()).whereNot(keptMessages)),
    messagesKept: await countOf(db('protocol_messages').whereIn('execution_id', old.clone()).where(keptMessages)),
    events: await countOf(events),
  };
}
