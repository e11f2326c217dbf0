import type { Knex } from 'knex';
import { readJson } from './json-column';
import type { ProtocolMessage } from './messages';

/** Review states: `open` until a person resolves it (see `resolveReview` in ./messages). */
export const REVIEW_STATUSES = ['open', 'resolved'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

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

/**
 * A persona's manual reviews, newest first, optionally only `open` or `resolved` ones (index
 * `persona_id, kind, created_at`). Lives apart from ./messages only because of the status filter.
 */
export async function listReviewsForPersona(db: Knex, personaId: string, status: ReviewStatus | undefined, limit: number): Promise<ProtocolMessage[]> {
  const q = db('protocol_messages').where({ persona_id: personaId, kind: 'manual_review' });
  if (status !== undefined) q.andWhere({ status });
  const rows = await q.orderByRaw('created_at desc, rowid desc').limit(limit);
  return rows.map(fromRow);
}
