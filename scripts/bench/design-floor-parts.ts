/**
 * The design's floor, part by part (see design-floor.ts): Express, a BullMQ hop, socket.io, the run's
 * statements, and the two counterparts (an HTTP client, a socket.io client standing in for a worker).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Worker } from 'bullmq';
import express from 'express';
import { io as connect } from 'socket.io-client';
import { claimExecution } from '../../server/db/execution-claims';
import { claimEvent, insertEvent, transitionEvent } from '../../server/db/events';
import { getExecution, insertExecution, transitionExecution } from '../../server/db/executions';
import { pipelineClient, pipelinePart } from './design-floor-pipeline';
import {
  actAsWorker, dropQueue, floorDb, floorQueue, floorQueueOptions, gateway, inFlight, listen, meter, newEvent, nowMs, p50Of, PROMPT,
  queuedExecution, runInProcess, WARM_UP, Waiters, type PartResult, type Request,
} from './design-floor-kit';

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
  const port = await listen(server);
  const client = runInProcess({ part: 'http-client', runs: WARM_UP + runs, port, gapMs });
  const result = await m.done;
  const { times } = JSON.parse(await client) as { times: number[] };
  server.close();
  return { ...result, p50Ms: p50Of(times) };
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
  const opts = floorQueueOptions(redisUrl);
  const queue = floorQueue('floor', opts);
  const completed = new Waiters();
  const worker = new Worker('floor', async (job) => void m.took(nowMs() - (job.data as { addedAt: number }).addedAt), { ...opts, concurrency: 32 });
  worker.on('completed', (job) => {
    completed.settle(job.id!);
    m.tick();
  });
  await worker.waitUntilReady();
  await inFlight(WARM_UP + runs, async () => {
    const id = randomUUID();
    const done = completed.for(id);
    await queue.add('run', { executionId: id, addedAt: nowMs() }, { jobId: id });
    await done;
  }, gapMs);
  const result = await m.done;
  await worker.close();
  await dropQueue(queue);
  return result;
}

/** socket.io: an assignment (the bench prompt) with its ack, then the worker's output and its result with an ack. */
async function socketioPart(runs: number, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'socketio');
  const server = http.createServer();
  const ended = new Waiters();
  const gw = gateway(server, (executionId) => {
    ended.settle(executionId);
    m.tick();
  });
  const port = await listen(server);
  const client = runInProcess({ part: 'socketio-client', runs: WARM_UP + runs, port, gapMs });
  const socket = await gw.worker;
  await inFlight(WARM_UP + runs, async () => {
    const executionId = randomUUID();
    const end = ended.for(executionId);
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
  gw.close();
  return result;
}

/** Plays the worker until `total` runs ended. */
async function socketioClient(total: number, port: number): Promise<void> {
  const socket = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  let n = 0;
  await new Promise<void>((resolve) => actAsWorker(socket, () => {
    n += 1;
    if (n === total) resolve();
  }));
  socket.close();
}

/** The seven statements of a run (insert event, claim it, insert the execution, final event status, read it, claim it, finish it). */
async function sqlitePart(runs: number, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'sqlite');
  const store = await floorDb();
  const { db } = store;
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
  await store.close();
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
