import type { BusDeps } from './events';
import { withTimeout } from './timeout';
import { reconcileSchedulers, removeTriggerScheduler, syncTriggerScheduler } from './trigger-schedules';

/** Lifecycle hooks the HTTP layer calls after it changed a record; the wiring decides what they do. */
export interface Hooks {
  /** A persona was deleted (its triggers' schedulers must go too). */
  personaDeleted(personaId: string): Promise<void>;
  /** A trigger was created or updated (upsert or remove its scheduler). */
  triggerChanged(triggerId: string): Promise<void>;
  /** A trigger was deleted. */
  triggerDeleted(triggerId: string): Promise<void>;
}

/**
 * The lifecycle hooks the HTTP layer calls after changing a trigger or persona: keep the trigger
 * schedulers in Redis in line with the database. A Redis failure is logged, not thrown — the record
 * is already saved, and the periodic scheduler reconciliation (see startEventProcessing) repairs it.
 */
export function createTriggerHooks(deps: BusDeps): Hooks {
  const guard = async (what: string, id: string, work: () => Promise<unknown>): Promise<void> => {
    try {
      await withTimeout(work(), 5000, what);
    } catch (err) {
      deps.logger.error({ err, id, queue: 'triggers' }, `${what}: scheduler update failed; reconciliation will retry`);
    }
  };
  return {
    triggerChanged: (triggerId) => guard('trigger changed', triggerId, () => syncTriggerScheduler(deps, triggerId)),
    triggerDeleted: (triggerId) => guard('trigger deleted', triggerId, () => removeTriggerScheduler(deps, triggerId)),
    // The persona's triggers went with it (ON DELETE CASCADE); reconciling drops their schedulers.
    personaDeleted: (personaId) => guard('persona deleted', personaId, () => reconcileSchedulers(deps)),
  };
}
