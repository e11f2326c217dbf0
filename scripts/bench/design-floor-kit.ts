/**
 * What the design's floor parts share (design-floor.ts, design-floor-parts.ts, design-floor-pipeline.ts): the request a part's
 * process is started with, the run loop (flat out or paced), the meter (CPU over the measured runs,
 * each run's time in the part) and the counterpart process.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Event } from '../../server/db/events';
import type { Execution } from '../../server/db/executions';
import { cpuMsOf } from './spawn-floor';

/** The parts, and `pipeline`: all of them in one process, wired as a run goes (design-floor-pipeline.ts). */
export type Part = 'http' | 'bullmq' | 'socketio' | 'sqlite' | 'pipeline';
export type Role = Part | 'http-client' | 'socketio-client' | 'pipeline-client';

export interface Request {
  part: Role;
  runs: number;
  /** Paced: one run at a time, this long apart (after the warm-up, which runs flat out). */
  gapMs?: number;
  redisUrl?: string;
  port?: number;
}

export interface PartResult {
  part: Part;
  runs: number;
  cpuMsPerRun: number;
  /** The part's time on an event's way to its CLI, p50 over the measured runs. */
  p50Ms: number;
}

export const IN_FLIGHT = 16;
export const WARM_UP = 500;
/** The bench personas' prompt: 8 KiB of instructions plus the fixed parts, with the contract's `–` (a two-byte string). */
export const PROMPT = `# Persona: Bench – ${'Do the thing carefully. '.repeat(500)}`;

const iso = () => new Date().toISOString();

/** A new outside event's row, as the API stores it. */
export function newEvent(id: string, payload: unknown): Event {
  return {
    id, eventType: 'bench', sourceType: 'api', sourceId: null, targetPersonaId: null, payload, status: 'pending',
    error: null, chainDepth: 0, parentExecutionId: null, createdAt: iso(), processedAt: null,
  };
}

/** A new queued execution's row for an event, as the event processor stores it. */
export function queuedExecution(id: string, eventId: string, inputData: unknown): Execution {
  return {
    id, personaId: null, eventId, status: 'queued', prompt: null, inputData, timeoutMs: null,
    workerId: null, startedAt: null, completedAt: null, durationMs: null, exitCode: null, error: null, costUsd: null, sessionId: null,
    numTurns: null, result: null, chainDepth: 0, createdAt: iso(), updatedAt: iso(),
  };
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
export const nowMs = () => performance.now();

export interface Meter {
  /** One run done; the first WARM_UP are the warm-up. */
  tick(): void;
  /** A run's time in the part, kept once the warm-up is over. */
  took(ms: number): void;
  /** The times kept so far. */
  times: number[];
  done: Promise<PartResult>;
}

/** Counts runs; measures this process's CPU from the end of the warm-up to the last run. */
export function meter(runs: number, part: Part): Meter {
  let n = 0;
  let cpu0 = 0;
  let cpuMsPerRun = 0;
  let finish!: () => void;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const m: Meter = {
    times: [],
    tick() {
      n += 1;
      if (n === WARM_UP) cpu0 = cpuMsOf('self');
      if (n === WARM_UP + runs) {
        cpuMsPerRun = round3((cpuMsOf('self') - cpu0) / runs);
        finish();
      }
    },
    took(ms) {
      if (n >= WARM_UP) m.times.push(ms);
    },
    done: ended.then(() => ({ part, runs, cpuMsPerRun, p50Ms: round3(median(m.times)) })),
  };
  return m;
}

/**
 * Runs `one` `total` times: `IN_FLIGHT` at once, or with `gapMs` the warm-up so and then one at a
 * time, `gapMs` apart.
 */
export async function inFlight(total: number, one: (i: number) => Promise<unknown>, gapMs = 0): Promise<void> {
  let next = 0;
  const flatOut = gapMs > 0 ? Math.min(WARM_UP, total) : total;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < flatOut) await one(next++);
  }));
  while (next < total) {
    await sleep(gapMs);
    await one(next++);
  }
}

/** Runs the other side of a part in a process of its own; answers the last line it printed. */
export function counterpart(req: Request): Promise<string> {
  const child = spawn(process.execPath, [path.join(__dirname, 'design-floor.js'), JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop() ?? '') : reject(new Error(`${req.part} exited with ${code}`))));
  });
}
