/**
 * The design's floor as one pipeline (see design-floor.ts): the same parts in one process, wired the
 * way a run goes through the orchestrator, with nothing else — the POST stores the event and adds its
 * `events` job; that job's processor claims the event, stores the execution, marks the event
 * delivered and adds the `executions` job; that one's processor reads and claims the execution,
 * sends the assignment over socket.io and holds until the result comes back, which finishes the row.
 * The counterpart (one process) posts the events and plays the worker; each event is timed from its
 * acceptance (the server's clock as the POST's handler starts, as the real-worker bench's "event
 * accepted") to its assignment's arrival. Paced, the parts share their wake-ups here, as in the
 * orchestrator.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Worker } from 'bullmq';
import express from 'express';
import { io as connect } from 'socket.io-client';
import { claimExecution } from '../../server/db/execution-claims';
import { claimEvent, insertEvent, transitionEvent } from '../../server/db/events';
import { getExecution, insertExecution, transitionExecution } from '../../server/db/executions';
import {
  actAsWorker, dropQueue, floorDb, floorQueue, floorQueueOptions, gateway, inFlight, listen, meter, newEvent, p50Of, PROMPT, queuedExecution,
  runInProcess, WARM_UP, Waiters, type PartResult,
} from './design-floor-kit';

const iso = () => new Date().toISOString();
/** Epoch milliseconds with a fraction: comparable between two processes on one machine. */
const epochMs = () => performance.timeOrigin + performance.now();

export async function pipelinePart(runs: number, redisUrl: string, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'pipeline');
  const store = await floorDb();
  const { db } = store;
  const opts = floorQueueOptions(redisUrl);
  const events = floorQueue('events', opts);
  const executions = floorQueue('executions', opts);
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/api/events', async (req, res) => {
    const acceptedAt = epochMs();
    const id = randomUUID();
    await insertEvent(db, newEvent(id, { ...(req.body as object), acceptedAt }));
    await events.add('event', { eventId: id }, { jobId: id });
    res.status(202).json({ id, status: 'pending' });
  });
  const ended = new Waiters();
  const server = http.createServer(app);
  const gw = gateway(server, async (executionId) => {
    await transitionExecution(db, executionId, ['running'], { status: 'completed', completedAt: iso(), durationMs: 5, exitCode: 0, result: 'done' });
    ended.settle(executionId);
    m.tick();
  });

  const eventWorker = new Worker('events', async (job) => {
    const eventId = job.data.eventId as string;
    const event = await claimEvent(db, eventId);
    const execution = queuedExecution(randomUUID(), eventId, event?.payload ?? null);
    await insertExecution(db, execution);
    await transitionEvent(db, eventId, ['processing'], { status: 'delivered', error: null, processedAt: iso() });
    await executions.add('run', { executionId: execution.id }, { jobId: execution.id });
  }, { ...opts, concurrency: 32 });
  const executionWorker = new Worker('executions', async (job) => {
    const executionId = job.data.executionId as string;
    const { tag, acceptedAt } = (await getExecution(db, executionId))!.inputData as { tag: string; acceptedAt: number };
    await claimExecution(db, { executionId, personaId: null, maxConcurrent: Number.POSITIVE_INFINITY, workerId: 'w', startedAt: iso(), timeoutMs: 600_000 });
    const end = ended.for(executionId);
    await (await gw.worker).timeout(10_000).emitWithAck('assign', {
      executionId, tag, acceptedAt, prompt: PROMPT, env: { CLAUDE_CODE_OAUTH_TOKEN: 'x'.repeat(100) }, timeoutMs: 600_000, allowedTools: ['Bash'],
    });
    await end;
  }, { ...opts, concurrency: 32 });

  await Promise.all([eventWorker.waitUntilReady(), executionWorker.waitUntilReady()]);
  const port = await listen(server);
  const client = runInProcess({ part: 'pipeline-client', runs: WARM_UP + runs, port, gapMs });
  const result = await m.done;
  const { times } = JSON.parse(await client) as { times: number[] };
  await Promise.all([eventWorker.close(), executionWorker.close()]);
  await Promise.all([dropQueue(events), dropQueue(executions)]);
  gw.close();
  await store.close();
  return { ...result, p50Ms: p50Of(times) };
}

/** Posts the events and plays the worker; answers each event's time from its acceptance to its assignment. */
export async function pipelineClient(total: number, port: number, gapMs: number): Promise<{ times: number[] }> {
  const socket = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // Each event carries a tag to its execution's input, and so to its assignment.
  const ended = new Waiters<number>();
  actAsWorker<{ executionId: string; tag: string; acceptedAt: number }>(socket, (p, arrivedAt) => ended.settle(p.tag, arrivedAt - p.acceptedAt));
  const times: number[] = [];
  await inFlight(total, async (i) => {
    const tag = `run-${i}`;
    const assignedAfter = ended.for(tag);
    const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
      method: 'POST', body: JSON.stringify({ tag, text: 'x'.repeat(200) }), headers: { 'content-type': 'application/json' },
    });
    await res.arrayBuffer();
    times[i] = await assignedAfter;
  }, gapMs);
  socket.close();
  return { times };
}
