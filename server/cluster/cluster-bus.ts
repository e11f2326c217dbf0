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
  executionId: string;
  listeners: Set<Listener>;
  ready: Promise<void>;
}

/**
 * How long an instance keeps publishing a run's output after it last heard that someone follows it
 * elsewhere; followers say so again every INTEREST_REFRESH_MS while they follow.
 */
const INTEREST_TTL_MS = 60_000;
const INTEREST_REFRESH_MS = 20_000;

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
 * An instance that subscribes to an execution's channel says so on the control channel (`follow`,
 * repeated while it follows), so the others publish a run's output only while someone elsewhere
 * follows it (`followedElsewhere`): with one orchestrator, or nobody watching, a run costs no
 * publish per output batch. What a follower misses while its `follow` travels, it reads back from
 * the records (OutputBus fills gaps).
 */
export class ClusterBus {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Set<(m: ControlMessage) => void>>();
  private readonly runs = new Map<string, RunSubscription>();
  /** Execution id → until when another instance follows it (ms since the epoch). */
  private readonly interest = new Map<string, number>();
  private refreshTimer?: NodeJS.Timeout;
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
    this.started ??= this.sub.subscribe(this.opts.keys.control).then(() => {
      this.on('follow', (m) => {
        const until = Date.now() + INTEREST_TTL_MS;
        for (const id of Array.isArray(m.executionIds) ? m.executionIds : []) if (typeof id === 'string') this.interest.set(id, until);
      });
      // A newcomer (a restart) asks at once rather than waiting for everyone's next refresh.
      this.on('follow-who', () => this.refreshInterest());
      this.refreshTimer = setInterval(() => this.refreshInterest(), INTEREST_REFRESH_MS);
      this.refreshTimer.unref();
      return this.send('follow-who');
    });
    return this.started;
  }

  /** Whether an instance other than this one said lately that someone there follows the execution. */
  followedElsewhere(executionId: string): boolean {
    const until = this.interest.get(executionId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.interest.delete(executionId);
    return false;
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
        () => this.send('follow', { executionIds: [executionId] }),
        (err: Error) => this.opts.logger.warn({ err: err.message, executionId }, 'cluster bus: could not follow an execution on other instances'),
      );
      entry = { executionId, listeners: new Set(), ready };
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
    clearInterval(this.refreshTimer);
    this.handlers.clear();
    this.runs.clear();
    await Promise.all([this.pub, this.sub].map(closeRedis));
  }

  /** Says again which executions are followed here, and forgets what others stopped saying. */
  private refreshInterest(): void {
    const now = Date.now();
    for (const [id, until] of this.interest) if (until <= now) this.interest.delete(id);
    const ids = [...this.runs.values()].map((r) => r.executionId);
    for (let i = 0; i < ids.length; i += 500) void this.send('follow', { executionIds: ids.slice(i, i + 500) });
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
