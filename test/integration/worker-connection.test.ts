import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Server, type Socket } from 'socket.io';
import {
  assignAck, heartbeatPayload, outputPayload, protocolPayload, registerPayload, resultPayload,
  type AssignAck, type AssignPayload, type OrchestratorToWorker, type OutputChunk, type ProtocolPayload,
  type RegisterPayload, type ResultAck, type ResultPayload, type WorkerToOrchestrator,
} from '../../shared/socket-events';
import type { WorkerConfig } from '../../worker/config';
import { setUpIsolation, type Isolation } from '../../worker/sandbox/isolation';
import { startWorker, type RunningWorker } from '../../worker/worker';
import { leftInRunFolders, sandboxConfig, workRoot } from '../helpers/isolation';
import { slow, startFakeAnthropic, text, type FakeAnthropic } from '../helpers/fake-anthropic';

/** The worker (real CLI, fake API) against a tiny socket.io server playing the orchestrator. */

const TOKEN = 'orchestrator-test-token-0123456789';
type WSocket = Socket<WorkerToOrchestrator, OrchestratorToWorker>;

interface FakeOrchestrator {
  url: string;
  sockets: WSocket[];
  registers: RegisterPayload[];
  heartbeats: number;
  chunks: Map<string, OutputChunk[]>;
  protocol: ProtocolPayload[];
  results: ResultPayload[];
  /** Output batches whose seq did not continue where the last one ended (must stay empty). */
  seqGaps: string[];
  /** Decides the ack of each result; default: acknowledge. */
  onResult: (p: ResultPayload, socket: WSocket, ack: (a: ResultAck) => void) => void;
  assign(p: AssignPayload): Promise<AssignAck>;
  close(): Promise<void>;
}

async function startFakeOrchestrator(): Promise<FakeOrchestrator> {
  const httpServer = http.createServer();
  const io = new Server<WorkerToOrchestrator, OrchestratorToWorker>(httpServer);
  io.use((socket, next) => (socket.handshake.auth?.token === TOKEN ? next() : next(new Error('unauthorized'))));
  const fo: FakeOrchestrator = {
    url: '', sockets: [], registers: [], heartbeats: 0, chunks: new Map(), protocol: [], results: [], seqGaps: [],
    onResult: (_p, _s, ack) => ack({ ok: true }),
    assign: async (p) => {
      const socket = fo.sockets.at(-1);
      if (!socket) throw new Error('no worker registered');
      return assignAck.parse(await socket.timeout(5_000).emitWithAck('assign', p));
    },
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
  io.on('connection', (socket) => {
    socket.on('register', (raw, ack) => {
      fo.registers.push(registerPayload.parse(raw));
      fo.sockets.push(socket);
      ack({ ok: true });
    });
    socket.on('heartbeat', (raw) => void (heartbeatPayload.safeParse(raw).success && fo.heartbeats++));
    socket.on('output', (raw) => {
      const p = outputPayload.parse(raw);
      const list = fo.chunks.get(p.executionId) ?? [];
      // Like the real orchestrator: a batch re-sent after a reconnect is ignored where already stored.
      if (p.seq > list.length) fo.seqGaps.push(`${p.executionId}: got ${p.seq}, expected ${list.length}`);
      fo.chunks.set(p.executionId, [...list, ...p.chunks.slice(Math.max(0, list.length - p.seq))]);
    });
    socket.on('protocol', (raw) => void fo.protocol.push(protocolPayload.parse(raw)));
    socket.on('result', (raw, ack) => {
      const p = resultPayload.parse(raw);
      fo.results.push(p);
      fo.onResult(p, socket, ack);
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
  fo.url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  return fo;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

let fake: FakeAnthropic;
let orch: FakeOrchestrator;
let workDirRoot: string;
let worker: RunningWorker | undefined;
let isolation: Isolation | undefined;
let fatal: Error | undefined;

beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  fake.reset();
  orch = await startFakeOrchestrator();
  workDirRoot = workRoot('pc-worker');
  fatal = undefined;
});
afterEach(async () => {
  worker?.killAllNow();
  await worker?.shutdown(0, 200);
  worker = undefined;
  isolation?.close();
  await orch.close();
  expect(orch.seqGaps).toEqual([]); // chunks arrive numbered consecutively, no gap, no repeat
  fs.rmSync(workDirRoot, { recursive: true, force: true });
});

function start(token = TOKEN, slots = 2, logger = pino({ level: 'silent' })): RunningWorker {
  const config: WorkerConfig = {
    ...sandboxConfig({ workDirRoot, anthropicBaseUrl: fake.url, slots }),
    orchestratorUrl: orch.url, workerToken: token, workerId: 'test-worker-1',
    logLevel: 'silent', shutdownGraceMs: 0, killGraceMs: 1_000,
    passThroughEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', ANTHROPIC_BASE_URL: fake.url },
  };
  isolation = setUpIsolation(config, pino({ level: 'silent' }));
  worker = startWorker({
    config, isolation, version: '9.9.9', logger, onFatal: (err) => (fatal = err),
    reconnect: { delayMs: 100, maxDelayMs: 300 }, ackTimeoutMs: 1_000, heartbeatMs: 100,
  });
  return worker;
}

const assignment = (id: string, prompt = `prompt for ${id}`, extra: Partial<AssignPayload> = {}): AssignPayload => ({
  executionId: id, prompt, env: { ANTHROPIC_API_KEY: 'sk-ant-api03-fake' }, timeoutMs: 20_000, allowedTools: ['Bash'], allowedHosts: [], ...extra,
});

it('registers with its token and sends heartbeats', async () => {
  start();
  await until(() => orch.registers.length === 1 && orch.heartbeats >= 2);
  expect(orch.registers[0]).toEqual({ workerId: 'test-worker-1', slots: 2, version: '9.9.9', running: [], finished: [], isolation: 'bwrap', session: expect.any(String) });
});

it('refused with a wrong token, says so in one line per attempt and keeps retrying with backoff (never fatal)', async () => {
  const lines: string[] = [];
  start('wrong-token-0123456789abcdef', 2, pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }));
  const refusals = () => lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => l.msg.includes('refused the worker token'));
  await until(() => refusals().length >= 3, 10_000);
  expect(refusals()[0].msg).toBe(
    `the orchestrator at ${orch.url} refused the worker token (unauthorized): WORKER_TOKEN is not the orchestrator's, ` +
      "or this worker's enrolled token was revoked; retrying in 0.1 s",
  );
  expect(refusals().map((l) => l.msg.replace(/.*retrying in /, ''))).toEqual(expect.arrayContaining(['0.1 s', '0.2 s', '0.3 s']));
  expect(fatal).toBeUndefined();
  expect(orch.registers).toEqual([]);
  expect(lines.join('\n')).not.toContain('wrong-token-0123456789abcdef');
});

it('runs an assignment: ack, output in order, protocol messages, result acknowledged', async () => {
  fake.onPrompt('exec-1', [text('Working on it\n{"user_message": {"content": "all good"}}\nDone.')]);
  const w = start();
  await until(() => orch.registers.length === 1);
  expect(await orch.assign(assignment('exec-1'))).toEqual({ accepted: true });
  await until(() => orch.results.length === 1);
  expect(orch.results[0]).toMatchObject({ executionId: 'exec-1', status: 'completed', error: null, exitCode: 0 });
  const streams = orch.chunks.get('exec-1')!.map((c) => c.stream);
  expect(streams[0]).toBe('system');
  expect(streams.at(-1)).toBe('result');
  expect(orch.chunks.get('exec-1')!.find((c) => c.stream === 'assistant')!.text).toContain('Working on it');
  expect(orch.protocol).toEqual([
    { executionId: 'exec-1', messages: [{ kind: 'user_message', payload: { content: 'all good', content_type: 'info', priority: 'normal' } }] },
  ]);
  await until(() => w.connection.unacknowledged === 0);
});

it('refuses invalid payloads and assignments beyond its slots', async () => {
  fake.setFallback(slow(200));
  start(TOKEN, 1);
  await until(() => orch.registers.length === 1);
  expect(await orch.assign({ executionId: 'bad' } as AssignPayload)).toEqual({ accepted: false, reason: 'invalid_payload' });
  expect(await orch.assign(assignment('slow-1'))).toEqual({ accepted: true });
  expect(await orch.assign(assignment('slow-1'))).toEqual({ accepted: true }); // a re-sent assign is not a second run
  expect(await orch.assign(assignment('slow-2'))).toEqual({ accepted: false, reason: 'no_free_slot' });
  orch.sockets[0].emit('cancel', { executionId: 'slow-1', reason: 'cancelled' });
  await until(() => orch.results.length === 1);
  expect(orch.results[0]).toMatchObject({ executionId: 'slow-1', status: 'cancelled', error: 'cancelled' });
});

it('cancels the right run', async () => {
  fake.onPrompt('keep-me', [text('kept')]);
  fake.onPrompt('kill-me', [slow(200)]);
  start();
  await until(() => orch.registers.length === 1);
  await orch.assign(assignment('kill-me'));
  await until(() => fake.mainRequests().length === 1);
  await orch.assign(assignment('keep-me'));
  orch.sockets[0].emit('cancel', { executionId: 'kill-me', reason: 'timeout' });
  await until(() => orch.results.length === 2);
  const byId = Object.fromEntries(orch.results.map((r) => [r.executionId, r]));
  expect(byId['kill-me']).toMatchObject({ status: 'failed', error: 'timeout' });
  expect(byId['keep-me']).toMatchObject({ status: 'completed', result: 'kept' });
});

it('re-sends a result after the server drops the connection before acknowledging it', async () => {
  fake.onPrompt('exec-2', [text('first try')]);
  let drops = 0;
  orch.onResult = (_p, socket, ack) => {
    if (drops++ === 0) socket.disconnect(true); // the store "failed": no ack, connection gone
    else ack({ ok: true });
  };
  const w = start();
  await until(() => orch.registers.length === 1);
  await orch.assign(assignment('exec-2'));
  await until(() => orch.results.length === 2);
  expect(orch.registers).toHaveLength(2); // it registered again before re-sending
  expect(orch.results[1]).toEqual(orch.results[0]);
  expect(orch.results[1]).toMatchObject({ executionId: 'exec-2', status: 'completed', result: 'first try' });
  await until(() => w.connection.unacknowledged === 0);
});

it('on reconnect registers the executions still running', async () => {
  fake.onPrompt('long-run', [slow(100, text('x'.repeat(50)), 50)]); // ~5 s: outlives the reconnect
  start();
  await until(() => orch.registers.length === 1);
  await orch.assign(assignment('long-run'));
  // Drop the connection as soon as the model is asked, whatever output is in flight: the worker keeps
  // each execution's output until its result is acknowledged and re-sends it after registering again.
  await until(() => fake.mainRequests().length === 1);
  orch.sockets[0].disconnect(true);
  await until(() => orch.registers.length === 2);
  expect(orch.registers[1].running).toEqual(['long-run']);
  await until(() => orch.results.length === 1);
  expect(orch.results[0]).toMatchObject({ executionId: 'long-run', status: 'completed' });
  expect(orch.seqGaps).toEqual([]);
  const streams = (orch.chunks.get('long-run') ?? []).map((c) => c.stream);
  expect(streams[0]).toBe('system'); // the init line sent before the drop is there
  expect(streams).toContain('result');
});

it('shutdown refuses new work, cancels runs past the grace and reports them', async () => {
  fake.setFallback(slow(200));
  const w = start();
  await until(() => orch.registers.length === 1);
  await orch.assign(assignment('busy'));
  await until(() => fake.mainRequests().length === 1);
  const stopping = w.shutdown(300);
  expect(await orch.assign(assignment('late'))).toEqual({ accepted: false, reason: 'no_free_slot' });
  await stopping;
  expect(orch.results).toEqual([expect.objectContaining({ executionId: 'busy', status: 'cancelled', error: 'shutdown' })]);
  expect(w.connection.unacknowledged).toBe(0);
  expect(leftInRunFolders(isolation!.workerDir)).toEqual([]);
});
