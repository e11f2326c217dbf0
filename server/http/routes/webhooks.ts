import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError, UnauthorizedError } from '../../../shared/errors';
import type { ApiKeyService } from '../../auth/api-keys';
import { authenticateOptional, requireRoleOrSignature, signatureAuthenticated } from '../../auth/express';
import { parseWebhookBody } from '../../domain/webhook-body';
import type { BusDeps } from '../../services/events';
import {
  deliveryIdFrom, receiveGithubWebhook, receiveGitlabWebhook, receiveSlackEvent, receiveWebhook,
} from '../../services/webhooks';
import {
  verifyGithub, verifyGitlab, verifyPersonaWebhook, verifySlack, type SignedRequest, type VerifyDeps, type WebhookRejections,
} from '../../services/webhook-verification';
import type { AppContext } from '../context';
import { parse } from '../validate';
import { describeRoute } from '../openapi/describe';

/** A sender's payload: any JSON (GitHub may also send it form-encoded as payload=). */
const ANY_PAYLOAD = z.record(z.string(), z.unknown());

const webhookQuery = z.object({ source: z.string().min(1).max(500).optional() });

/** Slack wants its answer within 3 s: the event job gets 1 s, then the outbox takes over. */
const SLACK_ENQUEUE_TIMEOUT_MS = 1_000;

export interface WebhookRouterDeps {
  keys: ApiKeyService;
  rejections: WebhookRejections;
  bodyLimit: string;
}

/**
 * The request's bytes, taken off the request: they live only while the signature is checked and
 * the body parsed, and are never stored or logged.
 */
function takeSigned(req: Request): SignedRequest {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  req.body = undefined;
  return { raw, headers: req.headers, address: req.ip };
}

/** Parses a verified body (JSON, or GitHub's form-encoded `payload=`); 400 naming the field. */
function parseSigned(signed: SignedRequest): unknown {
  const parsed = parseWebhookBody(signed.raw, signed.headers['content-type']);
  if (parsed.ok) return parsed.body;
  const details = [{ field: parsed.field, message: parsed.message }];
  if (parsed.unsupportedMedia) throw new AppError(`unsupported media type: ${parsed.message}`, 415, 'unsupported_media_type', details);
  throw new AppError(`invalid body: ${parsed.field}: ${parsed.message}`, 400, 'invalid_json', details);
}

/**
 * The webhook ingress routes, mounted ahead of the Bearer guard because GitHub, GitLab and Slack
 * cannot send a Bearer key: each checks its sender's signature (or token) over the raw body first,
 * and only then parses it. A wrong or missing signature → 401 with nothing stored (logged and
 * counted, not audited). `POST /webhooks/:personaId` takes a Bearer key (role webhook or higher)
 * or a signature with a secret bound to that persona.
 */
export function webhooksRouter(ctx: AppContext, deps: WebhookRouterDeps): Router {
  const r = Router();
  const raw = express.raw({ type: () => true, limit: deps.bodyLimit });
  const bus: BusDeps = { db: ctx.db, queues: ctx.queues, logger: ctx.logger };
  const verify: VerifyDeps = {
    secrets: { db: ctx.db, masterKey: ctx.config.masterKey, logger: ctx.logger },
    logger: ctx.logger,
    rejections: deps.rejections,
    teamApiKey: ctx.config.teamApiKey,
  };

  r.post('/github/webhook', signatureAuthenticated('X-Hub-Signature-256'), describeRoute({ summary: 'GitHub webhook (signed): the event becomes github_<event>', tag: 'webhooks', body: ANY_PAYLOAD, responses: { 202: { description: 'The event' }, 200: { description: 'ping answered' } } }), raw, async (req, res) => {
    const signed = takeSigned(req);
    await verifyGithub(verify, signed);
    const answer = await receiveGithubWebhook(bus, parseSigned(signed), signed.headers);
    res.status(answer.status).json(answer.body);
  });

  // GitLab sends its secret token in X-Gitlab-Token; the team key is still accepted there, as the guide configures it.
  r.post('/gitlab/webhook', signatureAuthenticated('X-Gitlab-Token'), describeRoute({ summary: 'GitLab webhook (X-Gitlab-Token): object_kind becomes gitlab_<kind>', tag: 'webhooks', body: ANY_PAYLOAD, responses: { 202: { description: 'The event' } } }), raw, async (req, res) => {
    const signed = takeSigned(req);
    await verifyGitlab(verify, signed);
    const answer = await receiveGitlabWebhook(bus, parseSigned(signed), signed.headers);
    res.status(answer.status).json(answer.body);
  });

  r.post('/slack/events', signatureAuthenticated('X-Slack-Signature'), describeRoute({ summary: 'Slack Events API (signed; answers url_verification challenges)', tag: 'webhooks', body: ANY_PAYLOAD, responses: { 200: { description: 'Accepted, or the challenge' } } }), raw, async (req, res) => {
    const signed = takeSigned(req);
    await verifySlack(verify, signed);
    const answer = await receiveSlackEvent({ ...bus, enqueueTimeoutMs: SLACK_ENQUEUE_TIMEOUT_MS }, parseSigned(signed));
    res.status(answer.status).json(answer.body);
  });

  // A Bearer key (role webhook or higher) was checked by the guard; without one, the signature is the authentication.
  r.post('/webhooks/:personaId', authenticateOptional(deps.keys), requireRoleOrSignature('webhook', 'X-Hub-Signature-256'), describeRoute({ summary: 'Generic webhook: any JSON body becomes a webhook_received event for the persona', tag: 'webhooks', query: webhookQuery, body: ANY_PAYLOAD, responses: { 202: { description: 'The event and the webhook triggers fired' } } }), raw, async (req, res) => {
    const personaId = String(req.params.personaId);
    const signed = takeSigned(req);
    if (!req.auth) {
      if (signed.headers['x-hub-signature-256'] === undefined) {
        throw new UnauthorizedError('a Bearer key with the webhook role, or an X-Hub-Signature-256 signature with a secret bound to this persona, is required');
      }
      await verifyPersonaWebhook(verify, personaId, signed);
    }
    const q = parse(webhookQuery, req.query, 'query');
    const delivery = deliveryIdFrom(signed.headers, 'X-GitHub-Delivery', `webhook:${personaId}`);
    const result = await receiveWebhook(bus, personaId, parseSigned(signed), q.source ?? null, delivery);
    res.status(202).json({ ...result.event, triggers: result.triggers });
  });

  return r;
}
