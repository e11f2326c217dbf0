/**
 * The design's floor, part by part (see design-floor.ts): Express, a BullMQ hop, socket.io, the run's
 * statements, and the two counterparts (an HTTP client, a socket.io client standing in for a worker).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import express from 'express';
import { Server, type Socket } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { claimExecution } from '../../server/db/execution-claims';
import { claimEvent, insertEvent, transitionEvent } from '../../server/db/events';
import { getExecution, insertExecution, transitionExecution } from '../../server/db/executions';
import { migrateLatest, openDb } from '../../server/db/knex';
import { redisConnection } from '../../server/queues/queues';
import { pipelineClient, pipelinePart } from './design-floor-pipeline';
import { counterpart, inFlight, median, meter, newEvent, nowMs, PROMPT, queuedExecution, round3, WARM_UP, type PartResult, type Request } from './design-floor-kit';

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
  let connected!: (socket: Socket) => void;
  const socketReady = new Promise<Socket>((resolve) => (connected = resolve));
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
    await insertEvent(db, newEvent(eventId, { text: 'x'.repeat(200) }));
    await claimEvent(db, eventId);
    const execution = queuedExecution(randomUUID(), eventId, { text: 'x'.repeat(200) });
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

export async function runRole(req: Request): Promise<PartResult | { times: number[] } | undefined> {
  switch (req.part) {
    case 'http': return httpPart(req.runs, req.gapMs ?? 0);
    case 'bullmq': return bullmqPart(req.runs, req.redisUrl!, req.gapMs ?? 0);
    case 'socketio': return socketioPart(req.runs, req.gapMs ?? 0);
    case 'sqlite': return sqlitePart(req.runs, req.gapMs ?? 0);
    case 'http-client': return httpClient(req.runs, req.port!, req.gapMs ?? 0);
    case 'pipeline': return pipelinePart(req.runs, req.redisUrl!, req.gapMs ?? 0);
    case 'pipeline-client': return pipelineClient(req.runs, req.port!, req.gapMs ?? 0);
    case 'socketio-client': return void (await socketioClient(req.runs, req.port!));
  }
}
