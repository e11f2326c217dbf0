import type { Knex } from 'knex';
import type { AuditRow } from '../audit/chain';
import { rowMapper } from './row-mapper';

const mapper = rowMapper<AuditRow>({
  seq: 'seq', at: 'at', actorKeyId: 'actor_key_id', actorName: 'actor_name', actorRole: 'actor_role', action: 'action',
  targetType: 'target_type', targetId: 'target_id', outcome: 'outcome', remoteAddress: 'remote_address',
  prevHash: 'prev_hash', hash: 'hash',
});

/** The newest row's seq and hash, or undefined for an empty log. */
export async function lastAuditHead(db: Knex): Promise<{ seq: number; hash: string } | undefined> {
  const row = await db('audit_log').select('seq', 'hash').orderBy('seq', 'desc').limit(1).first();
  return row ? { seq: Number(row.seq), hash: String(row.hash) } : undefined;
}

/**
 * Inserts complete rows (seq included) in one statement: all or none. A seq that exists already
 * fails the whole insert with a primary-key violation (isUniqueViolation: someone else appended first).
 */
export async function insertAuditRows(db: Knex, rows: AuditRow[]): Promise<void> {
  if (rows.length) await db('audit_log').insert(rows.map((r) => mapper.toRow(r)));
}

export interface AuditQuery {
  action?: string;
  /** An actor's key id or name. */
  actor?: string;
  limit: number;
  offset: number;
}

/** Newest first. */
export async function listAudit(db: Knex, q: AuditQuery): Promise<AuditRow[]> {
  const query = db('audit_log').select('*').orderBy('seq', 'desc').limit(q.limit).offset(q.offset);
  if (q.action) query.where('action', q.action);
  if (q.actor) query.where((w) => w.where('actor_key_id', q.actor!).orWhere('actor_name', q.actor!));
  return (await query).map(mapper.fromRow);
}

/** Rows after `afterSeq`, oldest first: the verifier reads the chain with this, a page at a time. */
export async function auditRowsAfter(db: Knex, afterSeq: number, limit: number): Promise<AuditRow[]> {
  return (await db('audit_log').select('*').where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit)).map(mapper.fromRow);
}
