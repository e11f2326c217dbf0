/**
 * /metrics: a real orchestrator (in this process, real Redis and SQLite) with a worker on its
 * gateway; the exposition is read with a Prometheus text parser before and after a run.
 */
import fs from 'node:fs';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { FakeWorker } from '../helpers/fake-worker';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import { waitFor } from '../helpers/wait';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

type Families = ReturnType<typeof parsePrometheusTextFormat>;

function sample(families: Families, name: string, labels: Record<string, string> = {}) {
  const family = families.find((f) => f.name === name);
  return family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}
const value = (families: Families, name: string, labels: Record<string, string> = {}) => Number(sample(families, name, labels)?.value ?? 0);
const count = (families: Families, name: string, labels: Record<string, string> = {}) => Number(sample(families, name, labels)?.count ?? 0);

describe('/metrics', () => {
  let o: TestOrchestrator;
  let worker: FakeWorker | undefined;

  const api = async (method: string, path: string, body?: unknown, auth: Record<string, string> = o.auth) => {
    const res = await fetch(`${o.baseUrl}${path}`, {
      method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : undefined };
  };
  const scrape = async (auth: Record<string, string> = { Authorization: `Bearer ${METRICS_TOKEN}` }) => {
    const res = await fetch(`${o.baseUrl}/metrics`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusTextFormat(await res.text());
  };

  beforeAll(async () => {
    o = await startTestOrchestrator({ METRICS_TOKEN });
  });
  afterAll(async () => {
    worker?.close();
    await o.close();
  });

  it('takes METRICS_TOKEN or an API key with read rights, and nothing else', async () => {
    expect((await fetch(`${o.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${o.baseUrl}/metrics`, { headers: { Authorization: 'Bearer not-the-metrics-token-000' } })).status).toBe(401);
    const reader = await api('POST', '/api/keys', { name: 'prometheus', role: 'reader' });
    const hook = await api('POST', '/api/keys', { name: 'hooks only', role: 'webhook' });
    await scrape({ Authorization: `Bearer ${reader.body.key}` });
    await scrape(o.auth); // the team key
    const refused = await fetch(`${o.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${hook.body.key}` } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("'reader'");
  });

  it('has every named series, and they move after a run', async () => {
    const before = await scrape();
    for (const name of [
      'personas_executions_total', 'personas_execution_duration_seconds', 'personas_execution_cost_usd', 'personas_event_dispatch_seconds',
      'personas_queue_jobs', 'personas_workers_connected', 'personas_worker_slots_free', 'personas_webhook_requests_total',
      'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes',
    ]) {
      expect(before.map((f) => f.name)).toContain(name);
    }
    expect(before.find((f) => f.name === 'personas_execution_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(value(before, 'personas_workers_connected')).toBe(0);
    for (const queue of ['events', 'executions', 'triggers', 'maintenance']) expect(sample(before, 'personas_queue_jobs', { queue, state: 'waiting' })).toBeDefined();
    // CLAUDE_TOKEN from the environment has no known expiry: no sample.
    expect(sample(before, 'personas_claude_token_expiry_seconds')).toBeUndefined();

    worker = new FakeWorker({ url: o.wsUrl, workerId: 'metrics-worker', slots: 3, runMs: 300 });
    await worker.register();
    const persona = await api('POST', '/api/personas', { name: 'Metrics Persona', systemPrompt: 'count things' });
    await api('POST', '/api/subscriptions', { personaId: persona.body.id, eventType: 'metrics_test' });
    const event = await api('POST', '/api/events', { eventType: 'metrics_test', payload: { n: 1 } });
    expect(event.status).toBe(202);
    const raw = await api('POST', '/api/execute', { prompt: 'raw run' });
    const running = await waitFor(async () => {
      const m = await scrape();
      return value(m, 'personas_worker_slots_free') < 3 ? m : undefined;
    }, 'a busy slot', 10_000);
    expect(value(running, 'personas_workers_connected')).toBe(1);

    const finished = async () => {
      const list = await api('GET', '/api/executions');
      return list.body.filter((e: { status: string }) => e.status === 'completed').length === 2 ? list.body : undefined;
    };
    await waitFor(finished, 'both executions to complete', 15_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify((await api('GET', '/api/executions')).body.map((e: { status: string; error: string }) => [e.status, e.error]))}`);
    });
    expect(raw.status).toBe(202);

    expect((await api('POST', `/api/webhooks/${persona.body.id}`, { hello: 'world' })).status).toBe(202);
    expect((await api('POST', `/api/webhooks/${persona.body.id}`, { hello: 'again' }, {})).status).toBe(401);
    expect((await api('POST', '/api/token', { token: 'sk-ant-oat01-metrics-test-token-abcdefghijklmnop', expiresAt: new Date(Date.now() + 3600_000).toISOString() })).status).toBe(200);

    const after = await scrape();
    expect(value(after, 'personas_executions_total', { status: 'completed', persona: 'Metrics Persona' })).toBe(1);
    expect(value(after, 'personas_executions_total', { status: 'completed', persona: '(none)' })).toBe(1);
    expect(count(after, 'personas_execution_duration_seconds')).toBe(count(before, 'personas_execution_duration_seconds') + 2);
    expect(Number(sample(after, 'personas_execution_duration_seconds')?.buckets?.['+Inf'])).toBe(2);
    const cost = sample(after, 'personas_execution_cost_usd');
    expect(Number(cost?.sum)).toBeCloseTo(0.002, 6);
    expect(Number(cost?.count)).toBe(2);
    expect(count(after, 'personas_event_dispatch_seconds')).toBeGreaterThanOrEqual(count(before, 'personas_event_dispatch_seconds') + 2);
    expect(value(after, 'personas_webhook_requests_total', { source: 'generic', outcome: 'accepted' })).toBe(1);
    expect(value(after, 'personas_webhook_requests_total', { source: 'generic', outcome: 'rejected' })).toBe(1);
    expect(value(after, 'personas_worker_slots_free')).toBe(3);
    const expiry = value(after, 'personas_claude_token_expiry_seconds', { source: 'stored' });
    expect(expiry).toBeGreaterThan(3500);
    expect(expiry).toBeLessThanOrEqual(3600);
    expect(value(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('the Grafana dashboard in docs/ asks only for series this exposition has', async () => {
    const dashboard = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../docs/grafana-dashboard.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));
    const names = new Set((await scrape()).map((f) => f.name));
    const asked = new Set(exprs.flatMap((e) => e.match(/\b(personas|process|nodejs)_[a-z0-9_]+/g) ?? []).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    expect([...asked].filter((n) => !names.has(n))).toEqual([]);
    expect(asked.size).toBeGreaterThanOrEqual(11);
  });

  it('counts a queued execution that is cancelled', async () => {
    worker?.close();
    worker = undefined;
    await waitFor(async () => (value(await scrape(), 'personas_workers_connected') === 0 ? true : undefined), 'the worker to go', 5_000);
    const queued = await api('POST', '/api/execute', { prompt: 'never runs' });
    const cancelled = await api('POST', `/api/executions/${queued.body.executionId}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(value(await scrape(), 'personas_executions_total', { status: 'cancelled', persona: '(none)' })).toBe(1);
  });
});
