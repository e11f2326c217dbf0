/**
 * The record store's share of an event, on its own: the statements the orchestrator runs for one
 * event and its execution (insert and claim the event, the subscription match, insert the execution,
 * the event's final status, the dispatcher's reads of execution, persona, tools and credentials, the
 * claim, two output lines, the finish), through the same repositories, C events in flight — no HTTP,
 * Redis or workers. Answers events/s and the CPU per event of this process (Knex + driver) and, with
 * `--server-pid` (a local PostgreSQL's postmaster), of the database server.
 *
 *   node dist/scripts/bench/db-path.js --database postgres://postgres@127.0.0.1:5432/postgres --events 5000
 *   node dist/scripts/bench/db-path.js --database sqlite --events 5000
 *   … --prepared false   (PostgreSQL without the per-session prepared statements, for an A/B)
 *   … --synchronous-commit on   (every commit waits for the disk)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { listPersonaCredentials } from '../../server/db/credentials';
import { claimEvent, insertEvent, transitionEvent } from '../../server/db/events';
import { getExecution, insertExecution, transitionExecution } from '../../server/db/executions';
import { openDb } from '../../server/db/knex';
import { appendOutput } from '../../server/db/output';
import { getPersona } from '../../server/db/personas';
import type { SynchronousCommit } from '../../server/db/target';
import { findSubscriptionCandidates } from '../../server/db/subscriptions';
import { listPersonaTools } from '../../server/db/tools';
import { createBenchDatabase, describeStore, parseBenchStore } from './database';
import { seedDatabase } from './seed';

/** CPU ms of a process tree (Linux): the process, its reaped children and its live children. */
function treeCpuMs(pid: number): number {
  const ticks = (p: number, withChildren: boolean) => {
    const f = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
  };
  let total = ticks(pid, true);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid)) total += ticks(Number(entry), false);
    } catch {
      continue; // gone meanwhile
    }
  }
  return total * 10; // USER_HZ = 100
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      database: { type: 'string', default: 'sqlite' },
      events: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '8' },
      prepared: { type: 'string', default: 'true' },
      'synchronous-commit': { type: 'string', default: 'off' },
      'server-pid': { type: 'string' },
    },
  });
  const store = parseBenchStore(values.database!);
  const events = Number(values.events);
  const concurrency = Number(values.concurrency);
  const serverPid = values['server-pid'] ? Number(values['server-pid']) : undefined;
  const database = await createBenchDatabase(store, 'dbpath');
  try {
    const { eventTypes } = await seedDatabase(database.target, 10, 10);
    const target = database.target.client === 'postgres'
      ? { ...database.target, prepareStatements: values.prepared !== 'false', synchronousCommit: values['synchronous-commit'] as SynchronousCommit }
      : database.target;
    const db = openDb(target);
    const now = () => new Date().toISOString();
    const one = async (i: number) => {
      const id = randomUUID();
      const eventType = eventTypes[i % eventTypes.length];
      await insertEvent(db, {
        id, eventType, sourceType: 'bench', sourceId: null, targetPersonaId: null, payload: { i, text: 'an event payload' }, status: 'pending',
        error: null, chainDepth: 0, parentExecutionId: null, createdAt: now(), processedAt: null,
      });
      const event = (await claimEvent(db, id))!;
      const [candidate] = await findSubscriptionCandidates(db, event.eventType, null);
      const executionId = randomUUID();
      await insertExecution(db, {
        id: executionId, personaId: candidate.personaId, eventId: id, status: 'queued', prompt: null, inputData: event.payload, timeoutMs: null,
        workerId: null, startedAt: null, completedAt: null, durationMs: null, exitCode: null, error: null, costUsd: null, sessionId: null,
        numTurns: null, result: null, chainDepth: 0, createdAt: now(), updatedAt: now(),
      });
      await transitionEvent(db, id, ['processing'], { status: 'delivered', error: null, processedAt: now() });
      await getExecution(db, executionId);
      await getPersona(db, candidate.personaId);
      await listPersonaTools(db, candidate.personaId);
      await listPersonaCredentials(db, candidate.personaId);
      await transitionExecution(db, executionId, ['queued'], { status: 'running', workerId: 'bench', startedAt: now() });
      await appendOutput(db, executionId, [
        { seq: 0, stream: 'assistant', content: 'first line of output', createdAt: now() },
        { seq: 1, stream: 'assistant', content: 'second line of output', createdAt: now() },
      ]);
      await transitionExecution(db, executionId, ['running'], { status: 'completed', completedAt: now(), durationMs: 5, exitCode: 0, result: 'done' });
    };
    const run = async (count: number) => {
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < count) await one(next++);
      }));
    };
    await run(Math.min(500, Math.ceil(events / 10))); // warm-up: JIT, pool, prepared statements
    const cpu0 = process.cpuUsage();
    const server0 = serverPid ? treeCpuMs(serverPid) : 0;
    const t0 = performance.now();
    await run(events);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const server = serverPid ? treeCpuMs(serverPid) - server0 : undefined;
    await db.destroy();
    const per = (ms: number) => `${((ms / events) * 1000).toFixed(0)} µs`;
    process.stdout.write(
      `${await describeStore(store)}${store.client === 'postgres' ? `, prepared statements ${values.prepared !== 'false' ? 'on' : 'off'}, synchronous_commit ${values['synchronous-commit']}` : ''}: ` +
        `${events} events, ${concurrency} in flight: ${Math.round(events / secs)} events/s; CPU per event: this process ${per((cpu.user + cpu.system) / 1000)}` +
        `${server !== undefined ? `, database server ${per(server)}` : ''}\n`,
    );
  } finally {
    await database.dispose();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`db-path bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
