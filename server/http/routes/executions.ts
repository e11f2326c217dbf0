import { Router } from 'express';
import { z } from 'zod';
import { EXECUTION_STATUSES, listExecutions, summarizeExecutionsSince } from '../../db/executions';
import { getExecutionDetail } from '../../services/execution-detail';
import type { AppContext } from '../context';
import { idParam, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** A whole number given as a query string, within bounds. */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const listQuery = z.object({
  personaId: idParam.optional(),
  eventId: idParam.optional(),
  status: z.enum(EXECUTION_STATUSES, { error: `must be one of: ${EXECUTION_STATUSES.join(', ')}` }).optional(),
  limit: queryInt(1, MAX_LIMIT).optional(),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
});

/** At most 30 days back: the summary reads the `created_at` index, not the whole table. */
const summaryQuery = z.object({ hours: queryInt(1, 720).optional() });

/**
 * Executions: the read side here (list with filters, get with output and messages); the lead adds
 * `POST /execute`, `POST /executions/:id/cancel` and `GET /executions/:id/stream` to this same router.
 */
export function executionsRouter(ctx: AppContext): Router {
  const r = Router();

  r.get('/executions', requireRole('reader'), describeRoute({ summary: 'List executions, newest first', query: listQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    const q = parse(listQuery, req.query, 'query');
    res.json(await listExecutions(ctx.db, { ...q, limit: q.limit ?? DEFAULT_LIMIT, offset: q.offset ?? 0 }));
  });

  // Before `/executions/:id`, which would otherwise take `summary` for an id.
  r.get('/executions/summary', requireRole('reader'), describeRoute({ summary: 'Executions of the last hours by status, with their total cost', query: summaryQuery }), async (req, res) => {
    const { hours = 24 } = parse(summaryQuery, req.query, 'query');
    const since = new Date(Date.now() - hours * 3600_000).toISOString();
    const { byStatus, costUsd } = await summarizeExecutionsSince(ctx.db, since);
    const counts = { ...Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])), ...byStatus };
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    res.json({ since, hours, byStatus: counts, total, costUsd });
  });

  r.get('/executions/:id', requireRole('reader'), describeRoute({ summary: 'One execution with its output, cost, turns and protocol messages' }), async (req, res) => {
    res.json(await getExecutionDetail(ctx.db, req.params.id));
  });

  return r;
}
