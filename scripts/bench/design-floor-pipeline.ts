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
import { counterpart, inFlight, median, meter, newEvent, PROMPT, queuedExecution, round3, WARM_UP, type PartResult } from './design-floor-kit';

const iso = () => new Date().toISOString();
/** Epoch milliseconds with a fraction: comparable between two processes on one machine. */
const epochMs = () => performance.timeOrigin + performance.now();

export async function pipelinePart(runs: number, redisUrl: string, gapMs: number): Promise<PartResult> {
  const m = meter(runs, 'pipeline');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-design-floor-'));
  const db = openDb(path.join(dir, 'floor.db'));
  await migrateLatest(db);
  const opts = { connection: redisConnection(redisUrl), prefix: `pc-design-floor-${process.pid}` };
  const events = new Queue('events', { ...opts, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } });
  const executions = new Queue('executions', { ...opts, defaultJobOptions: { removeOnComplete: true, removeOnFail: true } });
  const ended = new Map<string, () => void>();
  let connected!: (socket: Socket) => void;
  const worker = new Promise<Socket>((resolve) => (connected = resolve));

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
    const end = new Promise<void>((resolve) => ended.set(executionId, resolve));
    await (await worker).timeout(10_000).emitWithAck('assign', {
      executionId, tag, acceptedAt, prompt: PROMPT, env: { CLAUDE_CODE_OAUTH_TOKEN: 'x'.repeat(100) }, timeoutMs: 600_000, allowedTools: ['Bash'],
    });
    await end;
  }, { ...opts, concurrency: 32 });

  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/api/events', async (req, res) => {
    const acceptedAt = epochMs();
    const id = randomUUID();
    await insertEvent(db, newEvent(id, { ...(req.body as object), acceptedAt }));
    await events.add('event', { eventId: id }, { jobId: id });
    res.status(202).json({ id, status: 'pending' });
  });
  const server = http.createServer(app);
  const io = new Server(server, { transports: ['websocket'], maxHttpBufferSize: 8 * 1024 * 1024 });
  io.on('connection', (socket) => {
    socket.on('output', () => undefined);
    socket.on('result', async (p: { executionId: string }, ack: (a: unknown) => void) => {
      await transitionExecution(db, p.executionId, ['running'], { status: 'completed', completedAt: iso(), durationMs: 5, exitCode: 0, result: 'done' });
      ack({ ok: true });
      ended.get(p.executionId)?.();
      ended.delete(p.executionId);
      m.tick();
    });
    connected(socket);
  });
  await Promise.all([eventWorker.waitUntilReady(), executionWorker.waitUntilReady()]);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = counterpart({ part: 'pipeline-client', runs: WARM_UP + runs, port, gapMs });
  const result = await m.done;
  const { times } = JSON.parse(await client) as { times: number[] };
  await Promise.all([eventWorker.close(), executionWorker.close()]);
  await events.obliterate({ force: true });
  await executions.obliterate({ force: true });
  await Promise.all([events.close(), executions.close()]);
  io.close();
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...result, p50Ms: round3(median(times.slice(WARM_UP))) };
}

/** Posts the events and plays the worker; answers each event's time from its acceptance to its assignment. */
export async function pipelineClient(total: number, port: number, gapMs: number): Promise<{ times: number[] }> {
  const socket = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  /** Per event (a tag it carries to its execution's input): who waits for its run to end. */
  const runs = new Map<string, (assignedAfterMs: number) => void>();
  socket.on('assign', (p: { executionId: string; tag: string; acceptedAt: number }, ack: (a: unknown) => void) => {
    const took = epochMs() - p.acceptedAt;
    ack({ accepted: true });
    socket.emit('output', { executionId: p.executionId, lines: ['{"type":"system","subtype":"init"}', '{"type":"result","result":"done"}'] });
    void socket.timeout(10_000).emitWithAck('result', { executionId: p.executionId, status: 'completed', exitCode: 0, result: 'done' })
      .then(() => runs.get(p.tag)?.(took));
  });
  const times: number[] = [];
  await inFlight(total, async (i) => {
    const tag = `run-${i}`;
    const ended = new Promise<number>((resolve) => runs.set(tag, resolve));
    const res = await fetch(`http://127.0.0.1:${port}/api/events`, {
      method: 'POST', body: JSON.stringify({ tag, text: 'x'.repeat(200) }), headers: { 'content-type': 'application/json' },
    });
    await res.arrayBuffer();
    times[i] = await ended;
    runs.delete(tag);
  }, gapMs);
  socket.close();
  return { times };
}
