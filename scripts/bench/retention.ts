/**
 * Retention's cost to the API (issue 12: "the API never waits more than 50 ms on it"): a fresh
 * database (SQLite file or PostgreSQL) holds `executions` finished executions older than the
 * retention, each with `linesPerExecution` output lines and its event, plus one recent execution.
 * The daily prune runs with its defaults (server/retention/prune.ts) while a probe reads the recent
 * execution through the same handle every 2 ms, as a request would: how long a probe waited is what
 * the API waits behind the prune. On SQLite one connection serves both, as in the orchestrator, and
 * better-sqlite3 runs each statement synchronously: a request arriving during one waits for the event
 * loop, so the loop's longest delay (and the prune's longest statement) is the figure there.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { getExecution } from '../../server/db/executions';
import { migrateLatest, openDb } from '../../server/db/knex';
import { pruneOldRecords } from '../../server/retention/prune';
import { createBenchDatabase, type BenchStore } from './database';
import { percentile } from './load';

export interface RetentionBenchResult {
  executions: number;
  outputLines: number;
  events: number;
  pruneMs: number;
  longestStatementMs: number;
  pagesFreed: number;
  probes: number;
  probeP50Ms: number;
  probeP99Ms: number;
  probeMaxMs: number;
  /** The longest the event loop was blocked (better-sqlite3 runs statements synchronously): what a request arriving then waits. */
  loopBlockedMaxMs: number;
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const DAY_MS = 86_400_000;

export async function runRetentionBench(opts: { executions: number; linesPerExecution: number; store: BenchStore }): Promise<RetentionBenchResult> {
  const database = await createBenchDatabase(opts.store, 'retention');
  const db = openDb(database.target);
  try {
    await migrateLatest(db);
    const old = new Date(Date.now() - 60 * DAY_MS).toISOString();
    const recentId = randomUUID();
    const now = new Date().toISOString();
    await db('executions').insert({ id: recentId, status: 'completed', prompt: 'recent', created_at: now, updated_at: now, completed_at: now });
    for (let start = 0; start < opts.executions; start += 200) {
      const batch = Array.from({ length: Math.min(200, opts.executions - start) }, () => randomUUID());
      await db.transaction(async (trx) => {
        await trx.batchInsert('events', batch.map((id) => ({
          id: `ev-${id}`, event_type: 'bench', source_type: 'bench', status: 'delivered', payload: '{"n":1}', created_at: old, processed_at: old,
        })), 200);
        await trx.batchInsert('executions', batch.map((id) => ({
          id, event_id: `ev-${id}`, status: 'completed', prompt: 'p'.repeat(2_000), created_at: old, updated_at: old, completed_at: old,
        })), 200);
        const lines = batch.flatMap((id) => Array.from({ length: opts.linesPerExecution }, (_v, seq) => ({
          execution_id: id, seq, stream: 'assistant', content: `line ${seq} `.repeat(12), created_at: old,
        })));
        await trx.batchInsert('execution_output', lines, 100); // SQLite: at most 500 terms in one compound SELECT
      });
    }

    const waits: number[] = [];
    let pruning = true;
    const probe = (async () => {
      while (pruning) {
        const t0 = performance.now();
        await getExecution(db, recentId);
        waits.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = performance.now();
    const result = await pruneOldRecords(db, pino({ level: 'silent' }), { days: 30 });
    const pruneMs = performance.now() - t0;
    pruning = false;
    loop.disable();
    await probe;
    if (!(await getExecution(db, recentId))) throw new Error('bench: the prune removed a recent execution');
    const sorted = [...waits].sort((a, b) => a - b);
    return {
      executions: result.executions, outputLines: result.outputLines, events: result.events, pruneMs: Math.round(pruneMs),
      longestStatementMs: round(result.longestStatementMs), pagesFreed: result.pagesFreed, probes: waits.length,
      probeP50Ms: round(percentile(sorted, 50), 2), probeP99Ms: round(percentile(sorted, 99), 2), probeMaxMs: round(sorted[sorted.length - 1] ?? 0, 2),
      loopBlockedMaxMs: round(loop.max / 1e6, 1),
    };
  } finally {
    await db.destroy();
    await database.dispose();
  }
}
