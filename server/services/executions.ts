import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { nowIso } from '../db/knex';
import * as repo from '../db/executions';
import type { Execution } from '../db/executions';
import type { Queues } from '../queues/queues';
import { withTimeout } from './timeout';

export interface ExecutionDeps {
  db: Knex;
  queues: Queues;
  logger: Logger;
  /** How long a request waits for Redis before leaving the job to the outbox (default 1000 ms). */
  enqueueTimeoutMs?: number;
}

/** Short enough that `POST /api/execute` answers well within 2 s while Redis does not answer. */
const ENQUEUE_TIMEOUT_MS = 1000;

export interface NewExecution {
  personaId?: string | null;
  eventId?: string | null;
  prompt?: string | null;
  inputData?: unknown;
  timeoutMs?: number | null;
  chainDepth?: number;
}

/**
 * Writes a `queued` execution and adds its job (`jobId` = execution id). The row comes first: if
 * Redis refuses the job, the row stays `queued` and the reconciler adds the job later (outbox).
 * With an `eventId`, at most one execution exists per (event, persona); a repeat answers the existing one.
 */
export async function enqueueExecution(deps: ExecutionDeps, input: NewExecution): Promise<{ execution: Execution; created: boolean }> {
  const now = nowIso();
  const execution: Execution = {
    id: randomUUID(),
    personaId: input.personaId ?? null,
    eventId: input.eventId ?? null,
    status: 'queued',
    prompt: input.prompt ?? null,
    inputData: input.inputData ?? null,
    timeoutMs: input.timeoutMs ?? null,
    workerId: null, startedAt: null, completedAt: null, durationMs: null, exitCode: null, error: null,
    costUsd: null, sessionId: null, numTurns: null, result: null,
    chainDepth: input.chainDepth ?? 0,
    createdAt: now,
    updatedAt: now,
  };
  const created = await repo.insertExecution(deps.db, execution);
  if (!created && input.eventId && input.personaId) {
    const existing = await repo.getExecutionForEvent(deps.db, input.eventId, input.personaId);
    if (existing) {
      // The previous attempt may have died between the row and the job: adding again is idempotent.
      if (existing.status === 'queued') await addExecutionJob(deps, existing.id);
      return { execution: existing, created: false };
    }
  }
  await addExecutionJob(deps, execution.id);
  return { execution, created: true };
}

/**
 * Adds the job for a queued execution; failure or no answer within `enqueueTimeoutMs` is logged, not
 * thrown (the outbox reconciler adds it later; a late add that still lands is harmless, same job id).
 */
export async function addExecutionJob(deps: ExecutionDeps, executionId: string): Promise<boolean> {
  try {
    const adding = Promise.resolve().then(() => deps.queues.executions.add('execution', { executionId }, { jobId: executionId }));
    await withTimeout(adding, deps.enqueueTimeoutMs ?? ENQUEUE_TIMEOUT_MS, 'adding the execution job');
    return true;
  } catch (err) {
    deps.logger.warn({ err, executionId }, 'could not queue execution job; the reconciler will retry');
    return false;
  }
}
