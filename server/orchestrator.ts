import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { AuditLog } from './audit/audit-log';
import { ApiKeyService } from './auth/api-keys';
import { plaintextWarning, type OrchestratorConfig } from './config';
import { attachConfigCache, ConfigCache } from './db/config-cache';
import type { Db } from './db/knex';
import { listOutput } from './db/output';
import { describeDatabase } from './db/target';
import { Cluster } from './cluster/cluster';
import { withRedisLock } from './cluster/redis-lock';
import { attachFollowers } from './gateway/followers';
import { WorkerGateway, type WorkerSocket } from './gateway/worker-gateway';
import { WorkerRegistry, type WorkerSummary } from './gateway/worker-registry';
import { claudeTokenLine } from './domain/claude-token';
import { createApp } from './http/app';
import { recordFinishedExecution } from './metrics/executions';
import { isQueue, Metrics } from './metrics/metrics';
import { startRetention, type Retention } from './retention/schedule';
import { startPresence } from './startup/presence';
import { INCREMENTAL_VACUUM_MIGRATION } from '../migrations/20261130000003_sqlite_incremental_vacuum';
import type { AppContext } from './http/context';
import { Dispatcher } from './queues/dispatcher';
import { startEventProcessing } from './queues/event-processing';
import { createQueues, type Queues } from './queues/queues';
import { buildAssignment, executionSecrets, timeoutOf, type AssignmentDeps } from './services/assignment';
import { ClaudeTokenService } from './services/claude-token';
import { onExecutionFinished, onProtocolMessage } from './services/event-bus';
import type { BusDeps } from './services/events';
import { OutputBus } from './services/output-bus';
import { storeProtocolMessage } from './services/protocol-messages';
import { RecentlyBackElsewhere, recoverRuns, requeueUndelivered, startRunRecovery, type RunRecoveryDeps } from './services/run-recovery';
import { addExecutionJob } from './services/executions';
import { unclaimExecution } from './db/execution-claims';
import { coordinateRuns, refuseSharedSqlite } from './services/run-coordination';
import { RunTracker } from './services/run-tracker';
import { createTriggerHooks } from './services/trigger-hooks';
import { createWorkerEvents } from './services/worker-events';
import { WebhookRejections } from './services/webhook-verification';
import { WorkerTokenService } from './services/worker-tokens';
import type { Backoff } from './startup/backoff';
import { recordMasterKeyCheck, verifyMasterKey } from './startup/master-key';
import { openDatabase } from './startup/open-database';
import { Readiness } from './startup/readiness';
import { waitForRedis } from './startup/wait-for-redis';

export interface Orchestrator {
  httpPort: number;
  wsPort: number;
  db: Db;
  queues: Queues;
  /** Stops intake, then workers' gateway, processors, servers, Redis and SQLite, in that order. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Aborting while the orchestrator waits (database locked, Redis unreachable) closes what it
   * opened and makes startOrchestrator reject with StartAbortedError: SIGTERM during start-up.
   */
  signal?: AbortSignal;
  /** Backoff of those waits (default 1 s doubling to 30 s; tests shorten it). */
  backoff?: Backoff;
}

/** How often each instance looks for running executions no live instance tracks. */
const RECOVERY_INTERVAL_MS = 2_000;

/** How long the orchestrator waits for a worker to confirm a cancel or timeout before deciding alone. */
const STOP_GRACE_MS = 10_000;

function listen(server: http.Server | https.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Builds and starts the whole orchestrator from a parsed config: SQLite (migrated, its MASTER_KEY
 * checked), queues, the worker gateway, the dispatcher, the HTTP API with Bull Board and live
 * followers. The HTTP port listens before Redis is reached: `/health` answers 503 with the reason
 * while it waits (one log line per attempt, with backoff). Resolves once everything runs.
 */
export async function startOrchestrator(config: Readonly<OrchestratorConfig>, logger: Logger, opts: StartOptions = {}): Promise<Orchestrator> {
  const readiness = new Readiness();
  const waits = { logger, signal: opts.signal, backoff: opts.backoff, onWaiting: (reason: string) => readiness.waitingFor(reason) };
  let keyCheck = { record: false };
  const { db, applied } = await openDatabase({
    ...waits,
    target: config.database,
    // Before the migrations, so that a start with the wrong key writes nothing.
    beforeMigrate: async (d) => void (keyCheck = await verifyMasterKey(d, config.masterKey, { dbPath: describeDatabase(config.database) })),
  });
  if (applied.length) logger.info({ applied }, 'migrations applied');
  if (applied.includes(INCREMENTAL_VACUUM_MIGRATION)) logger.info('SQLite: auto_vacuum is now INCREMENTAL (the database file was rewritten once, by VACUUM); retention gives pruned space back');
  if (keyCheck.record) await recordMasterKeyCheck(db, config.masterKey, logger);
  // Says this database is in use (rotate-key refuses meanwhile); removed at stop.
  const presence = await startPresence({ db, logger, instanceId: config.instanceId });
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  // Shared with the other orchestrator instances of this deployment (same Redis, same QUEUE_PREFIX).
  const cluster: Cluster<WorkerSummary> = new Cluster<WorkerSummary>({
    redisUrl: config.redisUrl, prefix: config.queuePrefix, instanceId: config.instanceId, logger, workers: () => registry.summaries(),
  });
  // Personas, tools, credentials, subscriptions, chain triggers: read once per change, not per run.
  const configCache = new ConfigCache({ onWrite: () => void cluster.bus.send('cache-drop', { name: 'config' }).catch(() => undefined) });
  attachConfigCache(db, configCache);
  const bus = new OutputBus({
    // A run's output and status go to Redis only while someone follows it on another instance.
    publish: (executionId, message) => {
      if (message.kind === 'end' || cluster.bus.followedElsewhere(executionId)) void cluster.bus.publishRun(executionId, message);
    },
    follow: (executionId, deliver) => cluster.bus.followRun(executionId, (m) => deliver(m as never)),
    storedAfter: async (executionId, afterSeq) =>
      (await listOutput(db, executionId, afterSeq)).map((l) => ({ executionId, seq: l.seq, stream: l.stream, text: l.content })),
  }, (err) => logger.error({ err }, 'could not hand relayed output to a follower'));
  const busDeps: BusDeps = { db, queues, logger };
  const claudeToken = new ClaudeTokenService({
    db, masterKey: config.masterKey, oauth: config.oauth, envToken: config.claudeToken, logger,
    // One instance refreshes at a time; every instance drops its copy of the row when it changes.
    refreshLock: (work) => withRedisLock(cluster.redis, cluster.keys.lock('claude-token-refresh'), work, { ttlMs: 60_000, waitMs: 30_000 }),
    storedChanged: () => void cluster.bus.send('cache-drop', { name: 'claude-token' }),
  });

  let dispatcher: Dispatcher | undefined;
  const registry = new WorkerRegistry<WorkerSocket>(() => {
    dispatcher?.workersChanged();
    cluster.instances.beatSoon();
  });
  // Each orchestrator serves its own metrics; the queue gauges read Redis, so they are global.
  let retention: Retention | undefined; // its queue joins the gauges once it runs
  const metrics = new Metrics({
    logger, queues: () => [...Object.values(queues).filter(isQueue), ...(retention ? [retention.queue] : [])], workers: () => registry.summaries(), claudeStatus: () => claudeToken.status(),
  });
  // The gateway drops a revoked worker at once here; other orchestrators notice within a second.
  const workerTokens: WorkerTokenService = new WorkerTokenService({
    db, logger, connectedTokenIds: () => gateway.connectedTokenIds(), onRevoked: (id) => void gateway.revokeToken(id),
  });
  const gateway = new WorkerGateway({ workerToken: config.workerToken, tokens: workerTokens, logger, registry, tls: config.tls });
  if (!config.workerToken) logger.info('WORKER_TOKEN is not set: only enrolled worker tokens connect');
  const assignmentDeps: AssignmentDeps = {
    db, masterKey: config.masterKey, defaultTimeoutMs: config.defaultTimeoutMs, claudeToken: () => claudeToken.current(),
  };
  const secretsFor = (e: Parameters<typeof executionSecrets>[1]) => executionSecrets(assignmentDeps, e);
  const tracker = new RunTracker({
    db, logger, registry, gateway, bus, workerGraceMs: config.workerGraceMs, stopGraceMs: STOP_GRACE_MS,
    secretsFor, owners: cluster.owners, announce: (type, fields) => cluster.bus.send(type, fields),
    onFinished: async (e) => {
      await recordFinishedExecution({ db, logger, metrics }, e);
      await onExecutionFinished(busDeps, e);
    },
  });
  // Runs no live instance tracks (their orchestrator died or restarted) are adopted by one that is.
  // Workers that just registered with another instance (heard on the cluster bus before its heartbeat).
  const backElsewhere = new RecentlyBackElsewhere();
  const recovery: RunRecoveryDeps = {
    db, logger, tracker, owners: cluster.owners, liveInstances: () => cluster.instances.liveIds(),
    workerHere: (executionId, workerId) => workerId !== null && registry.holds(workerId, executionId),
    sessionHere: (workerId) => registry.sessionOf(workerId),
    workersElsewhere: async () => new Set([
      ...(await cluster.instances.list()).filter((i) => i.id !== cluster.instanceId).flatMap((i) => i.workers.map((w) => w.workerId)),
      ...backElsewhere.ids().filter((id) => !registry.sessionOf(id)),
    ]),
    requeue: async (e) => {
      await unclaimExecution(db, e.id, e.workerId ?? '', new Date().toISOString());
      await cluster.owners.forget(e.id);
      // Its job may have ended meanwhile (a job id is used once): a finished one is replaced.
      const job = await queues.executions.getJob(e.id);
      if (job && ['completed', 'failed'].includes(await job.getState())) await job.remove();
      await addExecutionJob(busDeps, e.id);
    },
  };
  const workerBack = (workerId: string, session: string, held: string[]) => void requeueUndelivered(recovery, workerId, session, held)
    .catch((err: unknown) => logger.error({ err, workerId }, 'could not requeue runs that never reached their worker'));
  dispatcher = new Dispatcher({
    db, logger, redisUrl: config.redisUrl, queuePrefix: config.queuePrefix, registry, gateway, tracker,
    buildAssignment: (e, persona) => buildAssignment(assignmentDeps, e, persona),
    timeoutFor: (e, persona) => timeoutOf(e, persona, config.defaultTimeoutMs),
    owners: cluster.owners,
    recoverRuns: async () => void (await recoverRuns(recovery)),
  });
  gateway.setHandler(
    createWorkerEvents({
      db, logger, tracker, bus, gateway, secretsFor,
      storeProtocolMessage: (e, m) => storeProtocolMessage({ db, logger }, e, m),
      onProtocolMessage: async (e, m) => void (await onProtocolMessage(busDeps, e, m)),
      workersChanged: () => dispatcher?.workersChanged(),
      workerBack: (workerId, session, held) => {
        workerBack(workerId, session, held);
        void cluster.bus.send('worker-back', { workerId, session, held });
      },
    }),
  );

  const apiKeys = new ApiKeyService({ db, logger, teamApiKey: config.teamApiKey });
  const audit = new AuditLog({ db, logger, masterKey: config.masterKey });
  const ctx: AppContext = {
    config, db, logger, queues, claudeToken, bus,
    hooks: createTriggerHooks(busDeps),
    workers: () => registry.summaries(),
    instances: async () => ({ self: cluster.instanceId, live: await cluster.instances.list() }),
    control: {
      db, queues, logger, bus, tracker,
      cancelElsewhere: async (executionId) => {
        await cluster.owners.requestCancel(executionId);
        await cluster.bus.send('cancel-run', { executionId });
      },
      onFinished: (e) => void recordFinishedExecution({ db, logger, metrics }, e),
    },
    metrics,
    apiKeys, audit,
    readiness,
    workerTokens,
    webhookRejections: new WebhookRejections(),
  };
  const app = createApp(ctx);
  const httpServer = config.tls ? https.createServer({ cert: config.tls.cert, key: config.tls.key }, app) : http.createServer(app);
  const warning = plaintextWarning(config);
  if (warning) logger.warn(warning);
  const followers = attachFollowers(httpServer, { db, logger, bus, keys: apiKeys });

  const httpPort = await listen(httpServer, config.httpPort, config.host);
  const wsPort = await gateway.listen(config.wsPort, config.host);
  logger.info({ httpPort, wsPort, tls: Boolean(config.tls), db: describeDatabase(config.database), queuePrefix: config.queuePrefix }, 'orchestrator listening');

  let events: Awaited<ReturnType<typeof startEventProcessing>> | undefined;
  let recovering: { stop(): Promise<void> } | undefined;
  const workerBackElsewhere = (workerId: string, session: string, held: string[]) => {
    backElsewhere.note(workerId);
    workerBack(workerId, session, held);
  };
  const stopCoordinating = coordinateRuns({ bus: cluster.bus, tracker, logger, workerBack: workerBackElsewhere, caches: { 'claude-token': () => claudeToken.forgetCached(), config: () => configCache.invalidate() } });
  const stop = async () => {
    await new Promise<void>((resolve) => followers.close(() => resolve()));
    httpServer.closeAllConnections?.();
    await gateway.close();
    await events?.stop();
    await retention?.stop();
    await recovering?.stop();
    await dispatcher!.close();
    tracker.close();
    stopCoordinating();
    await claudeToken.stop();
    await audit.flush();
    await presence.stop();
    await cluster.stop();
    await queues.close();
    await db.destroy();
  };
  try {
    await waitForRedis({ ...waits, url: config.redisUrl });
    await cluster.start();
    await refuseSharedSqlite({ database: config.database, instances: cluster.instances, self: cluster.instanceId });
    await dispatcher.start();
    recovering = startRunRecovery(recovery, RECOVERY_INTERVAL_MS);
    events = await startEventProcessing({
      ...busDeps, config, allowPrivateHosts: config.pollAllowPrivateHosts, onDispatched: (seconds) => metrics.eventDispatched(seconds),
    });
    retention = await startRetention({ db, logger, redisUrl: config.redisUrl, queuePrefix: config.queuePrefix, days: config.retentionDays ?? 30 });
  } catch (err) {
    await stop();
    throw err;
  }
  claudeToken.start();
  readiness.ready();
  const claude = await claudeToken.status();
  logger.info({ inUse: claude.inUse }, claudeTokenLine(claude));
  logger.info('orchestrator ready');

  return { httpPort, wsPort, db, queues, stop };
}
