import { Router } from 'express';
import { requireRole } from '../../auth/express';
import {
  createWebhookSecret, createWebhookSecretSchema, deleteWebhookSecret, listWebhookSecrets, type WebhookSecretDeps,
} from '../../services/webhook-secrets';
import type { AppContext } from '../context';
import { bodyObject, parse } from '../validate';
import { describeRoute } from '../openapi/describe';

/**
 * Per-source webhook secrets (admin and operator): `POST` answers the secret once, `GET` never
 * shows it, `DELETE` stops it verifying anything at once.
 */
export function webhookSecretsRouter(ctx: AppContext): Router {
  const r = Router();
  const deps: WebhookSecretDeps = { db: ctx.db, masterKey: ctx.config.masterKey, logger: ctx.logger };

  r.post('/webhook-secrets', requireRole('operator'), describeRoute({ summary: 'Make a webhook secret for a source (shown once)', body: createWebhookSecretSchema, responses: { 201: { description: 'Created, with the secret' } } }), async (req, res) => {
    const input = parse(createWebhookSecretSchema, bodyObject(req.body));
    res.status(201).json(await createWebhookSecret(deps, input));
  });

  r.get('/webhook-secrets', requireRole('operator'), describeRoute({ summary: 'List webhook secrets (never the secrets)', responses: { 200: { description: 'The list', schema: 'array' } } }), async (_req, res) => {
    res.json(await listWebhookSecrets(deps));
  });

  r.delete('/webhook-secrets/:id', requireRole('operator'), describeRoute({ summary: 'Delete a webhook secret', responses: { 204: { description: 'Deleted', kind: 'none' } } }), async (req, res) => {
    await deleteWebhookSecret(deps, req.params.id);
    res.status(204).end();
  });

  return r;
}
