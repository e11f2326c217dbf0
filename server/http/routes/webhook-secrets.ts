import { Router } from 'express';
import { requireRole } from '../../auth/express';
import {
  createWebhookSecret, createWebhookSecretSchema, deleteWebhookSecret, listWebhookSecrets, type WebhookSecretDeps,
} from '../../services/webhook-secrets';
import type { AppContext } from '../context';
import { bodyObject, parse } from '../validate';

/**
 * Per-source webhook secrets (admin and operator): `POST` answers the secret once, `GET` never
 * shows it, `DELETE` stops it verifying anything at once.
 */
export function webhookSecretsRouter(ctx: AppContext): Router {
  const r = Router();
  const deps: WebhookSecretDeps = { db: ctx.db, masterKey: ctx.config.masterKey, logger: ctx.logger };

  r.post('/webhook-secrets', requireRole('operator'), async (req, res) => {
    const input = parse(createWebhookSecretSchema, bodyObject(req.body));
    res.status(201).json(await createWebhookSecret(deps, input));
  });

  r.get('/webhook-secrets', requireRole('operator'), async (_req, res) => {
    res.json(await listWebhookSecrets(deps));
  });

  r.delete('/webhook-secrets/:id', requireRole('operator'), async (req, res) => {
    await deleteWebhookSecret(deps, req.params.id);
    res.status(204).end();
  });

  return r;
}
