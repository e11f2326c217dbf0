import type { Knex } from 'knex';
import { dialectOf } from './dialect';

export type ClaimOutcome = 'claimed' | 'persona_busy' | 'not_queued';

/** A `maxConcurrent` at or above this is no limit: no count is taken (bench personas, "unlimited" ones). */
export const UNLIMITED_CONCURRENCY = 10_000;

export interface ClaimInput {
  executionId: string;
  /** With a persona, its `maxConcurrent` running executions are the limit (counted across every orchestrator). */
  personaId: string | null;
  maxConcurrent: number;
  workerId: string;
  startedAt: string;
  timeoutMs: number;
}

/**
 * Moves a `queued` execution to `running` on `workerId` before it is handed to the worker, together
 * with the check of its persona's `maxConcurrent` (the running rows are the count, so the limit
 * holds whichever orchestrator dispatches). SQLite has one writer: one UPDATE with the count as a
 * condition is atomic. PostgreSQL runs statements concurrently: there the persona row is locked
 * first in a transaction, so two instances claiming for one persona take turns, and the count is
 * read after the lock. Answers `not_queued` when the row moved meanwhile (cancelled, or claimed elsewhere).
 */
export async function claimExecution(db: Knex, c: ClaimInput): Promise<ClaimOutcome> {
  const fields = { status: 'running', worker_id: c.workerId, started_at: c.startedAt, updated_at: c.startedAt, timeout_ms: c.timeoutMs };
  const limited = c.personaId !== null && c.maxConcurrent < UNLIMITED_CONCURRENCY;
  const running = (q: Knex | Knex.Transaction) => q('executions').where({ persona_id: c.personaId, status: 'running' });
  if (!limited) {
    const moved = await db('executions').where({ id: c.executionId, status: 'queued' }).update(fields);
    return moved > 0 ? 'claimed' : 'not_queued';
  }
  if (dialectOf(db) === 'sqlite') {
    const moved = await db('executions')
      .where({ id: c.executionId, status: 'queued' })
      .andWhere(db.raw('(?) < ?', [running(db).count('*'), c.maxConcurrent]))
      .update(fields);
    if (moved > 0) return 'claimed';
    const row = await db('executions').where({ id: c.executionId }).first('status');
    return row?.status === 'queued' ? 'persona_busy' : 'not_queued';
  }
  return db.transaction(async (trx) => {
    await trx('personas').where({ id: c.personaId }).forUpdate().select('id');
    const [{ n }] = (await running(trx).count({ n: '*' })) as Array<{ n: number | string }>;
    if (Number(n) >= c.maxConcurrent) return 'persona_busy';
    const moved = await trx('executions').where({ id: c.executionId, status: 'queued' }).update(fields);
    return moved > 0 ? 'claimed' : 'not_queued';
  });
}

/**
 * Puts a claimed execution back in the queue (its worker refused it). Only a row still `running`
 * on that worker moves, so a cancel that came in between keeps its final status.
 */
export async function unclaimExecution(db: Knex, executionId: string, workerId: string, now: string): Promise<boolean> {
  const moved = await db('executions')
    .where({ id: executionId, status: 'running', worker_id: workerId })
    .update({ status: 'queued', worker_id: null, started_at: null, updated_at: now });
  return moved > 0;
}
