import { Router } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../../shared/errors';
import { getPersona } from '../../db/personas';
import { getMessage, listMessages, listMessagesForPersona, listReviewsForPersona, resolveReview, REVIEW_STATUSES } from '../../db/messages';
import { mustFind } from '../../services/must-find';
import type { AppContext } from '../context';
import { bodyObject, idParam, parse } from '../validate';
import { queryInt } from './events';
import { requireRole } from '../../auth/express';
import { describeRoute } from '../openapi/describe';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

const listQuery = z.object({ limit: queryInt(1, MAX_LIMIT).optional() });
const reviewQuery = listQuery.extend({
  status: z.enum(REVIEW_STATUSES, { error: `must be one of: ${REVIEW_STATUSES.join(', ')}` }).optional(),
});
const resolveBody = z.object({ resolution: z.unknown().optional() });
/** Across personas (the console's inbox): optionally one persona's, paged. */
const inboxQuery = listQuery.extend({
  personaId: idParam.optional(),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional(),
});
const inboxReviewQuery = inboxQuery.extend({ status: reviewQuery.shape.status });

/**
 * What personas told people: user messages, memories and manual reviews (which a person resolves).
 * Operator and up only, reading included: they quote what runs saw.
 */
export function messagesRouter(ctx: AppContext): Router {
  const r = Router();
  const persona = (id: string) => mustFind(getPersona(ctx.db, id), 'persona', id);

  const listKind = (path: string, kind: string) =>
    r.get(`/personas/:id/${path}`, requireRole('operator'), describeRoute({ summary: `A persona's ${kind === 'agent_memory' ? 'memories' : 'user messages'}, newest first`, tag: 'messages', query: listQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
      const q = parse(listQuery, req.query, 'query');
      await persona(req.params.id);
      res.json(await listMessagesForPersona(ctx.db, req.params.id, kind, q.limit ?? DEFAULT_LIMIT));
    });
  listKind('messages', 'user_message');
  listKind('memories', 'agent_memory');

  r.get('/personas/:id/reviews', requireRole('operator'), describeRoute({ summary: "A persona's manual reviews (open or resolved)", tag: 'messages', query: reviewQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    const q = parse(reviewQuery, req.query, 'query');
    await persona(req.params.id);
    res.json(await listReviewsForPersona(ctx.db, req.params.id, q.status, q.limit ?? DEFAULT_LIMIT));
  });

  // Across personas (the console's inbox), optionally one persona's; newest first.
  const inbox = (kind: string, q: z.infer<typeof inboxReviewQuery>) =>
    listMessages(ctx.db, { kind, personaId: q.personaId, status: q.status, limit: q.limit ?? DEFAULT_LIMIT, offset: q.offset ?? 0 });
  r.get('/messages', requireRole('operator'), describeRoute({ summary: 'User messages of every persona, newest first', query: inboxQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    res.json(await inbox('user_message', parse(inboxQuery, req.query, 'query')));
  });
  r.get('/memories', requireRole('operator'), describeRoute({ summary: 'Agent memories of every persona, newest first', tag: 'messages', query: inboxQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    res.json(await inbox('agent_memory', parse(inboxQuery, req.query, 'query')));
  });
  r.get('/reviews', requireRole('operator'), describeRoute({ summary: 'Manual reviews of every persona', tag: 'messages', query: inboxReviewQuery, responses: { 200: { description: 'The list', schema: 'array' } } }), async (req, res) => {
    res.json(await inbox('manual_review', parse(inboxReviewQuery, req.query, 'query')));
  });

  r.post('/reviews/:id/resolve', requireRole('operator'), describeRoute({ summary: 'Resolve a manual review (409 when already resolved)', tag: 'messages', body: resolveBody }), async (req, res) => {
    const b = parse(resolveBody, bodyObject(req.body));
    const review = await getMessage(ctx.db, req.params.id);
    if (!review || review.kind !== 'manual_review') throw new NotFoundError('review', req.params.id);
    const moved = await resolveReview(ctx.db, review.id, { status: 'resolved', resolution: b.resolution ?? null, resolvedAt: new Date().toISOString() });
    if (!moved) throw new ConflictError(`review '${review.id}' is already resolved`, { id: review.id, status: review.status });
    res.json(await getMessage(ctx.db, review.id));
  });

  return r;
}
