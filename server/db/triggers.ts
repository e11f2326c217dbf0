import type { Knex } from 'knex';
import { readJson, writeJson } from './json-column';
import { rowMapper } from './row-mapper';

export interface Trigger {
  id: string;
  personaId: string;
  triggerType: string;
  config: Record<string, unknown>;
  enabled: boolean;
  lastTriggeredAt: string | null;
  nextTriggerAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Trigger-type private state (the polling trigger's last content hash); never returned by the API. */
export type TriggerState = Record<string, unknown>;

const COLUMNS: Record<keyof Trigger, string> = {
  id: 'id', personaId: 'persona_id', triggerType: 'trigger_type', config: 'config', enabled: 'enabled',
  lastTriggeredAt: 'last_triggered_at', nextTriggerAt: 'next_trigger_at', createdAt: 'created_at', updatedAt: 'updated_at',
};

const mapper = rowMapper<Trigger>(COLUMNS, { json: ['config'], bool: ['enabled'] });
function fromRow(row: Record<string, unknown>): Trigger {
  const t = mapper.fromRow(row);
  t.config = t.config ?? {};
  return t;
}
const toRow = mapper.toRow;

export async function insertTrigger(db: Knex, t: Trigger): Promise<void> {
  await db('triggers').insert(toRow(t));
}

export async function getTrigger(db: Knex, id: string): Promise<Trigger | undefined> {
  const row = await db('triggers').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

export async function updateTrigger(db: Knex, id: string, fields: Partial<Trigger>): Promise<void> {
  await db('triggers').where({ id }).update(toRow(fields));
}

export async function deleteTrigger(db: Knex, id: string): Promise<number> {
  return db('triggers').where({ id }).delete();
}

export async function listTriggersForPersona(db: Knex, personaId: string): Promise<Trigger[]> {
  return (await db('triggers').where({ persona_id: personaId }).orderBy('created_at', 'asc').orderBy('rowid', 'asc')).map(fromRow);
}

/** Enabled triggers of some types (index `trigger_type, enabled`), e.g. every schedule for reconciliation. */
export async function listEnabledTriggersByType(db: Knex, types: readonly string[]): Promise<Trigger[]> {
  return (await db('triggers').whereIn('trigger_type', types as string[]).andWhere('enabled', true).orderBy('created_at', 'asc').orderBy('rowid', 'asc')).map(fromRow);
}

/** One persona's enabled triggers of one type (index `persona_id`), e.g. its webhook triggers. */
export async function listEnabledPersonaTriggers(db: Knex, personaId: string, type: string): Promise<Trigger[]> {
  return (await db('triggers').where({ persona_id: personaId, trigger_type: type, enabled: true }).orderBy('created_at', 'asc').orderBy('rowid', 'asc')).map(fromRow);
}

/**
 * Enabled chain triggers whose config names `sourcePersonaId` (index `trigger_type, enabled`; the
 * config is matched here rather than with a store's JSON functions, which differ between SQLite and
 * PostgreSQL: chain triggers are few). Only a string equal to the id matches, as before.
 */
export async function listChainTriggersForSource(db: Knex, sourcePersonaId: string): Promise<Trigger[]> {
  const rows = await db('triggers').where({ trigger_type: 'chain', enabled: true }).orderBy('created_at', 'asc').orderBy('rowid', 'asc');
  return rows.map(fromRow).filter((t: Trigger) => t.config.source_persona_id === sourcePersonaId);
}

export async function getTriggerState(db: Knex, id: string): Promise<TriggerState | null> {
  const row = await db('triggers').select('state').where({ id }).first();
  return row ? readJson<TriggerState>(row.state) : null;
}

export async function setTriggerState(db: Knex, id: string, state: TriggerState): Promise<void> {
  await db('triggers').where({ id }).update({ state: writeJson(state) });
}

export interface TriggerFilter {
  personaId?: string;
  triggerType?: string;
  enabled?: boolean;
  limit: number;
  offset: number;
}

/** Every trigger (optionally one persona's, one type, enabled or not), oldest first. */
export async function listTriggers(db: Knex, f: TriggerFilter): Promise<Trigger[]> {
  const q = db('triggers').select('*');
  if (f.personaId) q.where('persona_id', f.personaId);
  if (f.triggerType) q.where('trigger_type', f.triggerType);
  if (f.enabled !== undefined) q.where('enabled', f.enabled);
  const rows = await q.orderBy('created_at', 'asc').orderBy('id', 'asc').limit(f.limit).offset(f.offset);
  return rows.map(fromRow);
}
