import type { Event } from '../db/events';
import { getPersona } from '../db/personas';
import { listEnabledPersonaTriggers } from '../db/triggers';
import { mapGitlabPayload } from '../domain/gitlab';
import { ValidationError } from '../../shared/errors';
import { publishEvent, type BusDeps } from './events';
import { mustFind } from './must-find';
import { configPayloadObject, fireTrigger } from './trigger-fire';

/** Event type of `POST /api/webhooks/:personaId` (the desktop app's name for an incoming webhook). */
export const WEBHOOK_EVENT_TYPE = 'webhook_received';

export interface WebhookResult {
  event: Event;
  /** The persona's webhook triggers that fired, with the event each published (or the base event). */
  triggers: Array<{ triggerId: string; eventId: string | null }>;
}

/**
 * A generic webhook for one persona (404 if unknown): publishes `webhook_received` (sourceType
 * `webhook`, targeted at the persona, payload = the body) and fires the persona's enabled `webhook`
 * triggers. A trigger naming its own `event_type` publishes a second event of that type (payload =
 * its config payload merged with the body); one without only records its fire against the base event.
 */
export async function receiveWebhook(deps: BusDeps, personaId: string, body: unknown, sourceId: string | null): Promise<WebhookResult> {
  await mustFind(getPersona(deps.db, personaId), 'persona', personaId);
  const event = await publishEvent(deps, {
    eventType: WEBHOOK_EVENT_TYPE,
    sourceType: 'webhook',
    sourceId,
    targetPersonaId: personaId,
    payload: body === undefined ? null : body,
  });
  const fired: WebhookResult['triggers'] = [];
  for (const trigger of await listEnabledPersonaTriggers(deps.db, personaId, 'webhook')) {
    try {
      const ownType = typeof trigger.config.event_type === 'string' && trigger.config.event_type !== WEBHOOK_EVENT_TYPE;
      const bodyObject = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : { body: body ?? null };
      const result = await fireTrigger(deps, trigger, ownType
        ? { payload: { ...configPayloadObject(trigger), ...bodyObject }, sourceType: 'webhook' }
        : { existingEvent: event });
      fired.push({ triggerId: trigger.id, eventId: result.event?.id ?? null });
    } catch (err) {
      deps.logger.error({ err, triggerId: trigger.id }, 'webhook trigger failed to fire');
    }
  }
  return { event, triggers: fired };
}

/** A GitLab webhook body → `gitlab_{object_kind}` event (400 naming `object_kind` when it is not GitLab's). */
export async function receiveGitlabWebhook(deps: BusDeps, body: unknown): Promise<Event> {
  const mapped = mapGitlabPayload(body);
  if (!mapped.ok) throw new ValidationError(`invalid GitLab webhook: ${mapped.field}: ${mapped.message}`, [{ field: mapped.field, message: mapped.message }]);
  return publishEvent(deps, mapped.event);
}
