import type { Knex } from 'knex';
import type { Logger } from 'pino';
import * as executions from '../db/executions';
import type { RunOwnership, RunTracker } from './run-tracker';

export interface RunRecoveryDeps {
  db: Knex;
  logger: Logger;
  tracker: RunTracker;
  /** Whether the run's worker is connected to this instance and reports running it. */
  workerHere(executionId: string, workerId: string | null): boolean;
  /** With several instances: who owns what, and which instances are alive. Absent: one orchestrator owns every run. */
  owners?: RunOwnership;
  liveInstances?(): Promise<Set<string>>;
}

/**
 * One recovery pass: every `running` execution that no live orchestrator tracks (its owner died or
 * restarted, or none was recorded) is adopted here — whichever instance claims it first in Redis —
 * and then finishes normally if its worker is (or comes back) connected, or fails
 * `worker_disconnected` after the grace. Answers how many runs were adopted.
 */
export async function recoverRuns(deps: RunRecoveryDeps): Promise<number> {
  const { tracker, owners } = deps;
  const candidates = (await executions.listExecutionsByStatus(deps.db, 'running')).filter((e) => !tracker.get(e.id));
  if (candidates.length === 0) return 0;
  let orphans = candidates;
  if (owners && deps.liveInstances) {
    const [recorded, live] = await Promise.all([owners.ownersOf(candidates.map((e) => e.id)), deps.liveInstances()]);
    // Not tracked here, yet recorded as ours: a previous process with this INSTANCE_ID.
    orphans = candidates.filter((_, i) => !recorded[i] || recorded[i] === owners.instanceId || !live.has(recorded[i]!));
  }
  let adopted = 0;
  for (const execution of orphans) {
    try {
      if (owners && !(await owners.claimIfOrphan(execution.id))) continue;
      if (tracker.get(execution.id)) continue;
      await tracker.adopt(execution, { workerHere: deps.workerHere(execution.id, execution.workerId) });
      adopted += 1;
    } catch (err) {
      deps.logger.error({ err, executionId: execution.id }, 'could not adopt a running execution');
    }
  }
  return adopted;
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
