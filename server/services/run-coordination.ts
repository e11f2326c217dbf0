import type { Logger } from 'pino';
import { ConfigError } from '../../shared/errors';
import type { ControlMessage } from '../cluster/cluster-bus';
import type { DatabaseTarget } from '../db/target';
import type { RunTracker } from './run-tracker';

/** What this module needs of the cluster bus (cluster/cluster-bus.ts). */
export interface ControlBus {
  on(type: string, handler: (m: ControlMessage) => void): () => void;
}

export interface CoordinationDeps {
  bus: ControlBus;
  tracker: RunTracker;
  logger: Logger;
  /** Caches other instances may tell this one to drop (`cache-drop` with the cache's name). */
  caches?: Record<string, () => void>;
  /** A worker registered with another instance (`worker-back`): runs waiting for it here may go back to the queue. */
  workerBack?(workerId: string, session: string, held: string[]): void;
}

const executionIdOf = (m: ControlMessage): string | undefined => (typeof m.executionId === 'string' ? m.executionId : undefined);

/**
 * What an instance does when another tells it about a run or a cache: `cancel-run` (a cancel came
 * in through another instance) cancels the run if it is tracked here; `run-adopted` (its worker
 * re-attached elsewhere) and `run-ended` (recorded elsewhere) release it here without deciding
 * anything; `worker-back` (a worker registered there) lets runs waiting here for it that it never
 * received go back to the queue; `cache-drop` forgets a cached row. Answers the unsubscribe.
 */
export function coordinateRuns(deps: CoordinationDeps): () => void {
  const { bus, tracker, logger } = deps;
  const offs = [
    bus.on('cancel-run', (m) => {
      const id = executionIdOf(m);
      if (id && tracker.cancel(id)) logger.info({ executionId: id, from: m.from }, 'cancel asked through another orchestrator');
    }),
    bus.on('run-adopted', (m) => {
      const id = executionIdOf(m);
      if (id && tracker.release(id)) logger.info({ executionId: id, by: m.from }, 'run taken over by another orchestrator (its worker re-attached there)');
    }),
    bus.on('run-ended', (m) => {
      const id = executionIdOf(m);
      if (id) tracker.release(id);
    }),
    bus.on('worker-back', (m) => {
      const held = Array.isArray(m.held) ? m.held.filter((id): id is string => typeof id === 'string') : [];
      if (typeof m.workerId === 'string' && typeof m.session === 'string') deps.workerBack?.(m.workerId, m.session, held);
    }),
    bus.on('cache-drop', (m) => {
      const drop = typeof m.name === 'string' ? deps.caches?.[m.name] : undefined;
      drop?.();
    }),
  ];
  return () => offs.forEach((off) => off());
}

/** What refuseSharedSqlite needs of the instance registry (cluster/instances.ts). */
export interface LiveInstances {
  list(): Promise<Array<{ id: string; host: string; startedAt: string }>>;
}

/**
 * SQLite is one orchestrator's store: a start that finds another live instance on the same
 * QUEUE_PREFIX while the records are in SQLite is refused with a message saying what to do.
 */
export async function refuseSharedSqlite(o: { database: DatabaseTarget; instances: LiveInstances; self: string }): Promise<void> {
  if (o.database.client !== 'sqlite') return;
  const other = (await o.instances.list()).find((i) => i.id !== o.self);
  if (!other) return;
  throw new ConfigError(
    `another orchestrator (instance ${other.id} on ${other.host}, started ${other.startedAt}) is running on this Redis and QUEUE_PREFIX, ` +
      'and the records are in SQLite, which is one orchestrator\'s store: stop that one, give this one another QUEUE_PREFIX, ' +
      'or set DATABASE_URL to a PostgreSQL database shared by all of them',
  );
}
