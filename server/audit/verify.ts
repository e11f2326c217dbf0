import type { Knex } from 'knex';
import { auditRowsAfter } from '../db/audit';
import { chainKey, findBreak, GENESIS_HASH } from './chain';

const PAGE = 1000;

export type VerifyResult =
  | { ok: true; rows: number; lastSeq: number | null }
  | { ok: false; rows: number; seq: number; reason: string };

/**
 * Walks the whole audit chain oldest first, a page at a time, and answers the first broken row
 * (`rows` = how many rows before it were sound), or how many rows it checked.
 */
export async function verifyAuditChain(db: Knex, masterKey: Buffer): Promise<VerifyResult> {
  const key = chainKey(masterKey);
  let prevHash = GENESIS_HASH;
  let lastSeq: number | null = null;
  let rows = 0;
  for (;;) {
    const page = await auditRowsAfter(db, lastSeq ?? 0, PAGE);
    if (page.length === 0) return { ok: true, rows, lastSeq };
    const result = findBreak(key, page, prevHash, lastSeq);
    if ('seq' in result) return { ok: false, rows: rows + page.findIndex((r) => r.seq === result.seq), seq: result.seq, reason: result.reason };
    rows += page.length;
    prevHash = result.lastHash;
    lastSeq = result.lastSeq;
  }
}
