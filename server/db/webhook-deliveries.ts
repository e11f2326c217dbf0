import type { Knex } from 'knex';

/** Deletes deliveries recorded before `before` (outside the de-duplication window). */
export async function deleteDeliveriesBefore(db: Knex, before: string): Promise<number> {
  return db('webhook_deliveries').where('created_at', '<', before).delete();
}

/** The event the delivery created, if it was seen (and not yet expired). */
export async function findDeliveryEventId(db: Knex, source: string, deliveryId: string): Promise<string | undefined> {
  const row = await db('webhook_deliveries').select('event_id').where({ source, delivery_id: deliveryId }).first();
  return (row as { event_id: string } | undefined)?.event_id;
}

/**
 * Records a delivery; answers false when an earlier copy holds its primary key (source, delivery id).
 * The key, not the caller's earlier look-up, is what keeps two concurrent copies from both landing.
 */
export async function insertDelivery(db: Knex, d: { source: string; deliveryId: string; eventId: string; createdAt: string }): Promise<boolean> {
  const rows = await db('webhook_deliveries')
    .insert({ source: d.source, delivery_id: d.deliveryId, event_id: d.eventId, created_at: d.createdAt })
    .onConflict(['source', 'delivery_id'])
    .ignore()
    .returning('event_id');
  return rows.length > 0;
}
