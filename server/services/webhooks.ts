import type { IncomingHttpHeaders } from 'node:http';
import type { Event } from '../db/events';
import { getPersona } from '../db/personas';
import { listEnabledPersonaTriggers } from '../db/triggers';
import { mapGithubDelivery } from '../domain/github';
import { mapGitlabPayload } from '../domain/gitlab';
import { mapSlackRequest } from '../domain/slack';
import { ValidationError } from '../../shared/errors';
import type { BusDeps } from './events';
import { mustFind } from './must-find';
import { configPayloadObject, fireTrigger } from './trigger-fire';
import { publishOnce, type Delivery } from './webhook-deliveries';

/** Event type of `POST /api/webhooks/:personaId` (the desktop app's name for an incoming webhook). */
export const WEBHOOK_EVENT_TYPE = 'webhook_received';

export interface WebhookResult {
  event: Event;
  /** The persona's webhook triggers that fired, with the event each published (or the base event). */
  triggers: Array<{ triggerId: string; eventId: string | null }>;
  /** A re-delivery within 24 h: `event` is the first delivery's and nothing fired. */
  duplicate: boolean;
}

/** An ingress answer: status and JSON body, for the route to send as it is. */
export interface IngressAnswer {
  status: number;
  body: unknown;
}

/** The delivery id in `header`, or null when absent (400 naming the header when it is unusable). */
export function deliveryIdFrom(headers: IncomingHttpHeaders, header: string, source: string): Delivery | null {
  const value = headers[header.toLowerCase()];
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
    throw new ValidationError(`invalid header: ${header}: must be one delivery id of at most 200 characters`, [
      { field: header, message: 'must be one delivery id of at most 200 characters' },
    ]);
  }
  return { source, id: value.trim() };
}

const invalid = (what: string, field: string, message: string) =>
  new ValidationError(`invalid ${what}: ${field}: ${message}`, [{ field, message }]);

/**
 * A generic webhook for one persona (404 if unknown): publishes `webhook_received` (sourceType
 * `webhook`, targeted at the persona, payload = the body) and fires the persona's enabled `webhook`
 * triggers. A trigger naming its own `event_type` publishes a second event of that type (payload =
 * its config payload merged with the body); one without only records its fire against the base event.
 * A repeated `delivery` answers the first event and fires nothing.
 */
export async function receiveWebhook(
  deps: BusDeps, personaId: string, body: unknown, sourceId: string | null, delivery: Delivery | null = null,
): Promise<WebhookResult> {
  await mustFind(getPersona(deps.db, personaId), 'persona', personaId);
  const { event, duplicate } = await publishOnce(deps, {
    eventType: WEBHOOK_EVENT_TYPE,
    sourceType: 'webhook',
    sourceId,
    targetPersonaId: personaId,
    payload: body === undefined ? null : body,
  }, delivery);
  const fired: WebhookResult['triggers'] = [];
  if (duplicate) return { event, triggers: fired, duplicate };
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
  return { event, triggers: fired, duplicate };
}

/** A GitLab webhook body → `gitlab_{object_kind}` event, once per `X-Gitlab-Event-UUID` (202). */
export async function receiveGitlabWebhook(deps: BusDeps, body: unknown, headers: IncomingHttpHeaders = {}): Promise<IngressAnswer> {
  const mapped = mapGitlabPayload(body);
  if (!mapped.ok) throw invalid('GitLab webhook', mapped.field, mapped.message);
  const { event } = await publishOnce(deps, mapped.event, deliveryIdFrom(headers, 'X-Gitlab-Event-UUID', 'gitlab'));
  return { status: 202, body: event };
}

/** A GitHub delivery → `github_<X-GitHub-Event>` event, once per `X-GitHub-Delivery` (202); `ping` → 200 `{ok:true}`. */
export async function receiveGithubWebhook(deps: BusDeps, body: unknown, headers: IncomingHttpHeaders): Promise<IngressAnswer> {
  const mapped = mapGithubDelivery(headers['x-github-event'], body);
  if (!mapped.ok) throw invalid('GitHub webhook', mapped.field, mapped.message);
  if (mapped.ping) return { status: 200, body: { ok: true } };
  const { event } = await publishOnce(deps, mapped.event, deliveryIdFrom(headers, 'X-GitHub-Delivery', 'github'));
  return { status: 202, body: event };
}

/**
 * A Slack Events API request: the challenge for `url_verification`; an `event_callback` becomes a
 * `slack_<event.type>` event, once per `event_id` (Slack retries after 3 s); always 200 otherwise.
 */
export async function receiveSlackEvent(deps: BusDeps, body: unknown): Promise<IngressAnswer> {
  const mapped = mapSlackRequest(body);
  switch (mapped.kind) {
    case 'invalid':
      throw invalid('Slack request', mapped.field, mapped.message);
    case 'challenge':
      return { status: 200, body: { challenge: mapped.challenge } };
    case 'ignored':
      return { status: 200, body: { ok: true } };
    case 'event':
      await publishOnce(deps, mapped.event, mapped.deliveryId ? { source: 'slack', id: mapped.deliveryId } : null);
      return { status: 200, body: { ok: true } };
  }
}
