import { Router } from 'express';
import { systemStatus } from '../../services/status';
import type { AppContext } from '../context';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

/** `/api/status` (the open `/health` stays in app.ts, outside the team-key guard). */
export function systemRouter(ctx: AppContext): Router {
  const r = Router();

  r.get('/status', requireRole('reader'), describeRoute({ summary: 'Workers (slots, isolation), queue depths, executions by status, the Claude connection, refused webhooks', tag: 'status' }), async (_req, res) => {
    res.json(await systemStatus({
      db: ctx.db, queues: ctx.queues, logger: ctx.logger, workers: () => ctx.workers(), claudeStatus: () => ctx.claudeToken.status(),
      instances: ctx.instances && (() => ctx.instances!()),
      webhookRejections: () => ctx.webhookRejections?.snapshot() ?? {},
    }));
  });

  return r;
}
