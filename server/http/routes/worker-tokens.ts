import { Router } from 'express';
import { requireRole } from '../../auth/express';
import { createWorkerTokenSchema, type WorkerTokenService } from '../../services/worker-tokens';
import { bodyObject, parse } from '../validate';

/**
 * Enrolled worker tokens (admin only): `POST` answers the token once, `GET` lists them with their
 * last-seen time and whether they are connected, `DELETE` revokes one: its worker is disconnected
 * within seconds on every orchestrator and refused from then on.
 */
export function workerTokensRouter(tokens: WorkerTokenService): Router {
  const r = Router();

  r.post('/workers/tokens', requireRole('admin'), async (req, res) => {
    res.status(201).json(await tokens.create(parse(createWorkerTokenSchema, bodyObject(req.body))));
  });

  r.get('/workers/tokens', requireRole('admin'), async (_req, res) => {
    res.json(await tokens.list());
  });

  r.delete('/workers/tokens/:id', requireRole('admin'), async (req, res) => {
    await tokens.revoke(req.params.id);
    res.status(204).end();
  });

  return r;
}
