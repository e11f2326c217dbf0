import type { OrchestratorConfig } from '../config';
import type { PollDeps } from '../services/polling';
import { withTimeout } from '../services/timeout';
import { healStalledSchedulers, reconcileSchedulers } from '../services/trigger-schedules';
import { createEventWorker } from './event-processor';
import { startOutboxLoop } from './event-outbox';
import { redisConnection } from './queues';
import { createTriggerWorker } from './trigger-processor';

export interface EventProcessingDeps extends PollDeps {
  config: Pick<OrchestratorConfig, 'redisUrl' | 'queuePrefix' | 'chainDepthLimit'>;
  /** An event reached its final status this many seconds after it was accepted (metrics). */
  onDispatched?(seconds: number): void;
  options?: {
    eventConcurrency?: number;
    triggerConcurrency?: number;
    /** Outbox pass interval (default 3000 ms) and minimum row age (default 2000 ms). */
    outboxIntervalMs?: number;
    outboxMinAgeMs?: number;
    /** Scheduler ↔ database reconciliation interval after the startup one (default 60 s). */
    schedulerReconcileIntervalMs?: number;
    /** How often schedulers left without a next run are looked for (default 2 s). */
    schedulerHealIntervalMs?: number;
  };
}

export interface EventProcessing {
  stop(): Promise<void>;
}

/**
 * Starts the event side of the orchestrator: reconciles trigger schedulers with the database (the
 * database wins; at start and then periodically), starts the event processor and the trigger-fire
 * processor (BullMQ workers on `events` and `triggers`), and the outbox loop. `stop()` closes them all
 * (in-flight jobs finish first); it does not close `deps.queues` or the database.
 */
export async function startEventProcessing(deps: EventProcessingDeps): Promise<EventProcessing> {
  const o = deps.options ?? {};
  const reconcile = (): Promise<void> =>
    withTimeout(reconcileSchedulers(deps), 15_000, 'scheduler reconciliation')
      .then((r) => {
        if (r.upserted + r.removed > 0) deps.logger.info(r, 'trigger schedulers reconciled with the database');
      })
      .catch((err: unknown) => deps.logger.error({ err, queue: 'triggers' }, 'scheduler reconciliation failed; will retry'));
  await reconcile();

  const workerOpts = { connection: redisConnection(deps.config.redisUrl), prefix: deps.config.queuePrefix };
  const eventWorker = createEventWorker({ ...deps, chainDepthLimit: deps.config.chainDepthLimit }, { ...workerOpts, concurrency: o.eventConcurrency });
  const triggerWorker = createTriggerWorker(deps, { ...workerOpts, concurrency: o.triggerConcurrency });
  // Closing a worker whose connection is still being set up leaves that connection behind: be ready first.
  await Promise.all([eventWorker.waitUntilReady(), triggerWorker.waitUntilReady()]);
  const outbox = startOutboxLoop(deps, o.outboxIntervalMs ?? 3000, { minAgeMs: o.outboxMinAgeMs });
  const reconcileTimer = setInterval(() => void reconcile(), o.schedulerReconcileIntervalMs ?? 60_000);
  // Every instance watches for a scheduler left without its next job by an orchestrator that died.
  const healTimer = setInterval(() => {
    withTimeout(healStalledSchedulers(deps), 5_000, 'scheduler watch')
      .then((healed) => healed.length && deps.logger.warn({ triggers: healed }, 'restarted trigger schedulers left without a next run'))
      .catch((err: unknown) => deps.logger.error({ err, queue: 'triggers' }, 'scheduler watch failed'));
  }, o.schedulerHealIntervalMs ?? 2_000);

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        clearInterval(reconcileTimer);
        clearInterval(healTimer);
        await outbox.stop();
        await Promise.all([eventWorker.close(), triggerWorker.close()]);
      })();
      return stopping;
    },
  };
}
