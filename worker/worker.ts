import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AssignAck, AssignPayload } from '../shared/socket-events';
import { WorkerAgent } from './agent';
import type { WorkerConfig } from './config';
import { createOrchestratorSocket, OrchestratorConnection } from './connection';
import { startRun, type RunCallbacks, type RunHandle, type RunnerDeps } from './runner';
import type { Isolation } from './sandbox/isolation';
import { chooseSpawnPath, type SpawnPath } from './cli-spawn';

export interface WorkerOptions {
  config: Readonly<WorkerConfig>;
  /** How runs are isolated (set up by main: it may refuse to start). */
  isolation: Isolation;
  /** How runs' processes start (main resolves WORKER_SPAWN); posix_spawn when available otherwise. */
  spawnPath?: SpawnPath;
  version: string;
  logger: Logger;
  /** The orchestrator refused this worker for good; main exits non-zero. */
  onFatal: (err: Error) => void;
  /** Tests shorten these. */
  reconnect?: { delayMs?: number; maxDelayMs?: number };
  ackTimeoutMs?: number;
  heartbeatMs?: number;
  /** Tests may substitute the runner; the real CLI runner otherwise. */
  startRun?: (a: AssignPayload, cb: RunCallbacks) => RunHandle;
}

export interface RunningWorker {
  agent: WorkerAgent;
  connection: OrchestratorConnection;
  /** Stop intake, drain up to `graceMs`, flush results (briefly), disconnect. */
  shutdown(graceMs: number, resultFlushMs?: number): Promise<void>;
  /** Forced exit: SIGKILL every CLI process group now. */
  killAllNow(): void;
}

/** Wires socket, session and agent together and connects. */
export function startWorker(opts: WorkerOptions): RunningWorker {
  const { config, logger } = opts;
  const socket = createOrchestratorSocket(config.orchestratorUrls ?? config.orchestratorUrl, config.workerToken, { ...opts.reconnect, ca: config.orchestratorCa });
  const connection = new OrchestratorConnection({
    socket,
    identity: { workerId: config.workerId, slots: config.slots, version: opts.version, isolation: opts.isolation.mode, session: randomUUID() },
    runningIds: (): string[] => agent.runningIds(), // first called on connect, after `agent` exists
    logger,
    onFatal: opts.onFatal,
    ackTimeoutMs: opts.ackTimeoutMs,
    heartbeatMs: opts.heartbeatMs,
    serverDropRetryMs: opts.reconnect?.delayMs,
    // With several orchestrators the lines name the one tried at the moment.
    url: config.orchestratorUrls && config.orchestratorUrls.length > 1 ? undefined : config.orchestratorUrl,
    refusedBackoff: opts.reconnect && { initialMs: opts.reconnect.delayMs ?? 1_000, maxMs: opts.reconnect.maxDelayMs ?? 30_000 },
  });
  const runnerDeps: RunnerDeps = {
    isolation: opts.isolation, spawnPath: opts.spawnPath ?? chooseSpawnPath('auto'), killGraceMs: config.killGraceMs, passThroughEnv: config.passThroughEnv, logger,
  };
  const agent: WorkerAgent = new WorkerAgent({
    slots: config.slots,
    runMaxEvents: config.runMaxEvents,
    outbound: connection,
    startRun: opts.startRun ?? ((a, cb) => startRun(a, runnerDeps, cb)),
    logger,
  });
  socket.on('assign', (raw, ack) => {
    const answer: AssignAck = agent.handleAssign(raw);
    if (typeof ack === 'function') ack(answer);
  });
  socket.on('cancel', (raw) => agent.handleCancel(raw));
  connection.start();
  logger.info({ workerId: config.workerId, slots: config.slots, spawn: runnerDeps.spawnPath, orchestrator: (config.orchestratorUrls ?? [config.orchestratorUrl]).join(',') }, 'worker started');

  let stopping: Promise<void> | undefined;
  return {
    agent,
    connection,
    shutdown: (graceMs, resultFlushMs = 5_000) =>
      (stopping ??= (async () => {
        await agent.drain(graceMs);
        const flushed = await connection.waitForResults(connection.isRegistered ? resultFlushMs : Math.min(resultFlushMs, 1_000));
        if (!flushed) logger.warn({ unacknowledged: connection.unacknowledged }, 'exiting with unacknowledged results');
        connection.close();
      })()),
    killAllNow: () => agent.killAllNow(),
  };
}
