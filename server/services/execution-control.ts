import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ConflictError, UnavailableError } from '../../shared/errors';
import * as executions from '../db/executions';
import type { Execution } from '../db/executions';
import { getPersona } from '../db/personas';
import type { Queues } from '../queues/queues';
import { enqueueExecution } from './executions';
import { mustFind } from './must-find';
import { withTimeout as withDeadline } from './timeout';
import type { OutputBus } from './output-bus';
import type { RunTracker } from './run-tracker';

export interface ExecutionControlDeps {
  db: Knex;
  queues: Queues;
  logger: Logger;
  bus: OutputBus;
  /** Present in the orchestrator; absent where nothing runs (then running executions cannot be stopped here). */
  tracker?: RunTracker;
  /** Upper bound on how long a cancel request waits for the worker to confirm. */
  cancelWaitMs?: number;
  /** How long a cancel waits for Redis to answer a PING before it answers 503 (default 1500 ms). */
  redisProbeMs?: number;
  /** A queued execution was cancelled here (running ones finish through the tracker's own hook). */
  onFinished?(execution: Execution): void;
  /**
   * With several orchestrators: asks the instance that tracks a running execution to cancel it
   * (and whoever adopts it later, if none does now). Absent: only runs tracked here can be stopped.
   */
  cancelElsewhere?(executionId: string): Promise<void>;
}

const REDIS_PROBE_MS = 1500;

/** Throws UnavailableError (503) unless Redis answers a PING within the probe time. */
async function redisAnswers(deps: ExecutionControlDeps, executionId: string): Promise<void> {
  const ms = deps.redisProbeMs ?? REDIS_PROBE_MS;
  try {
    const ping = Promise.resolve(deps.queues.executions.client).then((client) => (client as unknown as { ping(): Promise<string> }).ping());
    await withDeadline(ping, ms, 'Redis PING');
  } catch (err) {
    deps.logger.warn({ err, executionId }, 'cancel refused: Redis does not answer');
    throw new UnavailableError(`the queue (Redis) did not answer within ${ms} ms; the execution was not cancelled, retry shortly`);
  }
}

export interface SubmitInput {
  prompt: string;
  personaId?: string;
  timeoutMs?: number;
  inputData?: unknown;
}

/** `POST /api/execute`: a queued execution whose job waits in Redis for a free worker slot. */
export async function submitExecution(deps: ExecutionControlDeps, input: SubmitInput): Promise<Execution> {
  if (input.personaId) {
    const persona = await mustFind(getPersona(deps.db, input.personaId), 'persona', input.personaId);
    if (!persona.enabled) throw new ConflictError(`persona '${persona.id}' is disabled; enable it to run it`, { field: 'personaId' });
  }
  const { execution } = await enqueueExecution(deps, {
    personaId: input.personaId ?? null,
    prompt: input.prompt,
    inputData: input.inputData,
    timeoutMs: input.timeoutMs ?? null,
  });
  return execution;
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.finally(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * Cancels: a queued execution becomes `cancelled` and loses its job; a running one is stopped on its
 * worker (process group SIGTERM, then SIGKILL) and becomes `cancelled` when the worker confirms (or
 * after the stop grace). Answers the execution as it stands afterwards. Finished ones are a 409.
 */
export async function cancelExecution(deps: ExecutionControlDeps, id: string): Promise<Execution> {
  const execution = await mustFind(executions.getExecution(deps.db, id), 'execution', id);
  if (executions.TERMINAL_STATUSES.includes(execution.status)) {
    throw new ConflictError(`execution '${id}' already ${execution.status}`, { status: execution.status });
  }
  // Cancelling touches the queue; while Redis does not answer, say so at once and change nothing.
  await redisAnswers(deps, id);
  const run = deps.tracker?.get(id);
  if (execution.status === 'queued') {
    const now = new Date().toISOString();
    const moved = await executions.transitionExecution(deps.db, id, ['queued'], {
      status: 'cancelled', error: 'cancelled', completedAt: now, updatedAt: now,
    });
    if (moved) {
      await withDeadline(Promise.resolve().then(() => deps.queues.executions.remove(id)), deps.redisProbeMs ?? REDIS_PROBE_MS, 'removing the job').catch((err) =>
        // An active (locked) job cannot be removed; its processor sees the status and stops.
        deps.logger.debug({ err, executionId: id }, 'execution job not removed'),
      );
      deps.bus.publishEnd({ executionId: id, status: 'cancelled', error: 'cancelled' });
      deps.onFinished?.(moved);
    }
    if (run) deps.tracker!.cancel(id);
  } else if (run) {
    deps.tracker!.cancel(id);
    await withTimeout(run.done, deps.cancelWaitMs ?? 15_000);
  } else if (deps.cancelElsewhere) {
    await deps.cancelElsewhere(id);
    await finished(deps, id, deps.cancelWaitMs ?? 15_000);
  } else {
    throw new ConflictError(`execution '${id}' is running on a worker this orchestrator is not tracking yet; retry shortly`);
  }
  return (await executions.getExecution(deps.db, id))!;
}

/** Resolves once the execution has a final status (decided by another orchestrator: polled) or `ms` passed. */
async function finished(deps: ExecutionControlDeps, id: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const e = await executions.getExecution(deps.db, id);
    if (!e || executions.TERMINAL_STATUSES.includes(e.status)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
