import { DelayedError, Worker, type Job } from 'bullmq';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { QUEUE_NAMES, type ExecutionJob } from '../../shared/queues';
import type { AssignAck, AssignPayload, CancelPayload } from '../../shared/socket-events';
import * as executions from '../db/executions';
import type { Execution } from '../db/executions';
import { getPersona, type Persona } from '../db/personas';
import type { WorkerRegistry } from '../gateway/worker-registry';
import { AssignmentError } from '../services/assignment-error';
import type { Run, RunTracker } from '../services/run-tracker';
import { redisConnection } from './queues';

export interface DispatcherDeps {
  db: Knex;
  logger: Logger;
  redisUrl: string;
  queuePrefix: string;
  registry: WorkerRegistry<unknown>;
  gateway: { assign(workerId: string, p: AssignPayload): Promise<AssignAck>; cancel(workerId: string, p: CancelPayload): boolean };
  tracker: RunTracker;
  /** Everything the worker needs (prompt, env with secrets, timeout), and the secrets to scrub. */
  buildAssignment(execution: Execution, persona?: Persona): Promise<{ payload: AssignPayload; secrets: string[] }>;
  /** The secret values of an execution, for scrubbing output of a run adopted after a restart. */
  secretsFor(execution: Execution): Promise<string[]>;
  /** Delay before a job over its persona's maxConcurrent is looked at again. */
  capacityRetryMs?: number;
  /** How long a job waits in memory for a free worker slot before going back to Redis (delayed). */
  slotWaitMs?: number;
}

/**
 * The execution dispatcher: a BullMQ worker on `executions` whose concurrency follows the connected
 * workers' total slots, so a burst waits in Redis. Each job holds until its run ends.
 */
export class Dispatcher {
  private worker?: Worker<ExecutionJob>;
  private readonly slotWaiters = new Set<() => void>();

  constructor(private readonly deps: DispatcherDeps) {}

  /** Adopts runs left `running` by a previous orchestrator, then starts taking jobs. */
  async start(): Promise<void> {
    for (const execution of await executions.listExecutionsByStatus(this.deps.db, 'running')) {
      await this.adopt(execution).catch((err) => this.deps.logger.error({ err, executionId: execution.id }, 'could not adopt running execution'));
    }
    this.worker = new Worker<ExecutionJob>(QUEUE_NAMES.executions, (job, token) => this.process(job, token), {
      connection: redisConnection(this.deps.redisUrl),
      prefix: this.deps.queuePrefix,
      concurrency: this.concurrency(),
      // Runs last minutes; the lock is renewed while the processor waits, and a crashed
      // orchestrator's jobs come back as stalled and are adopted (see process()).
      lockDuration: 60_000,
      stalledInterval: 30_000,
      maxStalledCount: 3,
    });
    this.worker.on('error', (err) => this.deps.logger.error({ err, queue: QUEUE_NAMES.executions }, 'dispatcher worker error'));
  }

  /** Called when workers or slots change: follows total slots and wakes jobs waiting for one. */
  workersChanged(): void {
    if (this.worker) this.worker.concurrency = this.concurrency();
    for (const wake of [...this.slotWaiters]) wake();
  }

  async close(): Promise<void> {
    for (const wake of [...this.slotWaiters]) wake();
    await this.worker?.close(true);
  }

  private concurrency(): number {
    return Math.max(1, this.deps.registry.totalSlots());
  }

  private async process(job: Job<ExecutionJob>, token?: string): Promise<string> {
    const { db, tracker, registry, logger } = this.deps;
    const executionId = job.data.executionId;
    const existing = tracker.get(executionId);
    if (existing) {
      await existing.done;
      return 'finished';
    }
    const execution = await executions.getExecution(db, executionId);
    if (!execution || execution.status === 'completed' || execution.status === 'failed' || execution.status === 'cancelled') return 'skipped';
    if (execution.status === 'running') {
      await (await this.adopt(execution)).done;
      return 'finished';
    }

    const persona = execution.personaId ? await getPersona(db, execution.personaId) : undefined;
    const maxConcurrent = persona ? persona.maxConcurrent : Number.POSITIVE_INFINITY;
    let worker = registry.pickFree();
    if (!worker) {
      await this.waitForSlot(this.deps.slotWaitMs ?? 1000);
      // It may have been cancelled while it waited.
      if ((await executions.getExecution(db, executionId))?.status !== 'queued') return 'skipped';
      worker = registry.pickFree();
    }
    // From here to track()/reserve() nothing awaits: the capacity check and the claim are one tick.
    if (persona && tracker.activeForPersona(persona.id) >= maxConcurrent) {
      return this.retryLater(job, token, this.deps.capacityRetryMs ?? 300, 'persona at maxConcurrent');
    }
    if (!worker || !registry.reserve(worker.workerId, executionId)) {
      return this.retryLater(job, token, 250, 'no free worker slot');
    }
    const run = tracker.track({ executionId, personaId: execution.personaId, workerId: worker.workerId, secrets: [] });
    try {
      return await this.assignAndWait(job, token, execution, run, persona);
    } catch (err) {
      // Delayed, or failed after giving the run back (untracked): BullMQ retries the job.
      if (err instanceof DelayedError || !tracker.get(executionId)) throw err;
      // Never leave a reserved slot behind: the run ends here and the worker (if it started) is told.
      logger.error({ err, executionId }, 'dispatching the execution failed');
      if (run.workerId) this.deps.gateway.cancel(run.workerId, { executionId, reason: 'cancelled' });
      await tracker.finish(executionId, { status: 'failed', error: 'dispatch_error: the orchestrator could not hand the run to a worker' });
      return 'failed';
    }
  }

  /** Builds the assignment, hands it to the reserved worker, marks the row running, and waits for the end. */
  private async assignAndWait(job: Job<ExecutionJob>, token: string | undefined, execution: Execution, run: Run, persona?: Persona): Promise<string> {
    const { db, tracker, logger } = this.deps;
    const executionId = execution.id;
    const workerId = run.workerId!;
    let assignment: { payload: AssignPayload; secrets: string[] };
    try {
      assignment = await this.deps.buildAssignment(execution, persona);
    } catch (err) {
      if (!(err instanceof AssignmentError)) throw err;
      await tracker.finish(executionId, { status: 'failed', error: err.message });
      return 'failed';
    }
    tracker.setSecrets(run, assignment.secrets);

    const ack = await this.deps.gateway.assign(workerId, assignment.payload);
    if (!ack.accepted) {
      tracker.untrack(executionId);
      logger.info({ executionId, workerId, reason: ack.reason }, 'worker refused assignment; requeueing');
      return this.retryLater(job, token, 200, `worker refused: ${ack.reason ?? 'unknown'}`);
    }
    const startedAt = new Date().toISOString();
    let moved: Execution | undefined;
    try {
      moved = await executions.transitionExecution(db, executionId, ['queued'], {
        status: 'running', workerId, startedAt, updatedAt: startedAt, timeoutMs: assignment.payload.timeoutMs,
      });
    } finally {
      // A result that arrived meanwhile waited for this (see Run.assigned).
      run.markAssigned();
    }
    // Not moved: cancelled while we were assigning; stop it on the worker, whose result closes the run.
    if (!moved) tracker.cancel(executionId);
    else tracker.started(run, startedAt, assignment.payload.timeoutMs);
    await run.done;
    return 'finished';
  }

  /** Puts the job back in Redis, delayed; BullMQ requires throwing DelayedError after moving it. */
  private async retryLater(job: Job<ExecutionJob>, token: string | undefined, ms: number, why: string): Promise<never> {
    const jitter = Math.floor(Math.random() * ms * 0.5);
    this.deps.logger.debug({ executionId: job.data.executionId, why, delayMs: ms + jitter }, 'execution waits');
    await job.moveToDelayed(Date.now() + ms + jitter, token);
    throw new DelayedError();
  }

  private waitForSlot(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.slotWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.slotWaiters.add(wake);
    });
  }

  /**
   * Takes charge of an execution already `running` (orchestrator restart): it is kept if its worker
   * reclaims it within the grace, and fails `worker_disconnected` otherwise. Timeout still applies.
   */
  private async adopt(execution: Execution) {
    const { tracker, registry } = this.deps;
    const existing = tracker.get(execution.id);
    if (existing) return existing;
    const secrets = await this.deps.secretsFor(execution).catch(() => []);
    // Only the worker the run was assigned to may reclaim it; another claiming it is refused (and told to stop it).
    const claimedBy = registry.findRunning(execution.id) === execution.workerId ? execution.workerId : undefined;
    const run = tracker.track({
      executionId: execution.id, personaId: execution.personaId, workerId: claimedBy ?? execution.workerId, secrets, startedAt: execution.startedAt,
    });
    run.markAssigned(); // already `running` in the database
    if (!claimedBy) tracker.awaitWorker(run);
    const timeoutMs = execution.timeoutMs ?? 0;
    if (timeoutMs > 0 && execution.startedAt) {
      tracker.startTimeout(run, Math.max(0, Date.parse(execution.startedAt) + timeoutMs - Date.now()));
    }
    return run;
  }
}
