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

export interface SystemStatus {
  /** `degraded` when a queue's counts could not be read (Redis unreachable); SQLite answered either way. */
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  workers: WorkerSummary[];
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

/** `GET /api/status`: what runs, what waits, and what the records hold. */
export async function systemStatus(deps: StatusDeps): Promise<SystemStatus> {
  const timeoutMs = deps.queueTimeoutMs ?? 1500;
  const [events, executions, triggers, byStatus, personas, claude] = await Promise.all([
    queueCounts(deps.queues.events, deps.logger, timeoutMs),
    queueCounts(deps.queues.executions, deps.logger, timeoutMs),
    queueCounts(deps.queues.triggers, deps.logger, timeoutMs),
    countExecutionsByStatus(deps.db),
    countPersonas(deps.db),
    deps.claudeStatus(),
  ]);
  const queues = { events, executions, triggers };
  const degraded = Object.values(queues).some((q) => 'error' in q);
  return {
    status: degraded ? 'degraded' : 'ok',
    version: VERSION,
    uptimeSeconds: Math.floor(process.uptime()),
    workers: deps.workers(),
    queues,
    executions: { ...Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])), ...byStatus },
    personas,
    claude,
    webhooks: { rejected: deps.webhookRejections?.() ?? {} },
  };
}
