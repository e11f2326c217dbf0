import { Router, type RequestHandler } from 'express';
import type { ApiKeyService } from '../auth/api-keys';
import { requireRoleOrStaticToken } from '../auth/express';
import { describeRoute } from '../http/openapi/describe';
import type { Metrics, WebhookOutcome, WebhookSource } from './metrics';

const METRICS_DOC = {
  summary: 'Prometheus metrics of this orchestrator',
  description: 'Text exposition format 0.0.4: personas_executions_total{status,persona}, personas_execution_duration_seconds, personas_execution_cost_usd, ' +
    'personas_event_dispatch_seconds, personas_queue_jobs{queue,state}, personas_workers_connected, personas_worker_slots_free, ' +
    'personas_webhook_requests_total{source,outcome}, personas_claude_token_expiry_seconds, and the process metrics.',
  tag: 'metrics',
  responses: { 200: { description: 'The metrics', kind: 'text' as const } },
};

export const METRICS_PATH = '/metrics';

/**
 * `GET /metrics` in the Prometheus text format: `Authorization: Bearer <METRICS_TOKEN>`, or any API
 * key with read rights (the team key included).
 */
export function metricsRouter(metrics: Metrics, o: { keys: ApiKeyService; token?: string }): Router {
  const r = Router();
  r.get(METRICS_PATH, requireRoleOrStaticToken(o.keys, 'reader', o.token), describeRoute(METRICS_DOC), async (_req, res) => {
    const body = await metrics.text();
    res.setHeader('Content-Type', metrics.contentType);
    res.send(body);
  });
  return r;
}

/** Which webhook a request under `/api` is for (POST only), by its path. */
export function webhookSourceOf(method: string, path: string): WebhookSource | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/github/webhook') return 'github';
  if (path === '/gitlab/webhook') return 'gitlab';
  if (path === '/slack/events') return 'slack';
  if (/^\/webhooks\/[^/]+\/?$/.test(path)) return 'generic';
  return undefined;
}

export function webhookOutcomeOf(status: number): WebhookOutcome {
  if (status < 400) return 'accepted';
  if (status === 401 || status === 403) return 'rejected';
  if (status < 500) return 'invalid';
  return 'error';
}

/** Mounted on `/api` ahead of the webhook routes: counts each webhook request once it is answered. */
export function countWebhooks(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const source = webhookSourceOf(req.method, req.path);
    if (source) res.once('finish', () => metrics.webhookRequest(source, webhookOutcomeOf(res.statusCode)));
    next();
  };
}
