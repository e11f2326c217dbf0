/**
 * `npm run prune [-- --dry-run] [-- --days N]`: deletes what retention deletes every day — finished
 * executions (with their output and messages) and final events older than RETENTION_DAYS (default
 * 30) — now, in the same small steps, and on SQLite gives the space back. `--dry-run` only says what
 * would go. Agent memories, open reviews and the audit log are never deleted. Safe while the
 * orchestrator runs. Reads DATABASE_URL / DAC_DB_PATH and RETENTION_DAYS like the orchestrator.
 */
import pino from 'pino';
import { databaseFromEnv } from '../server/config';
import { countPrunable } from '../server/db/retention';
import { migrateLatest, openDb } from '../server/db/knex';
import { describeDatabase } from '../server/db/target';
import { pruneOldRecords, retentionCutoff } from '../server/retention/prune';
import { intVar, parseEnv } from '../shared/env-schema';
import { loadEnv } from '../shared/env-sources';
import { ConfigError } from '../shared/errors';
import { z } from 'zod';

const say = (line: string) => process.stdout.write(`${line}\n`);

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): { dryRun: boolean; days: number } {
  let dryRun = false;
  let days: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--dry-run') dryRun = true;
    else if (a === '--days') days = argv[++i];
    else if (a.startsWith('--days=')) days = a.slice('--days='.length);
    else throw new ConfigError(`prune: unknown argument ${JSON.stringify(a)} (use --dry-run and/or --days N)`);
  }
  const source = days === undefined ? { RETENTION_DAYS: env.RETENTION_DAYS } : { RETENTION_DAYS: days };
  const { RETENTION_DAYS } = parseEnv(z.object({ RETENTION_DAYS: intVar(30, 0, 36_500) }), source);
  return { dryRun, days: RETENTION_DAYS };
}

async function main(argv: string[]): Promise<void> {
  const { env } = loadEnv(['DAC_DB_PATH', 'DATABASE_URL', 'DATABASE_POOL_MAX', 'RETENTION_DAYS']);
  const { dryRun, days } = parseArgs(argv, env);
  if (days === 0) {
    say('RETENTION_DAYS is 0: retention is off, nothing is pruned (give --days N to prune anyway)');
    return;
  }
  const target = databaseFromEnv(env);
  const db = openDb(target);
  try {
    await migrateLatest(db);
    const cutoff = retentionCutoff(days, new Date());
    const where = `${describeDatabase(target)}: older than ${days} days (finished before ${cutoff})`;
    if (dryRun) {
      const c = await countPrunable(db, cutoff);
      say(`${where}, a prune would delete:`);
      say(`  ${c.executions} finished execution(s), with ${c.outputLines} output line(s) and ${c.messages} message(s)`);
      say(`  ${c.events} final event(s)`);
      say(`  and keep ${c.messagesKept} agent memory(ies) and open review(s) of those executions, and the whole audit log`);
      say('Nothing was deleted (--dry-run).');
      return;
    }
    const r = await pruneOldRecords(db, pino({ level: 'silent' }), { days });
    say(`${where}: deleted ${r.executions} execution(s), ${r.outputLines} output line(s), ${r.messages} message(s), ${r.events} event(s); ` +
      `kept ${r.messagesKept} memory(ies)/open review(s); ${r.pagesFreed} page(s) given back; ${r.ms} ms (longest statement ${Math.round(r.longestStatementMs)} ms)`);
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof ConfigError || typeof (err as { code?: unknown })?.code === 'string';
  process.stderr.write(`prune failed: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(known ? 2 : 1);
});
