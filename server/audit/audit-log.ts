import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { insertAuditRows, insertNextAuditRow, setAuditHash } from '../db/audit';
import { chainKey, GENESIS_HASH, rowHash, type AuditEntry, type AuditRow } from './chain';

/** Entries written per transaction at most. */
const MAX_BATCH = 500;

export interface AuditLogDeps {
  db: Knex;
  logger: Logger;
  masterKey: Buffer;
}

/**
 * Appends to the one audit chain. Appends are serialised: one transaction at a time in this process
 * (entries arriving meanwhile are written together by the next one — a group commit), and the
 * transaction's first statement takes SQLite's write lock, so other processes queue behind it.
 */
export class AuditLog {
  private readonly key: Buffer;
  private pending: Array<{ entry: AuditEntry; done: () => void }> = [];
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
    await this.deps.db.transaction(async (trx) => {
      const first = await insertNextAuditRow(trx, entries[0], GENESIS_HASH);
      let prev = rowHash(this.key, first.seq, entries[0], first.prevHash);
      await setAuditHash(trx, first.seq, prev);
      const rest: AuditRow[] = entries.slice(1).map((entry, i) => {
        const seq = first.seq + 1 + i;
        const hash = rowHash(this.key, seq, entry, prev);
        const row = { ...entry, seq, prevHash: prev, hash };
        prev = hash;
        return row;
      });
      await insertAuditRows(trx, rest);
    });
  }
}
