import { DelayedError, type Job } from 'bullmq';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { QUEUE_NAMES, type ExecutionJob } from '../../shared/queues';
import type { AssignAck, AssignPayload, CancelPayload } from '../../shared/socket-events';
import { claimExecution, unclaimExecution } from '../db/execution-claims';
import * as executions from '../db/executions';
import type { Execution } from '../db/executions';
import { cachedPersona } from '../db/config-cache';
import type { Persona } from '../db/personas';
import type { WorkerRegistry } from '../gateway/worker-registry';
import { AssignmentError } from '../services/assignment-error';
import type { Run, RunOwnership, RunTracker } from '../services/run-tracker';
import { ConsumerPool } from './consumer-pool';
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
  /** The run's time limit: the execution's, else its persona's, else DEFAULT_TIMEOUT_MS (recorded at the claim). */
  timeoutFor(execution: Execution, persona?: Persona): number;
  /** Run ownership across orchestrator instances; absent with one orchestrator. */
  owners?: RunOwnership;
  /** Adopts runs left by dead owners; the dispatcher runs one pass before it takes jobs. */
  recoverRuns?(): Promise<void>;
  /** Delay before a job over its persona's maxConcurrent is looked at again. */
  capacityRetryMs?: number;
  /** How long a job waits in memory for a free worker slot before going back to Redis (delayed). */
  slotWaitMs?: number;
}

/**
 * The execution dispatcher: a BullMQ worker on `executions` whose concurrency follows the total
 * slots of the workers connected to this instance (paused while it has none), so a burst waits in
 * Redis and the instances with free slots take it (competing consumers). Each job holds until its
 * run ends. The row is claimed in the database (`running` on the chosen worker, with the persona's
 * `maxConcurrent` checked in the same transaction) before the worker is told: whatever instance dies
 * when, a run is never handed out twice.
 */
export class Dispatcher {
  private pool?: ConsumerPool<ExecutionJob>;
  private readonly slotWaiters = new Set<() => void>();

  constructor(private readonly deps: DispatcherDeps) {}

  /** Adopts runs left `running` by a previous orchestrator, then starts taking jobs. */
  async start(): Promise<void> {
    await this.deps.recoverRuns?.().catch((err) => this.deps.logger.error({ err }, 'could not adopt running executions'));
    this.pool = new ConsumerPool<ExecutionJob>(QUEUE_NAMES.executions, (job, token) => this.process(job, token), {
      connection: redisConnection(this.deps.redisUrl),
      prefix: this.deps.queuePrefix,
      // Runs last minutes; the lock is renewed while the processor waits. A dead orchestrator's jobs
      // come back as stalled within lockDuration + stalledInterval and are adopted (see process()).
      lockDuration: 20_000,
      stalledInterval: 10_000,
      maxStalledCount: 3,
    }, this.deps.logger);
    this.pool.start(this.deps.registry.totalSlots());
    this.workersChanged();
  }

  /**
   * Called when workers or slots change: follows this instance's total slots (pausing intake while
   * it has no worker, so jobs go to instances that have) and wakes jobs waiting for a slot.
   */
  workersChanged(): void {
    this.pool?.resize(this.deps.registry.totalSlots());
    for (const wake of [...this.slotWaiters]) wake();
  }

  async close(): Promise<void> {
    for (const wake of [...this.slotWaiters]) wake();
    await this.pool?.close();
  }

  /**
   * A job holds until its run ends, but nothing of the hand-out is kept meanwhile: Node keeps every
   * local of an async function alive until the function returns, so the wait for the end is not in
   * handOut's frame (the prompt and the env would otherwise live as long as the run, and be copied
   * out of the young generation by every scavenge while they do).
   */
  private async process(job: Job<ExecutionJob>, token?: string): Promise<string> {
    const handed = await this.handOut(job, token);
    return typeof handed === 'string' ? handed : this.waitForEnd(handed);
  }

  private async waitForEnd(run: Run): Promise<string> {
    await run.done;
    return 'finished';
  }

  /** Claims the run and hands it to a worker; answers the run once its worker accepted it, else the job's result. */
  private async handOut(job: Job<ExecutionJob>, token?: string): Promise<string | Run> {
    const { db, tracker, registry, logger } = this.deps;
    const executionId = job.data.executionId;
    const existing = tracker.get(executionId);
    if (existing) return existing;
    const execution = await executions.getExecution(db, executionId);
    if (!execution || execution.status === 'completed' || execution.status === 'failed' || execution.status === 'cancelled') return 'skipped';
    if (execution.status === 'running') return this.adoptOrLeave(execution);

    const persona = execution.personaId ? await cachedPersona(db, execution.personaId) : undefined;
    let worker = registry.pickFree();
    if (!worker) {
      await this.waitForSlot(this.deps.slotWaitMs ?? 1000);
      // It may have been cancelled while it waited.
      if ((await executions.getExecution(db, executionId))?.status !== 'queued') return 'skipped';
      worker = registry.pickFree();
    }
    if (!worker || !registry.reserve(worker.workerId, executionId)) {
      return this.retryLater(job, token, 250, 'no free worker slot');
    }
    const workerId = worker.workerId;
    const timeoutMs = this.deps.timeoutFor(execution, persona);
    // Tracked and owned before the row says `running`, so no recovery pass (here or on another
    // instance) takes it for an orphan; untrack() gives the slot and the ownership back.
    const run = tracker.track({ executionId, personaId: execution.personaId, workerId, secrets: [] });
    // Built before the claim: from the moment the row says `running` until the worker has the
    // assignment nothing waits (an orchestrator dying in between would strand the run).
    let assignment: { payload: AssignPayload; secrets: string[] };
    try {
      // The owner entry is written meanwhile (a Redis round trip hidden behind the build).
      [assignment] = await Promise.all([this.deps.buildAssignment(execution, persona), this.deps.owners?.claim(executionId, registry.sessionOf(workerId))]);
    } catch (err) {
      if (!(err instanceof AssignmentError)) {
        tracker.untrack(executionId);
        throw err;
      }
      await tracker.finish(executionId, { status: 'failed', error: err.message });
      return 'failed';
    }
    tracker.setSecrets(run, assignment.secrets);
    let claim: Awaited<ReturnType<typeof claimExecution>>;
    const startedAt = new Date().toISOString();
    run.startedAt = startedAt;
    try {
      claim = await claimExecution(db, {
        executionId, personaId: execution.personaId, maxConcurrent: persona ? persona.maxConcurrent : Number.POSITIVE_INFINITY,
        workerId, startedAt, timeoutMs,
      });
    } catch (err) {
      tracker.untrack(executionId);
      throw err;
    }
    if (claim !== 'claimed') {
      tracker.untrack(executionId);
      if (claim === 'not_queued') return 'skipped';
      return this.retryLater(job, token, this.deps.capacityRetryMs ?? 300, 'persona at maxConcurrent');
    }
    const claimed: Execution = { ...execution, status: 'running', workerId, startedAt, timeoutMs, updatedAt: startedAt };
    try {
      return await this.handOver(job, token, claimed, run, assignment);
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

  /**
   * A job for a run already `running` (its orchestrator died, the job came back as stalled): adopt
   * the run unless a live instance owns it (its worker re-attached there), in which case the run
   * lives on there and this job is done.
   */
  private async adoptOrLeave(execution: Execution): Promise<string | Run> {
    const { tracker, registry, owners } = this.deps;
    if (owners && !(await owners.claimIfOrphan(execution.id))) return 'owned_elsewhere';
    const workerHere = registry.findRunning(execution.id) === execution.workerId;
    return tracker.adopt(execution, { workerHere });
  }

  /** Hands the assignment to the worker the row was claimed for; answers the run once the worker has it. */
  private async handOver(
    job: Job<ExecutionJob>, token: string | undefined, execution: Execution, run: Run, assignment: { payload: AssignPayload; secrets: string[] },
  ): Promise<string | Run> {
    const { db, tracker, logger } = this.deps;
    const executionId = execution.id;
    const workerId = run.workerId!;
    const ack = await this.deps.gateway.assign(workerId, assignment.payload);
    if (!ack.accepted) {
      if (run.cancelRequested) {
        await tracker.finish(executionId, { status: 'cancelled', error: 'cancelled' });
        return 'cancelled';
      }
      // Back to `queued` while still owned here, then let go: no other instance adopts it in between.
      await unclaimExecution(db, executionId, workerId, new Date().toISOString());
      tracker.untrack(executionId);
      logger.info({ executionId, workerId, reason: ack.reason }, 'worker refused assignment; requeueing');
      return this.retryLater(job, token, 200, `worker refused: ${ack.reason ?? 'unknown'}`);
    }
    // A result that arrives from now on finishes the run (it waited for this, see Run.assigned).
    run.markAssigned();
    if (tracker.get(executionId) === run) {
      tracker.started(run, execution.startedAt ?? new Date().toISOString(), assignment.payload.timeoutMs);
      // Cancelled (or timed out) while the worker was being told: it has the run now, tell it again.
      if (run.cancelRequested || run.timedOut) this.deps.gateway.cancel(workerId, { executionId, reason: run.timedOut ? 'timeout' : 'cancelled' });
    }
    return run;
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
}
