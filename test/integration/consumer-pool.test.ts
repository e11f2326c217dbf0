import { Queue, type Job } from 'bullmq';
import pino from 'pino';
import { ConsumerPool } from '../../server/queues/consumer-pool';
import { redisConnection } from '../../server/queues/queues';
import { REDIS_URL, uniquePrefix } from '../helpers/env';
import { deletePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/** Real Redis, real BullMQ: jobs hold until the test lets them go, as execution jobs hold until their run ends. */
describe('ConsumerPool (capacity that changes while every job is held)', () => {
  const prefix = uniquePrefix('pool');
  const queue = new Queue('held', { connection: redisConnection(REDIS_URL), prefix });
  const held = new Map<string, () => void>();
  const started: string[] = [];
  const pool = new ConsumerPool<{ n: number }>('held', (job: Job<{ n: number }>) => new Promise<void>((resolve) => {
    started.push(job.id!);
    held.set(job.id!, resolve);
  }), { connection: redisConnection(REDIS_URL), prefix, lockDuration: 5_000 }, pino({ level: 'silent' }));
  const release = () => {
    for (const [id, done] of held) {
      held.delete(id);
      done();
    }
  };

  afterAll(async () => {
    release();
    await pool.close();
    await queue.close();
    await deletePrefix(prefix);
  });

  it('takes more jobs at once when capacity grows while every job is held, then folds back to one consumer', async () => {
    pool.start(1);
    await queue.addBulk([1, 2, 3, 4].map((n) => ({ name: 'j', data: { n } })));
    await waitFor(() => started.length === 1 || undefined, 'the first job', 5_000);
    pool.resize(3);
    await waitFor(() => started.length === 3 || undefined, 'two more jobs while the first is held', 5_000);
    expect(pool.size).toBe(2);
    expect(pool.capacity).toBe(3);
    release();
    await waitFor(() => (held.size === 1 && pool.size === 1) || undefined, 'the fourth job, on one consumer again', 5_000);
    expect(started.length).toBe(4);
    expect(pool.capacity).toBe(3);
    release();
  });

  it('shrinks to what is left, and takes jobs again after a pause at capacity 0', async () => {
    pool.resize(0); // (a fetch already blocked in Redis may still bring one job: the dispatcher re-queues it)
    pool.resize(1);
    await queue.add('j', { n: 5 });
    await waitFor(() => held.size === 1 || undefined, 'the job once resumed', 5_000);
    expect(pool.capacity).toBe(1);
    expect(pool.size).toBe(1);
    release();
  });

  it('retires a consumer added a moment ago without a late connection error (capacity that comes and goes)', async () => {
    // A consumer closed while its connection is still being set up: BullMQ re-emits the failed start
    // after the close dropped its listeners, an unhandled rejection unless the close keeps it quiet.
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      await queue.add('j', { n: 6 });
      await waitFor(() => held.size === 1 || undefined, 'a held job, so that more capacity means another consumer', 5_000);
      for (let i = 0; i < 40; i++) {
        pool.resize(2);
        await new Promise((resolve) => setTimeout(resolve, (i % 8) * 0.25));
        pool.resize(1);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(pool.size).toBe(1);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      release();
    }
  });
});
