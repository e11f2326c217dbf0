import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { nowIso } from '../db/knex';
import { getPersona } from '../db/personas';
import * as repo from '../db/subscriptions';
import type { Subscription } from '../db/subscriptions';
import { mustFind } from './must-find';

export interface SubscriptionInput {
  personaId: string;
  eventType: string;
  sourceFilter: string | null;
  enabled: boolean;
}

/** Creates a subscription for an existing persona (404 otherwise). */
export async function createSubscription(db: Knex, input: SubscriptionInput): Promise<Subscription> {
  await mustFind(getPersona(db, input.personaId), 'persona', input.personaId);
  const now = nowIso();
  const subscription: Subscription = { id: randomUUID(), ...input, createdAt: now, updatedAt: now };
  await repo.insertSubscription(db, subscription);
  return subscription;
}

/** Replaces the given fields; omitted fields keep their value. */
export async function updateSubscription(db: Knex, id: string, input: Partial<SubscriptionInput>): Promise<Subscription> {
  const existing = await mustFind(repo.getSubscription(db, id), 'subscription', id);
  if (input.personaId !== undefined && input.personaId !== existing.personaId) {
    await mustFind(getPersona(db, input.personaId), 'persona', input.personaId);
  }
  const next: Subscription = { ...existing, ...input, updatedAt: nowIso() };
  await repo.updateSubscription(db, id, next);
  return next;
}

export async function deleteSubscription(db: Knex, id: string): Promise<void> {
  await mustFind(repo.getSubscription(db, id), 'subscription', id);
  await repo.deleteSubscription(db, id);
}
