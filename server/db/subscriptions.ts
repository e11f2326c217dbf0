import type { Knex } from 'knex';
import { toBool } from './json-column';

export interface Subscription {
  id: string;
  personaId: string;
  eventType: string;
  /** Exact source id, or a prefix ending in `*`; null matches any source. */
  sourceFilter: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

const COLUMNS: Record<keyof Subscription, string> = {
  id: 'id', personaId: 'persona_id', eventType: 'event_type', sourceFilter: 'source_filter',
  enabled: 'enabled', createdAt: 'created_at', updatedAt: 'updated_at',
};

function fromRow(row: Record<string, unknown>): Subscription {
  const s = {} as Record<string, unknown>;
  for (const [key, column] of Object.entries(COLUMNS)) s[key] = row[column] ?? null;
  s.enabled = toBool(row.enabled);
  return s as unknown as Subscription;
}

function toRow(s: Partial<Subscription>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(COLUMNS)) {
    const value = s[key as keyof Subscription];
    if (value !== undefined) row[column] = value;
  }
  return row;
}

export async function insertSubscription(db: Knex, s: Subscription): Promise<void> {
  await db('event_subscriptions').insert(toRow(s));
}

export async function getSubscription(db: Knex, id: string): Promise<Subscription | undefined> {
  const row = await db('event_subscriptions').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

export async function updateSubscription(db: Knex, id: string, fields: Partial<Subscription>): Promise<void> {
  await db('event_subscriptions').where({ id }).update(toRow(fields));
}

export async function deleteSubscription(db: Knex, id: string): Promise<number> {
  return db('event_subscriptions').where({ id }).delete();
}

export async function listSubscriptionsForPersona(db: Knex, personaId: string): Promise<Subscription[]> {
  return (await db('event_subscriptions').where({ persona_id: personaId }).orderBy('created_at', 'asc')).map(fromRow);
}

/**
 * The matcher's candidates: enabled subscriptions for one event type (index `event_type, enabled`),
 * narrowed to one persona when the event is targeted. Never a scan of all subscriptions.
 */
export async function findSubscriptionCandidates(db: Knex, eventType: string, targetPersonaId: string | null): Promise<Subscription[]> {
  const q = db('event_subscriptions').where({ event_type: eventType, enabled: true });
  if (targetPersonaId !== null) q.andWhere('persona_id', targetPersonaId);
  return (await q.orderBy('created_at', 'asc')).map(fromRow);
}
