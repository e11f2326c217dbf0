import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log';
import type { ApiKeyService } from '../auth/api-keys';
import type { Metrics } from '../metrics/metrics';
import type { OrchestratorConfig } from '../config';
import type { WorkerSummary } from '../gateway/worker-registry';
import type { Queues } from '../queues/queues';
import type { ClusterView } from '../services/status';
import type { ClaudeTokenService } from '../services/claude-token';
import type { WebhookRejections } from '../services/webhook-verification';
import type { WorkerTokenService } from '../services/worker-tokens';
import type { Readiness } from '../startup/readiness';
import type { ExecutionControlDeps } from '../services/execution-control';
import type { OutputBus } from '../services/output-bus';
import type { Hooks } from '../services/trigger-hooks';

export type { WorkerSummary, Hooks };

/** Everything a router needs, handed in by the wiring (tests build their own). */
export interface AppContext {
  config: Readonly<OrchestratorConfig>;
  db: Knex;
  logger: Logger;
  queues: Queues;
  hooks: Hooks;
  /** The Claude connection (OAuth, injected token, CLAUDE_TOKEN); the dispatcher calls `current()`. */
  claudeToken: ClaudeTokenService;
  /** Workers connected to this instance, for `/api/status`. */
  workers(): WorkerSummary[];
  /** Every live orchestrator instance of the deployment (heartbeats in Redis), for `/api/status`. Absent: this one alone. */
  instances?(): Promise<ClusterView>;
  /** Start-up state for `/health` (503 with the reason until ready). Absent: always ready. */
  readiness?: Readiness;
  /** Live output fan-out (SSE and socket.io followers). */
  bus: OutputBus;
  /** Submit and cancel executions. */
  control: ExecutionControlDeps;
  /** API keys (resolve, create, revoke). Absent: createApp builds one on `db` with the team key. */
  apiKeys?: ApiKeyService;
  /** Enrolled worker tokens; the wiring's disconnects a revoked worker at once. Absent: createApp builds one on `db`. */
  workerTokens?: WorkerTokenService;
  /** Refused webhook deliveries, counted (shown in `/api/status`). Absent: createApp counts on its own. */
  webhookRejections?: WebhookRejections;
  /** The audit chain. Absent: createApp builds one (the wiring passes its own to flush it at shutdown). */
  audit?: AuditLog;
  /** This orchestrator's Prometheus metrics. Absent: createApp makes its own (from the queues, workers and Claude token). */
  metrics?: Metrics;
}

export const noHooks: Hooks = {
  personaDeleted: async () => undefined,
  triggerChanged: async () => undefined,
  triggerDeleted: async () => undefined,
};
