import type { Knex } from 'knex';
import { toBool } from './json-column';
import { rowMapper } from './row-mapper';

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

const mapper = rowMapper<Subscription>(COLUMNS, { bool: ['enabled'] });
const fromRow = mapper.fromRow;
const toRow = mapper.toRow;

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
  return (await db('event_subscriptions').where({ persona_id: personaId }).orderBy('created_at', 'asc').orderBy('rowid', 'asc')).map(fromRow);
}

/** A matcher candidate with what the event processor needs of its persona. */
export interface SubscriptionCandidate extends Subscription {
  personaEnabled: boolean;
  personaTimeoutMs: number | null;
}

/**
 * The matcher's candidates: enabled subscriptions for one event type (index `event_type, enabled`),
 * narrowed to one persona when the event is targeted, each with its persona's `enabled` and
 * `timeoutMs` (joined on the primary key). Never a scan of all subscriptions.
 */
export async function findSubscriptionCandidates(db: Knex, eventType: string, targetPersonaId: string | null): Promise<SubscriptionCandidate[]> {
  const q = db('event_subscriptions as s')
    .join('personas as p', 'p.id', 's.persona_id')
    .where({ 's.event_type': eventType, 's.enabled': true })
    .select('s.*', 'p.enabled as persona_enabled', 'p.timeout_ms as persona_timeout_ms');
  if (targetPersonaId !== null) q.andWhere('s.persona_id', targetPersonaId);
  const rows = await q.orderBy('s.created_at', 'asc').orderBy('s.rowid', 'asc');
  return rows.map((row: Record<string, unknown>) => ({
    ...fromRow(row),
    personaEnabled: toBool(row.persona_enabled),
    personaTimeoutMs: (row.persona_timeout_ms as number | null) ?? null,
  }));
}
