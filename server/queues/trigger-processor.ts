import { Worker } from 'bullmq';
import { QUEUE_NAMES, type TriggerJob } from '../../shared/queues';
import { getTrigger } from '../db/triggers';
import { SCHEDULED_TYPES } from '../domain/trigger-config';
import { pollTrigger, type PollDeps } from '../services/polling';
import { fireTick, fireTrigger } from '../services/trigger-fire';
import { removeTriggerScheduler } from '../services/trigger-schedules';
import type { WorkerOptions } from './event-processor';

/**
 * One scheduler job: fire a `schedule` trigger (once per tick: `tick` is the job's id) or poll a
 * `polling` one. A job for a trigger that is gone, disabled or no longer scheduled does nothing but
 * remove its stale scheduler (the DB wins).
 */
export async function processTriggerJob(deps: PollDeps, triggerId: string, tick?: string): Promise<string> {
  const trigger = await getTrigger(deps.db, triggerId);
  if (!trigger || !trigger.enabled || !SCHEDULED_TYPES.includes(trigger.triggerType as never)) {
    await removeTriggerScheduler(deps, triggerId).catch((err: unknown) =>
      deps.logger.warn({ err, triggerId }, 'could not remove a stale trigger scheduler'),
    );
    return 'ignored';
  }
  if (trigger.triggerType === 'polling') return (await pollTrigger(deps, trigger)).outcome;
  if (tick) {
    const fired = await fireTick(deps, trigger, tick);
    return fired === 'duplicate' ? 'duplicate' : fired.fire.status;
  }
  const { fire } = await fireTrigger(deps, trigger);
  return fire.status;
}

/** How long a taken tick stays locked without renewal: an orchestrator's death costs the schedule about this much. */
export const TRIGGER_LOCK_MS = 2_000;

export function createTriggerWorker(deps: PollDeps, opts: WorkerOptions): Worker<TriggerJob> {
  const worker = new Worker<TriggerJob>(QUEUE_NAMES.triggers, (job) => processTriggerJob(deps, job.data.triggerId, job.id), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 4,
    // A scheduler's next job is added just after a worker takes the current one: an orchestrator
    // killed in between leaves the schedule without a next tick until the taken job comes back as
    // stalled. With BullMQ's 30 s lock that was half a minute of lost ticks; a fire takes
    // milliseconds (a long poll keeps its lock renewed every second), so a 2 s lock brings the job
    // back to another orchestrator within ~3 s. Firing a tick twice is harmless (trigger_fires keeps
    // one per tick), so a busy instance whose lock lapsed costs nothing but a duplicate skipped.
    lockDuration: TRIGGER_LOCK_MS,
    stalledInterval: TRIGGER_LOCK_MS / 2,
    maxStalledCount: 5,
  });
  worker.on('failed', (job, err) => deps.logger.error({ err, triggerId: job?.data.triggerId, queue: QUEUE_NAMES.triggers }, 'trigger job failed'));
  worker.on('error', (err) => deps.logger.error({ err, queue: QUEUE_NAMES.triggers }, 'trigger worker error'));
  return worker;
}
