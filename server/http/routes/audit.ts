import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '../../auth/express';
import { listAudit } from '../../db/audit';
import type { AppContext } from '../context';
import { parse } from '../validate';
import { queryInt } from './events';
import { describeRoute } from '../openapi/describe';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

const auditQuery = z.object({
  action: z.string().min(1, 'must not be empty').max(200).optional(),
  actor: z.string().min(1, 'must not be empty').max(200).optional(),
  limit: queryInt(1, MAX_LIMIT).optional(),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
});

/** `GET /audit?action=&actor=&limit=&offset=` (admin): the audit log, newest first; `actor` is a key id or name. */
export function auditRouter(ctx: AppContext): Router {
  const r = Router();
  r.get('/audit', requireRole('admin'), describeRoute({ summary: 'The audit log, newest first (filter by action or actor: a key id or name)', query: auditQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    const q = parse(auditQuery, req.query, 'query');
    res.json(await listAudit(ctx.db, { action: q.action, actor: q.actor, limit: q.limit ?? DEFAULT_LIMIT, offset: q.offset ?? 0 }));
  });
  return r;
}
