import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { insertAuditRows, lastAuditHead } from '../db/audit';
import { isUniqueViolation } from '../db/errors';
import { chainKey, GENESIS_HASH, rowHash, type AuditEntry, type AuditRow } from './chain';

/** Entries written per statement at most (12 columns each, well under SQLite's bound-variable limit). */
const MAX_BATCH = 500;
/** Another process appending at the same moment makes an insert fail; it is retried from the new head. */
const MAX_ATTEMPTS = 5;

export interface AuditLogDeps {
  db: Knex;
  logger: Logger;
  masterKey: Buffer;
}

/**
 * Appends to the one audit chain. Appends are serialised: one insert at a time in this process
 * (entries arriving meanwhile are chained and written together by the next one — a group commit).
 * The chain's head (seq, hash) is kept in memory; each insert names its seqs explicitly, so if
 * another process appended first, the primary key refuses the whole insert and it is chained again
 * from the new head: the chain can never fork.
 */
export class AuditLog {
  private readonly key: Buffer;
  private pending: Array<{ entry: AuditEntry; done: () => void }> = [];
  private head: { seq: number; hash: string } | undefined;
  private writing: Promise<void> | null = null;

  constructor(private readonly deps: AuditLogDeps) {
    this.key = chainKey(deps.masterKey);
  }

  /**
   * Queues `entry`; resolves once it is written (or its write failed: logged, never thrown, since the
   * request it records has already been answered).
   */
  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve) => {
      this.pending.push({ entry, done: resolve });
      if (!this.writing) this.writing = this.drain();
    });
  }

  /** Resolves when everything queued so far is written (call before closing the database). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.write(batch.map((b) => b.entry));
      } catch (err) {
        this.deps.logger.error(
          { err, actions: batch.map((b) => b.entry.action), count: batch.length },
          'could not append to the audit log',
        );
      }
      for (const b of batch) b.done();
    }
    this.writing = null;
  }

  private async write(entries: AuditEntry[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const head = this.head ?? (await lastAuditHead(this.deps.db)) ?? { seq: 0, hash: GENESIS_HASH };
      let prev = head.hash;
      const rows: AuditRow[] = entries.map((entry, i) => {
        const seq = head.seq + 1 + i;
        const hash = rowHash(this.key, seq, entry, prev);
        const row = { ...entry, seq, prevHash: prev, hash };
        prev = hash;
        return row;
      });
      this.head = undefined;
      try {
        await insertAuditRows(this.deps.db, rows);
      } catch (err) {
        // The only unique key of audit_log is its primary key, seq.
        const raced = isUniqueViolation(err);
        if (raced && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
      this.head = { seq: rows[rows.length - 1].seq, hash: prev };
      return;
    }
  }
}
