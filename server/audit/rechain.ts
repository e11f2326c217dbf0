import type { Knex } from 'knex';
import { auditRowsAfter } from '../db/audit';
import { chainKey, GENESIS_HASH, rowHash } from './chain';
import { verifyAuditChain } from './verify';

const PAGE = 1000;

/** The audit chain does not verify under the current key: re-computing it would hide that. */
export class AuditChainBrokenError extends Error {
  constructor(seq: number, reason: string) {
    super(`the audit log is broken at row ${seq} (${reason}); nothing was changed. Run npm run audit:verify and keep a copy of the database before deciding`);
    this.name = 'AuditChainBrokenError';
  }
}

/**
 * Re-computes every audit row's hash under the chain key of `to` (the chain key derives from
 * MASTER_KEY), oldest first, on `db` (a transaction). With `from`, the chain must first verify
 * under it (else AuditChainBrokenError, nothing written); without it (the old key is lost) the rows
 * are re-chained as they are. Row contents and seqs never change. Answers the rows re-chained.
 */
export async function rechainAudit(db: Knex, from: Buffer | undefined, to: Buffer): Promise<number> {
  if (!(await db.schema.hasTable('audit_log'))) return 0;
  if (from) {
    const check = await verifyAuditChain(db, from);
    if (!check.ok) throw new AuditChainBrokenError(check.seq, check.reason);
  }
  const key = chainKey(to);
  let prevHash = GENESIS_HASH;
  let lastSeq = 0;
  let rows = 0;
  for (;;) {
    const page = await auditRowsAfter(db, lastSeq, PAGE);
    if (page.length === 0) return rows;
    for (const row of page) {
      const hash = rowHash(key, row.seq, row, prevHash);
      await db('audit_log').where({ seq: row.seq }).update({ prev_hash: prevHash, hash });
      prevHash = hash;
      lastSeq = row.seq;
    }
    rows += page.length;
  }
}
