import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys';

/**
 * The scripts of the run-owner entries, sent as EVALSHA (ioredis `defineCommand`: the script is
 * loaded once per connection). The claim and the release at a run's end are on every run's path:
 * one script each instead of a MULTI/EXEC pipeline (four commands and replies) cost the
 * orchestrator ~18 µs of CPU per run instead of ~65 (measured on a loopback Redis).
 */
const SCRIPTS = {
  /** KEYS: owners hash, sessions hash; ARGV: execution id, instance id, worker session ('' for none). */
  personasOwnerClaim: {
    numberOfKeys: 2,
    lua: `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
return 1`,
  },
  /** KEYS: owners hash, sessions hash; ARGV: execution id. */
  personasOwnerForget: {
    numberOfKeys: 2,
    lua: `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`,
  },
  /**
   * Claims the run unless a live instance other than this one owns it; answers the owner afterwards.
   * KEYS: owners hash, the instance-key prefix; ARGV: execution id, this instance id.
   */
  personasOwnerClaimIfOrphan: {
    numberOfKeys: 2,
    lua: `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner and owner ~= ARGV[2] and redis.call('EXISTS', KEYS[2] .. owner) == 1 then return owner end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]`,
  },
  /** Deletes the entry only while this instance owns it. KEYS: owners hash; ARGV: execution id, instance id. */
  personasOwnerReleaseIfMine: {
    numberOfKeys: 1,
    lua: `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type OwnerRedis = Redis & { [K in ScriptName]: (...keysAndArgs: string[]) => Promise<unknown> };

/** `redis` with the owner scripts defined (once per connection object). */
function withOwnerScripts(redis: Redis): OwnerRedis {
  for (const [name, def] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, def);
  }
  return redis as OwnerRedis;
}

/**
 * Which orchestrator instance tracks each run in flight (a Redis hash, execution id → instance id).
 * The instance whose worker runs it owns it: the dispatcher claims it when it assigns, an instance
 * a worker re-attaches to takes it over, and a run whose owner died (its heartbeat expired) is
 * claimed by whichever instance finds it first. Only the owner keeps the run's timers (timeout,
 * the worker's grace), so a run is decided by one instance while any may record its end.
 */
export class RunOwners {
  private readonly redis: OwnerRedis;

  constructor(
    redis: Redis,
    private readonly keys: ClusterKeys,
    readonly instanceId: string,
  ) {
    this.redis = withOwnerScripts(redis);
  }

  /**
   * This instance owns the run from now on, whoever did before (it assigned it, or its worker is
   * here). `session`: the worker process it is being assigned to (see sessionsOf).
   */
  async claim(executionId: string, session?: string): Promise<void> {
    await this.redis.personasOwnerClaim(this.keys.runOwners, this.keys.runSessions, executionId, this.instanceId, session ?? '');
  }

  /** The worker sessions the runs were assigned to (null: not recorded). */
  async sessionsOf(executionIds: string[]): Promise<Array<string | null>> {
    if (executionIds.length === 0) return [];
    return this.redis.hmget(this.keys.runSessions, ...executionIds);
  }

  /** Claims the run if nobody alive owns it; answers whether this instance owns it now. */
  async claimIfOrphan(executionId: string): Promise<boolean> {
    const owner = await this.redis.personasOwnerClaimIfOrphan(this.keys.runOwners, this.keys.instance(''), executionId, this.instanceId);
    return owner === this.instanceId;
  }

  /** The owners of these runs (null: none recorded). */
  async ownersOf(executionIds: string[]): Promise<Array<string | null>> {
    if (executionIds.length === 0) return [];
    return this.redis.hmget(this.keys.runOwners, ...executionIds);
  }

  /** The run ended (anywhere): nobody owns it any more. */
  async forget(executionId: string): Promise<void> {
    await this.redis.personasOwnerForget(this.keys.runOwners, this.keys.runSessions, executionId);
  }

  /** This instance stops owning the run (it handed it back to the queue). */
  async releaseIfMine(executionId: string): Promise<void> {
    await this.redis.personasOwnerReleaseIfMine(this.keys.runOwners, executionId, this.instanceId);
  }

  /** Remembers a cancel asked for while no instance tracked the run; the adopter honours it. */
  async requestCancel(executionId: string, ttlMs = 600_000): Promise<void> {
    await this.redis.set(this.keys.cancelIntent(executionId), '1', 'PX', ttlMs);
  }

  async cancelRequested(executionId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.cancelIntent(executionId))) === 1;
  }
}
