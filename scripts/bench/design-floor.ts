/**
 * The design's floor: what the parts the design card puts on a run's path cost the orchestrator's
 * process per run with nothing of ours around them — Express answering the event's POST, a BullMQ
 * job added, taken and completed (twice: `events` and `executions`), a socket.io assignment with its
 * ack plus an output message and a result with its ack, and the run's seven SQLite statements
 * through Knex. Each part runs in a process of its own, measured like the orchestrator (user +
 * system from /proc/self/stat) over `runs` after a warm-up, 16 in flight — or paced, one run every
 * `gapMs` (as the paced phase of the real-worker bench) — the counterparts (HTTP client, socket.io
 * client) in another process so their CPU is not counted. Then all of them as one pipeline in one
 * process (design-floor-pipeline.ts), where they share wake-ups as in the orchestrator. The sum is a lower bound for the
 * orchestrator's CPU per run as long as it is built from these parts. Paced, each part's time on an
 * event's way to its CLI is measured too (p50 after the warm-up): the POST answered (client side), a job
 * added → its processor called, the assignment emitted → its ack, the statements up to the run's claim.
 *
 *   node dist/scripts/bench/design-floor.js '{"part":"http","runs":4000}'
 *
 * prints one JSON line: { part, runs, cpuMsPerRun, p50Ms }. The parts are in design-floor-parts.ts.
 */
import { spawn } from 'node:child_process';
import { ORCHESTRATOR_NODE_FLAGS } from '../../shared/node-flags';
import { type Part, type PartResult, type Request } from './design-floor-kit';
import { runRole } from './design-floor-parts';

export type { Part, PartResult } from './design-floor-kit';

export interface DesignFloor {
  parts: PartResult[];
  /** http + 2 × bullmq + socketio + sqlite. */
  totalCpuMsPerRun: number;
  /** The same sum of the parts' p50 times. */
  totalP50Ms: number;
  /** The parts in one process, as a run goes: CPU per run, and p50 from the event's acceptance to the assignment's arrival. */
  pipeline: PartResult;
}

/** Measures each part in a fresh process (with the orchestrator's Node flags), one after the other. */
export async function runDesignFloor(o: { runs: number; redisUrl: string; gapMs?: number }): Promise<DesignFloor> {
  const parts: PartResult[] = [];
  for (const part of ['http', 'bullmq', 'socketio', 'sqlite', 'pipeline'] as const) {
    const req: Request = { part, runs: o.runs, redisUrl: o.redisUrl, gapMs: o.gapMs };
    const child = spawn(process.execPath, [...ORCHESTRATOR_NODE_FLAGS, __filename, JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`design floor part ${part} exited with ${code}`);
    parts.push(JSON.parse(out.trim().split('\n').pop()!) as PartResult);
  }
  const of = (p: Part) => parts.find((x) => x.part === p)!.cpuMsPerRun;
  const p50 = (p: Part) => parts.find((x) => x.part === p)!.p50Ms;
  const total = of('http') + 2 * of('bullmq') + of('socketio') + of('sqlite');
  const totalP50 = p50('http') + 2 * p50('bullmq') + p50('socketio') + p50('sqlite');
  const pipeline = parts.pop()!;
  return { parts, totalCpuMsPerRun: Math.round(total * 100) / 100, totalP50Ms: Math.round(totalP50 * 100) / 100, pipeline };
}

if (require.main === module) {
  runRole(JSON.parse(process.argv[2]) as Request)
    .then((r) => {
      if (r) process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`design floor: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
}

/** One report line for a floor, beside the orchestrator's own figure when the same run measured it. */
export function describeDesignFloor(label: string, f: DesignFloor, orchestratorCpuMsPerRun?: number): string {
  const of = (p: Part) => f.parts.find((x) => x.part === p)!.cpuMsPerRun;
  const theirs = orchestratorCpuMsPerRun === undefined ? ''
    : `; the orchestrator ${orchestratorCpuMsPerRun} ms = ${(orchestratorCpuMsPerRun / f.totalCpuMsPerRun).toFixed(2)} × this floor`;
  const pipelineTheirs = orchestratorCpuMsPerRun === undefined ? '' : ` (the orchestrator = ${(orchestratorCpuMsPerRun / f.pipeline.cpuMsPerRun).toFixed(2)} × it)`;
  return `${label}: ${f.totalCpuMsPerRun} ms per run = Express ${of('http')} + 2 × BullMQ hop ${of('bullmq')} + socket.io ${of('socketio')} + 7 statements ${of('sqlite')}${theirs}\n` +
    `    the same parts as one pipeline in one process: ${f.pipeline.cpuMsPerRun} ms per run${pipelineTheirs}`;
}

/** The parts' p50 times on an event's way to its CLI (paced), beside the p50 the real-worker bench measured. */
export function describeDesignFloorLatency(f: DesignFloor, observedP50Ms?: number): string {
  const p50 = (p: Part) => f.parts.find((x) => x.part === p)!.p50Ms;
  const theirs = observedP50Ms === undefined ? '' : `; event → CLI started measured ${observedP50Ms} ms, of which the CLI's own start is not in this sum`;
  return `  time on an event's way to its CLI, p50: ${f.totalP50Ms} ms = POST answered ${p50('http')} + 2 × job added → taken ${p50('bullmq')} + assignment → ack ${p50('socketio')} + statements to the claim ${p50('sqlite')}${theirs}\n` +
    `    as one pipeline: event accepted → assignment received ${f.pipeline.p50Ms} ms`;
}
