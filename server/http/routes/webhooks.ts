import express, { Router } from 'express';
import { z } from 'zod';
import { UnauthorizedError } from '../../../shared/errors';
import { receiveGitlabWebhook, receiveWebhook } from '../../services/webhooks';
import { presentedKey, safeEqual } from '../auth';
import type { AppContext } from '../context';
import { parse } from '../validate';
import { requireRole, signatureAuthenticated } from '../../auth/express';

const webhookQuery = z.object({ source: z.string().min(1).max(500).optional() });

/** `POST /webhooks/:personaId`: any JSON body becomes a `webhook_received` event for that persona (202). */
export function webhooksRouter(ctx: AppContext): Router {
  const r = Router();
  r.post('/webhooks/:personaId', requireRole('webhook'), async (req, res) => {
    const q = parse(webhookQuery, req.query, 'query');
    const result = await receiveWebhook({ db: ctx.db, queues: ctx.queues, logger: ctx.logger }, req.params.personaId, req.body, q.source ?? null);
    res.status(202).json({ ...result.event, triggers: result.triggers });
  });
  return r;
}

/**
 * `POST /gitlab/webhook`, mounted ahead of the `/api` Bearer guard because GitLab sends its secret
 * token in `X-Gitlab-Token`: the team key is accepted there or as Bearer, compared in constant time.
 * Answers 202 as soon as the event is stored, so GitLab never retries on slowness.
 */
export function gitlabRouter(ctx: AppContext, bodyLimit: string): Router {
  const r = Router();
  r.post(
    '/gitlab/webhook',
    signatureAuthenticated('X-Gitlab-Token'),
    (req, _res, next) => {
      const header = req.headers['x-gitlab-token'];
      const given = presentedKey(req.headers.authorization, false) ?? (typeof header === 'string' ? header : undefined);
      if (given !== undefined && safeEqual(given, ctx.config.teamApiKey)) return next();
      next(new UnauthorizedError('the team API key is required as "X-Gitlab-Token" or "Authorization: Bearer"'));
    },
    express.json({ limit: bodyLimit, strict: false, type: () => true }),
    async (req, res) => {
      const event = await receiveGitlabWebhook({ db: ctx.db, queues: ctx.queues, logger: ctx.logger }, req.body);
      res.status(202).json(event);
    },
  );
  return r;
}
