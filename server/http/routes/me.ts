import { Router } from 'express';
import { requireRole } from '../../auth/express';
import { ROLES, satisfies } from '../../auth/roles';
import { describeRoute } from '../openapi/describe';

/**
 * `GET /me`: who the presented key is and what it may do, so a client (the web console) can hide
 * what the key cannot do. `grants` lists every role requirement the key satisfies: a route that
 * requires role R is open to it when `grants` includes R. Reader and up (a webhook key only delivers).
 */
export function meRouter(): Router {
  const r = Router();

  r.get('/me', requireRole('reader'), describeRoute({ summary: 'The calling key: {keyId, name, role, grants}', tag: 'keys' }), (req, res) => {
    const { keyId, name, role } = req.auth!;
    res.json({ keyId, name, role, grants: ROLES.filter((needed) => satisfies(role, needed)) });
  });

  return r;
}
