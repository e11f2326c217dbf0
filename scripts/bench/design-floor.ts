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
import { ORCHESTRATOR_NODE_FLAGS } from '../../shared/node-flags';
import { runInProcess, type Part, type PartResult, type Request } from './design-floor-kit';
import { runRole } from './design-floor-parts';
import { r2 } from './load';

export type { Part, PartResult } from './design-floor-kit';

type Bare = Exclude<Part, 'pipeline'>;

export interface DesignFloor {
  /** Each part measured alone. */
  parts: Record<Bare, PartResult>;
  /** http + 2 × bullmq + socketio + sqlite. */
  totalCpuMsPerRun: number;
  /** The same sum of the parts' p50 times. */
  totalP50Ms: number;
  /** The parts in one process, as a run goes: CPU per run, and p50 from the event's acceptance to the assignment's arrival. */
  pipeline: PartResult;
}

/** A run's sum of a figure over the parts: two queue hops (`events`, `executions`), one of each other part. */
const perRun = (parts: Record<Bare, PartResult>, figure: (r: PartResult) => number): number =>
  r2(figure(parts.http) + 2 * figure(parts.bullmq) + figure(parts.socketio) + figure(parts.sqlite));

/** Measures each part, then the pipeline, each in a fresh process with the orchestrator's Node flags. */
export async function runDesignFloor(o: { runs: number; redisUrl: string; gapMs?: number }): Promise<DesignFloor> {
  const measure = async (part: Part): Promise<PartResult> => {
    const req: Request = { part, runs: o.runs, redisUrl: o.redisUrl, gapMs: o.gapMs };
    return JSON.parse(await runInProcess(req, ORCHESTRATOR_NODE_FLAGS)) as PartResult;
  };
  const parts = { http: await measure('http'), bullmq: await measure('bullmq'), socketio: await measure('socketio'), sqlite: await measure('sqlite') };
  return {
    parts,
    totalCpuMsPerRun: perRun(parts, (r) => r.cpuMsPerRun),
    totalP50Ms: perRun(parts, (r) => r.p50Ms),
    pipeline: await measure('pipeline'),
  };
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
  const { http, bullmq, socketio, sqlite } = f.parts;
  const times = (floor: number) => (orchestratorCpuMsPerRun === undefined ? '' : ` (the orchestrator ${orchestratorCpuMsPerRun} ms = ${(orchestratorCpuMsPerRun / floor).toFixed(2)} × it)`);
  return `${label}: ${f.totalCpuMsPerRun} ms per run = Express ${http.cpuMsPerRun} + 2 × BullMQ hop ${bullmq.cpuMsPerRun} + socket.io ${socketio.cpuMsPerRun} + 7 statements ${sqlite.cpuMsPerRun}${times(f.totalCpuMsPerRun)}\n` +
    `    the same parts as one pipeline in one process: ${f.pipeline.cpuMsPerRun} ms per run${times(f.pipeline.cpuMsPerRun)}`;
}

/** The parts' p50 times on an event's way to its CLI (paced), beside the p50 the real-worker bench measured. */
export function describeDesignFloorLatency(f: DesignFloor, observedP50Ms?: number): string {
  const { http, bullmq, socketio, sqlite } = f.parts;
  const theirs = observedP50Ms === undefined ? '' : `; event → CLI started measured ${observedP50Ms} ms, of which the CLI's own start is not in this sum`;
  return `  time on an event's way to its CLI, p50: ${f.totalP50Ms} ms = POST answered ${http.p50Ms} + 2 × job added → taken ${bullmq.p50Ms} + assignment → ack ${socketio.p50Ms} + statements to the claim ${sqlite.p50Ms}${theirs}\n` +
    `    as one pipeline: event accepted → assignment received ${f.pipeline.p50Ms} ms`;
}
