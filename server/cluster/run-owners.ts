import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys';

/**
 * Claims the run unless a live instance other than this one owns it. KEYS: owners hash, the
 * instance-key prefix; ARGV: execution id, this instance id. Answers the owner afterwards.
 */
const CLAIM_IF_ORPHAN = `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner and owner ~= ARGV[2] and redis.call('EXISTS', KEYS[2] .. owner) == 1 then return owner end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]`;

/** Deletes the entry only while this instance owns it. KEYS: owners hash; ARGV: execution id, instance id. */
const RELEASE_IF_MINE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

/**
 * Which orchestrator instance tracks each run in flight (a Redis hash, execution id → instance id).
 * The instance whose worker runs it owns it: the dispatcher claims it when it assigns, an instance
 * a worker re-attaches to takes it over, and a run whose owner died (its heartbeat expired) is
 * claimed by whichever instance finds it first. Only the owner keeps the run's timers (timeout,
 * the worker's grace), so a run is decided by one instance while any may record its end.
 */
export class RunOwners {
  constructor(
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    readonly instanceId: string,
  ) {}

  /**
   * This instance owns the run from now on, whoever did before (it assigned it, or its worker is
   * here). `session`: the worker process it is being assigned to (see sessionsOf).
   */
  async claim(executionId: string, session?: string): Promise<void> {
    if (!session) return void (await this.redis.hset(this.keys.runOwners, executionId, this.instanceId));
    await this.redis.multi().hset(this.keys.runOwners, executionId, this.instanceId).hset(this.keys.runSessions, executionId, session).exec();
  }

  /** The worker sessions the runs were assigned to (null: not recorded). */
  async sessionsOf(executionIds: string[]): Promise<Array<string | null>> {
    if (executionIds.length === 0) return [];
    return this.redis.hmget(this.keys.runSessions, ...executionIds);
  }

  /** Claims the run if nobody alive owns it; answers whether this instance owns it now. */
  async claimIfOrphan(executionId: string): Promise<boolean> {
    const owner = await this.redis.eval(CLAIM_IF_ORPHAN, 2, this.keys.runOwners, this.keys.instance(''), executionId, this.instanceId);
    return owner === this.instanceId;
  }

  /** The owners of these runs (null: none recorded). */
  async ownersOf(executionIds: string[]): Promise<Array<string | null>> {
    if (executionIds.length === 0) return [];
    return this.redis.hmget(this.keys.runOwners, ...executionIds);
  }

  /** The run ended (anywhere): nobody owns it any more. */
  async forget(executionId: string): Promise<void> {
    await this.redis.multi().hdel(this.keys.runOwners, executionId).hdel(this.keys.runSessions, executionId).exec();
  }

  /** This instance stops owning the run (it handed it back to the queue). */
  async releaseIfMine(executionId: string): Promise<void> {
    await this.redis.eval(RELEASE_IF_MINE, 1, this.keys.runOwners, executionId, this.instanceId);
  }

  /** Remembers a cancel asked for while no instance tracked the run; the adopter honours it. */
  async requestCancel(executionId: string, ttlMs = 600_000): Promise<void> {
    await this.redis.set(this.keys.cancelIntent(executionId), '1', 'PX', ttlMs);
  }

  async cancelRequested(executionId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.cancelIntent(executionId))) === 1;
  }
}
