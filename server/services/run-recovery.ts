import type { Knex } from 'knex';
import type { Logger } from 'pino';
import * as executions from '../db/executions';
import type { Execution } from '../db/executions';
import type { RunOwnership, RunTracker } from './run-tracker';

export interface RunRecoveryDeps {
  db: Knex;
  logger: Logger;
  tracker: RunTracker;
  /** Whether the run's worker is connected to this instance and reports running it. */
  workerHere(executionId: string, workerId: string | null): boolean;
  /**
   * The session of the worker process connected here under this id (undefined: not connected
   * here, or a worker too old to say). Compared with the session a run was assigned to.
   */
  sessionHere?(workerId: string): string | undefined;
  /** With several instances: who owns what, and which instances are alive. Absent: one orchestrator owns every run. */
  owners?: RunOwnership;
  liveInstances?(): Promise<Set<string>>;
  /** Workers connected to the other live instances (their heartbeats): those decide about their workers' runs. */
  workersElsewhere?(): Promise<Set<string>>;
  /** Puts a run that never reached its worker back in the queue (row `queued`, job present). */
  requeue?(execution: Execution): Promise<void>;
}

/**
 * One recovery pass: every `running` execution that no live orchestrator tracks (its owner died or
 * restarted, or none was recorded) is taken up here — whichever instance claims it first in Redis:
 * - its worker is connected here and has it: adopted, it finishes normally;
 * - its worker is connected here, the same process it was assigned to, and does not have it: the
 *   assignment never reached it (the owner died between the claim and the send), so it goes back to
 *   the queue and runs once, later;
 * - its worker is connected to another live instance: left to that one;
 * - otherwise adopted: it fails `worker_disconnected` unless its worker comes back within the grace.
 * Answers how many runs were taken up.
 */
export async function recoverRuns(deps: RunRecoveryDeps): Promise<number> {
  const { tracker, owners } = deps;
  const candidates = (await executions.listExecutionsByStatus(deps.db, 'running')).filter((e) => !tracker.get(e.id));
  if (candidates.length === 0) return 0;
  let orphans = candidates;
  let sessions: Array<string | null> = candidates.map(() => null);
  let ours = new Set<string>();
  let elsewhere = new Set<string>();
  if (owners && deps.liveInstances) {
    const [recorded, live] = await Promise.all([owners.ownersOf(candidates.map((e) => e.id)), deps.liveInstances()]);
    // Not tracked here, yet recorded as ours: a previous process with this INSTANCE_ID.
    const keep = candidates.map((_, i) => !recorded[i] || recorded[i] === owners.instanceId || !live.has(recorded[i]!));
    orphans = candidates.filter((_, i) => keep[i]);
    ours = new Set(candidates.filter((_, i) => recorded[i] === owners.instanceId).map((e) => e.id));
    if (orphans.length === 0) return 0;
    [sessions, elsewhere] = await Promise.all([owners.sessionsOf(orphans.map((e) => e.id)), deps.workersElsewhere?.() ?? new Set<string>()]);
  }
  let taken = 0;
  for (const [i, execution] of orphans.entries()) {
    try {
      const workerId = execution.workerId;
      const holds = deps.workerHere(execution.id, workerId);
      const session = workerId ? deps.sessionHere?.(workerId) : undefined;
      if (!holds && !session && workerId && elsewhere.has(workerId)) {
        // Left to the instance its worker is on. Recorded as ours (a previous process with this
        // INSTANCE_ID, restarted), that instance would take this one, alive, for its owner and
        // leave it too: let go of it, so it is an orphan there.
        if (ours.has(execution.id)) await owners!.releaseIfMine(execution.id);
        continue;
      }
      if (owners && !(await owners.claimIfOrphan(execution.id))) continue;
      if (tracker.get(execution.id)) continue;
      if (!holds && session && sessions[i] === session && deps.requeue) {
        await requeueNeverDelivered(deps, deps.requeue, execution);
      } else {
        await tracker.adopt(execution, { workerHere: holds });
      }
      taken += 1;
    } catch (err) {
      deps.logger.error({ err, executionId: execution.id }, 'could not adopt a running execution');
    }
  }
  return taken;
}

/**
 * A worker (re)registered, on this instance or another, holding `held`: runs adopted here that wait
 * for it (a recovery pass took them up before it was back) and that it does not hold, recorded for
 * this same worker process (`session`), never reached it: the orchestrator that claimed them died
 * before sending. They go back to the queue now instead of failing `worker_disconnected` when the
 * grace ends; a run recorded for another session (the worker restarted) keeps its grace.
 */
export async function requeueUndelivered(deps: RunRecoveryDeps, workerId: string, session: string, held: readonly string[]): Promise<void> {
  const { tracker, owners } = deps;
  const executionIds = tracker.awaitingWorker(workerId).filter((id) => !held.includes(id));
  if (!owners || !deps.requeue || executionIds.length === 0) return;
  const recorded = await owners.sessionsOf(executionIds);
  for (const [i, id] of executionIds.entries()) {
    if (recorded[i] !== session || !tracker.awaitingWorker(workerId).includes(id)) continue;
    const execution = await executions.getExecution(deps.db, id);
    if (!execution || execution.status !== 'running' || execution.workerId !== workerId) continue;
    tracker.release(id);
    await requeueNeverDelivered(deps, deps.requeue, execution);
  }
}

/** Back in the queue, to run once later: the run never reached its worker. */
async function requeueNeverDelivered(deps: RunRecoveryDeps, requeue: (e: Execution) => Promise<void>, execution: Execution): Promise<void> {
  await requeue(execution);
  deps.logger.warn({ executionId: execution.id, workerId: execution.workerId }, 'run never reached its worker (its orchestrator died in between): back in the queue');
}

/**
 * Workers that registered with another instance moments ago (its `worker-back` on the cluster bus),
 * before that instance's heartbeat lists them: a recovery pass here counts them as connected there
 * for `windowMs`, so it leaves their runs to that instance (which knows what the worker holds)
 * instead of adopting a run whose worker will never come here.
 */
export class RecentlyBackElsewhere {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = 10_000, private readonly now: () => number = Date.now) {}

  note(workerId: string): void {
    this.seen.delete(workerId);
    this.seen.set(workerId, this.now());
    if (this.seen.size > 10_000) this.seen.delete(this.seen.keys().next().value!);
  }

  ids(): string[] {
    const since = this.now() - this.windowMs;
    return [...this.seen].filter(([, at]) => at >= since).map(([id]) => id);
  }
}

/** Runs `recoverRuns` every `intervalMs` (passes never overlap; a failing pass is logged). */
export function startRunRecovery(deps: RunRecoveryDeps, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = recoverRuns(deps)
      .then(() => undefined)
      .catch((err: unknown) => deps.logger.error({ err }, 'run recovery pass failed'))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, intervalMs);
          timer.unref();
        }
      });
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
