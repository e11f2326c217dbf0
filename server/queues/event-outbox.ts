import type { Job, Queue } from 'bullmq';
import { listEventIdsByStatusBefore } from '../db/events';
import { listQueuedExecutionIdsBefore } from '../db/outbox';
import { addEventJob, nowFrom, type BusDeps } from '../services/events';
import { addExecutionJob } from '../services/executions';
import { withTimeout } from '../services/timeout';

/** A pass stuck on an unreachable Redis is abandoned (its commands finish or fail on their own). */
const PASS_TIMEOUT_MS = 15_000;

export interface OutboxOptions {
  /** Only rows at least this old are looked at, so a write in progress is not raced (default 2000 ms). */
  minAgeMs?: number;
  /** A `processing` event this old whose job is gone is re-queued (default 60 s). */
  staleProcessingMs?: number;
  /** Rows per kind per pass (default 200). */
  batch?: number;
}

async function jobFinishedOrMissing(queue: Queue, id: string): Promise<{ missing: boolean; finished: Job | null }> {
  const job = await queue.getJob(id);
  if (!job) return { missing: true, finished: null };
  const state = await job.getState();
  return { missing: false, finished: state === 'completed' || state === 'failed' ? job : null };
}

/**
 * One outbox pass. Re-adds the job of every event still `pending` (Redis was down, or the process
 * died between the row and the job) — a job still waiting is left alone, a finished one is replaced —
 * and of `processing` events whose job vanished; re-adds the job of `queued` executions that have
 * none. The same job ids mean an event is never processed twice; processing is idempotent anyway.
 */
export async function reconcileOutbox(deps: BusDeps, opts: OutboxOptions = {}): Promise<{ events: number; executions: number }> {
  const now = nowFrom(deps).getTime();
  const before = new Date(now - (opts.minAgeMs ?? 2000)).toISOString();
  const batch = opts.batch ?? 200;
  const queue = deps.queues.events as unknown as Queue;
  let events = 0;
  for (const id of await listEventIdsByStatusBefore(deps.db, 'pending', before, batch)) {
    const { missing, finished } = await jobFinishedOrMissing(queue, id);
    if (finished) await finished.remove();
    if ((missing || finished) && (await addEventJob(deps, id))) events += 1;
  }
  const staleBefore = new Date(now - (opts.staleProcessingMs ?? 60_000)).toISOString();
  for (const id of await listEventIdsByStatusBefore(deps.db, 'processing', staleBefore, batch)) {
    const { missing, finished } = await jobFinishedOrMissing(queue, id);
    if (finished) await finished.remove();
    if ((missing || finished) && (await addEventJob(deps, id))) events += 1;
  }
  let executions = 0;
  // A queued execution whose job is gone, or finished (it was put back in the queue after its job
  // ended, e.g. by another orchestrator's recovery), gets a job again.
  for (const id of await listQueuedExecutionIdsBefore(deps.db, before, batch)) {
    const { missing, finished } = await jobFinishedOrMissing(deps.queues.executions as unknown as Queue, id);
    if (finished) await finished.remove();
    if ((missing || finished) && (await addExecutionJob(deps, id))) executions += 1;
  }
  if (events + executions > 0) deps.logger.info({ events, executions }, 'outbox re-queued jobs');
  return { events, executions };
}

/**
 * Runs `reconcileOutbox` now and every `intervalMs`; a failing pass is logged and the loop carries on.
 * Passes never overlap.
 */
export function startOutboxLoop(deps: BusDeps, intervalMs: number, opts: OutboxOptions = {}): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = withTimeout(reconcileOutbox(deps, opts), PASS_TIMEOUT_MS, 'outbox pass')
      .then(() => undefined)
      .catch((err: unknown) => deps.logger.error({ err, queue: 'events' }, 'outbox pass failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
