/**
 * The streaming load of the real-worker bench: `streamRuns` runs on `streamWorkers` × 50 slots, each
 * printing `linesPerSec` lines/s for `streamSeconds` s; afterwards every run's output is read back
 * through the API and checked (seq without gap, lines in order), and an SSE follower on `followers`
 * of them times each live line (received − printed by the stand-in).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openDb } from '../../server/db/knex';
import { percentile, r1 } from './load';
import { cpuOf, KEYS, send, startSystem, waitFinished } from './real-system';
import type { RealWorkerOptions } from './real-workers';
import { cpuMsOf } from './spawn-floor';

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

/** The streaming load: runs printing lines for seconds, every line checked in order, SSE followers timed. */
export async function streaming(o: RealWorkerOptions, cli: string, workRoot: string): Promise<StreamResult> {
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
