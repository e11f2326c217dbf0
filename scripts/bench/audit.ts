/**
 * The audit chain's cost, on its own: appends to a fresh database (SQLite file or PostgreSQL) one at a time (each waits for
 * its transaction: the latency a lone mutating request adds in the background) and with many in
 * flight (group commit: what a burst of mutating requests costs), then one `audit:verify` pass.
 */
import pino from 'pino';
import { AuditLog } from '../../server/audit/audit-log';
import type { AuditEntry } from '../../server/audit/chain';
import { verifyAuditChain } from '../../server/audit/verify';
import { migrateLatest, openDb } from '../../server/db/knex';
import { createBenchDatabase, type BenchStore } from './database';
import { percentile } from './load';

export interface AuditBenchResult {
  appends: number;
  sequential: { perSec: number; p50Ms: number; p99Ms: number };
  concurrent: { inFlight: number; perSec: number; p50Ms: number; p99Ms: number };
  verify: { rows: number; perSec: number };
}

const entry = (i: number): AuditEntry => ({
  at: new Date().toISOString(), actorKeyId: '6f1c2a9e-0d7b-4c1e-9a55-3b2f8e7d4c10', actorName: 'bench operator', actorRole: 'operator',
  action: 'persona.save', targetType: 'persona', targetId: `persona-${i}`, outcome: 201, remoteAddress: '127.0.0.1',
});

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export async function runAuditBench(opts: { appends: number; inFlight: number; store: BenchStore }): Promise<AuditBenchResult> {
  const database = await createBenchDatabase(opts.store, 'audit');
  const db = openDb(database.target);
  try {
    await migrateLatest(db);
    const log = new AuditLog({ db, logger: pino({ level: 'silent' }), masterKey: Buffer.alloc(32, 7) });

    const seq: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < opts.appends; i++) {
      const s = performance.now();
      await log.append(entry(i));
      seq.push(performance.now() - s);
    }
    const seqSecs = (performance.now() - t0) / 1000;

    const conc: number[] = [];
    const t1 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: opts.inFlight }, async () => {
      while (next < opts.appends) {
        const i = next++;
        const s = performance.now();
        await log.append(entry(i));
        conc.push(performance.now() - s);
      }
    }));
    const concSecs = (performance.now() - t1) / 1000;

    const t2 = performance.now();
    const verified = await verifyAuditChain(db, Buffer.alloc(32, 7));
    if (!verified.ok) throw new Error(`bench: the audit chain broke at row ${verified.seq}`);
    const verifySecs = (performance.now() - t2) / 1000;

    seq.sort((a, b) => a - b);
    conc.sort((a, b) => a - b);
    return {
      appends: opts.appends,
      sequential: { perSec: Math.round(opts.appends / seqSecs), p50Ms: round(percentile(seq, 50)), p99Ms: round(percentile(seq, 99)) },
      concurrent: { inFlight: opts.inFlight, perSec: Math.round(opts.appends / concSecs), p50Ms: round(percentile(conc, 50)), p99Ms: round(percentile(conc, 99)) },
      verify: { rows: verified.rows, perSec: Math.round(verified.rows / verifySecs) },
    };
  } finally {
    await db.destroy();
    await database.dispose();
  }
}
