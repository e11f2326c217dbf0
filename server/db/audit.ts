import type { Knex } from 'knex';
import type { AuditEntry, AuditRow } from '../audit/chain';
import { rowMapper } from './row-mapper';

const mapper = rowMapper<AuditRow>({
  seq: 'seq', at: 'at', actorKeyId: 'actor_key_id', actorName: 'actor_name', actorRole: 'actor_role', action: 'action',
  targetType: 'target_type', targetId: 'target_id', outcome: 'outcome', remoteAddress: 'remote_address',
  prevHash: 'prev_hash', hash: 'hash',
});

/**
 * Inserts `entry` as the next row with `prev_hash` = the newest row's hash (or `genesis`), read by
 * the same statement, and an empty hash for the caller to set. As the first write of a transaction
 * it takes SQLite's write lock before it reads, so two appenders can never chain onto the same row.
 */
export async function insertNextAuditRow(trx: Knex, entry: AuditEntry, genesis: string): Promise<{ seq: number; prevHash: string }> {
  const row = mapper.toRow({ ...entry, hash: '' });
  row.prev_hash = trx.raw('COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), ?)', [genesis]);
  const [inserted] = await trx('audit_log').insert(row).returning(['seq', 'prev_hash']);
  return { seq: Number(inserted.seq), prevHash: String(inserted.prev_hash) };
}

export async function setAuditHash(trx: Knex, seq: number, hash: string): Promise<void> {
  await trx('audit_log').where({ seq }).update({ hash });
}

/** Inserts complete rows (seq included). */
export async function insertAuditRows(trx: Knex, rows: AuditRow[]): Promise<void> {
  if (rows.length) await trx('audit_log').insert(rows.map((r) => mapper.toRow(r)));
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
