import { randomBytes } from 'node:crypto';
import { openDb } from '../../server/db/knex';
import type { DatabaseTarget } from '../../server/db/target';
import { createBenchDatabase, type BenchStore } from './database';
import { BenchWorker } from './fake-worker';
import { percentile, sendEvents, waitUntil } from './load';
import { cpuSeconds, deletePrefix, freePort, peakRssMb, startOrchestrator, stopOrchestrator } from './orchestrator-process';
import { seedDatabase } from './seed';

export interface ScenarioOptions {
  events: number;
  subscriptions: number;
  workers: number;
  slotsPerWorker: number;
  personas: number;
  /** Offered rate of the latency phase (events/s). */
  rate: number;
  /** Requests in flight during the throughput phase. */
  concurrency: number;
  redisUrl: string;
  /** SQLite or a PostgreSQL server (a fresh database per scenario either way). */
  store: BenchStore;
  /**
   * Orchestrator processes sharing the database and Redis (more than one needs PostgreSQL). The
   * workers are spread over them and the events sent to them in turn, as behind a balancer.
   */
  orchestrators: number;
}

export interface Phase {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Events assigned per second, from the first event accepted to the last assignment. */
  dispatchedPerSec: number;
  /** Where the time goes: event accepted → execution created (matcher), and execution created → assigned (dispatcher). */
  matchP50Ms: number;
  matchP99Ms: number;
  dispatchP50Ms: number;
  dispatchP99Ms: number;
}

export interface ScenarioResult extends ScenarioOptions {
  /** Events offered at `rate`: the latency a user sees under that load. */
  atRate: Phase;
  /** Events sent as fast as the API takes them: the sustained dispatch rate. */
  flatOut: Phase;
  /** Summed over the orchestrator processes. */
  peakRssMb: number;
  /**
   * The orchestrator processes' CPU time (user + system, summed) per event over both measured phases:
   * what an event costs, whatever else the machine is doing at the time.
   */
  cpuMsPerEvent: number;
}

const KEYS = {
  MASTER_KEY: 'b'.repeat(64),
  TEAM_API_KEY: `bench_team_key_${randomBytes(8).toString('hex')}`,
  WORKER_TOKEN: `bench_worker_token_${randomBytes(8).toString('hex')}`,
};

const round = (v: number) => Math.round(v * 10) / 10;

/** Latency = assignment received by a worker − the event's `createdAt` (when the API accepted it). */
async function figures(target: DatabaseTarget, ids: string[], assigned: Map<string, number>): Promise<Phase> {
  const db = openDb(target);
  const measured = new Set(ids);
  const rows = (await db('executions as x').join('events as e', 'e.id', 'x.event_id')
    .select('x.id as executionId', 'x.created_at as executionCreatedAt', 'e.id as eventId', 'e.created_at as createdAt')) as Array<{
      executionId: string; executionCreatedAt: string; eventId: string; createdAt: string;
    }>;
  await db.destroy();
  const latencies: number[] = [];
  const match: number[] = [];
  const dispatch: number[] = [];
  let first = Infinity;
  let last = 0;
  for (const r of rows) {
    if (!measured.has(r.eventId)) continue;
    const created = Date.parse(r.createdAt);
    const at = assigned.get(r.executionId)!;
    latencies.push(Math.max(0, at - created));
    match.push(Date.parse(r.executionCreatedAt) - created);
    dispatch.push(Math.max(0, at - Date.parse(r.executionCreatedAt)));
    first = Math.min(first, created);
    last = Math.max(last, at);
  }
  for (const l of [latencies, match, dispatch]) l.sort((a, b) => a - b);
  return {
    matchP50Ms: round(percentile(match, 50)), matchP99Ms: round(percentile(match, 99)),
    dispatchP50Ms: round(percentile(dispatch, 50)), dispatchP99Ms: round(percentile(dispatch, 99)),
    p50Ms: round(percentile(latencies, 50)), p95Ms: round(percentile(latencies, 95)), p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1]), dispatchedPerSec: Math.round(latencies.length / ((last - first) / 1000)),
  };
}

/**
 * One combination: a fresh database (seeded) and queue prefix, the orchestrator in a child process,
 * fake workers in this one. After a warm-up, `events` events at `rate`/s (latency phase), then
 * `events` more as fast as the API takes them (throughput phase); each phase drains before the next.
 */
export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const database = await createBenchDatabase(o.store, 'scenario');
  const prefix = `pc-bench-${process.pid}-${randomBytes(4).toString('hex')}`;
  const { eventTypes } = await seedDatabase(database.target, o.personas, o.subscriptions);
  const ports: Array<{ http: number; ws: number }> = [];
  for (let i = 0; i < o.orchestrators; i++) ports.push({ http: await freePort(), ws: await freePort() });
  const children = await Promise.all(ports.map((p, i) => startOrchestrator({
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...KEYS, ...database.env, REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: prefix, HTTP_PORT: String(p.http), WS_PORT: String(p.ws), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    CLAUDE_TOKEN: 'sk-ant-bench-token-not-used-by-fake-workers', INSTANCE_ID: `bench-${i}`,
  }, p.http)));
  const assigned = new Map<string, number>();
  const workers = Array.from({ length: o.workers }, (_v, i) =>
    new BenchWorker(`http://127.0.0.1:${ports[i % ports.length].ws}`, `bench-worker-${i}`, o.slotsPerWorker, KEYS.WORKER_TOKEN, (id, at) => assigned.set(id, at)));
  try {
    await Promise.all(workers.map((w) => w.register()));
    const load = { baseUrl: ports.map((p) => `http://127.0.0.1:${p.http}`), teamApiKey: KEYS.TEAM_API_KEY, eventTypes };
    const phase = async (count: number, rate: number, concurrency: number): Promise<string[]> => {
      const before = assigned.size;
      const ids = await sendEvents({ ...load, count, rate, concurrency });
      await waitUntil(() => assigned.size >= before + count, `${count} assignments`, 10 * 60_000);
      return ids;
    };
    await phase(Math.min(500, Math.max(50, Math.floor(o.events / 10))), 0, 8); // warm-up, not measured
    const cpuBefore = children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0);
    const atRate = await figures(database.target, await phase(o.events, o.rate, 256), assigned);
    const flatOut = await figures(database.target, await phase(o.events, 0, o.concurrency), assigned);
    const cpuMsPerEvent = Math.round(((children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0) - cpuBefore) * 1000 * 100) / (2 * o.events)) / 100;
    return { ...o, atRate, flatOut, peakRssMb: children.reduce((sum, c) => sum + peakRssMb(c.pid!), 0), cpuMsPerEvent };
  } finally {
    for (const w of workers) w.close();
    await Promise.all(children.map(stopOrchestrator));
    await deletePrefix(o.redisUrl, prefix);
    await database.dispose();
  }
}
