import IORedis, { type Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ClusterKeys } from './keys';
import { closeRedis } from './close-redis';

/** A message on the control channel; `from` is the sending instance. */
export interface ControlMessage {
  type: string;
  from: string;
  [field: string]: unknown;
}

type Listener = (message: Record<string, unknown>) => void;

interface RunSubscription {
  listeners: Set<Listener>;
  ready: Promise<void>;
}

export interface ClusterBusOptions {
  redisUrl: string;
  keys: ClusterKeys;
  instanceId: string;
  logger: Logger;
}

/**
 * Redis pub/sub between the orchestrators of one deployment (ioredis, one publishing and one
 * subscribed connection per instance; ioredis re-subscribes after a reconnect). Two kinds of
 * channel: the control channel every instance hears (cancel a run, a run changed hands, drop a
 * cache), and one channel per execution for its live output, which an instance subscribes to only
 * while someone follows that execution through it. An instance never hears its own messages.
 * Only what may be in Redis travels here: ids, and output already scrubbed and stored.
 */
export class ClusterBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Set<(m: ControlMessage) => void>>();
  private readonly runs = new Map<string, RunSubscription>();
  private started?: Promise<void>;

  constructor(private readonly opts: ClusterBusOptions) {
    // Commands wait (offline queue) while Redis is away, like BullMQ's; ioredis reconnects.
    this.pub = new IORedis(opts.redisUrl, { maxRetriesPerRequest: null });
    this.sub = new IORedis(opts.redisUrl, { maxRetriesPerRequest: null });
    for (const [name, c] of [['publish', this.pub], ['subscribe', this.sub]] as const) {
      c.on('error', (err: Error) => opts.logger.debug({ err: err.message, connection: name }, 'cluster bus: Redis connection error'));
    }
    this.sub.on('message', (channel: string, raw: string) => this.deliver(channel, raw));
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  /** Subscribes to the control channel (resolves once Redis confirmed it). */
  start(): Promise<void> {
    this.started ??= this.sub.subscribe(this.opts.keys.control).then(() => undefined);
    return this.started;
  }

  /** Handles control messages of one type from the other instances; answers the unsubscribe. */
  on(type: string, handler: (m: ControlMessage) => void): () => void {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Tells every other instance; a Redis failure is logged (the callers have their own fallbacks). */
  async send(type: string, fields: Record<string, unknown> = {}): Promise<void> {
    await this.publish(this.opts.keys.control, { ...fields, type, from: this.opts.instanceId });
  }

  /** Publishes on an execution's channel (heard by instances whose followers follow it). */
  async publishRun(executionId: string, message: Record<string, unknown>): Promise<void> {
    await this.publish(this.opts.keys.run(executionId), { ...message, from: this.opts.instanceId });
  }

  /**
   * Listens to an execution's channel. `ready` settles once Redis confirmed the subscription, so a
   * caller that replays stored output after it misses nothing published in between.
   */
  followRun(executionId: string, listener: Listener): { ready: Promise<void>; off(): void } {
    const channel = this.opts.keys.run(executionId);
    let entry = this.runs.get(channel);
    if (!entry) {
      const ready = this.sub.subscribe(channel).then(
        () => undefined,
        (err: Error) => this.opts.logger.warn({ err: err.message, executionId }, 'cluster bus: could not follow an execution on other instances'),
      );
      entry = { listeners: new Set(), ready };
      this.runs.set(channel, entry);
    }
    const current = entry;
    current.listeners.add(listener);
    return {
      ready: current.ready,
      off: () => {
        current.listeners.delete(listener);
        if (current.listeners.size > 0 || this.runs.get(channel) !== current) return;
        this.runs.delete(channel);
        this.sub.unsubscribe(channel).catch((err: Error) => this.opts.logger.debug({ err: err.message }, 'cluster bus: unsubscribe failed'));
      },
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.runs.clear();
    await Promise.all([this.pub, this.sub].map(closeRedis));
  }

  private async publish(channel: string, message: Record<string, unknown>): Promise<void> {
    try {
      await this.pub.publish(channel, JSON.stringify(message));
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message, type: message.type }, 'cluster bus: publish failed');
    }
  }

  private deliver(channel: string, raw: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      this.opts.logger.warn({ channel }, 'cluster bus: unreadable message ignored');
      return;
    }
    if (message.from === this.opts.instanceId) return;
    const listeners = channel === this.opts.keys.control ? this.handlers.get(String(message.type)) : this.runs.get(channel)?.listeners;
    for (const listener of [...(listeners ?? [])]) {
      try {
        listener(message as ControlMessage);
      } catch (err) {
        this.opts.logger.error({ err, channel, type: message.type }, 'cluster bus: a message handler failed');
      }
    }
  }
}
