import { createHmac } from 'node:crypto';

/**
 * The audit chain, pure: how a row's hash is computed and how a run of rows is checked.
 *
 * hash = HMAC-SHA256(chain key, JSON of [seq, every field, prevHash]). The chain key is derived from
 * MASTER_KEY, so someone who can write the database but does not hold MASTER_KEY cannot forge a
 * consistent chain after changing a row. (Cutting rows off the end is not detectable from the rows
 * alone; the newest seq is also in the orchestrator's log.)
 */

/** What a caller hands to the audit log. */
export interface AuditEntry {
  at: string;
  actorKeyId: string;
  actorName: string;
  actorRole: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  /** The HTTP status answered. */
  outcome: number;
  remoteAddress: string | null;
}

export interface AuditRow extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

/** The `prevHash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** The key the chain is computed with, derived from MASTER_KEY (never MASTER_KEY itself). */
export function chainKey(masterKey: Buffer): Buffer {
  return createHmac('sha256', masterKey).update('personas-cloud audit chain v1').digest();
}

export function rowHash(key: Buffer, seq: number, e: AuditEntry, prevHash: string): string {
  const fields = [
    seq, e.at, e.actorKeyId, e.actorName, e.actorRole, e.action, e.targetType, e.targetId, e.outcome, e.remoteAddress, prevHash,
  ];
  return createHmac('sha256', key).update(JSON.stringify(fields)).digest('hex');
}

export interface ChainBreak {
  seq: number;
  reason: string;
}

/**
 * Checks `rows` (ascending seq) continuing from `prevHash`. Answers the first broken row: its stored
 * hash does not match its content (the row was changed), or its prevHash is not the previous row's
 * hash (a row before it was removed, or the chain was re-written from there).
 */
export function findBreak(key: Buffer, rows: AuditRow[], prevHash: string, prevSeq: number | null): ChainBreak | { lastHash: string; lastSeq: number | null } {
  let prev = prevHash;
  let lastSeq = prevSeq;
  for (const row of rows) {
    if (row.prevHash !== prev) {
      const after = lastSeq === null ? 'the start of the log' : `row ${lastSeq}`;
      return { seq: row.seq, reason: `its prev_hash does not match ${after}: a row between was removed or the chain was re-written` };
    }
    if (rowHash(key, row.seq, row, row.prevHash) !== row.hash) {
      return { seq: row.seq, reason: 'its content does not match its hash: the row was changed' };
    }
    prev = row.hash;
    lastSeq = row.seq;
  }
  return { lastHash: prev, lastSeq };
}
