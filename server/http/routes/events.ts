import { Router } from 'express';
import { z } from 'zod';
import { EVENT_STATUSES, getEvent, listEvents } from '../../db/events';
import { listExecutionBriefsForEvents, listExecutions } from '../../db/executions';
import { publishEvent } from '../../services/events';
import { mustFind } from '../../services/must-find';
import type { AppContext } from '../context';
import { bodyObject, idParam, jsonField, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** A whole number given as a query string, within bounds. */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const publishBody = z.object({
  eventType: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(200),
  sourceType: z.string().trim().min(1, 'must not be empty').max(100).optional(),
  sourceId: z.string().max(500).nullable().optional(),
  targetPersonaId: idParam.nullable().optional(),
  payload: jsonField(z.unknown()).optional(),
});

const listQuery = z.object({
  type: z.string().min(1).max(200).optional(),
  status: z.enum(EVENT_STATUSES, { error: `must be one of: ${EVENT_STATUSES.join(', ')}` }).optional(),
  limit: queryInt(1, MAX_LIMIT).optional(),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
});

/**
 * `POST /events` publishes (202 with the accepted event); `GET /events[/:id]` shows what happened to
 * them, each with the executions it caused.
 */
export function eventsRouter(ctx: AppContext): Router {
  const r = Router();
  const deps = { db: ctx.db, queues: ctx.queues, logger: ctx.logger };

  r.post('/events', requireRole('runner'), describeRoute({ summary: 'Publish an event (matched against subscriptions; each match becomes an execution)', body: publishBody, responses: { 202: { description: 'Accepted: the event, pending' } } }), async (req, res) => {
    const body = parse(publishBody, bodyObject(req.body));
    const event = await publishEvent(deps, { ...body, sourceType: body.sourceType ?? 'manual' });
    res.status(202).json(event);
  });

  r.get('/events', requireRole('reader'), describeRoute({ summary: 'List events, newest first, with the executions each caused', query: listQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    const events = await listEvents(ctx.db, { eventType: q.type, status: q.status, limit: q.limit ?? DEFAULT_LIMIT, offset: q.offset ?? 0 });
    // What each event caused, in one query for the page (ids and statuses; the detail has more).
    const caused = new Map<string, Array<{ id: string; personaId: string | null; status: string; createdAt: string }>>();
    for (const { eventId, ...brief } of await listExecutionBriefsForEvents(ctx.db, events.map((e) => e.id))) {
      caused.set(eventId, [...(caused.get(eventId) ?? []), brief]);
    }
    res.json(events.map((e) => ({ ...e, executions: caused.get(e.id) ?? [] })));
  });

  r.get('/events/:id', requireRole('reader'), describeRoute({ summary: 'One event with the executions it caused' }), async (req, res) => {
    const event = await mustFind(getEvent(ctx.db, req.params.id), 'event', req.params.id);
    const executions = await listExecutions(ctx.db, { eventId: event.id, limit: MAX_LIMIT, offset: 0 });
    res.json({
      ...event,
      executions: executions.map((e) => ({
        id: e.id, personaId: e.personaId, status: e.status, chainDepth: e.chainDepth,
        createdAt: e.createdAt, startedAt: e.startedAt, completedAt: e.completedAt, error: e.error,
      })),
    });
  });

  return r;
}
