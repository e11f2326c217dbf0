import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { dialectOf } from '../db/dialect';
import * as retention from '../db/retention';
import type { RetentionCounts } from '../db/retention';

export interface PruneOptions {
  /** Finished executions and final events older than this many days go. */
  days: number;
  /** Executions per pass (their messages and the execution rows go in one statement each). */
  executionsPerBatch?: number;
  /** Rows per delete statement for output lines and events. */
  rowsPerBatch?: number;
  /** Pause between statements, so that requests waiting for the database run in between. */
  pauseMs?: number;
  /** Pages given back per `PRAGMA incremental_vacuum` step (SQLite). */
  vacuumPagesPerStep?: number;
  now?: () => Date;
  /** Checked between statements: once it says stop, the prune ends early (shutdown). */
  signal?: AbortSignal;
}

export interface PruneResult extends RetentionCounts {
  cutoff: string;
  /** Pages SQLite gave back to the file system (0 on PostgreSQL, whose autovacuum reuses space). */
  pagesFreed: number;
  /** The longest single statement, in ms: what a request could have waited behind. */
  longestStatementMs: number;
  ms: number;
}

const DAY_MS = 86_400_000;

/** The moment before which finished records go. */
export function retentionCutoff(days: number, now: Date): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Deletes finished executions (output, messages) and final events older than `days`, in small
 * statements with pauses between them, so that no request waits long behind it (one SQLite
 * connection serves everything). Memories and open reviews stay, detached from their execution;
 * the audit log is never touched. On SQLite the freed pages are then given back in small
 * `incremental_vacuum` steps. Safe to run on several orchestrators at once (each statement only
 * deletes what is still there).
 */
export async function pruneOldRecords(db: Knex, logger: Logger, o: PruneOptions): Promise<PruneResult> {
  const started = Date.now();
  const cutoff = retentionCutoff(o.days, (o.now ?? (() => new Date()))());
  const perBatch = o.executionsPerBatch ?? 100;
  const rows = o.rowsPerBatch ?? 1000;
  const pauseMs = o.pauseMs ?? 10;
  const result: PruneResult = {
    cutoff, executions: 0, outputLines: 0, messages: 0, messagesKept: 0, events: 0, pagesFreed: 0, longestStatementMs: 0, ms: 0,
  };
  const stopped = () => o.signal?.aborted === true;
  const timed = async <T>(statement: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await statement();
    } finally {
      result.longestStatementMs = Math.max(result.longestStatementMs, performance.now() - t0);
      await pause(pauseMs);
    }
  };

  while (!stopped()) {
    const ids = await timed(() => retention.oldExecutionIds(db, cutoff, perBatch));
    if (ids.length === 0) break;
    for (;;) {
      const n = await timed(() => retention.deleteOutputOf(db, ids, rows));
      result.outputLines += n;
      if (n < rows || stopped()) break;
    }
    if (stopped()) break;
    result.messagesKept += await timed(() => retention.detachKeptMessages(db, ids));
    result.messages += await timed(() => retention.deleteMessagesOf(db, ids));
    result.executions += await timed(() => retention.deleteExecutions(db, ids));
  }
  while (!stopped()) {
    const n = await timed(() => retention.deleteOldEvents(db, cutoff, rows));
    result.events += n;
    if (n < rows) break;
  }
  if (dialectOf(db) === 'sqlite') result.pagesFreed = await giveSpaceBack(db, o.vacuumPagesPerStep ?? 512, timed, stopped);
  result.ms = Date.now() - started;
  logger.info({ ...result, longestStatementMs: Math.round(result.longestStatementMs) }, 'retention: old records pruned');
  return result;
}

const freelistCount = async (db: Knex) => ((await db.raw('PRAGMA freelist_count')) as Array<{ freelist_count: number }>)[0].freelist_count;
const pageCount = async (db: Knex) => ((await db.raw('PRAGMA page_count')) as Array<{ page_count: number }>)[0].page_count;

/**
 * SQLite: free pages back to the file system, a few hundred at a time (a no-op without
 * auto_vacuum=INCREMENTAL). `incremental_vacuum` frees one page per step of its statement, and a
 * prepared statement run through knex is stepped once: it goes through `exec`, which steps it to
 * the end, on the pool's one connection (so it still waits its turn like any statement).
 */
async function giveSpaceBack(
  db: Knex, pagesPerStep: number, timed: <T>(s: () => Promise<T>) => Promise<T>, stopped: () => boolean,
): Promise<number> {
  const [{ auto_vacuum: mode }] = (await db.raw('PRAGMA auto_vacuum')) as Array<{ auto_vacuum: number }>;
  if (mode !== 2) return 0;
  const pragma = `PRAGMA incremental_vacuum(${Math.max(1, Math.floor(pagesPerStep))})`;
  const pagesBefore = await pageCount(db);
  let free = await freelistCount(db);
  while (!stopped() && free > 0) {
    await timed(async () => {
      const conn = (await db.client.acquireConnection()) as { exec(sql: string): unknown };
      try {
        conn.exec(pragma);
      } finally {
        await db.client.releaseConnection(conn);
      }
    });
    const left = await freelistCount(db);
    if (left >= free) break; // nothing more came back (another process holds the pages)
    free = left;
  }
  // What the file lost: the free pages, and the pointer-map pages that no longer map anything.
  return pagesBefore - (await pageCount(db));
}
