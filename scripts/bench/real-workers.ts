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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chooseSpawnPath } from '../../worker/cli-spawn';
import type { BenchStore } from './database';
import { bracketed, runFloor } from './floor-bracket';
import { percentile, r1, r2 } from './load';
import { peakRssMb } from './orchestrator-process';
import { cpuOf, rssMb, send, startSystem, waitFinished, type System } from './real-system';
import { cpuMsOf, type FloorResult } from './spawn-floor';
import { writeStandIn } from './stand-in';
import { startLatencies } from './start-stages';
import { streaming, type StreamResult } from './streaming';

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

export type { StreamResult };


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
