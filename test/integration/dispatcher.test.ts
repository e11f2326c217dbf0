import { io } from 'socket.io-client';
import { FakeWorker } from '../helpers/fake-worker';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import { waitFor } from '../helpers/wait';

async function api(o: TestOrchestrator, method: string, path: string, body?: unknown) {
  const res = await fetch(`${o.baseUrl}${path}`, {
    method,
    headers: { ...o.auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const finalStatus = (o: TestOrchestrator, id: string) =>
  waitFor(async () => {
    const r = await api(o, 'GET', `/api/executions/${id}`);
    return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
  }, `execution ${id} to finish`, 15_000);

describe('execution dispatcher with workers on the gateway', () => {
  let o: TestOrchestrator;
  const workers: FakeWorker[] = [];
  const worker = async (id: string, slots: number, runMs?: number) => {
    const w = new FakeWorker({ url: o.wsUrl, workerId: id, slots, runMs });
    workers.push(w);
    await w.register();
    return w;
  };

  beforeAll(async () => {
    o = await startTestOrchestrator({ WORKER_GRACE_MS: '500' });
  });
  afterEach(() => {
    while (workers.length) workers.pop()!.close();
  });
  afterAll(async () => {
    await o.close();
  });

  it('refuses a worker with a wrong token', async () => {
    const s = io(o.wsUrl, { auth: { token: 'wrong-token-000000000' }, reconnection: false, transports: ['websocket'] });
    const err = await new Promise<Error>((resolve) => s.once('connect_error', resolve));
    expect(err.message).toBe('unauthorized');
    s.close();
  });

  it('runs a direct execution on a worker and keeps its output and result', async () => {
    const w = await worker('w-direct', 1);
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'say hi', timeoutMs: 60_000 });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({ executionId: expect.any(String), status: 'queued' });
    const done = await finalStatus(o, submitted.body.executionId);
    expect(done).toMatchObject({ status: 'completed', workerId: 'w-direct', costUsd: 0.001, sessionId: 'fake-session', exitCode: 0 });
    expect(done.outputText).toContain(`ran ${done.id}`);
    expect(w.assigned[0].prompt).toBe('say hi');
    expect(w.assigned[0].env.ANTHROPIC_API_KEY).toBe('sk-ant-api03-test-token-value-0123456789');
    expect(done.result).toBe(`done ${done.id}`);
    const status = await api(o, 'GET', '/api/status');
    expect(status.body.workers).toEqual([expect.objectContaining({ workerId: 'w-direct', slots: 1, busy: 0, free: 1 })]);
  });

  it('records the worker and start of a run whose result overtakes the running update', async () => {
    await worker('w-instant', 4, 0);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api(o, 'POST', '/api/execute', { prompt: `instant ${i}` })).body.executionId);
    for (const id of ids) {
      const done = await finalStatus(o, id);
      expect(done).toMatchObject({ status: 'completed', workerId: 'w-instant', startedAt: expect.any(String), durationMs: expect.any(Number) });
    }
  });

  it('spreads a burst over two workers and never runs a persona beyond maxConcurrent', async () => {
    const a = await worker('w-a', 3, 150);
    const b = await worker('w-b', 3, 150);
    const persona = await api(o, 'POST', '/api/personas', { name: 'Limited', maxConcurrent: 2 });
    let running = 0;
    let peak = 0;
    for (const w of [a, b]) {
      w.socket.on('assign', (p) => {
        if (!p.prompt.includes('# Persona: Limited')) return;
        running++;
        peak = Math.max(peak, running);
      });
      w.socket.on('cancel', () => undefined);
    }
    // Results decrement: wrap finish to observe the end of each persona run.
    for (const w of [a, b]) {
      const finish = w.finish.bind(w);
      w.finish = (id, status) => {
        if (w.assigned.find((p) => p.executionId === id)?.prompt.includes('# Persona: Limited')) running--;
        finish(id, status);
      };
    }
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await api(o, 'POST', '/api/execute', { prompt: `job ${i}`, personaId: persona.body.id })).body.executionId);
    for (let i = 0; i < 6; i++) ids.push((await api(o, 'POST', '/api/execute', { prompt: `free ${i}` })).body.executionId);
    const results = await Promise.all(ids.map((id) => finalStatus(o, id)));
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    expect(peak).toBe(2);
    expect(a.assigned.length).toBeGreaterThan(0);
    expect(b.assigned.length).toBeGreaterThan(0);
    expect(a.assigned.length + b.assigned.length).toBe(14);
  });

  it('hands queued runs to a worker that joins while every slot is busy, without waiting for a run to end', async () => {
    const a = await worker('w-busy', 1, 10_000);
    const first = (await api(o, 'POST', '/api/execute', { prompt: 'long one' })).body.executionId;
    await waitFor(() => a.assigned.length === 1 || undefined, 'the first run on w-busy', 10_000);
    const queued = [];
    for (let i = 0; i < 2; i++) queued.push((await api(o, 'POST', '/api/execute', { prompt: `queued ${i}` })).body.executionId);
    const b = await worker('w-joins', 2, 10_000);
    // Both queued runs start on the new worker while the first still runs (it takes 10 s).
    await waitFor(() => b.assigned.length === 2 || undefined, 'both queued runs on w-joins', 6_000);
    expect(b.assigned.map((p) => p.executionId).sort()).toEqual([...queued].sort());
    expect((await api(o, 'GET', `/api/executions/${first}`)).body.status).toBe('running');
    for (const id of [first, ...queued]) await api(o, 'POST', `/api/executions/${id}/cancel`);
  });

  it('cancels a queued execution (no worker) and removes its job', async () => {
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'wait in line' });
    const cancelled = await api(o, 'POST', `/api/executions/${submitted.body.executionId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    // A waiting job is removed at once; one the dispatcher holds (waiting for a worker) completes as skipped.
    await waitFor(async () => {
      const job = await o.queues.executions.getJob(submitted.body.executionId);
      return !job || (await job.getState()) === 'completed';
    }, 'the cancelled job to leave the queue');
    const again = await api(o, 'POST', `/api/executions/${submitted.body.executionId}/cancel`);
    expect(again.status).toBe(409);
  });

  it('cancels a running execution on its worker', async () => {
    const w = await worker('w-cancel', 1, 60_000);
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'long' });
    await waitFor(() => w.runningIds().includes(submitted.body.executionId), 'the worker to start the run');
    const cancelled = await api(o, 'POST', `/api/executions/${submitted.body.executionId}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(w.cancels).toContain(submitted.body.executionId);
  });

  it('fails an execution that outlives its timeout with reason timeout', async () => {
    const w = await worker('w-timeout', 1, 60_000);
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'slow', timeoutMs: 1000 });
    const done = await finalStatus(o, submitted.body.executionId);
    expect(done).toMatchObject({ status: 'failed', error: 'timeout' });
    expect(w.cancels).toContain(submitted.body.executionId);
  });

  it('fails the runs of a worker that disappears (worker_disconnected)', async () => {
    const w = await worker('w-crash', 1, 60_000);
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'doomed' });
    await waitFor(() => w.runningIds().includes(submitted.body.executionId), 'the worker to start the run');
    w.crash();
    const done = await finalStatus(o, submitted.body.executionId);
    expect(done).toMatchObject({ status: 'failed', error: 'worker_disconnected' });
  });

  it('streams output over SSE, replaying first and ending with the execution', async () => {
    await worker('w-sse', 1, 300);
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'stream me' });
    const res = await fetch(`${o.baseUrl}/api/executions/${submitted.body.executionId}/stream`, { headers: o.auth });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toMatch(/event:output\nid:0\ndata:.*ran /);
    expect(text).toContain(`ran ${submitted.body.executionId}`);
    expect(text).toMatch(/event:end\nid:0\ndata:.*"status":"completed"/);
    // Resuming after the last seen id replays nothing already seen.
    const resumed = await fetch(`${o.baseUrl}/api/executions/${submitted.body.executionId}/stream`, { headers: { ...o.auth, 'Last-Event-ID': '0' } });
    const rest = await resumed.text();
    expect(rest).not.toContain('event:output');
    expect(rest).toContain('event:end');
  });

  it('streams output to socket.io followers on the HTTP port (team key required)', async () => {
    const refused = io(o.baseUrl, { auth: { token: 'not-the-key' }, reconnection: false, transports: ['websocket'] });
    expect((await new Promise<Error>((r) => refused.once('connect_error', r))).message).toBe('unauthorized');
    refused.close();

    await worker('w-follow', 1, 300);
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'follow me' });
    const follower = io(o.baseUrl, { auth: { token: o.auth.Authorization.slice(7) }, reconnection: false, transports: ['websocket'] });
    const outputs: string[] = [];
    const ended = new Promise<{ status: string }>((resolve) => follower.on('end', resolve));
    follower.on('output', (e) => outputs.push(e.text));
    const ack = await follower.timeout(5000).emitWithAck('follow', { executionId: submitted.body.executionId });
    expect(ack).toEqual({ ok: true });
    expect((await ended).status).toBe('completed');
    expect(outputs).toEqual([`ran ${submitted.body.executionId}`]);
    const missing = await follower.timeout(5000).emitWithAck('follow', { executionId: 'nope' });
    expect(missing.ok).toBe(false);
    follower.close();
  });

  it('puts Bull Board behind the team key', async () => {
    expect((await fetch(`${o.baseUrl}/admin/queues`)).status).toBe(401);
    const basic = Buffer.from(`admin:${o.auth.Authorization.slice(7)}`).toString('base64');
    const page = await fetch(`${o.baseUrl}/admin/queues`, { headers: { Authorization: `Basic ${basic}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('personas-cloud');
  });
});
