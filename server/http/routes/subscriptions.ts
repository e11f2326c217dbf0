import { Router } from 'express';
import { z } from 'zod';
import { getPersona } from '../../db/personas';
import { listSubscriptionsForPersona } from '../../db/subscriptions';
import { sourceFilterProblem } from '../../domain/matching';
import { mustFind } from '../../services/must-find';
import { createSubscription, deleteSubscription, updateSubscription } from '../../services/subscriptions';
import type { AppContext } from '../context';
import { bodyObject, idParam, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const sourceFilter = z
  .string()
  .trim()
  .max(500)
  .nullable()
  .optional()
  .transform((v) => (v === '' ? null : v))
  .superRefine((v, ctx) => {
    const problem = v ? sourceFilterProblem(v) : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const fields = {
  personaId: idParam,
  eventType: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(200),
  sourceFilter,
  enabled: z.boolean().optional(),
};

const createBody = z.object(fields);
const updateBody = z.object({ ...fields, personaId: idParam.optional(), eventType: fields.eventType.optional() });

/** Event subscriptions: which event types (and sources) start which persona. */
export function subscriptionsRouter(ctx: AppContext): Router {
  const r = Router();

  r.post('/subscriptions', requireRole('operator'), describeRoute({ summary: 'Subscribe a persona to an event type (and source filter)', body: createBody, responses: { 201: { description: 'Created' } } }), async (req, res) => {
    const b = parse(createBody, bodyObject(req.body));
    const created = await createSubscription(ctx.db, { ...b, sourceFilter: b.sourceFilter ?? null, enabled: b.enabled ?? true });
    res.status(201).json(created);
  });

  r.put('/subscriptions/:id', requireRole('operator'), describeRoute({ summary: 'Change a subscription', body: updateBody }), async (req, res) => {
    const b = parse(updateBody, bodyObject(req.body));
    const { sourceFilter: filter, ...rest } = b;
    res.json(await updateSubscription(ctx.db, req.params.id, filter === undefined ? rest : { ...rest, sourceFilter: filter }));
  });

  r.delete('/subscriptions/:id', requireRole('operator'), describeRoute({ summary: 'Delete a subscription' }), async (req, res) => {
    await deleteSubscription(ctx.db, req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });

  r.get('/personas/:id/subscriptions', requireRole('reader'), describeRoute({ summary: "A persona's subscriptions", tag: 'subscriptions', responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    await mustFind(getPersona(ctx.db, req.params.id), 'persona', req.params.id);
    res.json(await listSubscriptionsForPersona(ctx.db, req.params.id));
  });

  return r;
}
