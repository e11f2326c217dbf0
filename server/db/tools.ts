import type { Knex } from 'knex';
import { rowMapper } from './row-mapper';

/** A tool definition as the API and prompt assembly see it (schemas parsed from their JSON columns). */
export interface ToolDefinition {
  id: string;
  name: string;
  category: string | null;
  description: string | null;
  scriptPath: string | null;
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
  implementationGuide: string | null;
  requiresCredentialType: string | null;
  isBuiltin: boolean;
  createdAt: string;
  updatedAt: string;
}

export type ToolFields = Omit<ToolDefinition, 'id' | 'createdAt' | 'updatedAt'>;

const COLUMNS: Record<keyof ToolDefinition, string> = {
  id: 'id', name: 'name', category: 'category', description: 'description', scriptPath: 'script_path',
  inputSchema: 'input_schema', outputSchema: 'output_schema', implementationGuide: 'implementation_guide',
  requiresCredentialType: 'requires_credential_type', isBuiltin: 'is_builtin',
  createdAt: 'created_at', updatedAt: 'updated_at',
};


const mapper = rowMapper<ToolDefinition>(COLUMNS, { json: ['inputSchema', 'outputSchema'], bool: ['isBuiltin'] });
const fromRow = mapper.fromRow;
const toRow = mapper.toRow;

/** Every tool definition, by name. */
export async function listTools(db: Knex): Promise<ToolDefinition[]> {
  return (await db('tool_definitions').select('*').orderBy('name', 'asc')).map(fromRow);
}

export async function getTool(db: Knex, id: string): Promise<ToolDefinition | undefined> {
  const row = await db('tool_definitions').where({ id }).first();
  return row ? fromRow(row) : undefined;
}

/** Names are unique; this finds the holder of one. */
export async function getToolByName(db: Knex, name: string): Promise<ToolDefinition | undefined> {
  const row = await db('tool_definitions').where({ name }).first();
  return row ? fromRow(row) : undefined;
}

export async function insertTool(db: Knex, tool: ToolDefinition): Promise<void> {
  await db('tool_definitions').insert(toRow(tool));
}

export async function updateTool(db: Knex, id: string, fields: Partial<ToolDefinition>): Promise<void> {
  await db('tool_definitions').where({ id }).update(toRow(fields));
}

/** Deletes the definition; its persona links go with it (ON DELETE CASCADE). Answers the rows deleted. */
export async function deleteTool(db: Knex, id: string): Promise<number> {
  return db('tool_definitions').where({ id }).delete();
}

/** Links a tool to a persona; answers false when the link already existed (linking is idempotent). */
export async function linkPersonaTool(db: Knex, personaId: string, toolId: string, at: string): Promise<boolean> {
  const rows = await db('persona_tools')
    .insert({ persona_id: personaId, tool_id: toolId, created_at: at })
    .onConflict(['persona_id', 'tool_id'])
    .ignore()
    .returning('tool_id');
  return rows.length > 0;
}

/** Answers the number of links removed (0 when the tool was not linked). */
export async function unlinkPersonaTool(db: Knex, personaId: string, toolId: string): Promise<number> {
  return db('persona_tools').where({ persona_id: personaId, tool_id: toolId }).delete();
}

/**
 * The tool definitions linked to a persona, in the order they were linked (then by name), as typed rows.
 * Prompt assembly uses this; an unknown persona simply has no tools.
 */
export async function listPersonaTools(db: Knex, personaId: string): Promise<ToolDefinition[]> {
  const rows = await db('persona_tools as pt')
    .join('tool_definitions as t', 't.id', 'pt.tool_id')
    .where('pt.persona_id', personaId)
    .orderBy('pt.created_at', 'asc')
    .orderBy('t.name', 'asc')
    .select('t.*');
  return rows.map(fromRow);
}
