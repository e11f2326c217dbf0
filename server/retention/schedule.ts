import { Queue, Worker } from 'bullmq';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { QUEUE_NAMES } from '../../shared/queues';
import { redisConnection } from '../queues/queues';
import { pruneOldRecords, type PruneOptions } from './prune';

/** The job scheduler's id: one per installation, whichever orchestrator upserts it. */
export const RETENTION_SCHEDULER_ID = 'retention-daily';
/** Daily at 03:17 (server time): off the hour, when most installations are quiet. */
export const RETENTION_PATTERN = '17 3 * * *';

export interface RetentionDeps {
  db: Knex;
  logger: Logger;
  redisUrl: string;
  queuePrefix: string;
  /** RETENTION_DAYS; 0 turns pruning off (the scheduler is removed). */
  days: number;
  /** Cron pattern of the daily prune (tests run it sooner). */
  pattern?: string;
  /** Passed to each prune (batch sizes, pauses). */
  prune?: Omit<PruneOptions, 'days' | 'signal'>;
}

export interface Retention {
  /** The `maintenance` queue (its counts are in /metrics and Bull Board). */
  queue: Queue;
  stop(): Promise<void>;
}

/** The one start-up line that says which retention is in force. */
export function retentionLine(days: number): string {
  if (days === 0) return 'retention: off (RETENTION_DAYS=0): every execution, its output and every event are kept';
  return `retention: finished executions (with their output and messages) and final events older than ${days} days ` +
    `are pruned daily at 03:17 (RETENTION_DAYS=${days}); agent memories, open reviews and the audit log are always kept`;
}

/**
 * Keeps the daily prune as a BullMQ job scheduler and processes it here (with several
 * orchestrators, one of them takes each day's job). The prune runs in small statements with pauses,
 * so requests never wait long behind it; stop() ends a prune in progress between two statements.
 */
export async function startRetention(deps: RetentionDeps): Promise<Retention> {
  const connection = redisConnection(deps.redisUrl);
  const queue = new Queue(QUEUE_NAMES.maintenance, { connection, prefix: deps.queuePrefix });
  const stopping = new AbortController();
  deps.logger.info({ retentionDays: deps.days }, retentionLine(deps.days));
  if (deps.days === 0) {
    await queue.removeJobScheduler(RETENTION_SCHEDULER_ID);
    return { queue, stop: () => queue.close() };
  }
  await queue.upsertJobScheduler(
    RETENTION_SCHEDULER_ID,
    { pattern: deps.pattern ?? RETENTION_PATTERN },
    { name: 'prune', data: {}, opts: { removeOnComplete: 30, removeOnFail: 30 } },
  );
  const worker = new Worker(
    QUEUE_NAMES.maintenance,
    async () => pruneOldRecords(deps.db, deps.logger, { ...deps.prune, days: deps.days, signal: stopping.signal }),
    { connection, prefix: deps.queuePrefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => deps.logger.error({ err, queue: QUEUE_NAMES.maintenance, jobId: job?.id }, 'retention: prune failed; the next day retries'));
  worker.on('error', (err) => deps.logger.error({ err, queue: QUEUE_NAMES.maintenance }, 'maintenance worker error'));
  await worker.waitUntilReady();
  return {
    queue,
    async stop() {
      stopping.abort();
      await worker.close();
      await queue.close();
    },
  };
}
