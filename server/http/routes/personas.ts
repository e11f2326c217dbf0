import { Router } from 'express';
import { z } from 'zod';
import { ValidationError } from '../../../shared/errors';
import { parseHostPattern } from '../../../shared/host-pattern';
import { MAX_TOOL_ENTRIES, toolEntryError } from '../../../shared/tool-pattern';
import * as repo from '../../db/personas';
import { mustFind } from '../../services/must-find';
import { upsertPersona } from '../../services/personas';
import type { AppContext } from '../context';
import { bodyObject, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const text = z.string().max(200_000).nullable().optional();

/** `structuredPrompt` is persona text: any string is kept (assembly falls back if it is not JSON), an object is stored as JSON. */
const structuredPrompt = z
  .union([z.string().max(500_000), z.record(z.string(), z.unknown())])
  .nullable()
  .optional()
  .transform((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v));

/** Claude CLI tool entries; null (or absent on create) = the default list, `[]` = no tools at all. */
const allowedTools = z
  .array(z.string().superRefine((entry, ctx) => {
    const error = toolEntryError(entry);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  }))
  .max(MAX_TOOL_ENTRIES)
  .nullable()
  .optional();

/** Host patterns (shared/host-pattern); null is stored as `[]` (no hosts). */
const allowedHosts = z
  .array(z.string().superRefine((entry, ctx) => {
    try {
      parseHostPattern(entry);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  }))
  .max(100)
  .nullable()
  .optional()
  .transform((v) => (v === null ? [] : v));

const personaBody = z.object({
  id: z.string().min(1).max(200).optional(),
  name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  description: text,
  systemPrompt: text,
  structuredPrompt,
  icon: z.string().max(200).nullable().optional(),
  color: z.string().max(50).nullable().optional(),
  enabled: z.boolean().optional(),
  maxConcurrent: z.number().int().min(1).max(1000).optional(),
  timeoutMs: z.number().int().min(1000).max(24 * 3600 * 1000).nullable().optional(),
  modelProfile: z.string().max(10_000).nullable().optional(),
  maxBudgetUsd: z.number().positive().max(1_000_000).nullable().optional(),
  maxTurns: z.number().int().min(1).max(10_000).nullable().optional(),
  designContext: text,
  groupId: z.string().max(200).nullable().optional(),
  allowedTools,
  allowedHosts,
});

export function personasRouter(ctx: AppContext): Router {
  const r = Router();

  r.get('/personas', requireRole('reader'), describeRoute({ summary: 'List personas', responses: { 200: { description: 'The list', schema: 'array' } } }), async (_req, res) => {
    res.json(await repo.listPersonas(ctx.db));
  });

  r.get('/personas/:id', requireRole('reader'), describeRoute({ summary: 'One persona' }), async (req, res) => {
    res.json(await mustFind(repo.getPersona(ctx.db, req.params.id), 'persona', req.params.id));
  });

  r.post('/personas', requireRole('operator'), describeRoute({ summary: 'Create a persona, or update it with an existing id', body: personaBody, responses: { 201: { description: 'Created' }, 200: { description: 'Updated' } } }), async (req, res) => {
    const input = parse(personaBody, bodyObject(req.body));
    if (!input.id || !(await repo.getPersona(ctx.db, input.id))) {
      if (!input.name) throw new ValidationError('invalid body: name: is required', [{ field: 'name', message: 'is required' }]);
    }
    const { record, created } = await upsertPersona(ctx.db, input);
    res.status(created ? 201 : 200).json(record);
  });

  r.delete('/personas/:id', requireRole('operator'), describeRoute({ summary: 'Delete a persona (and its triggers, subscriptions and links; history stays)' }), async (req, res) => {
    await mustFind(repo.getPersona(ctx.db, req.params.id), 'persona', req.params.id);
    await repo.deletePersona(ctx.db, req.params.id);
    await ctx.hooks.personaDeleted(req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });

  return r;
}
