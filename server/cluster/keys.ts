/**
 * Names of the Redis keys and channels the orchestrators of one deployment share, all under the
 * deployment's QUEUE_PREFIX (so test runs and deployments sharing a Redis never meet).
 */
export interface ClusterKeys {
  /** Set of instance ids that announced themselves (pruned of those whose heartbeat expired). */
  instances: string;
  /** One instance's heartbeat (JSON, with a TTL). */
  instance(id: string): string;
  /** Hash execution id → id of the instance that tracks the run. */
  runOwners: string;
  /** Hash execution id → the session of the worker process it was assigned to. */
  runSessions: string;
  /** A cancel asked for while no instance tracked the run (honoured by whoever adopts it). */
  cancelIntent(executionId: string): string;
  /** A lock (see redis-lock.ts). */
  lock(name: string): string;
  /** Pub/sub: messages every instance hears. */
  control: string;
  /** Pub/sub: one execution's live output, status and end. */
  run(executionId: string): string;
}

export function clusterKeys(prefix: string): ClusterKeys {
  const base = `${prefix}:cluster`;
  return {
    instances: `${base}:instances`,
    instance: (id) => `${base}:instance:${id}`,
    runOwners: `${base}:run-owners`,
    runSessions: `${base}:run-sessions`,
    cancelIntent: (executionId) => `${base}:cancel:${executionId}`,
    lock: (name) => `${base}:lock:${name}`,
    control: `${base}:control`,
    run: (executionId) => `${base}:run:${executionId}`,
  };
}
