import { Worker, type ConnectionOptions } from 'bullmq';
import type { Knex } from 'knex';
import { QUEUE_NAMES, type EventJob } from '../../shared/queues';
import { claimEvent, getEvent, transitionEvent, type Event, type EventStatus } from '../db/events';
import { findSubscriptionCandidates } from '../db/subscriptions';
import { matchSubscriptions, uniquePersonaIds } from '../domain/matching';
import { nowFrom, type BusDeps } from '../services/events';
import { addExecutionJob, createExecution } from '../services/executions';

export interface EventProcessorDeps extends BusDeps {
  /** Events deeper than this are `skipped` (CHAIN_DEPTH_LIMIT). */
  chainDepthLimit: number;
}

interface Outcome {
  status: EventStatus;
  error: string | null;
}

interface Matched {
  outcome: Outcome;
  /** Executions whose jobs are added once the rows are committed. */
  jobs: string[];
}

/**
 * Writes one execution row per matched, enabled persona (in the caller's transaction) and sums up
 * the event's final status. A persona whose row cannot be written is reported, not thrown.
 */
async function createExecutions(deps: EventProcessorDeps, trx: Knex, event: Event): Promise<Matched> {
  const matches = matchSubscriptions(event, await findSubscriptionCandidates(trx, event.eventType, event.targetPersonaId));
  if (matches.length === 0) return { outcome: { status: 'skipped', error: 'no subscription matched' }, jobs: [] };
  let created = 0;
  const jobs: string[] = [];
  const failures: string[] = [];
  for (const personaId of uniquePersonaIds(matches)) {
    const match = matches.find((m) => m.personaId === personaId)!;
    if (!match.personaEnabled) continue;
    try {
      const row = await createExecution(trx, {
        personaId,
        eventId: event.id,
        prompt: null,
        inputData: event.payload,
        timeoutMs: match.personaTimeoutMs,
        chainDepth: event.chainDepth,
      });
      created += 1;
      if (row.needsJob) jobs.push(row.execution.id);
    } catch (err) {
      deps.logger.error({ err, eventId: event.id, personaId }, 'could not create execution for event');
      failures.push(`${personaId}: ${(err as Error).message}`);
    }
  }
  if (created === 0 && failures.length === 0) return { outcome: { status: 'skipped', error: 'every matching persona is disabled' }, jobs };
  if (failures.length === 0) return { outcome: { status: 'delivered', error: null }, jobs };
  return { outcome: { status: created === 0 ? 'failed' : 'partial', error: failures.join('; ') }, jobs };
}

/**
 * Processes one event job: `pending`/`processing` → `processing` → `delivered` / `partial` /
 * `skipped` / `failed`. The claim and the execution rows are one transaction (one commit instead of
 * one per statement). The executions' jobs are added after it commits, so a job never names a row
 * that is not there, and the final status is written after them, so a final event has its jobs in
 * the queue (a crash in between leaves the event `processing`: its job is retried and re-adds them,
 * idempotently). An event already in a final state is left alone (a redelivered job), and a retried
 * job creates no duplicate execution (unique per event and persona). Unexpected errors throw so
 * BullMQ retries the job.
 */
export async function processEvent(deps: EventProcessorDeps, eventId: string): Promise<EventStatus | null> {
  const matched = await deps.db.transaction(async (trx): Promise<Matched | undefined> => {
    const event = await claimEvent(trx, eventId);
    if (!event) return undefined;
    if (event.chainDepth > deps.chainDepthLimit) {
      return { outcome: { status: 'skipped', error: `chain depth ${event.chainDepth} exceeds the limit of ${deps.chainDepthLimit} (CHAIN_DEPTH_LIMIT)` }, jobs: [] };
    }
    return createExecutions(deps, trx, event);
  });
  if (!matched) {
    // Already processed (a redelivered job) or unknown: nothing to do either way.
    const existing = await getEvent(deps.db, eventId);
    if (!existing) deps.logger.warn({ eventId, queue: QUEUE_NAMES.events }, 'event job for an unknown event; ignored');
    return existing?.status ?? null;
  }
  for (const executionId of matched.jobs) await addExecutionJob(deps, executionId);
  await transitionEvent(deps.db, eventId, ['processing'], { ...matched.outcome, processedAt: nowFrom(deps).toISOString() });
  return matched.outcome.status;
}

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency?: number;
}

/** The BullMQ worker on `events`. A job that fails its last attempt marks the event `failed` with the reason. */
export function createEventWorker(deps: EventProcessorDeps, opts: WorkerOptions): Worker<EventJob> {
  const worker = new Worker<EventJob>(QUEUE_NAMES.events, (job) => processEvent(deps, job.data.eventId), {
    connection: opts.connection,
    prefix: opts.prefix,
    concurrency: opts.concurrency ?? 32,
  });
  worker.on('failed', (job, err) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const error = `processing failed after ${job.attemptsMade} attempts: ${err.message}`;
    transitionEvent(deps.db, job.data.eventId, ['pending', 'processing'], { status: 'failed', error, processedAt: nowFrom(deps).toISOString() })
      .catch((e: unknown) => deps.logger.error({ err: e, eventId: job.data.eventId }, 'could not mark event failed'));
  });
  worker.on('error', (err) => deps.logger.error({ err, queue: QUEUE_NAMES.events }, 'event worker error'));
  return worker;
}
