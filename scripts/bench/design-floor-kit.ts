/**
 * What the design's floor parts share (design-floor.ts, design-floor-parts.ts, design-floor-pipeline.ts):
 * the request a part's process is started with, the run loop (flat out or paced), the meter (CPU over
 * the measured runs, each run's time in the part), the processes, and the pieces several parts build on
 * (a throw-away store, queue options, the socket.io server and the worker's side of it).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Server, type Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { Event } from '../../server/db/events';
import type { Execution } from '../../server/db/executions';
import { migrateLatest, openDb, type Db } from '../../server/db/knex';
import { redisConnection } from '../../server/queues/queues';
import { percentile, r3 } from './load';
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

export const nowMs = () => performance.now();
/** The p50 of the measured runs' times (the warm-up's left out), as reported. */
export const p50Of = (times: number[]): number => r3(percentile(times.slice(WARM_UP).sort((a, b) => a - b), 50));

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

export interface Meter {
  /** One run done; the first WARM_UP are the warm-up. */
  tick(): void;
  /** A run's time in the part (all runs; p50Of leaves the warm-up out). */
  took(ms: number): void;
  done: Promise<PartResult>;
}

/** Counts runs; measures this process's CPU from the end of the warm-up to the last run. */
export function meter(runs: number, part: Part): Meter {
  let n = 0;
  let cpu0 = 0;
  let cpuMsPerRun = 0;
  const times: number[] = [];
  let finish!: () => void;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  return {
    tick() {
      n += 1;
      if (n === WARM_UP) cpu0 = cpuMsOf('self');
      if (n === WARM_UP + runs) {
        cpuMsPerRun = r3((cpuMsOf('self') - cpu0) / runs);
        finish();
      }
    },
    took: (ms) => void times.push(ms),
    done: ended.then(() => ({ part, runs, cpuMsPerRun, p50Ms: p50Of(times) })),
  };
}

/** Promises settled by key: a run waits for its job, its ack or its result by id. */
export class Waiters<T = void> {
  private readonly waiting = new Map<string, (value: T) => void>();

  for(key: string): Promise<T> {
    return new Promise<T>((resolve) => this.waiting.set(key, resolve));
  }

  settle(key: string, value: T): void {
    this.waiting.get(key)?.(value);
    this.waiting.delete(key);
  }
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

/** Runs a role in a process of its own (design-floor.js is the entry); answers the last line it printed. */
export function runInProcess(req: Request, nodeFlags: readonly string[] = []): Promise<string> {
  const child = spawn(process.execPath, [...nodeFlags, path.join(__dirname, 'design-floor.js'), JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop() ?? '') : reject(new Error(`design floor ${req.part} exited with ${code}`))));
  });
}

/** Listens on a free loopback port; answers it. */
export async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A migrated SQLite store in a temp folder, removed by `close`. */
export async function floorDb(): Promise<{ db: Db; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-design-floor-'));
  const db = openDb(path.join(dir, 'floor.db'));
  await migrateLatest(db);
  return {
    db,
    async close() {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** BullMQ connection options under a prefix of this process's own (for queues and workers alike). */
export function floorQueueOptions(redisUrl: string): { connection: ConnectionOptions; prefix: string } {
  return { connection: redisConnection(redisUrl), prefix: `pc-design-floor-${process.pid}` };
}

/** A queue whose jobs are removed once done, as `events`. */
export function floorQueue(name: string, opts: { connection: ConnectionOptions; prefix: string }): Queue {
  return new Queue(name, { ...opts, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } });
}

/** Deletes a floor queue's keys and closes it. */
export async function dropQueue(queue: Queue): Promise<void> {
  await queue.obliterate({ force: true });
  await queue.close();
}

/**
 * The gateway's side: a socket.io server (websocket only, as the gateway) on `server`; answers the
 * worker's socket once it connected. A result is acked after `onResult` (e.g. the row finished).
 */
export function gateway(server: http.Server, onResult: (executionId: string) => Promise<void> | void): { worker: Promise<Socket>; close(): void } {
  const io = new Server(server, { transports: ['websocket'], maxHttpBufferSize: 8 * 1024 * 1024 });
  const worker = new Promise<Socket>((resolve) => io.on('connection', (socket) => {
    socket.on('output', () => undefined);
    socket.on('result', async (p: { executionId: string }, ack: (a: unknown) => void) => {
      await onResult(p.executionId);
      ack({ ok: true });
    });
    resolve(socket);
  }));
  return { worker, close: () => void io.close() };
}

/**
 * The worker's side: acks each assignment, sends its output and its result (with an ack), then calls
 * `ended` with the assignment and when it arrived (epoch ms, comparable between processes).
 */
export function actAsWorker<A extends { executionId: string }>(socket: ClientSocket, ended: (assignment: A, arrivedAt: number) => void): void {
  socket.on('assign', (p: A, ack: (a: unknown) => void) => {
    const arrivedAt = performance.timeOrigin + performance.now();
    ack({ accepted: true });
    socket.emit('output', { executionId: p.executionId, lines: ['{"type":"system","subtype":"init"}', '{"type":"result","result":"done"}'] });
    void socket.timeout(10_000).emitWithAck('result', { executionId: p.executionId, status: 'completed', exitCode: 0, result: 'done', costUsd: 0.01 })
      .then(() => ended(p, arrivedAt));
  });
}
