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

export function createTriggerWorker(deps: PollDeps, opts: WorkerOptions): Worker<TriggerJob> {
  const worker = new Worker<TriggerJob>(QUEUE_NAMES.triggers, (job) => processTriggerJob(deps, job.data.triggerId, job.id), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 4,
  });
  worker.on('failed', (job, err) => deps.logger.error({ err, triggerId: job?.data.triggerId, queue: QUEUE_NAMES.triggers }, 'trigger job failed'));
  worker.on('error', (err) => deps.logger.error({ err, queue: QUEUE_NAMES.triggers }, 'trigger worker error'));
  return worker;
}
