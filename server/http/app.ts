import express, { type Express, Router } from 'express';
import { errorHandler, notFoundRoute } from './errors';
import { ApiKeyService } from '../auth/api-keys';
import { AuditLog } from '../audit/audit-log';
import { auditTrail } from '../audit/express';
import { authenticate, requireRole } from '../auth/express';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board';
import { Metrics, isQueue } from '../metrics/metrics';
import { countWebhooks, metricsRouter } from '../metrics/express';
import { describeRoute } from './openapi/describe';
import { openApiAssets, openApiRouter } from './openapi/router';
import type { AppContext } from './context';
import { personasRouter } from './routes/personas';
import { toolsRouter } from './routes/tools';
import { credentialsRouter } from './routes/credentials';
import { executionsRouter } from './routes/executions';
import { executeRouter } from './routes/execute';
import { systemRouter } from './routes/system';
import { oauthRouter } from './routes/oauth';
import { eventsRouter } from './routes/events';
import { webhooksRouter } from './routes/webhooks';
import { webhookSecretsRouter } from './routes/webhook-secrets';
import { workerTokensRouter } from './routes/worker-tokens';
import { WebhookRejections } from '../services/webhook-verification';
import { WorkerTokenService } from '../services/worker-tokens';
import { subscriptionsRouter } from './routes/subscriptions';
import { triggersRouter } from './routes/triggers';
import { messagesRouter } from './routes/messages';
import { keysRouter } from './routes/keys';
import { auditRouter } from './routes/audit';
import { meRouter } from './routes/me';
import { consoleRouter } from './console';

export const BODY_LIMIT = '1mb';

const HEALTH_DOC = {
  summary: 'Liveness and readiness',
  tag: 'health',
  responses: {
    200: { description: '{"status": "ok", "time"}: ready' },
    503: { description: '{"status": "starting", "reason", "time"}: still waiting (Redis, the database)' },
  },
};

/**
 * The HTTP API: `/health` open; under `/api` every caller is resolved from its API key (TEAM_API_KEY is
 * the bootstrap admin) and each route declares the role it needs; one router per resource.
 */
export function createApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.get('/health', describeRoute(HEALTH_DOC), (_req, res) => {
    const { ready, reason } = ctx.readiness?.state() ?? { ready: true, reason: null };
    if (!ready) return void res.status(503).json({ status: 'starting', reason, time: new Date().toISOString() });
    res.json({ status: 'ok', time: new Date().toISOString() });
  });

  const keys = ctx.apiKeys ?? new ApiKeyService({ db: ctx.db, logger: ctx.logger, teamApiKey: ctx.config.teamApiKey });
  const audit = ctx.audit ?? new AuditLog({ db: ctx.db, logger: ctx.logger, masterKey: ctx.config.masterKey });
  // Every mutating call of an authenticated caller ends up in the audit chain (routers below).
  app.use('/api', auditTrail(audit));

  // Webhook ingress authenticates by signature or token (see signatureAuthenticated), ahead of the Bearer guard.
  // The wiring passes its own counter (shown in /api/status); without one, count here.
  const rejections = (ctx.webhookRejections ??= new WebhookRejections());
  const metrics = (ctx.metrics ??= new Metrics({
    logger: ctx.logger, queues: () => Object.values(ctx.queues).filter(isQueue), workers: () => ctx.workers(), claudeStatus: () => ctx.claudeToken.status(),
  }));
  app.use(metricsRouter(metrics, { keys, token: ctx.config.metricsToken }));
  app.use('/api', countWebhooks(metrics));
  // The API's own description (open): the OpenAPI document made from these routes, and Swagger UI over it.
  app.use('/api/docs/assets', ...openApiAssets());
  app.use('/api', openApiRouter(app));
  app.use('/api', webhooksRouter(ctx, { keys, rejections, bodyLimit: BODY_LIMIT }));
  const api = Router();
  // Resolves the caller once; each route then declares the role it needs (requireRole).
  api.use(authenticate(keys));
  api.use(express.json({ limit: BODY_LIMIT, strict: false, type: () => true }));
  api.use(personasRouter(ctx));
  api.use(toolsRouter(ctx));
  api.use(credentialsRouter(ctx));
  api.use(executeRouter(ctx));
  api.use(executionsRouter(ctx));
  api.use(systemRouter(ctx));
  api.use(oauthRouter(ctx));
  api.use(eventsRouter(ctx));
  api.use(webhookSecretsRouter(ctx));
  api.use(workerTokensRouter(ctx.workerTokens ?? new WorkerTokenService({ db: ctx.db, logger: ctx.logger })));
  api.use(subscriptionsRouter(ctx));
  api.use(triggersRouter(ctx));
  api.use(messagesRouter(ctx));
  api.use(keysRouter(keys));
  api.use(auditRouter(ctx));
  api.use(meRouter());
  app.use('/api', api);
  app.use(BULL_BOARD_PATH, auditTrail(audit), authenticate(keys, { allowBasic: true }), requireRole('operator'), bullBoardRouter(ctx.queues));

  // The web console (static files) at `/`; after the API and Bull Board, which it never shadows.
  app.use(consoleRouter());

  app.use(notFoundRoute);
  app.use(errorHandler(ctx.logger));
  return app;
}
