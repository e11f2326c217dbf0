import { Router } from 'express';
import { z } from 'zod';
import * as repo from '../../db/credentials';
import { getPersona } from '../../db/personas';
import { linkCredential, redactCredential, storeCredential, unlinkCredential } from '../../services/credentials';
import { mustFind } from '../../services/must-find';
import type { AppContext } from '../context';
import { bodyObject, idParam, jsonField, parse } from '../validate';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const hex = (message: string, pattern: RegExp) => z.string().regex(pattern, message).optional();

const metadata = jsonField(
  z.record(z.string(), z.unknown()).refine(
    (m) => m.fields === undefined || (Array.isArray(m.fields) && m.fields.every((f) => typeof f === 'string')),
    { message: 'must be an array of strings', path: ['fields'] },
  ),
);

/** Either `data` (the server encrypts it) or the guide's client-encrypted `encryptedData` + `iv` + `tag`. */
const credentialBody = z.object({
  id: idParam.optional(),
  name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  serviceType: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  metadata: metadata.nullable().optional(),
  data: z.union([z.string().min(1, 'must not be empty').max(512 * 1024), z.record(z.string(), z.unknown())]).optional(),
  encryptedData: hex('must be hex-encoded (pairs of 0-9a-f, not empty)', /^(?:[0-9a-fA-F]{2})+$/),
  iv: hex('must be 12 or 16 bytes, hex-encoded (24 or 32 hex characters)', /^(?:[0-9a-fA-F]{24}|[0-9a-fA-F]{32})$/),
  tag: hex('must be 16 bytes, hex-encoded (32 hex characters)', /^[0-9a-fA-F]{32}$/),
});

const linkBody = z.object({ credentialId: idParam });

/** Credentials (always answered redacted) and their links to personas. */
export function credentialsRouter(ctx: AppContext): Router {
  const r = Router();

  r.get('/credentials', requireRole('reader'), describeRoute({ summary: 'List credentials (redacted: never a secret)', responses: { 200: { description: 'The list', schema: 'array' } } }), async (_req, res) => {
    res.json((await repo.listCredentials(ctx.db)).map(redactCredential));
  });

  r.get('/credentials/:id', requireRole('reader'), describeRoute({ summary: 'One credential (redacted)' }), async (req, res) => {
    res.json(redactCredential(await mustFind(repo.getCredential(ctx.db, req.params.id), 'credential', req.params.id)));
  });

  r.post('/credentials', requireRole('operator'), describeRoute({ summary: 'Store a credential (data, or the client-encrypted encryptedData + iv + tag); with an existing id, update it', body: credentialBody, responses: { 201: { description: 'Created (redacted)' }, 200: { description: 'Updated (redacted)' } } }), async (req, res) => {
    const input = parse(credentialBody, bodyObject(req.body));
    const { record, created } = await storeCredential(ctx.db, ctx.config.masterKey, input);
    res.status(created ? 201 : 200).json(record);
  });

  r.delete('/credentials/:id', requireRole('operator'), describeRoute({ summary: 'Delete a credential' }), async (req, res) => {
    await mustFind(repo.getCredential(ctx.db, req.params.id), 'credential', req.params.id);
    await repo.deleteCredential(ctx.db, req.params.id);
    res.json({ id: req.params.id, deleted: true });
  });

  r.get('/personas/:id/credentials', requireRole('reader'), describeRoute({ summary: "A persona's linked credentials (redacted)", tag: 'credentials', responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    await mustFind(getPersona(ctx.db, req.params.id), 'persona', req.params.id);
    res.json((await repo.listPersonaCredentials(ctx.db, req.params.id)).map(redactCredential));
  });

  r.post('/personas/:id/credentials', requireRole('operator'), describeRoute({ summary: 'Link a credential to a persona (409 when its variables clash with a linked one)', tag: 'credentials', body: linkBody, responses: { 201: { description: 'Linked' }, 200: { description: 'Already linked' } } }), async (req, res) => {
    const { credentialId } = parse(linkBody, bodyObject(req.body));
    const { record, created } = await linkCredential(ctx.db, ctx.config.masterKey, req.params.id, credentialId);
    res.status(created ? 201 : 200).json(record);
  });

  r.delete('/personas/:id/credentials/:credentialId', requireRole('operator'), describeRoute({ summary: 'Unlink a credential from a persona', tag: 'credentials' }), async (req, res) => {
    await unlinkCredential(ctx.db, req.params.id, req.params.credentialId);
    res.json({ personaId: req.params.id, credentialId: req.params.credentialId, deleted: true });
  });

  return r;
}
