import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ConflictError, ValidationError } from '../../shared/errors';
import { getPersona } from '../db/personas';
import * as repo from '../db/triggers';
import type { Trigger } from '../db/triggers';
import { validateTriggerConfig, type TriggerType } from '../domain/trigger-config';
import { nowFrom, type BusDeps } from './events';
import { mustFind } from './must-find';
import { computeNextTriggerAt } from './trigger-schedules';
import { fireTrigger, type FireResult } from './trigger-fire';

export interface TriggerInput {
  personaId: string;
  triggerType: TriggerType;
  config: Record<string, unknown>;
  enabled: boolean;
}

/** Per-type config rules, plus: a chain's source persona must exist. Throws ValidationError naming `config.<field>`. */
async function checkConfig(db: Knex, type: TriggerType, config: unknown): Promise<Record<string, unknown>> {
  const result = validateTriggerConfig(type, config);
  if (!result.ok) {
    const summary = result.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
    throw new ValidationError(`invalid ${type} trigger config: ${summary}`, result.problems);
  }
  if (type === 'chain') {
    const source = result.config.source_persona_id as string;
    if (!(await getPersona(db, source))) {
      const problem = { field: 'config.source_persona_id', message: `no persona '${source}'` };
      throw new ValidationError(`invalid chain trigger config: ${problem.field}: ${problem.message}`, [problem]);
    }
  }
  return result.config;
}

/** Creates a trigger for an existing persona (404 otherwise); `nextTriggerAt` is set for schedules. The caller syncs its scheduler. */
export async function createTrigger(deps: Pick<BusDeps, 'db' | 'clock'>, input: TriggerInput): Promise<Trigger> {
  await mustFind(getPersona(deps.db, input.personaId), 'persona', input.personaId);
  const config = await checkConfig(deps.db, input.triggerType, input.config);
  const now = nowFrom(deps);
  const trigger: Trigger = {
    id: randomUUID(),
    personaId: input.personaId,
    triggerType: input.triggerType,
    config,
    enabled: input.enabled,
    lastTriggeredAt: null,
    nextTriggerAt: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  trigger.nextTriggerAt = computeNextTriggerAt(trigger, now);
  await repo.insertTrigger(deps.db, trigger);
  return trigger;
}

/** Replaces the given fields (a new `config` replaces the old one whole, validated against the resulting type). */
export async function updateTrigger(deps: Pick<BusDeps, 'db' | 'clock'>, id: string, input: Partial<TriggerInput>): Promise<Trigger> {
  const existing = await mustFind(repo.getTrigger(deps.db, id), 'trigger', id);
  if (input.personaId !== undefined && input.personaId !== existing.personaId) {
    await mustFind(getPersona(deps.db, input.personaId), 'persona', input.personaId);
  }
  const type = (input.triggerType ?? existing.triggerType) as TriggerType;
  const config = input.config !== undefined || input.triggerType !== undefined
    ? await checkConfig(deps.db, type, input.config ?? existing.config)
    : existing.config;
  const now = nowFrom(deps);
  const next: Trigger = { ...existing, ...input, triggerType: type, config, updatedAt: now.toISOString() };
  next.nextTriggerAt = computeNextTriggerAt(next, now);
  await repo.updateTrigger(deps.db, id, next);
  return next;
}

export async function deleteTrigger(deps: Pick<BusDeps, 'db'>, id: string): Promise<void> {
  await mustFind(repo.getTrigger(deps.db, id), 'trigger', id);
  await repo.deleteTrigger(deps.db, id);
}

/** `POST /api/triggers/:id/fire`: fires any enabled trigger now; a given payload replaces the config's. */
export async function fireTriggerManually(deps: BusDeps, id: string, payload: unknown): Promise<FireResult> {
  const trigger = await mustFind(repo.getTrigger(deps.db, id), 'trigger', id);
  if (!trigger.enabled) throw new ConflictError(`trigger '${id}' is disabled`, { id });
  return fireTrigger(deps, trigger, payload === undefined ? {} : { payload });
}
