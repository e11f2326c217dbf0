import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { z } from 'zod';
import * as repo from '../db/events';
import type { Event } from '../db/events';
import { getPersona } from '../db/personas';
import { parse } from '../domain/parse';
import type { Queues } from '../queues/queues';
import { mustFind } from './must-find';
import { withTimeout } from './timeout';

export interface BusDeps {
  db: Knex;
  queues: Queues;
  logger: Logger;
  /** Injected for tests; defaults to the wall clock. */
  clock?: () => Date;
  /** How long an ingress waits for Redis before leaving the event to the outbox (default 2000 ms). */
  enqueueTimeoutMs?: number;
}

export const nowFrom = (deps: { clock?: () => Date }): Date => (deps.clock ? deps.clock() : new Date());

const id200 = z.string().trim().min(1, 'must not be empty').max(200);

/** What any ingress hands to `publishEvent`; validated here so internal callers get the same rules. */
export const publishInputSchema = z.object({
  eventType: id200,
  sourceType: z.string().trim().min(1, 'must not be empty').max(100),
  sourceId: z.string().max(500).nullable().optional(),
  targetPersonaId: id200.nullable().optional(),
  payload: z.unknown().optional(),
  chainDepth: z.number().int().min(0).optional(),
  parentExecutionId: z.string().max(200).nullable().optional(),
});

export type PublishInput = z.input<typeof publishInputSchema>;

/**
 * The one way an event enters the bus (outbox pattern): validate, insert the `pending` row, then add
 * the `events` job with `jobId` = event id. If Redis refuses or does not answer within
 * `enqueueTimeoutMs`, the row stays `pending`, the failure is logged, and the outbox reconciler adds
 * the job later — the caller still gets the accepted event. A targeted event needs an existing persona (404).
 */
export async function publishEvent(deps: BusDeps, input: PublishInput): Promise<Event> {
  const event = await prepareEvent(deps, input);
  await repo.insertEvent(deps.db, event);
  await addEventJob(deps, event.id);
  return event;
}

/** The `pending` event `input` describes, validated (400) and with its target persona checked (404); not stored. */
export async function prepareEvent(deps: BusDeps, input: PublishInput): Promise<Event> {
  const v = parse(publishInputSchema, input);
  const target = v.targetPersonaId ?? null;
  if (target !== null) await mustFind(getPersona(deps.db, target), 'persona', target);
  return {
    id: randomUUID(),
    eventType: v.eventType,
    sourceType: v.sourceType,
    sourceId: v.sourceId ?? null,
    targetPersonaId: target,
    payload: v.payload === undefined ? null : v.payload,
    status: 'pending',
    error: null,
    chainDepth: v.chainDepth ?? 0,
    parentExecutionId: v.parentExecutionId ?? null,
    createdAt: nowFrom(deps).toISOString(),
    processedAt: null,
  };
}

/** Adds the event's job; answers false (and logs) when Redis fails or is too slow. Never throws. */
export async function addEventJob(deps: BusDeps, eventId: string): Promise<boolean> {
  try {
    const adding = Promise.resolve().then(() => deps.queues.events.add('event', { eventId }, { jobId: eventId }));
    // A slow add may still land later: harmless, the job id makes it idempotent.
    await withTimeout(adding, deps.enqueueTimeoutMs ?? 2000, 'adding the event job');
    return true;
  } catch (err) {
    deps.logger.warn({ err, eventId }, 'could not queue event job; the outbox will add it');
    return false;
  }
}
