import os from 'node:os';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { clearPresence, markPresent } from '../db/orchestrator-presence';

/** How often a running orchestrator says it is there, and after how long silence it counts as gone. */
export const PRESENCE_INTERVAL_MS = 5_000;
export const PRESENCE_STALE_MS = 20_000;

/**
 * Keeps this orchestrator's presence row fresh (every PRESENCE_INTERVAL_MS) so that commands which
 * must run alone (rotate-key) can refuse; `stop()` removes it. A failed write is logged and retried.
 */
export async function startPresence(deps: { db: Knex; logger: Logger; instanceId: string; intervalMs?: number }): Promise<{ stop(): Promise<void> }> {
  const base = { instanceId: deps.instanceId, host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString() };
  const beat = () => markPresent(deps.db, { ...base, seenAt: new Date().toISOString() });
  await beat();
  const timer = setInterval(() => {
    beat().catch((err: unknown) => deps.logger.warn({ err }, 'could not record this orchestrator as present in the database'));
  }, deps.intervalMs ?? PRESENCE_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await clearPresence(deps.db, deps.instanceId).catch((err: unknown) => deps.logger.warn({ err }, 'could not clear this orchestrator\'s presence row'));
    },
  };
}
