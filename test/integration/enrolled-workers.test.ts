import { io } from 'socket.io-client';
import { revokeWorkerToken } from '../../server/db/worker-tokens';
import { FakeWorker } from '../helpers/fake-worker';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import { waitFor } from '../helpers/wait';

/**
 * Enrolled workers against a whole orchestrator: the token's name is the identity, one live
 * connection per identity, a revoked token is dropped within seconds (here or by another
 * orchestrator sharing the database), and a worker may report only on its own runs.
 */
async function api(o: TestOrchestrator, method: string, path: string, body?: unknown) {
  const res = await fetch(`${o.baseUrl}${path}`, {
    method,
    headers: { ...o.auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
}

const connectError = (url: string, token: string) =>
  new Promise<Error>((resolve, reject) => {
    const s = io(url, { auth: { token }, reconnection: false, transports: ['websocket'] });
    s.once('connect', () => {
      s.close();
      reject(new Error('connected'));
    });
    s.once('connect_error', (err) => {
      s.close();
      resolve(err);
    });
  });

describe('enrolled workers', () => {
  let o: TestOrchestrator;
  const workers: FakeWorker[] = [];
  const enroll = async (name: string) => {
    const res = await api(o, 'POST', '/api/workers/tokens', { name });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string; token: string };
  };
  const worker = (token: string, workerId: string, extra: { runMs?: number; answerProbes?: boolean } = {}) => {
    const w = new FakeWorker({ url: o.wsUrl, workerId, slots: 1, token, ...extra });
    workers.push(w);
    return w;
  };
  const statusWorkers = async () => (await api(o, 'GET', '/api/status')).body.workers as Array<{ workerId: string; auth: string }>;

  beforeAll(async () => {
    o = await startTestOrchestrator({ WORKER_GRACE_MS: '30000' });
  });
  afterEach(() => {
    while (workers.length) workers.pop()!.close();
  });
  afterAll(async () => {
    await o.close();
  });

  it('shows a token once, stores only its hash, lists it, and 409s a duplicate name', async () => {
    const t = await enroll('build-box-1');
    expect(t.token).toMatch(/^pcw_[A-Za-z0-9_-]{43}$/);
    const list = await api(o, 'GET', '/api/workers/tokens');
    expect(list.body).toEqual([expect.objectContaining({ id: t.id, name: 'build-box-1', lastSeenAt: null, connected: false })]);
    expect(JSON.stringify(list.body)).not.toContain(t.token);
    expect(JSON.stringify(await o.db('worker_tokens').select('*'))).not.toContain(t.token);
    expect((await api(o, 'POST', '/api/workers/tokens', { name: 'build-box-1' })).status).toBe(409);
    const bad = await api(o, 'POST', '/api/workers/tokens', { name: 'has spaces' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('name');
    expect((await api(o, 'DELETE', '/api/workers/tokens/no-such-token')).status).toBe(404);
  });

  it("names the worker after its token, whatever WORKER_ID says, and shows it connected", async () => {
    const t = await enroll('gpu-runner');
    const w = worker(t.token, 'hostname-1234');
    expect(await w.register()).toBe('gpu-runner');
    expect(await statusWorkers()).toEqual(expect.arrayContaining([expect.objectContaining({ workerId: 'gpu-runner', auth: 'enrolled' })]));
    expect((await statusWorkers()).some((x) => x.workerId === 'hostname-1234')).toBe(false);
    const listed = (await api(o, 'GET', '/api/workers/tokens')).body.find((x: { id: string }) => x.id === t.id);
    expect(listed).toMatchObject({ connected: true, lastSeenAt: expect.any(String) });
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'enrolled run' });
    const done = await waitFor(async () => {
      const r = await api(o, 'GET', `/api/executions/${submitted.body.executionId}`);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the run to complete');
    expect(done.workerId).toBe('gpu-runner');
  });

  it('refuses an unknown token and a shared-token worker claiming an enrolled name', async () => {
    await enroll('reserved-name');
    expect((await connectError(o.wsUrl, 'pcw_not-a-real-token-000000000000000000000000')).message).toBe('unauthorized');
    const impostor = worker(undefined as unknown as string, 'reserved-name');
    await expect(impostor.register()).rejects.toThrow(/belongs to an enrolled worker token/);
  });

  it('refuses a second live connection for the same identity, but replaces a connection that no longer answers at once', async () => {
    const t = await enroll('single-seat');
    const first = worker(t.token, 'a');
    await first.register();
    const second = worker(t.token, 'b');
    await expect(second.register()).rejects.toThrow(/already connected/);
    expect((await statusWorkers()).filter((x) => x.workerId === 'single-seat')).toHaveLength(1);

    // A dropped connection: the next one registers straight away.
    first.crash();
    await waitFor(async () => !(await statusWorkers()).some((x) => x.workerId === 'single-seat'), 'the dropped worker to go');
    const third = worker(t.token, 'c', { answerProbes: false });
    await third.register();

    // A half-open connection (it no longer answers): replaced within the probe timeout.
    const started = Date.now();
    const fourth = worker(t.token, 'd');
    await fourth.register();
    expect(Date.now() - started).toBeLessThan(4_000);
    await waitFor(() => !third.socket.connected, 'the unresponsive connection to be closed');
    expect((await statusWorkers()).filter((x) => x.workerId === 'single-seat')).toHaveLength(1);
  });

  it('revoking a token disconnects its worker at once, fails its run worker_disconnected, and refuses it afterwards', async () => {
    const t = await enroll('to-revoke');
    const w = worker(t.token, 'x', { runMs: 60_000 });
    await w.register();
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'long enrolled run' });
    await waitFor(() => w.runningIds().includes(submitted.body.executionId), 'the worker to start the run');
    const revokedAt = Date.now();
    expect((await api(o, 'DELETE', `/api/workers/tokens/${t.id}`)).status).toBe(204);
    await waitFor(() => !w.socket.connected, 'the revoked worker to be disconnected', 5_000);
    expect(w.cancels).toContain(submitted.body.executionId);
    const done = await waitFor(async () => {
      const r = await api(o, 'GET', `/api/executions/${submitted.body.executionId}`);
      return r.body.status === 'failed' ? r.body : undefined;
    }, 'the run to fail', 5_000);
    expect(done.error).toBe('worker_disconnected');
    expect(Date.now() - revokedAt).toBeLessThan(5_000); // not the 30 s reconnect grace
    expect((await connectError(o.wsUrl, t.token)).message).toBe('unauthorized');
    expect((await api(o, 'GET', '/api/workers/tokens')).body.some((x: { id: string }) => x.id === t.id)).toBe(false);
    expect((await api(o, 'DELETE', `/api/workers/tokens/${t.id}`)).status).toBe(404);
  });

  it('drops a worker whose token another orchestrator revoked (shared database) within seconds', async () => {
    const t = await enroll('revoked-elsewhere');
    const w = worker(t.token, 'y');
    await w.register();
    await revokeWorkerToken(o.db, t.id, new Date().toISOString());
    await waitFor(() => !w.socket.connected, 'the worker to be dropped', 5_000);
  });

  it("refuses output and results for a run that is not the worker's own", async () => {
    const owner = worker((await enroll('owner')).token, 'o', { runMs: 60_000 });
    await owner.register();
    const submitted = await api(o, 'POST', '/api/execute', { prompt: 'owned run' });
    const executionId = submitted.body.executionId as string;
    await waitFor(() => owner.runningIds().includes(executionId), 'the owner to start the run');
    const intruder = worker((await enroll('intruder')).token, 'i');
    await intruder.register();
    intruder.socket.emit('output', { executionId, seq: 100, chunks: [{ stream: 'assistant', text: 'INJECTED OUTPUT' }] });
    const ack = await intruder.socket.timeout(5000).emitWithAck('result', {
      executionId, status: 'completed', exitCode: 0, error: null, result: 'forged', costUsd: 0, durationMs: 1, numTurns: 1, sessionId: 'x',
    });
    expect(ack).toEqual({ ok: false });
    const now = await api(o, 'GET', `/api/executions/${executionId}`);
    expect(now.body.status).toBe('running');
    expect(now.body.outputText ?? '').not.toContain('INJECTED OUTPUT');
    // Re-registering with someone else's run does not take it over: it is told to stop it instead.
    intruder.socket.disconnect();
    const again = worker((await enroll('intruder-2')).token, 'i2');
    again.socket.on('cancel', () => undefined);
    await again.register();
    const ack2 = await again.socket.timeout(5000).emitWithAck('register', { workerId: 'i2', slots: 1, version: 'fake', running: [executionId] });
    expect(ack2.ok).toBe(true);
    await waitFor(() => again.cancels.includes(executionId), 'the impostor to be told to stop the run');
    expect((await api(o, 'GET', `/api/executions/${executionId}`)).body).toMatchObject({ status: 'running', workerId: 'owner' });
    owner.finish(executionId, 'completed');
  });
});

describe('WORKER_TOKEN unset: only enrolled tokens connect', () => {
  let o: TestOrchestrator;
  beforeAll(async () => {
    o = await startTestOrchestrator({ WORKER_TOKEN: '' });
  });
  afterAll(async () => {
    await o.close();
  });

  it('refuses the old shared token and accepts an enrolled one', async () => {
    expect((await connectError(o.wsUrl, 'worker_test_token_0123456789abcdef')).message).toBe('unauthorized');
    const t = await api(o, 'POST', '/api/workers/tokens', { name: 'only-enrolled' });
    const w = new FakeWorker({ url: o.wsUrl, workerId: 'z', slots: 1, token: t.body.token });
    try {
      expect(await w.register()).toBe('only-enrolled');
    } finally {
      w.close();
    }
  });
});
