import { Worker, type ConnectionOptions } from 'bullmq';
import { QUEUE_NAMES, type EventJob } from '../../shared/queues';
import { claimEvent, getEvent, transitionEvent, type Event, type EventStatus } from '../db/events';
import { cachedConfig } from '../db/config-cache';
import { findSubscriptionCandidates } from '../db/subscriptions';
import { matchSubscriptions, uniquePersonaIds } from '../domain/matching';
import { nowFrom, type BusDeps } from '../services/events';
import { enqueueExecution } from '../services/executions';

export interface EventProcessorDeps extends BusDeps {
  /** Events deeper than this are `skipped` (CHAIN_DEPTH_LIMIT). */
  chainDepthLimit: number;
  /** Told, once an event reaches its final status, how long it took since it was accepted (metrics). */
  onDispatched?(seconds: number): void;
}

interface Outcome {
  status: EventStatus;
  error: string | null;
}

/** Creates one execution per matched, enabled persona and sums up the event's final status. */
async function dispatch(deps: EventProcessorDeps, event: Event): Promise<Outcome> {
  const candidates = await cachedConfig(deps.db, `subscriptions:${event.targetPersonaId ?? ''}:${event.eventType}`,
    () => findSubscriptionCandidates(deps.db, event.eventType, event.targetPersonaId));
  const matches = matchSubscriptions(event, candidates);
  if (matches.length === 0) return { status: 'skipped', error: 'no subscription matched' };
  let created = 0;
  const failures: string[] = [];
  for (const personaId of uniquePersonaIds(matches)) {
    const match = matches.find((m) => m.personaId === personaId)!;
    if (!match.personaEnabled) continue;
    try {
      await enqueueExecution(deps, {
        personaId,
        eventId: event.id,
        prompt: null,
        inputData: event.payload,
        timeoutMs: match.personaTimeoutMs,
        chainDepth: event.chainDepth,
      });
      created += 1;
    } catch (err) {
      deps.logger.error({ err, eventId: event.id, personaId }, 'could not create execution for event');
      failures.push(`${personaId}: ${(err as Error).message}`);
    }
  }
  if (created === 0 && failures.length === 0) return { status: 'skipped', error: 'every matching persona is disabled' };
  if (failures.length === 0) return { status: 'delivered', error: null };
  return { status: created === 0 ? 'failed' : 'partial', error: failures.join('; ') };
}

/**
 * Processes one event job: `pending`/`processing` → `processing` → `delivered` / `partial` /
 * `skipped` / `failed`. An event already in a final state is left alone (a redelivered job), and a
 * retried job creates no duplicate execution (unique per event and persona). Unexpected errors throw
 * so BullMQ retries the job.
 */
export async function processEvent(deps: EventProcessorDeps, eventId: string): Promise<EventStatus | null> {
  const event = await claimEvent(deps.db, eventId);
  if (!event) {
    // Already processed (a redelivered job) or unknown: nothing to do either way.
    const existing = await getEvent(deps.db, eventId);
    if (!existing) deps.logger.warn({ eventId, queue: QUEUE_NAMES.events }, 'event job for an unknown event; ignored');
    return existing?.status ?? null;
  }
  const outcome: Outcome =
    event.chainDepth > deps.chainDepthLimit
      ? { status: 'skipped', error: `chain depth ${event.chainDepth} exceeds the limit of ${deps.chainDepthLimit} (CHAIN_DEPTH_LIMIT)` }
      : await dispatch(deps, event);
  const processedAt = nowFrom(deps);
  if (await transitionEvent(deps.db, eventId, ['processing'], { ...outcome, processedAt: processedAt.toISOString() })) {
    deps.onDispatched?.((processedAt.getTime() - Date.parse(event.createdAt)) / 1000);
  }
  return outcome.status;
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
