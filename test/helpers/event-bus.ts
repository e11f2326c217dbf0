import request from 'supertest';
import { startEventProcessing, type EventProcessing, type EventProcessingDeps } from '../../server/queues/event-processing';
import type { PollDeps } from '../../server/services/polling';
import { createTriggerHooks } from '../../server/services/trigger-hooks';
import { createTestApp, type TestApp } from './test-app';

export interface BusHarness {
  t: TestApp;
  deps: PollDeps;
  processing: EventProcessing | null;
  /** Starts (again) the event processing on the same database and queue prefix. */
  start(options?: EventProcessingDeps['options'], extra?: Partial<EventProcessingDeps>): Promise<EventProcessing>;
  persona(name: string, extra?: Record<string, unknown>): Promise<string>;
  subscribe(personaId: string, eventType: string, sourceFilter?: string): Promise<string>;
  close(): Promise<void>;
}

/** Fast loops for tests: the outbox looks every 200 ms at rows older than 100 ms. */
export const FAST = { outboxIntervalMs: 200, outboxMinAgeMs: 100, schedulerReconcileIntervalMs: 60_000 };

/**
 * A test app (real SQLite file, real Redis under a unique prefix) with the trigger hooks wired and,
 * unless `start: false`, the event processing running. No dispatcher: execution jobs stay queued.
 */
export async function createBusHarness(opts: { env?: NodeJS.ProcessEnv; start?: boolean } = {}): Promise<BusHarness> {
  const t = await createTestApp({ extraEnv: opts.env });
  // The poller's allowance comes from the config, as in the orchestrator (POLL_ALLOW_PRIVATE_HOSTS in `env`).
  const deps: PollDeps = { db: t.db, queues: t.ctx.queues, logger: t.ctx.logger, allowPrivateHosts: t.config.pollAllowPrivateHosts };
  Object.assign(t.ctx.hooks, createTriggerHooks(deps));
  const h: BusHarness = {
    t,
    deps,
    processing: null,
    async start(options = FAST, extra = {}) {
      h.processing = await startEventProcessing({ ...deps, config: t.config, options, ...extra });
      return h.processing;
    },
    async persona(name, extra = {}) {
      const res = await request(t.app).post('/api/personas').set(t.auth).send({ name, ...extra });
      if (res.status !== 201) throw new Error(`persona: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    async subscribe(personaId, eventType, sourceFilter) {
      const res = await request(t.app).post('/api/subscriptions').set(t.auth).send({ personaId, eventType, sourceFilter });
      if (res.status !== 201) throw new Error(`subscription: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    async close() {
      await h.processing?.stop();
      await t.close();
    },
  };
  if (opts.start !== false) await h.start();
  return h;
}
