import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { nowIso } from '../db/knex';
import * as repo from '../db/personas';
import type { Persona, PersonaFields } from '../db/personas';

export interface UpsertResult<T> {
  record: T;
  created: boolean;
}

const DEFAULTS: Omit<PersonaFields, 'name'> = {
  description: null, systemPrompt: null, structuredPrompt: null, icon: null, color: null,
  enabled: true, maxConcurrent: 1, timeoutMs: null, modelProfile: null, maxBudgetUsd: null,
  maxTurns: null, designContext: null, groupId: null, allowedTools: null, allowedHosts: [],
};

/**
 * Create-or-update: with an `id` that exists, the given fields replace the stored ones (omitted fields
 * keep their value); otherwise a persona is created (with the given `id`, so the desktop app can keep its ids).
 */
export async function upsertPersona(
  db: Knex,
  input: Partial<PersonaFields> & { id?: string; name?: string },
): Promise<UpsertResult<Persona>> {
  const now = nowIso();
  const { id, ...fields } = input;
  const existing = id ? await repo.getPersona(db, id) : undefined;
  if (existing) {
    await repo.updatePersona(db, existing.id, { ...fields, updatedAt: now });
    return { record: (await repo.getPersona(db, existing.id))!, created: false };
  }
  const persona: Persona = {
    ...DEFAULTS,
    ...(fields as PersonaFields),
    id: id ?? randomUUID(),
    createdAt: now,
    updatedAt: now,
  };
  await repo.insertPersona(db, persona);
  return { record: persona, created: true };
}
