import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, ConflictError, ValidationError } from '../../shared/errors';
import { isUniqueViolation } from '../db/errors';
import { nowIso } from '../db/knex';
import { getPersona } from '../db/personas';
import * as repo from '../db/tools';
import type { ToolDefinition, ToolFields } from '../db/tools';
import { mustFind } from './must-find';
import type { UpsertResult } from './personas';

const DEFAULTS: Omit<ToolFields, 'name'> = {
  category: null, description: null, scriptPath: null, inputSchema: null, outputSchema: null,
  implementationGuide: null, requiresCredentialType: null, isBuiltin: false,
};

function nameTaken(name: string, holderId: string): ConflictError {
  return new ConflictError(`a tool definition named '${name}' already exists (id '${holderId}')`, [
    { field: 'name', message: 'is already used by another tool definition', id: holderId },
  ]);
}

/**
 * Create-or-update a tool definition. With an `id` that exists, the given fields replace the stored ones
 * (omitted fields keep their value) → `created: false`; otherwise a definition is created (with the given
 * `id` if any). `name` is required on create and unique: another definition holding it → ConflictError.
 */
export async function upsertTool(
  db: Knex,
  input: Partial<ToolFields> & { id?: string },
): Promise<UpsertResult<ToolDefinition>> {
  const now = nowIso();
  const { id, ...fields } = input;
  const existing = id ? await repo.getTool(db, id) : undefined;
  if (!existing && !fields.name) {
    throw new ValidationError('invalid body: name: is required', [{ field: 'name', message: 'is required' }]);
  }
  if (fields.name) {
    const holder = await repo.getToolByName(db, fields.name);
    if (holder && holder.id !== existing?.id) throw nameTaken(fields.name, holder.id);
  }
  try {
    if (existing) {
      await repo.updateTool(db, existing.id, { ...fields, updatedAt: now });
      return { record: (await repo.getTool(db, existing.id))!, created: false };
    }
    const tool: ToolDefinition = { ...DEFAULTS, ...(fields as ToolFields), id: id ?? randomUUID(), createdAt: now, updatedAt: now };
    await repo.insertTool(db, tool);
    return { record: tool, created: true };
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`tool definition '${id ?? fields.name}' conflicts with an existing one`);
    throw err;
  }
}

/** Links a tool to a persona (idempotent). 404 names whichever of the two is unknown. */
export async function linkTool(db: Knex, personaId: string, toolId: string): Promise<UpsertResult<ToolDefinition>> {
  await mustFind(getPersona(db, personaId), 'persona', personaId);
  const tool = await mustFind(repo.getTool(db, toolId), 'tool', toolId);
  const created = await repo.linkPersonaTool(db, personaId, toolId, nowIso());
  return { record: tool, created };
}

/** Removes a link; 404 when the persona or tool is unknown, or the tool is not linked to the persona. */
export async function unlinkTool(db: Knex, personaId: string, toolId: string): Promise<void> {
  await mustFind(getPersona(db, personaId), 'persona', personaId);
  await mustFind(repo.getTool(db, toolId), 'tool', toolId);
  if ((await repo.unlinkPersonaTool(db, personaId, toolId)) === 0) {
    throw new AppError(`tool '${toolId}' is not linked to persona '${personaId}'`, 404, 'not_found', { resource: 'tool link', personaId, toolId });
  }
}
