import type { Knex } from 'knex';
import { rowMapper } from './row-mapper';

/** The guide's event lifecycle. */
export const EVENT_STATUSES = ['pending', 'processing', 'delivered', 'partial', 'skipped', 'failed'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
export const FINAL_EVENT_STATUSES: readonly EventStatus[] = ['delivered', 'partial', 'skipped', 'failed'];

export interface Event {
  id: string;
  eventType: string;
  sourceType: string;
  sourceId: string | null;
  targetPersonaId: string | null;
  payload: unknown;
  status: EventStatus;
  /** Why an event was skipped or failed (e.g. the chain depth limit). */
  error: string | null;
  /** 0 for outside events; a persona's emitted event is one deeper than the execution that emitted it. */
  chainDepth: number;
  parentExecutionId: string | null;
  createdAt: string;
  processedAt: string | null;
}

const COLUMNS: Record<keyof Event, string> = {
  id: 'id', eventType: 'event_type', sourceType: 'source_type', sourceId: 'source_id',
  targetPersonaId: 'target_persona_id', payload: 'payload', status: 'status', error: 'error',
  chainDepth: 'chain_depth', parentExecutionId: 'parent_execution_id', createdAt: 'created_at', processedAt: 'processed_at',
};

const mapper = rowMapper<Event>(COLUMNS, { json: ['payload'] });
const fromRow = mapper.fromRow;
const toRow = mapper.toRow;

export async function insertEvent(db: Knex, event: Event): Promise<void> {
  await db('events').insert(toRow(event));
}

export async function getEvent(db: Knex, id: string): Promise<Event | undefined> {
  const row = await db('events').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

export interface EventFilter {
  eventType?: string;
  status?: EventStatus;
  limit: number;
  offset: number;
}

/** Newest first. */
export async function listEvents(db: Knex, f: EventFilter): Promise<Event[]> {
  const q = db('events').select('*');
  if (f.eventType) q.where('event_type', f.eventType);
  if (f.status) q.where('status', f.status);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).offset(f.offset);
  return rows.map(fromRow);
}

/** Moves an event to `fields.status` only from one of `from`; answers whether it moved. */
export async function transitionEvent(
  db: Knex,
  id: string,
  from: readonly EventStatus[],
  fields: Partial<Event> & { status: EventStatus },
): Promise<boolean> {
  const n = await db('events').where({ id }).whereIn('status', from as EventStatus[]).update(toRow(fields));
  return n > 0;
}

/**
 * Claims an event for processing: moves it from `pending` (or `processing`, a retried job) to
 * `processing` and answers it as it now is — in one statement. Undefined when it is unknown or
 * already in a final state.
 */
export async function claimEvent(db: Knex, id: string): Promise<Event | undefined> {
  const rows = await db('events').where({ id }).whereIn('status', ['pending', 'processing']).update({ status: 'processing' }).returning('*');
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** Events in `status` created before `before`, oldest first (the outbox's work list; uses the status+created_at index). */
export async function listEventIdsByStatusBefore(db: Knex, status: EventStatus, before: string, limit: number): Promise<string[]> {
  const rows = await db('events').select('id').where('status', status).andWhere('created_at', '<', before).orderBy('created_at', 'asc').orderBy('rowid', 'asc').limit(limit);
  return rows.map((r: { id: string }) => r.id);
}
