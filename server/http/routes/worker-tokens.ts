import { Router } from 'express';
import { requireRole } from '../../auth/express';
import { createWorkerTokenSchema, type WorkerTokenService } from '../../services/worker-tokens';
import { bodyObject, parse } from '../validate';
import { describeRoute } from '../openapi/describe';

/**
 * Enrolled worker tokens (admin only): `POST` answers the token once, `GET` lists them with their
 * last-seen time and whether they are connected, `DELETE` revokes one: its worker is disconnected
 * within seconds on every orchestrator and refused from then on.
 */
export function workerTokensRouter(tokens: WorkerTokenService): Router {
  const r = Router();

  r.post('/workers/tokens', requireRole('admin'), describeRoute({ summary: 'Enrol a worker: a token of its own (shown once)', body: createWorkerTokenSchema, responses: { 201: { description: 'Created, with the token' } } }), async (req, res) => {
    res.status(201).json(await tokens.create(parse(createWorkerTokenSchema, bodyObject(req.body))));
  });

  r.get('/workers/tokens', requireRole('admin'), describeRoute({ summary: 'List worker tokens (last seen, connected)', responses: { 200: { description: 'The list', schema: 'array' } } }), async (_req, res) => {
    res.json(await tokens.list());
  });

  r.delete('/workers/tokens/:id', requireRole('admin'), describeRoute({ summary: 'Revoke a worker token (its worker is disconnected)', responses: { 204: { description: 'Revoked', kind: 'none' } } }), async (req, res) => {
    await tokens.revoke(req.params.id);
    res.status(204).end();
  });

  return r;
}
