import path from 'node:path';
import pino from 'pino';
import { io } from 'socket.io-client';
import type { AssignPayload, ResultPayload } from '../../shared/socket-events';
import type { RunCallbacks, RunHandle } from '../../worker/runner';
import type { Isolation } from '../../worker/sandbox/isolation';
import { startWorker, type RunningWorker } from '../../worker/worker';
import { createPostgresDatabase, createTestDatabase, type TestDatabase } from '../helpers/database';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { FakeWorker } from '../helpers/fake-worker';
import { startFakeTokenEndpoint, type FakeTokenEndpoint } from '../helpers/fake-token-endpoint';
import { startTestOrchestrator, type TestOrchestrator } from '../helpers/orchestrator';
import IORedis from 'ioredis';
import { clusterKeys } from '../../server/cluster/keys';
import { deletePrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * Two orchestrators in this process on one PostgreSQL database and one Redis prefix, as behind a
 * load balancer: any API call works on either, workers connect to either, a run is followed and
 * cancelled through the instance that does not hold it, a persona's maxConcurrent holds across
 * both, and a worker whose orchestrator goes away finishes its run through the other.
 */
jest.setTimeout(60_000);

async function api(o: TestOrchestrator, method: string, p: string, body?: unknown) {
  const res = await fetch(`${o.baseUrl}${p}`, {
    method, headers: { ...o.auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const final = (o: TestOrchestrator, id: string, ms = 20_000) =>
  waitFor(async () => {
    const r = await api(o, 'GET', `/api/executions/${id}`);
    return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
  }, `execution ${id} to finish`, ms);

describe('several orchestrators on one PostgreSQL and one Redis', () => {
  const dir = tempDir('pc-several');
  const prefix = uniquePrefix('several');
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let database: TestDatabase;
  let a: TestOrchestrator;
  let b: TestOrchestrator;
  const fakes: FakeWorker[] = [];
  let tokenEndpoint: FakeTokenEndpoint;
  const start = (id: string) =>
    startTestOrchestrator({ INSTANCE_ID: id, WORKER_GRACE_MS: '5000', OAUTH_TOKEN_URL: tokenEndpoint.url }, { dir, prefix, database });
  const fake = async (o: TestOrchestrator, workerId: string, slots: number, runMs?: number) => {
    const w = new FakeWorker({ url: o.wsUrl, workerId, slots, runMs });
    fakes.push(w);
    await w.register();
    return w;
  };

  beforeAll(async () => {
    pg = await createPostgresDatabase();
    tokenEndpoint = await startFakeTokenEndpoint();
    database = {
      env: { DAC_DB_PATH: path.join(dir, 'unused.db'), DATABASE_URL: pg.url },
      target: { client: 'postgres', url: pg.url, poolMax: 10 },
      name: pg.name,
      drop: async () => undefined,
    };
    a = await start('orch-a');
    b = await start('orch-b');
  });
  afterEach(() => {
    while (fakes.length) fakes.pop()!.close();
  });
  afterAll(async () => {
    await a?.close({ keepData: true });
    await b?.close({ keepData: true });
    await pg?.drop();
    await tokenEndpoint?.close();
    await deletePrefix(prefix);
  });

  it('lists every instance and every worker across them, through either', async () => {
    await fake(a, 'w-on-a', 2);
    await fake(b, 'w-on-b', 1);
    for (const o of [a, b]) {
      const status = await waitFor(async () => {
        const s = (await api(o, 'GET', '/api/status')).body;
        return s.workers.length === 2 ? s : undefined;
      }, 'both workers in /api/status', 5_000);
      expect(status.instances.map((i: { id: string }) => i.id).sort()).toEqual(['orch-a', 'orch-b']);
      expect(status.instances.find((i: { self: boolean }) => i.self).id).toBe(o === a ? 'orch-a' : 'orch-b');
      expect(status.instances.find((i: { id: string }) => i.id === 'orch-a')).toMatchObject({ workers: ['w-on-a'], host: expect.any(String), startedAt: expect.any(String), lastSeenAt: expect.any(String) });
      expect(status.workers).toEqual(expect.arrayContaining([
        expect.objectContaining({ workerId: 'w-on-a', instanceId: 'orch-a', slots: 2 }),
        expect.objectContaining({ workerId: 'w-on-b', instanceId: 'orch-b', slots: 1 }),
      ]));
    }
  });

  it('runs what is submitted through one instance on a worker of the other', async () => {
    const w = await fake(a, 'w-only-on-a', 1);
    const submitted = await api(b, 'POST', '/api/execute', { prompt: 'through b' });
    expect(submitted.status).toBe(202);
    const done = await final(b, submitted.body.executionId);
    expect(done).toMatchObject({ status: 'completed', workerId: 'w-only-on-a' });
    expect(w.assigned.map((x) => x.executionId)).toEqual([submitted.body.executionId]);
  });

  it('follows a run over SSE and socket.io, and cancels it, through the instance that does not hold it', async () => {
    const w = await fake(a, 'w-long', 1, 60_000);
    const submitted = await api(a, 'POST', '/api/execute', { prompt: 'long' });
    const id = submitted.body.executionId as string;
    await waitFor(() => w.assigned.some((x) => x.executionId === id), 'the run to reach the worker', 10_000);

    const sse = await fetch(`${b.baseUrl}/api/executions/${id}/stream`, { headers: b.auth });
    const reader = sse.body!.getReader();
    let sseText = '';
    const readSse = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        sseText += Buffer.from(value).toString();
      }
    })();
    const follower = io(b.baseUrl, { auth: { token: TEST_KEYS.TEAM_API_KEY }, transports: ['websocket'], reconnection: false });
    const seen: string[] = [];
    let ended: { status: string } | undefined;
    follower.on('output', (e: { text: string }) => seen.push(e.text));
    follower.on('end', (e: { status: string }) => (ended = e));
    expect(await follower.timeout(5_000).emitWithAck('follow', { executionId: id })).toEqual({ ok: true });
    await waitFor(() => sseText.includes(`ran ${id}`) && seen.includes(`ran ${id}`), 'the replayed line on both', 5_000);

    // Live: a line the worker sends to A reaches B's followers.
    w.socket.emit('output', { executionId: id, seq: 1, chunks: [{ stream: 'assistant', text: 'live through a' }] });
    await waitFor(() => sseText.includes('live through a') && seen.includes('live through a'), 'the live line on both', 5_000);

    const cancelled = await api(b, 'POST', `/api/executions/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(w.cancels).toContain(id);
    await waitFor(() => sseText.includes('event:end') && ended?.status === 'cancelled', `the end on both (sse: ${JSON.stringify(sseText.slice(-300))}, socket.io: ${JSON.stringify(ended)})`, 5_000);
    follower.close();
    await readSse;
  });

  it("holds a persona's maxConcurrent across both instances", async () => {
    const persona = await api(a, 'POST', '/api/personas', { name: 'one-at-a-time', systemPrompt: 'x', maxConcurrent: 1 });
    expect(persona.status).toBe(201);
    const wa = await fake(a, 'w-cap-a', 2, 300);
    const wb = await fake(b, 'w-cap-b', 2, 300);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await api(i % 2 ? a : b, 'POST', '/api/execute', { prompt: `p${i}`, personaId: persona.body.id });
      ids.push(r.body.executionId);
    }
    const runs = await Promise.all(ids.map((id) => final(a, id, 30_000)));
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    // Seen from the workers (one clock): a run is handed out only after the one before has sent its
    // result (its row is claimed once the count allows it, which is after the finish is recorded).
    let inFlight = 0;
    let most = 0;
    for (const step of [...wa.timeline, ...wb.timeline].sort((x, y) => x.at - y.at)) {
      inFlight += step.what === 'assigned' ? 1 : -1;
      most = Math.max(most, inFlight);
    }
    expect(most).toBe(1);
    expect(wa.assigned.length + wb.assigned.length).toBe(6);
  });

  it('drops the cached Claude token on every instance when one changes it', async () => {
    // B reads (and caches) the token row first: only CLAUDE_TOKEN from its environment.
    expect((await api(b, 'GET', '/api/oauth/status')).body).toMatchObject({ source: 'env' });
    const injected = await api(a, 'POST', '/api/token', { token: 'sk-ant-oat01-cluster-shared-token-0123456789abcdef' });
    expect(injected.status).toBe(200);
    await waitFor(async () => (await api(b, 'GET', '/api/oauth/status')).body.source === 'manual', 'B to see the token A stored', 5_000);
  });

  it('refreshes the Claude token on one instance at a time, and both use the new token', async () => {
    const auth = await api(a, 'POST', '/api/oauth/authorize');
    tokenEndpoint.expectChallenge(new URL(auth.body.authUrl).searchParams.get('code_challenge')!);
    expect((await api(a, 'POST', '/api/oauth/callback', { code: tokenEndpoint.code, state: auth.body.state })).status).toBe(200);
    const before = tokenEndpoint.requests.length;
    const [ra, rb] = await Promise.all([api(a, 'POST', '/api/oauth/refresh'), api(b, 'POST', '/api/oauth/refresh')]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    // One refresh request reached the provider: the instance that waited for the lock found it done.
    expect(tokenEndpoint.requests.slice(before).filter((r) => r.grant_type === 'refresh_token')).toHaveLength(1);
    expect(ra.body.expiresAt).toBe(rb.body.expiresAt);
    const [sa, sb] = await Promise.all([api(a, 'GET', '/api/oauth/status'), api(b, 'GET', '/api/oauth/status')]);
    expect(sb.body.refreshedAt).toBe(sa.body.refreshedAt);
    expect(sb.body.refreshedAt).not.toBeNull();
    expect((await api(a, 'DELETE', '/api/oauth/disconnect')).status).toBe(200);
  });

  /**
   * No worker yet: the execution waits. Then the state a dead orchestrator leaves: the row claimed
   * (`running` on the worker), its owner and the worker's session recorded, the job gone with it.
   */
  async function claimedButNeverSent(prompt: string, workerId: string, session: string, owner = 'dead-orchestrator'): Promise<string> {
    const id = (await api(a, 'POST', '/api/execute', { prompt })).body.executionId as string;
    await a.queues.executions.remove(id);
    const now = new Date().toISOString();
    await a.db('executions').where({ id }).update({ status: 'running', worker_id: workerId, started_at: now, updated_at: now, timeout_ms: 60_000 });
    const redis = new IORedis(REDIS_URL);
    const keys = clusterKeys(prefix);
    await redis.multi().hset(keys.runOwners, id, owner).hset(keys.runSessions, id, session).exec();
    redis.disconnect();
    return id;
  }

  /** The worker process of `session` registers with `o`, holding no run. */
  async function backWithout(o: TestOrchestrator, workerId: string, session: string): Promise<FakeWorker> {
    const w = new FakeWorker({ url: o.wsUrl, workerId, slots: 1 });
    fakes.push(w);
    await new Promise<void>((resolve) => w.socket.once('connect', () => resolve()));
    const ack = await w.socket.timeout(5_000).emitWithAck('register', { workerId, slots: 1, version: 'fake', running: [], session });
    expect(ack.ok).toBe(true);
    return w;
  }

  it('queues again a run whose orchestrator died between claiming it and sending it to its worker', async () => {
    const id = await claimedButNeverSent('never sent', 'w-session', 'session-1');
    // The same worker process (same session) is now on B, without the run.
    const w = await backWithout(b, 'w-session', 'session-1');
    const done = await final(b, id, 20_000).catch(async (err) => {
      const job = await a.queues.executions.getJob(id);
      throw new Error(`${err.message}: ${JSON.stringify((await api(b, 'GET', `/api/executions/${id}`)).body.status)} job ${job ? await job.getState() : 'none'} ${JSON.stringify((await api(b, 'GET', '/api/status')).body.workers)}`);
    });
    expect(done).toMatchObject({ status: 'completed', workerId: 'w-session' });
    expect(w.assigned.map((x) => x.executionId)).toEqual([id]);
  });

  it('queues again such a run when a recovery pass took it up before its worker was back (on either instance)', async () => {
    const id = await claimedButNeverSent('never sent either', 'w-late', 'session-late');
    // A recovery pass (every 2 s) adopts it while its worker is away: it now waits out the grace.
    const redis = new IORedis(REDIS_URL);
    await waitFor(async () => ((await redis.hget(clusterKeys(prefix).runOwners, id)) !== 'dead-orchestrator') || undefined, 'a recovery pass to adopt the run', 10_000);
    redis.disconnect();
    const w = await backWithout(b, 'w-late', 'session-late');
    const done = await final(b, id, 20_000);
    expect(done).toMatchObject({ status: 'completed', workerId: 'w-late' });
    expect(w.assigned.map((x) => x.executionId)).toEqual([id]);
  });

  it('queues again such a run when its orchestrator came back under the same INSTANCE_ID and its worker went to the other', async () => {
    // Recorded for orch-a, alive again after a restart but not tracking it: B must not take it for
    // A's, nor A leave it to B for good (each left it to the other: the run stayed `running`).
    const id = await claimedButNeverSent('never sent, owner restarted', 'w-restarted', 'session-restarted', 'orch-a');
    const w = await backWithout(b, 'w-restarted', 'session-restarted');
    const done = await final(b, id, 20_000);
    expect(done).toMatchObject({ status: 'completed', workerId: 'w-restarted' });
    expect(w.assigned.map((x) => x.executionId)).toEqual([id]);
  });

  it('refuses a second orchestrator on one SQLite file', async () => {
    const sqliteDir = tempDir('pc-several-sqlite');
    const sqlitePrefix = uniquePrefix('several-sqlite');
    // SQLite in both passes of the suite: this is SQLite's own refusal.
    const sqlite = await createTestDatabase(sqliteDir, { client: 'sqlite' });
    const first = await startTestOrchestrator({ INSTANCE_ID: 'sqlite-1' }, { dir: sqliteDir, prefix: sqlitePrefix, database: sqlite });
    try {
      await expect(startTestOrchestrator({ INSTANCE_ID: 'sqlite-2' }, { dir: sqliteDir, prefix: sqlitePrefix, database: first.database }))
        .rejects.toThrow(/another orchestrator \(instance sqlite-1 .*SQLite, which is one orchestrator's store.*DATABASE_URL/);
    } finally {
      await first.close();
    }
  });

  it("re-attaches a worker whose orchestrator stops to the other, and its run finishes with all its output", async () => {
    const c = await start('orch-c');
    const chunks = 30;
    // A stand-in runner: one line every 50 ms, then completed.
    const fakeRun = (a: AssignPayload, cb: RunCallbacks): RunHandle => {
      let n = 0;
      let stop!: () => void;
      const done = new Promise<ResultPayload>((resolve) => {
        const timer = setInterval(() => {
          cb.onChunk({ stream: 'assistant', text: `line ${n}` });
          if (++n < chunks) return;
          clearInterval(timer);
          resolve({ executionId: a.executionId, status: 'completed', exitCode: 0, error: null, result: 'ok', costUsd: 0, durationMs: 1, numTurns: 1, sessionId: 's' });
        }, 50);
        stop = () => {
          clearInterval(timer);
          resolve({ executionId: a.executionId, status: 'cancelled', exitCode: null, error: 'cancelled', result: null, costUsd: null, durationMs: 1, numTurns: null, sessionId: null });
        };
      });
      return { executionId: a.executionId, pid: undefined, done, stop: () => stop(), killNow: () => stop() };
    };
    let worker: RunningWorker | undefined;
    try {
      worker = startWorker({
        config: {
          orchestratorUrl: c.wsUrl, orchestratorUrls: [c.wsUrl, b.wsUrl], workerToken: TEST_KEYS.WORKER_TOKEN, workerId: 'w-failover', slots: 1,
          claudeBin: 'unused', logLevel: 'silent', workDirRoot: dir, shutdownGraceMs: 0, killGraceMs: 100, passThroughEnv: {},
          sandbox: 'none', sandboxDeny: [], sandboxUidBase: 100_000, allowedHosts: [], anthropicBaseUrl: 'http://127.0.0.1:9',
          outputMaxBytes: 1_000_000, runMaxEvents: 10, production: false,
        },
        isolation: { mode: 'none' } as Isolation,
        version: 'test', logger: pino({ level: 'silent' }), onFatal: () => undefined,
        reconnect: { delayMs: 200, maxDelayMs: 500 }, heartbeatMs: 200, startRun: fakeRun,
      });
      await waitFor(async () => (await api(c, 'GET', '/api/status')).body.workers.some((w: { workerId: string; instanceId: string }) => w.workerId === 'w-failover' && w.instanceId === 'orch-c'), 'the worker on c', 5_000);
      const submitted = await api(b, 'POST', '/api/execute', { prompt: 'survive' });
      const id = submitted.body.executionId as string;
      await waitFor(async () => (await api(b, 'GET', `/api/executions/${id}`)).body.status === 'running', 'the run to start', 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await c.close({ keepData: true });
      const done = await final(b, id, 20_000);
      expect(done).toMatchObject({ status: 'completed', workerId: 'w-failover', result: 'ok' });
      const lines = done.output.map((l: { seq: number; text: string }) => l);
      expect(lines.map((l: { seq: number }) => l.seq)).toEqual([...Array(chunks).keys()]);
      expect(lines.map((l: { text: string }) => l.text)).toEqual([...Array(chunks).keys()].map((i) => `line ${i}`));
      const status = (await api(b, 'GET', '/api/status')).body;
      expect(status.workers).toEqual(expect.arrayContaining([expect.objectContaining({ workerId: 'w-failover', instanceId: 'orch-b' })]));
      expect(status.instances.map((i: { id: string }) => i.id)).not.toContain('orch-c');
    } finally {
      worker?.killAllNow();
      await worker?.shutdown(0, 200);
    }
  });
});
