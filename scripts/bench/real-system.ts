/**
 * The system the real-worker bench runs (scripts/bench/real-workers.ts and streaming.ts): a seeded
 * database, the orchestrator in a process of its own, real worker processes registered with it, and
 * the helpers that drive and measure them from outside (events sent over HTTP, runs counted in the
 * database, CPU and RSS from /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDb } from '../../server/db/knex';
import type { DatabaseTarget } from '../../server/db/target';
import { createBenchDatabase, type BenchStore } from './database';
import { sendEvents } from './load';
import { deletePrefix, freePort, startOrchestrator, stopOrchestrator, stopProcess } from './orchestrator-process';
import { seedDatabase } from './seed';
import { cpuMsOf } from './spawn-floor';
import { WORKER_NODE_FLAGS } from '../../shared/node-flags';

export const KEYS = {
  MASTER_KEY: 'c'.repeat(64),
  TEAM_API_KEY: `bench_team_key_${randomBytes(8).toString('hex')}`,
  WORKER_TOKEN: `bench_worker_token_${randomBytes(8).toString('hex')}`,
};
export interface System {
  orchestrator: ChildProcess;
  workers: ChildProcess[];
  httpUrl: string;
  target: DatabaseTarget;
  eventTypes: { instant: string[]; hold: string; stream: string };
  stop(): Promise<void>;
}

/** A seeded database, the orchestrator, `workers` real workers (each registered) on one Redis prefix. */
export async function startSystem(o: { store: BenchStore; redisUrl: string }, s: { subscriptions: number; workers: number; slots: number; sandbox: 'none' | 'bwrap'; cli: string; workRoot: string }): Promise<System> {
  const database = await createBenchDatabase(o.store, 'workers');
  const prefix = `pc-bench-w-${process.pid}-${randomBytes(4).toString('hex')}`;
  const { eventTypes } = await seedDatabase(database.target, 10, s.subscriptions);
  const db = openDb(database.target);
  const now = new Date().toISOString();
  // ~8 KiB of persona text, like a real persona's instructions: the prompt the floor sends too.
  await db('personas').update({ system_prompt: 'You answer benchmark events. '.repeat(280) });
  const special = { hold: 'bench_hold', stream: 'bench_stream' };
  for (const [kind, eventType] of Object.entries(special)) {
    const id = randomUUID();
    await db('personas').insert({ id, name: `Bench ${kind}`, description: kind, enabled: true, max_concurrent: 100_000, model_profile: `bench-${kind}`, created_at: now, updated_at: now });
    await db('event_subscriptions').insert({ id: randomUUID(), persona_id: id, event_type: eventType, source_filter: null, enabled: true, created_at: now, updated_at: now });
  }
  await db.destroy();
  const [httpPort, wsPort] = [await freePort(), await freePort()];
  const orchestrator = await startOrchestrator({
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...KEYS, ...database.env, REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: prefix, HTTP_PORT: String(httpPort), WS_PORT: String(wsPort), HOST: '127.0.0.1',
    CLAUDE_TOKEN: 'sk-ant-api03-bench-token-never-sent', RETENTION_DAYS: '0',
    ...(process.env.BENCH_ORCHESTRATOR_DEBUG ? { DEBUG: process.env.BENCH_ORCHESTRATOR_DEBUG } : {}),
  }, httpPort);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const workerMain = path.join(__dirname, '..', '..', 'worker', 'main.js');
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const workers = Array.from({ length: s.workers }, (_v, i) => spawn(process.execPath, [...WORKER_NODE_FLAGS, ...nodeArgs, workerMain], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, ORCHESTRATOR_URL: `ws://127.0.0.1:${wsPort}`, WORKER_TOKEN: KEYS.WORKER_TOKEN,
      WORKER_ID: `bench-real-${i}`, WORKER_SLOTS: String(s.slots), CLAUDE_BIN: s.cli, WORKER_SANDBOX: s.sandbox, WORK_DIR_ROOT: s.workRoot,
      SHUTDOWN_GRACE_MS: '5000',
    },
    stdio: ['ignore', process.env.BENCH_WORKER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  }));
  const stop = async () => {
    await Promise.all(workers.map((w) => stopProcess(w, 15_000)));
    await stopOrchestrator(orchestrator);
    await deletePrefix(o.redisUrl, prefix);
    await database.dispose();
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await fetch(`${httpUrl}/api/status`, { headers: { Authorization: `Bearer ${KEYS.TEAM_API_KEY}` } }).then((r) => r.json() as Promise<{ workers?: unknown[] }>);
      if ((status.workers?.length ?? 0) >= s.workers) break;
      if (Date.now() > deadline) throw new Error(`bench: only ${status.workers?.length ?? 0} of ${s.workers} workers registered within 30 s`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { orchestrator, workers, httpUrl, target: database.target, eventTypes: { instant: eventTypes, ...special }, stop };
}

export const send = (url: string, types: string[], count: number, rate: number, concurrency: number): Promise<string[]> =>
  sendEvents({ baseUrl: url, teamApiKey: KEYS.TEAM_API_KEY, eventTypes: types, count, rate, concurrency });

/**
 * Waits until `total` executions have finished; throws if any did not complete, unless
 * `tolerate` (then answers how many did not, and the first reason).
 */
export async function waitFinished(target: DatabaseTarget, total: number, timeoutMs: number, tolerate = false): Promise<{ failed: number; reason?: string }> {
  const db = openDb(target);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = (await db('executions').select('status').count({ n: '*' }).groupBy('status')) as Array<{ status: string; n: number | string }>;
      const by = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const finished = (by.completed ?? 0) + (by.failed ?? 0) + (by.cancelled ?? 0);
      const failed = (by.failed ?? 0) + (by.cancelled ?? 0);
      if (failed > 0 && (!tolerate || finished >= total)) {
        const bad = (await db('executions').whereIn('status', ['failed', 'cancelled']).first('error', 'status')) as { error: string | null; status: string };
        const reason = `${bad.status}: ${bad.error ?? ''}`;
        if (!tolerate) throw new Error(`bench: ${failed} run(s) did not complete (first: ${reason})`);
        return { failed, reason };
      }
      if (finished >= total) return { failed: 0 };
      if (Date.now() > deadline) throw new Error(`bench: ${finished} of ${total} runs finished within ${timeoutMs} ms`);
      await sleep(25);
    }
  } finally {
    await db.destroy();
  }
}

export const cpuOf = (procs: ChildProcess[]) => procs.reduce((sum, p) => sum + cpuMsOf(p.pid!), 0);
export const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
