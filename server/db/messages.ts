import type { Knex } from 'knex';
import { readJson, writeJson } from './json-column';

/**
 * A protocol message a running persona emitted (user_message, persona_action, emit_event, agent_memory,
 * manual_review, execution_flow, outcome_assessment, …), as stored in `protocol_messages`.
 */
export interface ProtocolMessage {
  id: string;
  executionId: string | null;
  personaId: string | null;
  kind: string;
  payload: Record<string, unknown>;
  /** Reviews: `open` until a person resolves them; other kinds: `recorded`. */
  status: string;
  /** Any JSON a reviewer attached when resolving (stored as JSON text). */
  resolution: unknown;
  resolvedAt: string | null;
  createdAt: string;
}

function fromRow(row: Record<string, unknown>): ProtocolMessage {
  return {
    id: row.id as string,
    executionId: (row.execution_id as string | null) ?? null,
    personaId: (row.persona_id as string | null) ?? null,
    kind: row.kind as string,
    payload: readJson<Record<string, unknown>>(row.payload as string) ?? {},
    status: row.status as string,
    resolution: readJson(row.resolution as string | null),
    resolvedAt: (row.resolved_at as string | null) ?? null,
    createdAt: row.created_at as string,
  };
}

export async function insertMessage(db: Knex, m: ProtocolMessage): Promise<void> {
  await db('protocol_messages').insert({
    id: m.id,
    execution_id: m.executionId,
    persona_id: m.personaId,
    kind: m.kind,
    payload: JSON.stringify(m.payload),
    status: m.status,
    resolution: writeJson(m.resolution),
    resolved_at: m.resolvedAt,
    created_at: m.createdAt,
  });
}

export async function getMessage(db: Knex, id: string): Promise<ProtocolMessage | undefined> {
  const row = await db('protocol_messages').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

/** An execution's messages in the order they were stored (rowid breaks ties within one millisecond). */
export async function listMessagesForExecution(db: Knex, executionId: string): Promise<ProtocolMessage[]> {
  const rows = await db('protocol_messages').where({ execution_id: executionId }).orderByRaw('created_at asc, rowid asc');
  return rows.map(fromRow);
}

/** A persona's most recent messages of one kind (all kinds when `kind` is undefined), newest first. */
export async function listMessagesForPersona(
  db: Knex,
  personaId: string,
  kind: string | undefined,
  limit: number,
): Promise<ProtocolMessage[]> {
  const q = db('protocol_messages').where({ persona_id: personaId });
  if (kind !== undefined) q.andWhere({ kind });
  const rows = await q.orderByRaw('created_at desc, rowid desc').limit(limit);
  return rows.map(fromRow);
}

/**
 * Resolves an open message (a manual review): sets `status`, `resolution` and `resolvedAt` only while it is
 * still `open`; answers whether it moved, so two concurrent resolutions agree on who won.
 */
export async function resolveReview(
  db: Knex,
  id: string,
  r: { status: string; resolution: unknown; resolvedAt: string },
): Promise<boolean> {
  const n = await db('protocol_messages')
    .where({ id, status: 'open' })
    .update({ status: r.status, resolution: writeJson(r.resolution), resolved_at: r.resolvedAt });
  return n > 0;
}

/** Review states: `open` until a person resolves it (see `resolveReview`). */
export const REVIEW_STATUSES = ['open', 'resolved'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/**
 * A persona's manual reviews, newest first, optionally only `open` or `resolved` ones (index
 * `persona_id, kind, created_at`).
 */
export async function listReviewsForPersona(db: Knex, personaId: string, status: ReviewStatus | undefined, limit: number): Promise<ProtocolMessage[]> {
  const q = db('protocol_messages').where({ persona_id: personaId, kind: 'manual_review' });
  if (status !== undefined) q.andWhere({ status });
  const rows = await q.orderByRaw('created_at desc, rowid desc').limit(limit);
  return rows.map(fromRow);
}

export interface MessageFilter {
  kind: string;
  personaId?: string;
  /** Reviews: `open` or `resolved`. */
  status?: string;
  limit: number;
  offset: number;
}

/** Messages of one kind across personas (or one persona's), newest first. */
export async function listMessages(db: Knex, f: MessageFilter): Promise<ProtocolMessage[]> {
  const q = db('protocol_messages').where({ kind: f.kind });
  if (f.personaId !== undefined) q.andWhere({ persona_id: f.personaId });
  if (f.status !== undefined) q.andWhere({ status: f.status });
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).offset(f.offset);
  return rows.map(fromRow);
}
