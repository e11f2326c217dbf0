/**
 * The design's floor: what the parts the design card puts on a run's path cost the orchestrator's
 * process per run with nothing of ours around them — Express answering the event's POST, a BullMQ
 * job added, taken and completed (twice: `events` and `executions`), a socket.io assignment with its
 * ack plus an output message and a result with its ack, and the run's seven SQLite statements
 * through Knex. Each part runs in a process of its own, measured like the orchestrator (user +
 * system from /proc/self/stat) over `runs` after a warm-up, 16 in flight — or paced, one run every
 * `gapMs` (as the paced phase of the real-worker bench) — the counterparts (HTTP client, socket.io
 * client) in another process so their CPU is not counted. The sum is a lower bound for the
 * orchestrator's CPU per run as long as it is built from these parts. Paced, each part's time on an
 * event's way to its CLI is measured too (p50 after the warm-up): the POST answered (client side), a job
 * added → its processor called, the assignment emitted → its ack, the statements up to the run's claim.
 *
 *   node dist/scripts/bench/design-floor.js '{"part":"http","runs":4000}'
 *
 * prints one JSON line: { part, runs, cpuMsPerRun }.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { ORCHESTRATOR_NODE_FLAGS } from '../../shared/node-flags';
import { claimExecution } from '../../server/db/execution-claims';
import { claimEvent, insertEvent, transitionEvent } from '../../server/db/events';
import { getExecution, insertExecution, transitionExecution, type Execution } from '../../server/db/executions';
import { migrateLatest, openDb } from '../../server/db/knex';
import { redisConnection } from '../../server/queues/queues';
import { cpuMsOf } from './spawn-floor';

export type Part = 'http' | 'bullmq' | 'socketio' | 'sqlite';
type Role = Part | 'http-client' | 'socketio-client';

interface Request {
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

export interface DesignFloor {
  parts: PartResult[];
  /** http + 2 × bullmq + socketio + sqlite. */
  totalCpuMsPerRun: number;
  /** The same sum of the parts' p50 times. */
  totalP50Ms: number;
}

const IN_FLIGHT = 16;
const WARM_UP = 500;
/** The bench personas' prompt: 8 KiB of instructions plus the fixed parts, with the contract's `–` (a two-byte string). */
const PROMPT = `# Persona: Bench – ${'Do the thing carefully. '.repeat(500)}`;

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const nowMs = () => performance.now();

interface Meter {
  /** One run done; the first WARM_UP are the warm-up. */
  tick(): void;
  /** A run's time in the part, kept once the warm-up is over. */
  took(ms: number): void;
  /** Replaces the kept times (the HTTP client measures them in its own process). */
  times: number[];
  done: Promise<PartResult>;
}

/** Counts runs; measures this process's CPU from the end of the warm-up to the last run. */
function meter(runs: number, part: Part): Meter {
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
async function inFlight(total: number, one: (i: number) => Promise<unknown>, gapMs = 0): Promise<void> {
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
function counterpart(req: Request): Promise<string> {
  const child = spawn(process.execPath, [__filename, JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop() ?? '') : reject(new Error(`${req.part} exited with ${code}`))));
  });
}

/** Express with the JSON body parser answering a POST with 202 and a small JSON body. */
async function httpPart(runs: number, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'http');
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/api/events', (req, res) => {
    res.status(202).json({ id: randomUUID(), status: 'pending', eventType: (req.body as { eventType?: string }).eventType });
    m.tick();
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = counterpart({ part: 'http-client', runs: WARM_UP + runs, port, gapMs });
  const result = await m.done;
  const { times } = JSON.parse(await client) as { times: number[] };
  server.close();
  return { ...result, p50Ms: round3(median(times.slice(WARM_UP))) };
}

/** Posts the events; answers each request's time, in the order they were sent. */
async function httpClient(total: number, port: number, gapMs: number): Promise<{ times: number[] }> {
  const body = JSON.stringify({ eventType: 'bench', payload: { text: 'x'.repeat(200), n: 1 } });
  const times: number[] = [];
  await inFlight(total, async (i) => {
    const t0 = nowMs();
    const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    });
    await res.arrayBuffer();
    times[i] = nowMs() - t0;
  }, gapMs);
  return { times };
}

/** A BullMQ job added, taken by a Worker in the same process and completed (removed on completion, as `events`). */
async function bullmqPart(runs: number, redisUrl: string, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'bullmq');
  const opts = { connection: redisConnection(redisUrl), prefix: `pc-design-floor-${process.pid}` };
  const queue = new Queue('floor', { ...opts, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } });
  const waiting = new Map<string, () => void>();
  const added = new Map<string, number>();
  const worker = new Worker('floor', async (job) => {
    m.took(nowMs() - added.get(job.id!)!);
    added.delete(job.id!);
    return 'done';
  }, { ...opts, concurrency: 32 });
  worker.on('completed', (job) => {
    waiting.get(job.id!)?.();
    waiting.delete(job.id!);
    m.tick();
  });
  await worker.waitUntilReady();
  await inFlight(WARM_UP + runs, async () => {
    const id = randomUUID();
    const completed = new Promise<void>((resolve) => waiting.set(id, resolve));
    added.set(id, nowMs());
    await queue.add('run', { executionId: id }, { jobId: id });
    await completed;
  }, gapMs);
  const result = await m.done;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return result;
}

/** socket.io: an assignment (the bench prompt) with its ack, then the worker's output and its result with an ack. */
async function socketioPart(runs: number, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'socketio');
  const server = http.createServer();
  const io = new Server(server, { transports: ['websocket'], maxHttpBufferSize: 8 * 1024 * 1024 });
  const ended = new Map<string, () => void>();
  let connected!: (socket: import('socket.io').Socket) => void;
  const socketReady = new Promise<import('socket.io').Socket>((resolve) => (connected = resolve));
  io.on('connection', (socket) => {
    socket.on('output', () => undefined);
    socket.on('result', (p: { executionId: string }, ack: (a: unknown) => void) => {
      ack({ ok: true });
      ended.get(p.executionId)?.();
      ended.delete(p.executionId);
      m.tick();
    });
    connected(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = counterpart({ part: 'socketio-client', runs: WARM_UP + runs, port, gapMs });
  const socket = await socketReady;
  await inFlight(WARM_UP + runs, async () => {
    const executionId = randomUUID();
    const end = new Promise<void>((resolve) => ended.set(executionId, resolve));
    const t0 = nowMs();
    await socket.timeout(10_000).emitWithAck('assign', {
      executionId, prompt: PROMPT, env: { CLAUDE_CODE_OAUTH_TOKEN: 'x'.repeat(100), CONNECTOR_X_TOKEN: 'y'.repeat(40) },
      timeoutMs: 600_000, allowedTools: ['Bash', 'Read'], allowedHosts: [], model: null,
    });
    m.took(nowMs() - t0);
    await end;
  }, gapMs);
  const result = await m.done;
  await client;
  io.close();
  return result;
}

async function socketioClient(total: number, port: number): Promise<void> {
  const socket = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  let n = 0;
  await new Promise<void>((resolve) => {
    socket.on('assign', (p: { executionId: string }, ack: (a: unknown) => void) => {
      ack({ accepted: true });
      socket.emit('output', { executionId: p.executionId, lines: ['{"type":"system","subtype":"init"}', '{"type":"result","result":"done"}'] });
      void socket.timeout(10_000).emitWithAck('result', { executionId: p.executionId, status: 'completed', exitCode: 0, result: 'done', costUsd: 0.01 })
        .then(() => {
          n += 1;
          if (n === total) resolve();
        });
    });
  });
  socket.close();
}

/** The seven statements of a run (insert event, claim it, insert the execution, final event status, read it, claim it, finish it). */
async function sqlitePart(runs: number, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'sqlite');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-design-floor-'));
  const db = openDb(path.join(dir, 'floor.db'));
  await migrateLatest(db);
  const now = () => new Date().toISOString();
  await inFlight(WARM_UP + runs, async () => {
    const eventId = randomUUID();
    const t0 = nowMs();
    await insertEvent(db, {
      id: eventId, eventType: 'bench', sourceType: 'api', sourceId: null, targetPersonaId: null, payload: { text: 'x'.repeat(200) },
      status: 'pending', error: null, chainDepth: 0, parentExecutionId: null, createdAt: now(), processedAt: null,
    });
    await claimEvent(db, eventId);
    const execution: Execution = {
      id: randomUUID(), personaId: null, eventId, status: 'queued', prompt: null, inputData: { text: 'x'.repeat(200) }, timeoutMs: null,
      workerId: null, startedAt: null, completedAt: null, durationMs: null, exitCode: null, error: null, costUsd: null, sessionId: null,
      numTurns: null, result: null, chainDepth: 0, createdAt: now(), updatedAt: now(),
    };
    await insertExecution(db, execution);
    await transitionEvent(db, eventId, ['processing'], { status: 'delivered', error: null, processedAt: now() });
    await getExecution(db, execution.id);
    await claimExecution(db, { executionId: execution.id, personaId: null, maxConcurrent: Number.POSITIVE_INFINITY, workerId: 'w', startedAt: now(), timeoutMs: 600_000 });
    m.took(nowMs() - t0);
    await transitionExecution(db, execution.id, ['running'], { status: 'completed', completedAt: now(), durationMs: 5, exitCode: 0, result: 'done' });
    m.tick();
  }, gapMs);
  const result = await m.done;
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

async function runRole(req: Request): Promise<PartResult | { times: number[] } | undefined> {
  switch (req.part) {
    case 'http': return httpPart(req.runs, req.gapMs ?? 0);
    case 'bullmq': return bullmqPart(req.runs, req.redisUrl!, req.gapMs ?? 0);
    case 'socketio': return socketioPart(req.runs, req.gapMs ?? 0);
    case 'sqlite': return sqlitePart(req.runs, req.gapMs ?? 0);
    case 'http-client': return httpClient(req.runs, req.port!, req.gapMs ?? 0);
    case 'socketio-client': return void (await socketioClient(req.runs, req.port!));
  }
}

/** Measures each part in a fresh process (with the orchestrator's Node flags), one after the other. */
export async function runDesignFloor(o: { runs: number; redisUrl: string; gapMs?: number }): Promise<DesignFloor> {
  const parts: PartResult[] = [];
  for (const part of ['http', 'bullmq', 'socketio', 'sqlite'] as const) {
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
  return { parts, totalCpuMsPerRun: Math.round(total * 100) / 100, totalP50Ms: Math.round(totalP50 * 100) / 100 };
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
  return `${label}: ${f.totalCpuMsPerRun} ms per run = Express ${of('http')} + 2 × BullMQ hop ${of('bullmq')} + socket.io ${of('socketio')} + 7 statements ${of('sqlite')}${theirs}`;
}

/** The parts' p50 times on an event's way to its CLI (paced), beside the p50 the real-worker bench measured. */
export function describeDesignFloorLatency(f: DesignFloor, observedP50Ms?: number): string {
  const p50 = (p: Part) => f.parts.find((x) => x.part === p)!.p50Ms;
  const theirs = observedP50Ms === undefined ? '' : `; event → CLI started measured ${observedP50Ms} ms, of which the CLI's own start is not in this sum`;
  return `  time on an event's way to its CLI, p50: ${f.totalP50Ms} ms = POST answered ${p50('http')} + 2 × job added → taken ${p50('bullmq')} + assignment → ack ${p50('socketio')} + statements to the claim ${p50('sqlite')}${theirs}`;
}
