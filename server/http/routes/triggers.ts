import { Router } from 'express';
import { z } from 'zod';
import { getPersona } from '../../db/personas';
import { listTriggerFires } from '../../db/trigger-fires';
import { getTrigger, listTriggers, listTriggersForPersona } from '../../db/triggers';
import { TRIGGER_TYPES } from '../../domain/trigger-config';
import { mustFind } from '../../services/must-find';
import { createTrigger, deleteTrigger, fireTriggerManually, updateTrigger } from '../../services/triggers';
import type { AppContext } from '../context';
import { bodyObject, idParam, jsonField, jsonObject, parse } from '../validate';
import { queryInt } from './events';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const triggerType = z.enum(TRIGGER_TYPES, { error: `must be one of: ${TRIGGER_TYPES.join(', ')}` });

const createBody = z.object({
  personaId: idParam,
  triggerType,
  config: jsonObject().optional(),
  enabled: z.boolean().optional(),
});

const updateBody = z.object({
  personaId: idParam.optional(),
  triggerType: triggerType.optional(),
  config: jsonObject().optional(),
  enabled: z.boolean().optional(),
});

const fireBody = z.object({ payload: jsonField(z.unknown()).optional() });

const RECENT_FIRES = 20;

const listQuery = z.object({
  personaId: idParam.optional(),
  type: triggerType.optional(),
  enabled: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
  limit: queryInt(1, 500).optional(),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
});

/**
 * Triggers (schedule, webhook, chain, manual, polling). After a change the HTTP layer calls the
 * trigger hooks, which keep the BullMQ job schedulers in line with the database.
 */
export function triggersRouter(ctx: AppContext): Router {
  const r = Router();
  const deps = { db: ctx.db, queues: ctx.queues, logger: ctx.logger };

  r.post('/triggers', requireRole('operator'), describeRoute({ summary: 'Create a trigger (schedule, webhook, chain, manual, polling)', body: createBody, responses: { 201: { description: 'Created' } } }), async (req, res) => {
    const b = parse(createBody, bodyObject(req.body));
    const trigger = await createTrigger(deps, { ...b, config: b.config ?? {}, enabled: b.enabled ?? true });
    await ctx.hooks.triggerChanged(trigger.id);
    res.status(201).json(trigger);
  });

  r.get('/triggers', requireRole('reader'), describeRoute({ summary: 'List triggers', query: listQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    res.json(await listTriggers(ctx.db, {
      personaId: q.personaId, triggerType: q.type, enabled: q.enabled, limit: q.limit ?? 100, offset: q.offset ?? 0,
    }));
  });

  r.get('/triggers/:id', requireRole('reader'), describeRoute({ summary: 'One trigger with its recent fires' }), async (req, res) => {
    const trigger = await mustFind(getTrigger(ctx.db, req.params.id), 'trigger', req.params.id);
    res.json({ ...trigger, recentFires: await listTriggerFires(ctx.db, trigger.id, RECENT_FIRES) });
  });

  r.put('/triggers/:id', requireRole('operator'), describeRoute({ summary: 'Change a trigger', body: updateBody }), async (req, res) => {
    const b = parse(updateBody, bodyObject(req.body));
    const trigger = await updateTrigger(deps, req.params.id, b);
    await ctx.hooks.triggerChanged(trigger.id);
    res.json(trigger);
  });

  r.delete('/triggers/:id', requireRole('operator'), describeRoute({ summary: 'Delete a trigger (and its schedule)' }), async (req, res) => {
    await deleteTrigger(deps, req.params.id);
    await ctx.hooks.triggerDeleted(req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });

  r.post('/triggers/:id/fire', requireRole('operator'), describeRoute({ summary: 'Fire a trigger now', body: fireBody, responses: { 202: { description: 'The fire and the event it published' } } }), async (req, res) => {
    const b = parse(fireBody, bodyObject(req.body));
    const { fire, event } = await fireTriggerManually(deps, req.params.id, b.payload);
    res.status(202).json({ ...fire, event });
  });

  r.get('/personas/:id/triggers', requireRole('reader'), describeRoute({ summary: "A persona's triggers", tag: 'triggers', responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    await mustFind(getPersona(ctx.db, req.params.id), 'persona', req.params.id);
    res.json(await listTriggersForPersona(ctx.db, req.params.id));
  });

  return r;
}
