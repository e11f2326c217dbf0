import { z } from 'zod';

/** BullMQ queue names; every key in Redis is further prefixed by QUEUE_PREFIX. */
export const QUEUE_NAMES = {
  events: 'events',
  executions: 'executions',
  triggers: 'triggers',
  /** Housekeeping (the daily retention prune), one job scheduler. */
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/**
 * Job payloads carry ids only: SQLite holds the record, Redis holds no secret and no copy of the data.
 * Each job's id equals the record's id, so adding it twice is a no-op.
 */
export const eventJobSchema = z.object({ eventId: z.string() });
export const executionJobSchema = z.object({ executionId: z.string() });
export const triggerJobSchema = z.object({ triggerId: z.string() });

export type EventJob = z.infer<typeof eventJobSchema>;
export type ExecutionJob = z.infer<typeof executionJobSchema>;
export type TriggerJob = z.infer<typeof triggerJobSchema>;
