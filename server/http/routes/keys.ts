import { Router } from 'express';
import { z } from 'zod';
import type { ApiKeyService } from '../../auth/api-keys';
import { requireRole } from '../../auth/express';
import { ROLES } from '../../auth/roles';
import { bodyObject, parse } from '../validate';
import { describeRoute } from '../openapi/describe';

const createBody = z.object({
  name: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[\x20-\x7E]+$/, 'must be printable ASCII'),
  role: z.enum(ROLES, { error: `must be one of: ${ROLES.join(', ')}` }),
});

/**
 * API keys (admin only): `POST /keys` answers the key once, `GET /keys` never shows it, and
 * `DELETE /keys/:id` revokes it (refused everywhere within a second).
 */
export function keysRouter(keys: ApiKeyService): Router {
  const r = Router();

  r.post('/keys', requireRole('admin'), describeRoute({ summary: 'Make an API key with a role (the key is answered once)', body: createBody, responses: { 201: { description: '{id, name, role, key, createdAt}' } } }), async (req, res) => {
    const body = parse(createBody, bodyObject(req.body));
    res.status(201).json(await keys.create(body));
  });

  r.get('/keys', requireRole('admin'), describeRoute({ summary: 'List API keys (never the keys themselves)', responses: { 200: { description: 'The list', schema: 'array' } } }), async (_req, res) => {
    res.json(await keys.list());
  });

  r.delete('/keys/:id', requireRole('admin'), describeRoute({ summary: 'Revoke an API key (refused everywhere within a second)', responses: { 204: { description: 'Revoked', kind: 'none' } } }), async (req, res) => {
    await keys.revoke(req.params.id);
    res.status(204).end();
  });

  return r;
}
