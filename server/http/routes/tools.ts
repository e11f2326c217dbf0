import { Router } from 'express';
import { z } from 'zod';
import * as repo from '../../db/tools';
import { getPersona } from '../../db/personas';
import { mustFind } from '../../services/must-find';
import { linkTool, unlinkTool, upsertTool } from '../../services/tools';
import type { AppContext } from '../context';
import { bodyObject, idParam, jsonObject, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const text = z.string().max(200_000).nullable().optional();
const short = (max: number) => z.string().max(max).nullable().optional();

const toolBody = z.object({
  id: idParam.optional(),
  name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  category: short(200),
  description: text,
  scriptPath: short(4096),
  inputSchema: jsonObject().nullable().optional(),
  outputSchema: jsonObject().nullable().optional(),
  implementationGuide: text,
  requiresCredentialType: short(200),
  isBuiltin: z.boolean().optional(),
});

const linkBody = z.object({ toolId: idParam });

/** Tool definitions (`/tool-definitions`) and their links to personas (`/personas/:id/tools`). */
export function toolsRouter(ctx: AppContext): Router {
  const r = Router();

  r.get('/tool-definitions', requireRole('reader'), describeRoute({ summary: 'List tool definitions', responses: { 200: { description: 'The list', schema: 'array' } } }), async (_req, res) => {
    res.json(await repo.listTools(ctx.db));
  });

  r.get('/tool-definitions/:id', requireRole('reader'), describeRoute({ summary: 'One tool definition' }), async (req, res) => {
    res.json(await mustFind(repo.getTool(ctx.db, req.params.id), 'tool', req.params.id));
  });

  r.post('/tool-definitions', requireRole('operator'), describeRoute({ summary: 'Create a tool definition, or update it with an existing id', body: toolBody, responses: { 201: { description: 'Created' }, 200: { description: 'Updated' } } }), async (req, res) => {
    const { record, created } = await upsertTool(ctx.db, parse(toolBody, bodyObject(req.body)));
    res.status(created ? 201 : 200).json(record);
  });

  r.delete('/tool-definitions/:id', requireRole('operator'), describeRoute({ summary: 'Delete a tool definition' }), async (req, res) => {
    await mustFind(repo.getTool(ctx.db, req.params.id), 'tool', req.params.id);
    await repo.deleteTool(ctx.db, req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });

  r.get('/personas/:id/tools', requireRole('reader'), describeRoute({ summary: "A persona's tools", tag: 'tool-definitions', responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    await mustFind(getPersona(ctx.db, req.params.id), 'persona', req.params.id);
    res.json(await repo.listPersonaTools(ctx.db, req.params.id));
  });

  r.post('/personas/:id/tools', requireRole('operator'), describeRoute({ summary: 'Link a tool definition to a persona', tag: 'tool-definitions', body: linkBody, responses: { 201: { description: 'Linked' }, 200: { description: 'Already linked' } } }), async (req, res) => {
    const { toolId } = parse(linkBody, bodyObject(req.body));
    const { record, created } = await linkTool(ctx.db, req.params.id, toolId);
    res.status(created ? 201 : 200).json(record);
  });

  r.delete('/personas/:id/tools/:toolId', requireRole('operator'), describeRoute({ summary: 'Unlink a tool definition from a persona', tag: 'tool-definitions' }), async (req, res) => {
    await unlinkTool(ctx.db, req.params.id, req.params.toolId);
    res.json({ personaId: req.params.id, toolId: req.params.toolId, deleted: true });
  });

  return r;
}
