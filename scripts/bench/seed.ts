import { randomUUID } from 'node:crypto';
import { migrateLatest, openDb } from '../../server/db/knex';
import type { DatabaseTarget } from '../../server/db/target';

export interface Seeded {
  /** The event types that each reach exactly one bench persona. */
  eventTypes: string[];
}

/**
 * A fresh database with `personas` bench personas (maxConcurrent high enough never to hold a run
 * back), one subscription each to its own event type, and noise subscriptions up to `subscriptions`
 * in total — on other event types, as a real installation's many personas would have them.
 */
export async function seedDatabase(target: DatabaseTarget, personas: number, subscriptions: number): Promise<Seeded> {
  const db = openDb(target);
  try {
    await migrateLatest(db);
    const now = new Date().toISOString();
    const ids = Array.from({ length: personas }, () => randomUUID());
    await db('personas').insert(ids.map((id, i) => ({
      id, name: `Bench persona ${i}`, description: 'Answers benchmark events', enabled: true, max_concurrent: 100_000,
      created_at: now, updated_at: now,
    })));
    const eventTypes = ids.map((_id, i) => `bench_event_${i}`);
    const rows: Array<Record<string, unknown>> = ids.map((personaId, i) => ({
      id: randomUUID(), persona_id: personaId, event_type: eventTypes[i], source_filter: null, enabled: true, created_at: now, updated_at: now,
    }));
    for (let i = rows.length; i < subscriptions; i++) {
      rows.push({
        id: randomUUID(), persona_id: ids[i % ids.length], event_type: `noise_event_${i % 2000}`,
        source_filter: i % 3 === 0 ? `org-${i % 97}/*` : null, enabled: i % 10 !== 0, created_at: now, updated_at: now,
      });
    }
    for (let i = 0; i < rows.length; i += 500) await db('event_subscriptions').insert(rows.slice(i, i + 500));
    return { eventTypes };
  } finally {
    await db.destroy();
  }
}
