import type { Knex } from 'knex';
import { dialectOf } from './dialect';

export type ClaimOutcome = 'claimed' | 'persona_busy' | 'not_queued';

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
 * Moves a `queued` execution to `running` on `workerId` before it is handed to the worker, in one
 * transaction with the check of its persona's `maxConcurrent` (the running rows are the count, so
 * the limit holds whichever orchestrator dispatches). On PostgreSQL the persona row is locked first,
 * so two instances claiming for one persona take turns; SQLite has one writer anyway.
 * Answers `not_queued` when the row moved meanwhile (cancelled, or claimed by another instance).
 */
export async function claimExecution(db: Knex, c: ClaimInput): Promise<ClaimOutcome> {
  return db.transaction(async (trx) => {
    if (c.personaId !== null && Number.isFinite(c.maxConcurrent)) {
      if (dialectOf(trx) === 'postgres') await trx('personas').where({ id: c.personaId }).forUpdate().select('id');
      const [{ n }] = (await trx('executions').where({ persona_id: c.personaId, status: 'running' }).count({ n: '*' })) as Array<{ n: number | string }>;
      if (Number(n) >= c.maxConcurrent) return 'persona_busy';
    }
    const moved = await trx('executions')
      .where({ id: c.executionId, status: 'queued' })
      .update({ status: 'running', worker_id: c.workerId, started_at: c.startedAt, updated_at: c.startedAt, timeout_ms: c.timeoutMs });
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
