import type { Knex } from 'knex';
import { putMeta } from './system-meta';

/**
 * Which orchestrators use this database: each keeps a `system_meta` row `orchestrator:<instance>`
 * fresh while it runs and removes it when it stops. Commands that must run alone on the records
 * (rotate-key) read it.
 */
const PREFIX = 'orchestrator:';

export interface Presence {
  instanceId: string;
  host: string;
  pid: number;
  startedAt: string;
  /** The last sign of life. */
  seenAt: string;
}

export async function markPresent(db: Knex, p: Presence): Promise<void> {
  const { instanceId, seenAt, ...info } = p;
  await putMeta(db, `${PREFIX}${instanceId}`, JSON.stringify(info), seenAt);
}

export async function clearPresence(db: Knex, instanceId: string): Promise<void> {
  await db('system_meta').where({ key: `${PREFIX}${instanceId}` }).delete();
}

/** Orchestrators seen at `since` (ISO) or later. */
export async function presentSince(db: Knex, since: string): Promise<Presence[]> {
  if (!(await db.schema.hasTable('system_meta'))) return [];
  const rows = (await db('system_meta').where('key', 'like', `${PREFIX}%`).where('updated_at', '>=', since)) as Array<{ key: string; value: string; updated_at: string }>;
  return rows.map((r) => ({ ...(JSON.parse(r.value) as Omit<Presence, 'instanceId' | 'seenAt'>), instanceId: r.key.slice(PREFIX.length), seenAt: r.updated_at }));
}
