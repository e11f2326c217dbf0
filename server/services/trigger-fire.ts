import { randomUUID } from 'node:crypto';
import type { Event } from '../db/events';
import { insertEvent } from '../db/events';
import { insertTickFire, insertTriggerFire, type TriggerFire } from '../db/trigger-fires';
import { updateTrigger, type Trigger } from '../db/triggers';
import { eventTypeFor } from '../domain/trigger-config';
import { addEventJob, nowFrom, prepareEvent, publishEvent, type BusDeps } from './events';
import { computeNextTriggerAt } from './trigger-schedules';

export interface FireOptions {
  /** The event's payload; default the config's `payload`. */
  payload?: unknown;
  /** Default: the config's `event_type`, else the type's default (`trigger_fired`, `chain_triggered`, …). */
  eventType?: string;
  sourceType?: string;
  chainDepth?: number;
  parentExecutionId?: string | null;
  /** Record the fire against an event that was already published (no second event). */
  existingEvent?: Event;
}

export interface FireResult {
  fire: TriggerFire;
  event: Event | null;
}

/**
 * Fires a trigger: publishes its event through the bus (targeted at the trigger's persona, source
 * id = trigger id), records a `trigger_fires` row (`fired`, or `failed` with the reason when the
 * event could not be published) and updates `lastTriggeredAt` / `nextTriggerAt`. Does not throw for
 * a refused event; database failures do throw.
 */
export async function fireTrigger(deps: BusDeps, trigger: Trigger, opts: FireOptions = {}): Promise<FireResult> {
  const now = nowFrom(deps);
  let event: Event | null = opts.existingEvent ?? null;
  let error: string | null = null;
  if (!event) {
    try {
      event = await publishEvent(deps, {
        eventType: opts.eventType ?? eventTypeFor(trigger.triggerType, trigger.config),
        sourceType: opts.sourceType ?? 'trigger',
        sourceId: trigger.id,
        targetPersonaId: trigger.personaId,
        payload: opts.payload !== undefined ? opts.payload : (trigger.config.payload ?? null),
        chainDepth: opts.chainDepth ?? 0,
        parentExecutionId: opts.parentExecutionId ?? null,
      });
    } catch (err) {
      error = (err as Error).message;
      deps.logger.warn({ err, triggerId: trigger.id }, 'trigger fire could not publish its event');
    }
  }
  const fire: TriggerFire = {
    id: randomUUID(),
    triggerId: trigger.id,
    eventId: event?.id ?? null,
    status: event ? 'fired' : 'failed',
    error,
    firedAt: now.toISOString(),
  };
  await insertTriggerFire(deps.db, fire);
  await updateTrigger(deps.db, trigger.id, { lastTriggeredAt: fire.firedAt, nextTriggerAt: computeNextTriggerAt(trigger, now) });
  return { fire, event };
}

/**
 * Fires a `schedule` trigger for one scheduler tick (`tick`: the tick's job id), at most once per
 * tick whatever the number of orchestrators or job retries: the fire row (unique per trigger and
 * tick) and the event row are written in one transaction, and the event's job is added after
 * (the outbox adds it if this process dies first). Answers `duplicate` for a tick already fired.
 */
export async function fireTick(deps: BusDeps, trigger: Trigger, tick: string): Promise<FireResult | 'duplicate'> {
  const now = nowFrom(deps);
  const fire: TriggerFire = { id: randomUUID(), triggerId: trigger.id, eventId: null, status: 'fired', error: null, firedAt: now.toISOString() };
  let event: Event | null = null;
  try {
    event = await prepareEvent(deps, {
      eventType: eventTypeFor(trigger.triggerType, trigger.config), sourceType: 'trigger', sourceId: trigger.id,
      targetPersonaId: trigger.personaId, payload: trigger.config.payload ?? null, chainDepth: 0, parentExecutionId: null,
    });
    fire.eventId = event.id;
  } catch (err) {
    [fire.status, fire.error] = ['failed', (err as Error).message];
    deps.logger.warn({ err, triggerId: trigger.id }, 'trigger fire could not publish its event');
  }
  const first = await deps.db.transaction(async (trx) => {
    if (!(await insertTickFire(trx, fire, tick))) return false;
    if (event) await insertEvent(trx, event);
    return true;
  });
  if (!first) return 'duplicate';
  if (event) await addEventJob(deps, event.id);
  await updateTrigger(deps.db, trigger.id, { lastTriggeredAt: fire.firedAt, nextTriggerAt: computeNextTriggerAt(trigger, now) });
  return { fire, event };
}

/** A payload object from the config (`payload` may be any JSON; only an object can be merged into). */
export function configPayloadObject(trigger: Trigger): Record<string, unknown> {
  const p = trigger.config.payload;
  return p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}
