/**
 * Per-run cost with REAL worker processes (dist/worker/main.js) and a stand-in CLI (a bash script
 * that prints a valid stream-json run and exits), side by side with the spawn floor (a plain Node
 * loop spawning the same stand-in with the same 8 KiB prompt, 16 in flight; scripts/bench/spawn-floor),
 * so every figure is also a ratio that survives a noisy machine:
 * - runs/s flat out with `workers` × `slots` vs the floor (measured just before and just after that
 *   phase, the mean used: the machine's load drifts);
 * - worker CPU per run (user + system of the worker processes, /proc/<pid>/stat) minus the floor
 *   loop's own CPU per spawn; orchestrator CPU per run flat out and paced at `pacedRate`/s;
 * - event accepted → CLI started (the stand-in's first instruction, $EPOCHREALTIME) p50/p99, paced,
 *   with few and with many subscriptions;
 * - worker RSS with every slot busy (a persona whose runs hold 3 s), orchestrator RSS;
 * - streaming: `streamWorkers` × 50 slots, `streamRuns` runs each printing `linesPerSec` lines/s for
 *   `streamSeconds` s: every line stored in order, an SSE follower on `followers` of them (printed →
 *   received p99), orchestrator CPU per line;
 * - the floor again with the stand-in under the worker's bubblewrap command line (`sandboxFloor`),
 *   and the workers with WORKER_SANDBOX=bwrap against it.
 * Workers run with WORKER_SANDBOX=none for the main figures. Default log level (info) everywhere,
 * logs to /dev/null: what a deployment pays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../../server/db/knex';
import type { DatabaseTarget } from '../../server/db/target';
import { createBenchDatabase, type BenchStore } from './database';
import { percentile } from './load';
import { deletePrefix, freePort, peakRssMb, startOrchestrator, stopOrchestrator } from './orchestrator-process';
import { seedDatabase } from './seed';
import { sendEvents } from './send-events';
import { chooseSpawnPath } from '../../worker/cli-spawn';
import { bracketed, runFloor } from './floor-bracket';
import { cpuMsOf, type FloorResult } from './spawn-floor';
import { writeStandIn } from './stand-in';
import { startLatencies } from './start-stages';

export interface RealWorkerOptions {
  store: BenchStore;
  redisUrl: string;
  workers: number;
  slots: number;
  /** Events sent flat out (the runs/s and CPU figures). */
  runs: number;
  /** Events in the paced phase, at `pacedRate`/s. */
  pacedRuns: number;
  pacedRate: number;
  /** Subscription counts the paced latency is measured with (a fresh orchestrator each). */
  subscriptions: number[];
  floorRuns: number;
  floorInFlight: number;
  /** Also measure the bwrap floor and the workers under bwrap. */
  sandboxFloor: boolean;
  streamWorkers: number;
  streamRuns: number;
  streamSeconds: number;
  linesPerSec: number;
  followers: number;
}

export interface FlatOut {
  runs: number;
  perSec: number;
  workerCpuMsPerRun: number;
  orchestratorCpuMsPerRun: number;
}

export interface Paced {
  subscriptions: number;
  runs: number;
  rate: number;
  startP50Ms: number;
  startP99Ms: number;
  orchestratorCpuMsPerRun: number;
  /** p50 of each stage (ms timestamps in the database, so ±1 ms): event → execution row, → claimed, → CLI started. */
  stagesP50Ms: { toExecution: number; toClaim: number; toCli: number };
}

export interface RealWorkerResult {
  /** The mean of the floor measured just before and just after the flat-out phase (both kept). */
  floor: FloorResult;
  floors: FloorResult[];
  /** The same loop through posix_spawn (the workers' spawn path), after the flat-out phase; absent without the native module. */
  posixFloor?: FloorResult;
  flatOut: FlatOut;
  paced: Paced[];
  /** Per worker: resident while every slot held a run, and the peak over the whole scenario. */
  workerBusyRssMb: number[];
  workerPeakRssMb: number[];
  orchestratorRssMb: number;
  orchestratorPeakRssMb: number;
  sandbox?: { floor: FloorResult; floors: FloorResult[]; flatOut: FlatOut; startP50Ms: number; startP99Ms: number };
  streaming?: StreamResult;
}

export interface StreamResult {
  runs: number;
  lines: number;
  linesInOrder: boolean;
  problems: string[];
  followed: number;
  followedLines: number;
  lineP50Ms: number;
  lineP99Ms: number;
  orchestratorCpuMsPerLine: number;
  workerCpuMsPerLine: number;
}

const KEYS = {
  MASTER_KEY: 'c'.repeat(64),
  TEAM_API_KEY: `bench_team_key_${randomBytes(8).toString('hex')}`,
  WORKER_TOKEN: `bench_worker_token_${randomBytes(8).toString('hex')}`,
};
const r1 = (v: number) => Math.round(v * 10) / 10;
const r2 = (v: number) => Math.round(v * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface System {
  orchestrator: ChildProcess;
  workers: ChildProcess[];
  httpUrl: string;
  target: DatabaseTarget;
  eventTypes: { instant: string[]; hold: string; stream: string };
  stop(): Promise<void>;
}

/** A seeded database, the orchestrator, `workers` real workers (each registered) on one Redis prefix. */
async function startSystem(o: RealWorkerOptions, s: { subscriptions: number; workers: number; slots: number; sandbox: 'none' | 'bwrap'; cli: string; workRoot: string }): Promise<System> {
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
  const workers = Array.from({ length: s.workers }, (_v, i) => spawn(process.execPath, [...nodeArgs, workerMain], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, ORCHESTRATOR_URL: `ws://127.0.0.1:${wsPort}`, WORKER_TOKEN: KEYS.WORKER_TOKEN,
      WORKER_ID: `bench-real-${i}`, WORKER_SLOTS: String(s.slots), CLAUDE_BIN: s.cli, WORKER_SANDBOX: s.sandbox, WORK_DIR_ROOT: s.workRoot,
      SHUTDOWN_GRACE_MS: '5000',
    },
    stdio: ['ignore', process.env.BENCH_WORKER_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  }));
  const stop = async () => {
    await Promise.all(workers.map(async (w) => {
      if (w.exitCode !== null || w.signalCode !== null) return;
      const exited = new Promise((r) => w.once('exit', r));
      w.kill('SIGTERM');
      const t = setTimeout(() => w.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }));
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

const send = (url: string, types: string[], count: number, rate: number, concurrency: number): Promise<string[]> =>
  sendEvents(url, KEYS.TEAM_API_KEY, types, count, rate, concurrency);

/**
 * Waits until `total` executions have finished; throws if any did not complete, unless
 * `tolerate` (then answers how many did not, and the first reason).
 */
async function waitFinished(target: DatabaseTarget, total: number, timeoutMs: number, tolerate = false): Promise<{ failed: number; reason?: string }> {
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

const cpuOf = (procs: ChildProcess[]) => procs.reduce((sum, p) => sum + cpuMsOf(p.pid!), 0);
const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

/** Flat out; `workerCpuMsPerRun` is the workers' whole CPU per run here (bracketed() subtracts the floor's). */
async function flatOut(sys: System, runs: number, done: { n: number }): Promise<FlatOut> {
  const w0 = cpuOf(sys.workers);
  const o0 = cpuMsOf(sys.orchestrator.pid!);
  const t0 = performance.now();
  await send(sys.httpUrl, sys.eventTypes.instant, runs, 0, 32);
  done.n += runs;
  await waitFinished(sys.target, done.n, 120_000);
  const seconds = (performance.now() - t0) / 1000;
  const workerCpu = (cpuOf(sys.workers) - w0) / runs;
  return {
    runs, perSec: Math.round(runs / seconds), workerCpuMsPerRun: workerCpu,
    orchestratorCpuMsPerRun: r2((cpuMsOf(sys.orchestrator.pid!) - o0) / runs),
  };
}

async function paced(sys: System, o: RealWorkerOptions, subscriptions: number, done: { n: number }): Promise<Paced> {
  const o0 = cpuMsOf(sys.orchestrator.pid!);
  const ids = await send(sys.httpUrl, sys.eventTypes.instant, o.pacedRuns, o.pacedRate, 64);
  done.n += o.pacedRuns;
  await waitFinished(sys.target, done.n, 60_000);
  const cpu = (cpuMsOf(sys.orchestrator.pid!) - o0) / o.pacedRuns;
  const stages = await startLatencies(sys.target, ids);
  const p50Of = (xs: number[]) => r1(percentile([...xs].sort((a, b) => a - b), 50));
  const lat = stages.map((s) => s.total).sort((a, b) => a - b);
  return {
    subscriptions, runs: o.pacedRuns, rate: o.pacedRate, startP50Ms: r1(percentile(lat, 50)), startP99Ms: r1(percentile(lat, 99)), orchestratorCpuMsPerRun: r2(cpu),
    stagesP50Ms: { toExecution: p50Of(stages.map((s) => s.toExecution)), toClaim: p50Of(stages.map((s) => s.toClaim)), toCli: p50Of(stages.map((s) => s.toCli)) },
  };
}

/** Every slot busy (runs holding 3 s): each worker's resident set at the height of it. */
async function busyRss(sys: System, slots: number, done: { n: number }): Promise<number[]> {
  const total = slots * sys.workers.length;
  await send(sys.httpUrl, [sys.eventTypes.hold], total, 0, 32);
  done.n += total;
  await sleep(2_000);
  const rss = sys.workers.map((w) => rssMb(w.pid!));
  await waitFinished(sys.target, done.n, 60_000);
  return rss;
}

interface Follower {
  latencies: number[];
  closed: Promise<void>;
}

/** An SSE follower: the latency of each live line (received − printed by the stand-in). */
async function follow(url: string, executionId: string): Promise<Follower> {
  const res = await fetch(`${url}/api/executions/${executionId}/stream`, { headers: { Authorization: `Bearer ${KEYS.TEAM_API_KEY}` } });
  if (!res.ok || !res.body) throw new Error(`bench: follow ${executionId}: ${res.status}`);
  const connectedAt = Date.now();
  const latencies: number[] = [];
  const closed = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      const now = Date.now() + (performance.now() % 1);
      buf += decoder.decode(part, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith('data:')) continue;
        const m = /line \d+ (\d+)[.,](\d+)/.exec(line);
        if (!m) continue;
        const printed = Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000;
        if (printed > connectedAt + 200) latencies.push(now - printed); // live lines only, not the replay
      }
    }
  })().catch(() => undefined); // the orchestrator stopping under a follower ends its stream: what it got counts
  return { latencies, closed };
}

async function streaming(o: RealWorkerOptions, cli: string, workRoot: string): Promise<StreamResult> {
  const sys = await startSystem(o, { subscriptions: 10, workers: o.streamWorkers, slots: 50, sandbox: 'none', cli, workRoot });
  try {
    const w0 = cpuOf(sys.workers);
    const o0 = cpuMsOf(sys.orchestrator.pid!);
    const eventIds = await send(sys.httpUrl, [sys.eventTypes.stream], o.streamRuns, 0, 32);
    const db = openDb(sys.target);
    let executionIds: string[] = [];
    try {
      const deadline = Date.now() + 30_000;
      while (executionIds.length < o.streamRuns && Date.now() < deadline) {
        executionIds = (await db('executions').whereIn('event_id', eventIds).select('id')).map((r: { id: string }) => r.id);
        if (executionIds.length < o.streamRuns) await sleep(100);
      }
    } finally {
      await db.destroy();
    }
    const followers = await Promise.all(executionIds.slice(0, o.followers).map((id) => follow(sys.httpUrl, id)));
    const outcome = await waitFinished(sys.target, o.streamRuns, o.streamSeconds * 1000 + 120_000, true);
    const orchestratorCpu = cpuMsOf(sys.orchestrator.pid!) - o0;
    const workerCpu = cpuOf(sys.workers) - w0;
    await Promise.race([Promise.all(followers.map((f) => f.closed)), sleep(10_000)]);
    // Every line stored, in order, once.
    const expected = o.linesPerSec * o.streamSeconds;
    const problems: string[] = outcome.failed ? [`${outcome.failed} run(s) did not complete (first: ${outcome.reason})`] : [];
    let lines = 0;
    for (const id of executionIds) {
      // Through the API, as a user reads it (the stored text may be sealed at rest).
      const res = await fetch(`${sys.httpUrl}/api/executions/${id}`, { headers: { Authorization: `Bearer ${KEYS.TEAM_API_KEY}` } });
      const rows = ((await res.json()) as { output: Array<{ seq: number; text: string }> }).output;
      let want = 0;
      rows.forEach((row, i) => {
        if (Number(row.seq) !== i && problems.length < 5) problems.push(`${id}: seq ${row.seq} at position ${i}`);
        const m = /^line (\d+) /.exec(row.text);
        if (!m) return;
        if (Number(m[1]) !== want && problems.length < 5) problems.push(`${id}: line ${m[1]} where ${want} was due`);
        want = Number(m[1]) + 1;
        lines += 1;
      });
      if (want !== expected && problems.length < 5) problems.push(`${id}: ${want} of ${expected} lines`);
    }
    const all = followers.flatMap((f) => f.latencies).sort((a, b) => a - b);
    return {
      runs: o.streamRuns, lines, linesInOrder: problems.length === 0 && lines === expected * o.streamRuns, problems,
      followed: followers.length, followedLines: all.length, lineP50Ms: r1(percentile(all, 50)), lineP99Ms: r1(percentile(all, 99)),
      orchestratorCpuMsPerLine: Number((orchestratorCpu / Math.max(1, lines)).toFixed(3)),
      workerCpuMsPerLine: Number((workerCpu / Math.max(1, lines)).toFixed(3)),
    };
  } finally {
    await sys.stop();
  }
}

export async function runRealWorkerBench(o: RealWorkerOptions, progress: (line: string) => void): Promise<RealWorkerResult> {
  // 0755 folders: a bwrap sandbox binds the stand-in's folder; the FIFO is the stand-in's sleep.
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-bench-cli-'));
  fs.chmodSync(cliDir, 0o755);
  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-bench-runs-'));
  fs.chmodSync(workRoot, 0o711);
  const cli = writeStandIn(cliDir, o.linesPerSec, o.streamSeconds);
  try {
    const result: Partial<RealWorkerResult> = { paced: [] };
    for (const [i, subscriptions] of o.subscriptions.entries()) {
      progress(`real workers: ${o.workers} × ${o.slots} slots, ${subscriptions} subscriptions …`);
      const sys = await startSystem(o, { subscriptions, workers: o.workers, slots: o.slots, sandbox: 'none', cli, workRoot });
      const done = { n: 0 };
      try {
        await send(sys.httpUrl, sys.eventTypes.instant, 200, 0, 16); // warm-up
        done.n += 200;
        await waitFinished(sys.target, done.n, 60_000);
        if (i === 0) {
          progress(`flat out, between two spawn floors (${o.floorRuns} spawns of the stand-in, ${o.floorInFlight} in flight, with the system idle) …`);
          Object.assign(result, await bracketed({ cli, count: o.floorRuns, inFlight: o.floorInFlight, sandbox: 'none' }, () => flatOut(sys, o.runs, done)));
          // The machine's spawn capacity without Node's fork: what the workers' own spawn path allows.
          if (chooseSpawnPath('auto') === 'posix') result.posixFloor = await runFloor({ cli, count: o.floorRuns, inFlight: o.floorInFlight, sandbox: 'none', via: 'posix' });
        }
        result.paced!.push(await paced(sys, o, subscriptions, done));
        if (i === 0) {
          result.workerBusyRssMb = await busyRss(sys, o.slots, done);
          result.workerPeakRssMb = sys.workers.map((w) => peakRssMb(w.pid!));
          result.orchestratorRssMb = rssMb(sys.orchestrator.pid!);
          result.orchestratorPeakRssMb = peakRssMb(sys.orchestrator.pid!);
        }
      } finally {
        await sys.stop();
      }
    }
    if (o.sandboxFloor) {
      progress('spawn floor under bwrap, and the workers with WORKER_SANDBOX=bwrap …');
      const sys = await startSystem(o, { subscriptions: o.subscriptions[0], workers: o.workers, slots: o.slots, sandbox: 'bwrap', cli, workRoot });
      const done = { n: 0 };
      try {
        await send(sys.httpUrl, sys.eventTypes.instant, 100, 0, 16);
        done.n += 100;
        await waitFinished(sys.target, done.n, 60_000);
        const b = await bracketed({ cli, count: o.floorRuns, inFlight: o.floorInFlight, sandbox: 'bwrap' }, () => flatOut(sys, o.runs, done));
        const p = await paced(sys, o, o.subscriptions[0], done);
        result.sandbox = { ...b, startP50Ms: p.startP50Ms, startP99Ms: p.startP99Ms };
      } finally {
        await sys.stop();
      }
    }
    if (o.streamRuns > 0) {
      progress(`streaming: ${o.streamWorkers} workers × 50 slots, ${o.streamRuns} runs × ${o.linesPerSec} lines/s × ${o.streamSeconds} s, ${o.followers} followers …`);
      result.streaming = await streaming(o, cli, workRoot);
    }
    return result as RealWorkerResult;
  } finally {
    fs.rmSync(cliDir, { recursive: true, force: true });
    fs.rmSync(workRoot, { recursive: true, force: true });
  }
}
