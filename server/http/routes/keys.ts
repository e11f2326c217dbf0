import { Router } from 'express';
import { z } from 'zod';
import type { ApiKeyService } from '../../auth/api-keys';
import { requireRole } from '../../auth/express';
import { ROLES } from '../../auth/roles';
import { bodyObject, parse } from '../validate';

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

  r.post('/keys', requireRole('admin'), async (req, res) => {
    const body = parse(createBody, bodyObject(req.body));
    res.status(201).json(await keys.create(body));
  });

  r.get('/keys', requireRole('admin'), async (_req, res) => {
    res.json(await keys.list());
  });

  r.delete('/keys/:id', requireRole('admin'), async (req, res) => {
    await keys.revoke(req.params.id);
    res.status(204).end();
  });

  return r;
}
