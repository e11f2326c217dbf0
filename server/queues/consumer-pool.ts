import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { closeQuietly } from './queues';

interface Consumer<T> {
  worker: Worker<T>;
  /** This consumer's share of the pool's capacity (its BullMQ concurrency). */
  capacity: number;
  /** Jobs in its processor right now. */
  active: number;
  running: Promise<unknown>;
}

/**
 * BullMQ Workers on one queue whose combined concurrency follows a capacity that changes at run time
 * (the execution dispatcher: the slots of the workers connected to this instance).
 *
 * A BullMQ Worker that holds as many jobs as its concurrency waits for one of them to end before it
 * reads its concurrency again, so raising it then takes effect only when a job ends: with runs that
 * last minutes, a worker pod joining while every slot is busy would sit idle while runs wait in Redis.
 * Capacity added while every consumer is full therefore goes to a new consumer, which fetches at
 * once; an extra consumer with nothing left running hands its capacity back to the first one as soon
 * as that one is fetching again, so the pool is one BullMQ Worker (two Redis connections) at rest.
 */
export class ConsumerPool<T> {
  private readonly consumers: Consumer<T>[] = [];
  /** Extra consumers taking no new jobs, closed once their running ones end. */
  private readonly retiring = new Set<Consumer<T>>();
  private readonly closing = new Set<Promise<unknown>>();
  private paused = false;

  constructor(
    private readonly queueName: string,
    private readonly processor: (job: Job<T>, token?: string) => Promise<unknown>,
    private readonly options: Omit<WorkerOptions, 'concurrency' | 'autorun'>,
    private readonly logger: Logger,
  ) {}

  /** Total concurrency right now (at least 1 while started). */
  get capacity(): number {
    return this.consumers.reduce((n, c) => n + c.capacity, 0);
  }

  /** How many BullMQ Workers the pool has (1 at rest). */
  get size(): number {
    return this.consumers.length;
  }

  start(capacity: number): void {
    this.add(Math.max(1, capacity));
    this.resize(capacity);
  }

  /** Follows `capacity`; 0 pauses intake (jobs wait in Redis for instances that can run them). */
  resize(capacity: number): void {
    if (this.consumers.length === 0) return;
    if (capacity <= 0) {
      if (!this.paused) for (const c of this.consumers) void c.worker.pause(true);
      this.paused = true;
      return;
    }
    if (this.paused) for (const c of this.consumers) c.worker.resume();
    this.paused = false;
    const have = this.capacity;
    if (capacity > have) this.grow(capacity - have);
    else if (capacity < have) this.shrink(have - capacity);
  }

  async close(): Promise<void> {
    const all = [...this.consumers.splice(0), ...this.retiring];
    this.retiring.clear();
    await Promise.all(all.map((c) => closeQuietly(c.worker, true)));
    await Promise.all([...all.map((c) => c.running), ...this.closing]);
  }

  private grow(by: number): void {
    // A consumer below its concurrency is still fetching and reads the new value with its next job.
    const open = this.consumers.find((c) => c.active < c.capacity);
    if (open) this.setCapacity(open, open.capacity + by);
    else this.add(by);
  }

  private shrink(by: number): void {
    let excess = by;
    for (let i = this.consumers.length - 1; i >= 0 && excess > 0; i--) {
      const c = this.consumers[i];
      const cut = Math.min(excess, i === 0 ? c.capacity - 1 : c.capacity);
      excess -= cut;
      if (i > 0 && cut === c.capacity) this.retire(c);
      else this.setCapacity(c, c.capacity - cut);
    }
  }

  private add(capacity: number): void {
    const consumer = { capacity, active: 0 } as Consumer<T>;
    consumer.worker = new Worker<T>(this.queueName, async (job, token) => {
      consumer.active += 1;
      try {
        return await this.processor(job, token);
      } finally {
        consumer.active -= 1;
        if (consumer.active === 0 && this.retiring.has(consumer)) this.closeRetired(consumer);
        this.settle();
      }
    }, { ...this.options, concurrency: capacity, autorun: false });
    consumer.worker.on('error', (err) => this.logger.error({ err, queue: this.queueName }, 'queue consumer error'));
    consumer.running = consumer.worker.run().catch((err) => this.logger.error({ err, queue: this.queueName }, 'queue consumer stopped'));
    if (this.paused) void consumer.worker.pause(true);
    this.consumers.push(consumer);
    if (this.consumers.length > 1) this.logger.info({ queue: this.queueName, consumers: this.consumers.length, capacity: this.capacity }, 'capacity grew while every consumer was busy; added a consumer');
  }

  /** Folds idle extra consumers back into the first one once it is fetching again. */
  private settle(): void {
    const [first, ...extra] = this.consumers;
    if (!first || first.active >= first.capacity) return;
    for (const c of extra) {
      if (c.active > 0) continue;
      this.retire(c);
      this.setCapacity(first, first.capacity + c.capacity);
    }
  }

  /** Stops `c` fetching at once; it is closed when its running jobs have ended (their locks kept renewed). */
  private retire(c: Consumer<T>): void {
    this.consumers.splice(this.consumers.indexOf(c), 1);
    this.retiring.add(c);
    if (c.active === 0) this.closeRetired(c);
    else void c.worker.pause(true);
  }

  private closeRetired(c: Consumer<T>): void {
    this.retiring.delete(c);
    const done = closeQuietly(c.worker).then(() => c.running).catch((err) => this.logger.warn({ err }, 'closing a queue consumer failed'));
    this.closing.add(done);
    void done.finally(() => this.closing.delete(done));
  }

  private setCapacity(c: Consumer<T>, capacity: number): void {
    c.capacity = capacity;
    c.worker.concurrency = capacity;
  }
}
