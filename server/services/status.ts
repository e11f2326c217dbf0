import os from 'node:os';
import type { Queue } from 'bullmq';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { VERSION } from '../../shared/version';
import type { ClaudeTokenStatus } from '../domain/claude-token';
import { countExecutionsByStatus, EXECUTION_STATUSES } from '../db/executions';
import { countPersonas } from '../db/stats';
import type { WorkerSummary } from '../gateway/worker-registry';
import type { Queues } from '../queues/queues';

export type QueueCounts = Record<string, number> | { error: 'unavailable' };

/** A worker as `/api/status` lists it: with the orchestrator instance it is connected to. */
export type ClusterWorker = WorkerSummary & { instanceId: string };

/** One orchestrator instance as `/api/status` lists it. */
export interface InstanceStatus {
  id: string;
  host: string;
  startedAt: string;
  /** Its last heartbeat (every second; an instance silent for 5 s is gone from the list). */
  lastSeenAt: string;
  /** The ids of the workers connected to it. */
  workers: string[];
  /** The instance that answered this request. */
  self: boolean;
}

/** What the heartbeats in Redis say (cluster/instances.ts), and which instance is this one. */
export interface ClusterView {
  self: string;
  live: Array<{ id: string; host: string; startedAt: string; lastSeenAt: string; workers: WorkerSummary[] }>;
}

export interface SystemStatus {
  /** `degraded` when a queue's counts could not be read (Redis unreachable); SQLite answered either way. */
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  /** Every live orchestrator instance sharing this database and Redis (this one at least). */
  instances: InstanceStatus[];
  /** Every worker connected to any of them. */
  workers: ClusterWorker[];
  queues: { events: QueueCounts; executions: QueueCounts; triggers: QueueCounts };
  /** Every status is present, 0 when none. */
  executions: Record<string, number>;
  personas: number;
  /** Whether executions can authenticate to Claude (never the token itself). */
  claude: ClaudeTokenStatus;
  /** Webhook deliveries refused since start (bad or missing signature), per route and reason. */
  webhooks: { rejected: Record<string, Record<string, number>> };
}

export interface StatusDeps {
  db: Knex;
  queues: Queues;
  logger: Logger;
  workers(): WorkerSummary[];
  /** The live instances (Redis heartbeats); absent or unreadable: this instance alone. */
  instances?(): Promise<ClusterView>;
  claudeStatus(): Promise<ClaudeTokenStatus>;
  /** Refused webhook deliveries, per route and reason. */
  webhookRejections?(): Record<string, Record<string, number>>;
  /** How long to wait for Redis before reporting a queue unavailable. */
  queueTimeoutMs?: number;
}

/**
 * A queue's job counts, or `{ error: 'unavailable' }` when Redis does not answer within `timeoutMs`
 * (BullMQ's connection retries forever, so without the timeout a down Redis would hang the request).
 */
export async function queueCounts(queue: Pick<Queue, 'getJobCounts' | 'name'>, logger: Logger, timeoutMs: number): Promise<QueueCounts> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([queue.getJobCounts(), timeout]);
  } catch (err) {
    logger.warn({ err, queue: queue.name }, 'queue counts unavailable');
    return { error: 'unavailable' };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The instances and their workers: this instance's own workers as they are now, the others' as
 * their last heartbeat said. Without Redis (or a cluster view) this instance alone is listed.
 */
async function clusterView(deps: StatusDeps, timeoutMs: number): Promise<{ instances: InstanceStatus[]; workers: ClusterWorker[] }> {
  const local = deps.workers();
  let view: ClusterView | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (deps.instances) {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
      });
      view = await Promise.race([deps.instances(), timeout]);
    }
  } catch (err) {
    deps.logger.warn({ err }, 'orchestrator instances unavailable');
  } finally {
    clearTimeout(timer);
  }
  const self = view?.self ?? `${os.hostname()}-${process.pid}`;
  const others = (view?.live ?? []).filter((i) => i.id !== self);
  const mine = view?.live.find((i) => i.id === self);
  const now = new Date().toISOString();
  const instances: InstanceStatus[] = [
    { id: self, host: mine?.host ?? os.hostname(), startedAt: mine?.startedAt ?? now, lastSeenAt: now, workers: local.map((w) => w.workerId), self: true },
    ...others.map((i) => ({ id: i.id, host: i.host, startedAt: i.startedAt, lastSeenAt: i.lastSeenAt, workers: i.workers.map((w) => w.workerId), self: false })),
  ];
  const workers: ClusterWorker[] = [
    ...local.map((w) => ({ ...w, instanceId: self })),
    ...others.flatMap((i) => i.workers.map((w) => ({ ...w, instanceId: i.id }))),
  ];
  return { instances, workers };
}

/** `GET /api/status`: what runs, what waits, and what the records hold. */
export async function systemStatus(deps: StatusDeps): Promise<SystemStatus> {
  const timeoutMs = deps.queueTimeoutMs ?? 1500;
  const [events, executions, triggers, byStatus, personas, claude, cluster] = await Promise.all([
    queueCounts(deps.queues.events, deps.logger, timeoutMs),
    queueCounts(deps.queues.executions, deps.logger, timeoutMs),
    queueCounts(deps.queues.triggers, deps.logger, timeoutMs),
    countExecutionsByStatus(deps.db),
    countPersonas(deps.db),
    deps.claudeStatus(),
    clusterView(deps, timeoutMs),
  ]);
  const queues = { events, executions, triggers };
  const degraded = Object.values(queues).some((q) => 'error' in q);
  return {
    status: degraded ? 'degraded' : 'ok',
    version: VERSION,
    uptimeSeconds: Math.floor(process.uptime()),
    instances: cluster.instances,
    workers: cluster.workers,
    queues,
    executions: { ...Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])), ...byStatus },
    personas,
    claude,
    webhooks: { rejected: deps.webhookRejections?.() ?? {} },
  };
}
