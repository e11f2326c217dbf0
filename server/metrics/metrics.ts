import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ClaudeTokenStatus } from '../domain/claude-token';
import type { WorkerSummary } from '../gateway/worker-registry';
import { queueCounts } from '../services/status';

/** A queue whose job counts the `personas_queue_jobs` gauge reports (BullMQ's Queue fits). */
export interface CountedQueue {
  name: string;
  getJobCounts(): Promise<Record<string, number>>;
}

export interface MetricsSources {
  logger: Logger;
  /** Every queue of the installation: their counts are global (the same on every orchestrator). */
  queues(): CountedQueue[];
  /** This orchestrator's connected workers. */
  workers(): WorkerSummary[];
  claudeStatus(): Promise<ClaudeTokenStatus>;
  /** How long a scrape waits for Redis before leaving the queue gauges out (default 1500 ms). */
  queueTimeoutMs?: number;
}

/** What one finished execution tells the metrics. */
export interface FinishedExecution {
  status: string;
  /** The persona's name (its id when it has none, `(none)` for a raw prompt). */
  persona: string;
  durationMs: number | null;
  costUsd: number | null;
}

export type WebhookSource = 'github' | 'gitlab' | 'slack' | 'generic';
export type WebhookOutcome = 'accepted' | 'rejected' | 'invalid' | 'error';

const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
const COST_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const DISPATCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * This orchestrator's Prometheus metrics, in a registry of its own (several orchestrators in one
 * process, as in tests, do not share counters). Counters and histograms move as things happen; the
 * queue, worker and token gauges are read at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly executions: Counter<'status' | 'persona'>;
  private readonly duration: Histogram<string>;
  private readonly cost: Histogram<string>;
  private readonly dispatch: Histogram<string>;
  private readonly webhooks: Counter<'source' | 'outcome'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.executions = new Counter({
      name: 'personas_executions_total', help: 'Executions that reached a final status, by status and persona', labelNames: ['status', 'persona'], registers,
    });
    this.duration = new Histogram({
      name: 'personas_execution_duration_seconds', help: 'Run time of finished executions (started to finished)', buckets: DURATION_BUCKETS, registers,
    });
    this.cost = new Histogram({
      name: 'personas_execution_cost_usd', help: 'Cost reported by the Claude CLI for finished executions', buckets: COST_BUCKETS, registers,
    });
    this.dispatch = new Histogram({
      name: 'personas_event_dispatch_seconds', help: 'Time from an event being accepted to its executions being queued (its final status)', buckets: DISPATCH_BUCKETS, registers,
    });
    this.webhooks = new Counter({
      name: 'personas_webhook_requests_total', help: 'Webhook requests by source and outcome', labelNames: ['source', 'outcome'], registers,
    });
    const timeoutMs = sources.queueTimeoutMs ?? 1500;
    new Gauge({
      name: 'personas_queue_jobs', help: 'Jobs per queue and state (global: read from Redis; left out while Redis does not answer)', labelNames: ['queue', 'state'], registers,
      async collect() {
        this.reset();
        const counted = await Promise.all(sources.queues().map(async (q) => ({ q, counts: await queueCounts(q, sources.logger, timeoutMs) })));
        for (const { q, counts } of counted) {
          if ('error' in counts) continue;
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
        }
      },
    });
    new Gauge({
      name: 'personas_workers_connected', help: 'Workers connected to this orchestrator', registers,
      collect() {
        this.set(sources.workers().length);
      },
    });
    new Gauge({
      name: 'personas_worker_slots_free', help: 'Free execution slots on the workers connected to this orchestrator', registers,
      collect() {
        this.set(sources.workers().reduce((sum, w) => sum + w.free, 0));
      },
    });
    new Gauge({
      name: 'personas_claude_token_expiry_seconds',
      help: 'Seconds until the Claude token in use expires, by where it comes from (stored, env); negative: expired; absent: no expiry known',
      labelNames: ['source'], registers,
      async collect() {
        this.reset();
        const status = await sources.claudeStatus().catch((err: unknown) => {
          sources.logger.warn({ err }, 'metrics: Claude token status unavailable');
          return undefined;
        });
        if (status?.inUse && status.expiresAt) this.set({ source: status.inUse }, (Date.parse(status.expiresAt) - Date.now()) / 1000);
      },
    });
  }

  executionFinished(e: FinishedExecution): void {
    this.executions.inc({ status: e.status, persona: e.persona });
    if (e.durationMs !== null && e.durationMs >= 0) this.duration.observe(e.durationMs / 1000);
    if (e.costUsd !== null && e.costUsd >= 0) this.cost.observe(e.costUsd);
  }

  eventDispatched(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.dispatch.observe(seconds);
  }

  webhookRequest(source: WebhookSource, outcome: WebhookOutcome): void {
    this.webhooks.inc({ source, outcome });
  }

  /** The Prometheus text exposition of everything above. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Whether `v` (a member of the Queues bundle) is a queue whose jobs can be counted. */
export function isQueue(v: unknown): v is CountedQueue {
  return typeof v === 'object' && v !== null && typeof (v as CountedQueue).getJobCounts === 'function' && typeof (v as CountedQueue).name === 'string';
}
