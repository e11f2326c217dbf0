import * as deliveries from '../db/webhook-deliveries';
import { getEvent, insertEvent, type Event } from '../db/events';
import { addEventJob, nowFrom, prepareEvent, type BusDeps, type PublishInput } from './events';

/** How long a delivery id is remembered: a re-delivery within this window creates nothing. */
export const DELIVERY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A sender's delivery id: `X-GitHub-Delivery`, `X-Gitlab-Event-UUID` or Slack's `event_id`. */
export interface Delivery {
  /** Who numbers the deliveries (`github`, `gitlab`, `slack`, `webhook:<personaId>`). */
  source: string;
  id: string;
}

export interface Published {
  event: Event;
  /** True when the delivery was seen within the window: `event` is the first delivery's, nothing new was created. */
  duplicate: boolean;
}

/** Thrown inside the transaction to roll the event back when an earlier copy owns the delivery. */
class DeliveryTaken extends Error {}

/**
 * `publishEvent` once per delivery. The event row and the delivery row are written in one
 * transaction; the delivery table's primary key decides between concurrent copies, and the loser's
 * event is rolled back, so a replay answers the first delivery's event and stores nothing.
 * Without a delivery id this is `publishEvent`.
 */
export async function publishOnce(deps: BusDeps, input: PublishInput, delivery: Delivery | null): Promise<Published> {
  const event = await prepareEvent(deps, input);
  if (delivery) {
    const createdAt = nowFrom(deps);
    const expiredBefore = new Date(createdAt.getTime() - DELIVERY_WINDOW_MS).toISOString();
    const owner = await deps.db
      .transaction(async (trx) => {
        await deliveries.deleteDeliveriesBefore(trx, expiredBefore);
        const seen = await deliveries.findDeliveryEventId(trx, delivery.source, delivery.id);
        if (seen) return seen;
        await insertEvent(trx, event);
        const claimed = await deliveries.insertDelivery(trx, { source: delivery.source, deliveryId: delivery.id, eventId: event.id, createdAt: createdAt.toISOString() });
        if (!claimed) throw new DeliveryTaken();
        return event.id;
      })
      .catch(async (err) => {
        if (!(err instanceof DeliveryTaken)) throw err;
        return deliveries.findDeliveryEventId(deps.db, delivery.source, delivery.id);
      });
    if (owner !== event.id) {
      const first = owner ? await getEvent(deps.db, owner) : undefined;
      if (first) {
        deps.logger.info({ source: delivery.source, deliveryId: delivery.id, eventId: first.id }, 'webhook delivery already received; nothing new created');
        return { event: first, duplicate: true };
      }
      // The first copy's row vanished between the two reads (its event was deleted): this copy is new.
      return publishOnce(deps, input, null);
    }
  } else {
    await insertEvent(deps.db, event);
  }
  await addEventJob(deps, event.id);
  return { event, duplicate: false };
}
