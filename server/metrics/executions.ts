import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Execution } from '../db/executions';
import { cachedPersona } from '../db/config-cache';
import type { Metrics } from './metrics';

/**
 * Counts a finished execution under its persona's name (its id once the persona is gone, `(none)`
 * for a raw prompt). Never throws: a failed lookup is logged and the run counted under its id.
 */
export async function recordFinishedExecution(deps: { db: Knex; logger: Logger; metrics: Metrics }, e: Execution): Promise<void> {
  let persona = e.personaId ?? '(none)';
  if (e.personaId) {
    try {
      persona = (await cachedPersona(deps.db, e.personaId))?.name || e.personaId;
    } catch (err) {
      deps.logger.warn({ err, executionId: e.id }, 'metrics: persona name unavailable');
    }
  }
  deps.metrics.executionFinished({ status: e.status, persona, durationMs: e.durationMs, costUsd: e.costUsd });
}
