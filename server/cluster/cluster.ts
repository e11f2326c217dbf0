import IORedis, { type Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ClusterBus } from './cluster-bus';
import { closeRedis } from './close-redis';
import { InstanceRegistry } from './instances';
import { clusterKeys, type ClusterKeys } from './keys';
import { RunOwners } from './run-owners';

export interface ClusterOptions<W> {
  redisUrl: string;
  prefix: string;
  instanceId: string;
  logger: Logger;
  /** The workers connected to this instance (sent with its heartbeat). */
  workers(): W[];
  heartbeatMs?: number;
  instanceTtlMs?: number;
}

/**
 * What the orchestrator instances of one deployment share in Redis beside the queues: who is
 * alive (heartbeats), who owns each run in flight, pub/sub (live output, cancel, hand-overs, cache
 * drops) and locks. One per process; every instance of a deployment uses the same QUEUE_PREFIX.
 */
export class Cluster<W = unknown> {
  readonly keys: ClusterKeys;
  /** Commands (heartbeats, owners, locks); pub/sub has its own connections in `bus`. */
  readonly redis: Redis;
  readonly bus: ClusterBus;
  readonly instances: InstanceRegistry<W>;
  readonly owners: RunOwners;

  constructor(private readonly opts: ClusterOptions<W>) {
    this.keys = clusterKeys(opts.prefix);
    this.redis = new IORedis(opts.redisUrl, { maxRetriesPerRequest: null });
    this.redis.on('error', (err: Error) => opts.logger.debug({ err: err.message }, 'cluster: Redis connection error'));
    this.bus = new ClusterBus({ redisUrl: opts.redisUrl, keys: this.keys, instanceId: opts.instanceId, logger: opts.logger });
    this.instances = new InstanceRegistry<W>({
      redis: this.redis, keys: this.keys, instanceId: opts.instanceId, logger: opts.logger, workers: opts.workers,
      intervalMs: opts.heartbeatMs, ttlMs: opts.instanceTtlMs,
    });
    this.owners = new RunOwners(this.redis, this.keys, opts.instanceId);
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  /** Subscribes to the control channel and announces this instance. */
  async start(): Promise<void> {
    await this.bus.start();
    await this.instances.start();
  }

  /** Leaves: removes this instance's record (others take over its runs at once) and closes Redis. */
  async stop(): Promise<void> {
    // With Redis unreachable (e.g. stopped while the orchestrator still waited for it) a command would
    // wait for a connection forever (maxRetriesPerRequest: null): there is nothing to remove then.
    if (this.redis.status === 'ready') {
      await this.instances.stop().catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'could not remove this instance from Redis'));
    }
    await this.bus.close();
    await closeRedis(this.redis);
  }
}
