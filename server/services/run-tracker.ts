import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createScrubber } from '../../shared/scrub';
import type { CancelPayload } from '../../shared/socket-events';
import * as executions from '../db/executions';
import type { Execution, ExecutionStatus } from '../db/executions';
import type { WorkerRegistry } from '../gateway/worker-registry';
import type { OutputBus } from './output-bus';
import type { RunOwnership } from './run-ownership';

export type { RunOwnership } from './run-ownership';

/** How an execution ended, as reported by a worker or decided by the orchestrator. */
export interface Outcome {
  status: 'completed' | 'failed' | 'cancelled';
  error: string | null;
  exitCode?: number | null;
  result?: string | null;
  costUsd?: number | null;
  numTurns?: number | null;
  sessionId?: string | null;
}

/** One execution the orchestrator considers in flight (assigned, or orphaned awaiting its worker). */
export interface Run {
  executionId: string;
  personaId: string | null;
  workerId: string | null;
  scrub: (text: string) => string;
  timedOut: boolean;
  /** Set when a person asked to cancel: only then does the run end `cancelled`. */
  cancelRequested: boolean;
  /** When the row became `running` (for durationMs without re-reading it). */
  startedAt: string | null;
  /** Taken up already `running` (adopt): only a `running` row is this run's to finish. */
  adopted?: boolean;
  timers: Set<NodeJS.Timeout>;
  graceTimer?: NodeJS.Timeout;
  /**
   * Settles once the dispatcher has recorded the assignment (row `running`, worker, start): a
   * worker's result can arrive before that update, and must not overtake it.
   */
  assigned: Promise<void>;
  markAssigned(): void;
  done: Promise<void>;
  resolve(): void;
}

export interface RunTrackerDeps {
  db: Knex;
  logger: Logger;
  registry: WorkerRegistry<unknown>;
  gateway: { cancel(workerId: string, p: CancelPayload): boolean };
  bus: OutputBus;
  /** How long a disconnected worker may take to reclaim its runs before they fail `worker_disconnected`. */
  workerGraceMs: number;
  /** After asking a worker to stop a run, how long to wait for its result before deciding alone. */
  stopGraceMs: number;
  /** Called after an execution reached a final status (chain triggers); errors are logged. */
  onFinished?: (execution: Execution) => Promise<void>;
  /** The secret values of an execution, to scrub the output of a run adopted here. */
  secretsFor?: (execution: Execution) => Promise<string[]>;
  /** Run ownership across orchestrator instances; absent with one orchestrator. */
  owners?: RunOwnership;
  /** Tells the other instances (cluster bus): `run-ended`, `run-adopted`. */
  announce?: (type: 'run-ended' | 'run-adopted', fields: { executionId: string }) => Promise<void>;
  clock?: () => Date;
}

/**
 * The orchestrator's view of runs in flight: timeouts, cancellation, worker loss, and the one place
 * an execution reaches its final status. Every finisher goes through `finish`, which moves the row
 * only from queued/running, so a late result, a timeout and a disconnect cannot both win — on one
 * instance or several (the database decides). With several instances each run is tracked by its
 * owner (see RunOwnership); the others record what its worker sends them and tell the owner.
 */
export class RunTracker {
  private readonly runs = new Map<string, Run>();
  private readonly now: () => Date;

  constructor(private readonly deps: RunTrackerDeps) {
    this.now = deps.clock ?? (() => new Date());
  }

  get(executionId: string): Run | undefined {
    return this.runs.get(executionId);
  }

  /** Starts tracking (the caller has claimed the run: the row, and its ownership with several instances). */
  track(opts: { executionId: string; personaId: string | null; workerId: string | null; secrets: string[]; startedAt?: string | null }): Run {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    let markAssigned!: () => void;
    const assigned = new Promise<void>((r) => (markAssigned = r));
    const run: Run = {
      executionId: opts.executionId, personaId: opts.personaId, workerId: opts.workerId,
      scrub: createScrubber(opts.secrets), timedOut: false, cancelRequested: false, startedAt: opts.startedAt ?? null,
      timers: new Set(), assigned, markAssigned, done, resolve,
    };
    this.runs.set(opts.executionId, run);
    return run;
  }

  /** Forgets a run that never started (assignment refused); the execution goes back to the queue. */
  untrack(executionId: string): void {
    const run = this.runs.get(executionId);
    if (!run) return;
    this.clearTimers(run);
    this.runs.delete(executionId);
    this.deps.registry.release(run.workerId, executionId);
    run.markAssigned();
    this.deps.owners?.releaseIfMine(executionId).catch((err: Error) => this.deps.logger.warn({ err: err.message, executionId }, 'could not release run ownership'));
  }

  /**
   * Stops tracking a run without deciding anything: another instance took it over (its worker
   * re-attached there) or recorded its end. Whoever waits on the run here (the dispatcher's job) is released.
   */
  release(executionId: string): boolean {
    const run = this.runs.get(executionId);
    if (!run) return false;
    this.clearTimers(run);
    this.runs.delete(executionId);
    this.deps.registry.release(run.workerId, executionId);
    run.markAssigned();
    run.resolve();
    return true;
  }

  /**
   * Takes charge of an execution already `running` whose owner is gone (an orchestrator restarted
   * or died) or whose worker re-attached here: it is kept if its worker is (or comes back) within
   * the grace, and fails `worker_disconnected` otherwise. The timeout still counts from its start;
   * a cancel asked for while nobody tracked it is carried out now.
   */
  async adopt(execution: Execution, opts: { workerHere: boolean }): Promise<Run> {
    const existing = this.runs.get(execution.id);
    if (existing) return existing;
    const secrets = (await this.deps.secretsFor?.(execution).catch(() => [])) ?? [];
    const again = this.runs.get(execution.id);
    if (again) return again;
    const run = this.track({ executionId: execution.id, personaId: execution.personaId, workerId: execution.workerId, secrets, startedAt: execution.startedAt });
    run.adopted = true;
    run.markAssigned(); // already `running` in the database
    if (!opts.workerHere) this.awaitWorker(run);
    const timeoutMs = execution.timeoutMs ?? 0;
    if (timeoutMs > 0 && execution.startedAt) this.startTimeout(run, Math.max(0, Date.parse(execution.startedAt) + timeoutMs - this.now().getTime()));
    this.deps.logger.info({ executionId: execution.id, workerId: execution.workerId, workerHere: opts.workerHere }, 'adopted a running execution');
    if (await this.deps.owners?.cancelRequested(execution.id).catch(() => false)) this.cancel(execution.id);
    return run;
  }

  /** The assignment is built: output from now on is scrubbed of these values. */
  setSecrets(run: Run, secrets: string[]): void {
    run.scrub = createScrubber(secrets);
  }

  /** The worker accepted and the row is `running`: followers hear it and the timeout starts. */
  started(run: Run, startedAt: string, timeoutMs: number): void {
    run.startedAt = startedAt;
    this.deps.bus.publishStatus(run.executionId, 'running');
    this.startTimeout(run, timeoutMs);
  }

  startTimeout(run: Run, timeoutMs: number): void {
    this.addTimer(run, timeoutMs, () => {
      run.timedOut = true;
      this.deps.logger.info({ executionId: run.executionId, timeoutMs }, 'execution timed out; stopping it');
      this.stop(run, 'timeout', { status: 'failed', error: 'timeout' });
    });
  }

  /** A person cancels a run in flight. Answers false if it is not in flight here. */
  cancel(executionId: string): boolean {
    const run = this.runs.get(executionId);
    if (!run) return false;
    run.cancelRequested = true;
    this.stop(run, 'cancelled', { status: 'cancelled', error: 'cancelled' });
    return true;
  }

  /**
   * A worker re-attached here with a run this instance does not track (its orchestrator died, or
   * it failed over to this one): this instance owns the run from now on, and the one that tracked
   * it (if alive) lets go when it hears `run-adopted`.
   */
  async takeOver(execution: Execution): Promise<Run> {
    await this.deps.owners?.claim(execution.id);
    const run = await this.adopt(execution, { workerHere: true });
    await this.deps.announce?.('run-adopted', { executionId: execution.id });
    return run;
  }

  /** Runs waiting (in their grace) for `workerId` to come back with them. */
  awaitingWorker(workerId: string): string[] {
    return [...this.runs.values()].filter((r) => r.workerId === workerId && r.graceTimer).map((r) => r.executionId);
  }

  /** A worker went away: its runs fail unless it re-registers with them within the grace. */
  workerDisconnected(workerId: string): void {
    for (const run of this.runs.values()) if (run.workerId === workerId) this.awaitWorker(run);
  }

  /** A worker's token was revoked: it cannot come back, so its runs fail `worker_disconnected` now. */
  workerRevoked(workerId: string): void {
    for (const run of [...this.runs.values()]) {
      if (run.workerId === workerId) void this.finish(run.executionId, { status: 'failed', error: 'worker_disconnected' });
    }
  }

  /** Starts the grace for a run whose worker is not connected (idempotent). */
  awaitWorker(run: Run): void {
    if (run.graceTimer) return;
    run.graceTimer = this.addTimer(run, this.deps.workerGraceMs, () => void this.graceOver(run));
  }

  /** The worker did not come back here: fail the run, unless another instance took it over meanwhile. */
  private async graceOver(run: Run): Promise<void> {
    const owners = this.deps.owners;
    if (owners) {
      const [owner] = await owners.ownersOf([run.executionId]).catch(() => [null]);
      if (owner && owner !== owners.instanceId) {
        this.deps.logger.info({ executionId: run.executionId, owner }, 'run taken over by another orchestrator; no longer tracked here');
        this.release(run.executionId);
        return;
      }
    }
    await this.finish(run.executionId, { status: 'failed', error: 'worker_disconnected' });
  }

  /**
   * A worker (re)registered: runs it still has are kept; runs we no longer track, and runs assigned
   * to another worker (which it may not take over), are answered as unknown, to be stopped there.
   */
  workerRegistered(workerId: string, running: string[]): string[] {
    const unknown: string[] = [];
    for (const id of running) {
      const run = this.runs.get(id);
      if (!run || (run.workerId !== null && run.workerId !== workerId)) {
        unknown.push(id);
        continue;
      }
      run.workerId = workerId;
      if (run.graceTimer) {
        clearTimeout(run.graceTimer);
        run.timers.delete(run.graceTimer);
        run.graceTimer = undefined;
      }
    }
    return unknown;
  }

  /**
   * Records the final status (from queued/running only), releases the slot, tells followers and the
   * event bus. Idempotent: a second finisher finds nothing to do.
   */
  async finish(executionId: string, outcome: Outcome, scrubIfUntracked?: (s: string) => string): Promise<Execution | undefined> {
    const run = this.runs.get(executionId);
    const scrub = run?.scrub ?? scrubIfUntracked ?? ((s: string) => s);
    if (run) {
      this.clearTimers(run);
      this.runs.delete(executionId);
      this.deps.registry.release(run.workerId, executionId);
    }
    let { status, error } = outcome;
    if (run?.timedOut && status !== 'completed') [status, error] = ['failed', 'timeout'];
    else if (status === 'cancelled' && run && !run.cancelRequested) [status, error] = ['failed', error && error !== 'cancelled' ? error : 'worker_shutdown'];
    try {
      const startedAt = run ? run.startedAt : (await executions.getExecution(this.deps.db, executionId))?.startedAt ?? null;
      const completedAt = this.now();
      // An adopted run back in the queue (another instance found it never reached its worker) is not ours to end.
      const moved = await executions.transitionExecution(this.deps.db, executionId, run?.adopted ? ['running'] : ['queued', 'running'], {
        status: status as ExecutionStatus,
        error: error === null ? null : scrub(error),
        exitCode: outcome.exitCode ?? null,
        result: outcome.result == null ? null : scrub(outcome.result),
        costUsd: outcome.costUsd ?? null,
        numTurns: outcome.numTurns ?? null,
        sessionId: outcome.sessionId ?? null,
        completedAt: completedAt.toISOString(),
        durationMs: startedAt ? completedAt.getTime() - Date.parse(startedAt) : null,
        updatedAt: completedAt.toISOString(),
      });
      const final = moved ?? (await executions.getExecution(this.deps.db, executionId));
      if (!final || !executions.TERMINAL_STATUSES.includes(final.status)) return final;
      if (moved) this.afterEnd(executionId, run === undefined);
      this.deps.bus.publishEnd({ executionId, status: final.status, error: final.error });
      if (moved) {
        this.deps.logger.info({ executionId, status: final.status, error: final.error, durationMs: final.durationMs }, 'execution finished');
        await this.deps.onFinished?.(final).catch((err) =>
          this.deps.logger.error({ err, executionId }, 'post-execution hook failed'),
        );
      }
      return final;
    } finally {
      run?.markAssigned();
      run?.resolve();
    }
  }

  /**
   * The run is over: nobody owns it any more. Recorded here without being tracked here (its worker
   * sent the result to this instance): the instance that tracks it lets go.
   */
  private afterEnd(executionId: string, trackedElsewhere: boolean): void {
    const log = (err: Error) => this.deps.logger.warn({ err: err.message, executionId }, 'could not tell the other orchestrators a run ended');
    this.deps.owners?.forget(executionId).catch(log);
    if (trackedElsewhere) this.deps.announce?.('run-ended', { executionId }).catch(log);
  }

  /** Asks the worker to stop the run; if it does not answer in time, decide alone. */
  private stop(run: Run, reason: CancelPayload['reason'], fallback: Outcome): void {
    const told = run.workerId ? this.deps.gateway.cancel(run.workerId, { executionId: run.executionId, reason }) : false;
    const wait = told ? this.deps.stopGraceMs : 0;
    this.addTimer(run, wait, () => void this.finish(run.executionId, fallback));
  }

  private addTimer(run: Run, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      run.timers.delete(t);
      try {
        fn();
      } catch (err) {
        this.deps.logger.error({ err, executionId: run.executionId }, 'run timer failed');
      }
    }, ms);
    t.unref?.();
    run.timers.add(t);
    return t;
  }

  private clearTimers(run: Run): void {
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
    run.graceTimer = undefined;
  }

  /** Stops every timer (shutdown); runs stay `running` in the DB and are reclaimed or failed after restart. */
  close(): void {
    for (const run of this.runs.values()) {
      this.clearTimers(run);
      run.resolve();
    }
  }

}
