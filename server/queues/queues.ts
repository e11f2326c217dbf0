import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { QUEUE_NAMES, type EventJob, type ExecutionJob, type TriggerJob } from '../../shared/queues';

export interface Queues {
  events: Queue<EventJob>;
  executions: Queue<ExecutionJob>;
  triggers: Queue<TriggerJob>;
  close(): Promise<void>;
}

/** Parses REDIS_URL into BullMQ connection options (each queue/worker opens its own connection). */
export function redisConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

export function createQueues(redisUrl: string, prefix: string): Queues {
  const opts = { connection: redisConnection(redisUrl), prefix };
  // A completed event job is deleted at once: the `events` row is the record, and keeping the last
  // 1,000 costs Redis a sorted-set insert and a trim on every event.
  const events = new Queue<EventJob>(QUEUE_NAMES.events, {
    ...opts,
    defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: true, removeOnFail: 5000 },
  });
  const executions = new Queue<ExecutionJob>(QUEUE_NAMES.executions, {
    ...opts,
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 },
  });
  const triggers = new Queue<TriggerJob>(QUEUE_NAMES.triggers, {
    ...opts,
    defaultJobOptions: { removeOnComplete: 100, removeOnFail: 1000 },
  });
  return {
    events,
    executions,
    triggers,
    async close() {
      await Promise.all([events, executions, triggers].map((q) => closeQuietly(q)));
    },
  };
}

/**
 * Closes a BullMQ queue or worker (`force`: a worker without waiting for its jobs). BullMQ's
 * connections drop all their listeners on close, yet a connection still being set up (Redis
 * unreachable, or a worker closed just after it was made, as the execution consumers are when
 * capacity comes and goes) later re-emits its failed start as an 'error' on itself, which with no
 * listener throws as an unhandled rejection: a no-op listener on each of its connections, added in the
 * same macrotask as the close completes, keeps that quiet.
 */
export async function closeQuietly(target: Queue | Worker, force = false): Promise<void> {
  try {
    await (target instanceof Worker ? target.close(force) : target.close());
  } finally {
    const { connection, blockingConnection } = target as unknown as Record<'connection' | 'blockingConnection', { on?(event: 'error', fn: () => void): void } | undefined>;
    for (const c of [connection, blockingConnection]) c?.on?.('error', () => undefined);
  }
}
