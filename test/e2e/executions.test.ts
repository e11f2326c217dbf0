import fs from 'node:fs';
import { freePort } from '../../scripts/ensure-redis';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { slow, startFakeAnthropic, text, toolResults, toolUse, userText, type FakeAnthropic } from '../helpers/fake-anthropic';
import { runDist, waitUntil, type Proc } from '../helpers/processes';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { deletePrefix } from '../helpers/redis';

/**
 * The whole system as it runs in production: the orchestrator and workers as separate processes,
 * real Redis, a real SQLite file, and the real Claude Code CLI (from the npm package) talking to a
 * fake Anthropic Messages API on loopback.
 */
jest.setTimeout(120_000);

const SECRET = 'e2e-secret-value-7f3a9c2b';
const CLAUDE_TOKEN = 'sk-ant-api03-e2e-claude-token-0123456789';

describe('executions end to end (orchestrator + worker processes + real Claude CLI)', () => {
  let fake: FakeAnthropic;
  let orchestrator: Proc;
  const workers: Proc[] = [];
  let base: string;
  let wsPort: number;
  let httpPort: number;
  let dir: string;
  let prefix: string;
  let database: TestDatabase | undefined;

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const logs = () => [orchestrator, ...workers].map((p) => p.output()).join('\n');
  const final = (id: string, ms = 60_000) =>
    waitUntil(`execution ${id} to finish`, async () => {
      const r = await api('GET', `/api/executions/${id}`);
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    }, ms, logs);
  const status = () => api('GET', '/api/status').then((r) => r.body);

  async function startWorker(id: string, slots = 1): Promise<Proc> {
    const w = runDist('worker/main.js', {
      ORCHESTRATOR_URL: `ws://127.0.0.1:${wsPort}`,
      WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN,
      WORKER_ID: id,
      WORKER_SLOTS: String(slots),
      ANTHROPIC_BASE_URL: fake.url,
      KILL_GRACE_MS: '2000',
      SHUTDOWN_GRACE_MS: '2000',
      LOG_LEVEL: 'info',
    });
    workers.push(w);
    await waitUntil(`worker ${id} to register`, async () => (await status()).workers.some((x: any) => x.workerId === id), 20_000, logs);
    return w;
  }

  async function startOrchestrator(extra: NodeJS.ProcessEnv): Promise<void> {
    orchestrator = runDist('server/main.js', {
      ...TEST_KEYS,
      HTTP_PORT: String(httpPort),
      WS_PORT: String(wsPort),
      HOST: '127.0.0.1',
      ...database!.env,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      CLAUDE_TOKEN,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ...extra,
    });
    await waitUntil('orchestrator health', async () => {
      try {
        return (await fetch(`${base}/health`)).ok;
      } catch {
        return false;
      }
    }, 20_000, logs);
  }

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    dir = tempDir('pc-e2e');
    database = await createTestDatabase(dir);
    prefix = uniquePrefix('e2e');
    httpPort = await freePort();
    wsPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    await startOrchestrator({ WORKER_GRACE_MS: '1500' });
    await startWorker('e2e-w1');
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await orchestrator?.stop();
    await fake?.close();
    await database?.drop();
    await deletePrefix(prefix);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a direct execution to completion with the model text in its output', async () => {
    fake.onPrompt('e2e direct hello', [text('Hello from the fake model')]);
    const submitted = await api('POST', '/api/execute', { prompt: 'e2e direct hello' });
    expect(submitted.status).toBe(202);
    const done = await final(submitted.body.executionId);
    expect(done.status).toBe('completed');
    expect(done.outputText).toContain('Hello from the fake model');
    expect(done.workerId).toBe('e2e-w1');
    expect(done.sessionId).toEqual(expect.any(String));
    expect(done.exitCode).toBe(0);
    const first = fake.mainRequests().find((r) => userText(r).includes('e2e direct hello'))!;
    expect(first.headers['x-api-key']).toBe('[redacted]'); // the CLI authenticated with the injected key
  });

  it('assembles the persona prompt, injects credentials for tools and redacts them from the record', async () => {
    const persona = await api('POST', '/api/personas', {
      name: 'E2E Reviewer',
      description: 'Checks that credentials reach tools',
      structuredPrompt: { identity: 'You verify environment wiring.', instructions: 'Print the token with Bash.' },
    });
    const tool = await api('POST', '/api/tool-definitions', {
      name: 'e2e_api', category: 'api', description: 'A test API', implementationGuide: 'curl it with $CONNECTOR_E2E_API_TOKEN',
    });
    await api('POST', `/api/personas/${persona.body.id}/tools`, { toolId: tool.body.id });
    const cred = await api('POST', '/api/credentials', { name: 'e2e api', serviceType: 'custom', data: { token: SECRET } });
    await api('POST', `/api/personas/${persona.body.id}/credentials`, { credentialId: cred.body.id });

    fake.onPrompt('# Persona: E2E Reviewer', [
      toolUse('Bash', { command: 'printenv CONNECTOR_E2E_API_TOKEN; printenv WORKER_TOKEN || echo no-worker-token' }),
      text(`Done.\n{"outcome_assessment": {"accomplished": true, "summary": "printed it"}}`),
    ]);
    const submitted = await api('POST', '/api/execute', { prompt: 'check the wiring', personaId: persona.body.id });
    const done = await final(submitted.body.executionId);
    expect(done.status).toBe('completed');

    const turns = fake.mainRequests().filter((r) => userText(r).includes('# Persona: E2E Reviewer'));
    const prompt = userText(turns[0]);
    expect(prompt).toContain('# Persona: E2E Reviewer');
    expect(prompt).toContain('### e2e_api');
    expect(prompt).toContain('CONNECTOR_E2E_API_TOKEN');
    expect(prompt).toContain('## Task');
    expect(prompt).toContain('check the wiring');
    expect(JSON.stringify(fake.requests.filter((r) => r.kind !== 'main' || r === turns[0]))).not.toContain(SECRET);

    // The CLI really ran Bash with the injected variable, and never saw the worker's own token.
    const results = toolResults(turns[turns.length - 1]).join('\n');
    expect(results).toContain(SECRET);
    expect(results).toContain('no-worker-token');
    expect(results).not.toContain(TEST_KEYS.WORKER_TOKEN);

    // ...but the stored record shows [REDACTED].
    const raw = JSON.stringify(done);
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain(CLAUDE_TOKEN);
    expect(done.outputText).toContain('[REDACTED]');
    expect(done.messages).toEqual([expect.objectContaining({ kind: 'outcome_assessment', payload: expect.objectContaining({ accomplished: true }) })]);
    expect(logs()).not.toContain(SECRET);
    expect(logs()).not.toContain(CLAUDE_TOKEN);
  });

  it('turns an event into a run, and a persona\'s emit_event into the next persona\'s run', async () => {
    const a = await api('POST', '/api/personas', { name: 'E2E Chain A' });
    const b = await api('POST', '/api/personas', { name: 'E2E Chain B' });
    await api('POST', '/api/subscriptions', { personaId: a.body.id, eventType: 'e2e_deploy', sourceFilter: 'org/*' });
    await api('POST', '/api/subscriptions', { personaId: b.body.id, eventType: 'e2e_review_requested' });
    fake.onPrompt('# Persona: E2E Chain A', [text('Deploy seen.\n{"emit_event": {"type": "e2e_review_requested", "data": {"mr": 42}}}')]);
    fake.onPrompt('# Persona: E2E Chain B', [text('Reviewing MR 42')]);

    const event = await api('POST', '/api/events', { eventType: 'e2e_deploy', sourceType: 'manual', sourceId: 'org/app', payload: '{"environment":"production"}' });
    expect(event.status).toBe(202);
    const runOf = (personaId: string) =>
      waitUntil(`a run of ${personaId}`, async () => (await api('GET', `/api/executions?personaId=${personaId}`)).body[0], 30_000, logs);
    const runA = await final((await runOf(a.body.id)).id);
    expect(runA.status).toBe('completed');
    const runB = await final((await runOf(b.body.id)).id);
    expect(runB.status).toBe('completed');
    expect(runB.outputText).toContain('Reviewing MR 42');
    const promptB = userText(fake.mainRequests().find((r) => userText(r).includes('# Persona: E2E Chain B'))!);
    expect(promptB).toContain('"mr": 42');
    const promptA = userText(fake.mainRequests().find((r) => userText(r).includes('# Persona: E2E Chain A'))!);
    expect(promptA).toContain('"environment": "production"');
  });

  it('cancels a run in the middle of a slow stream', async () => {
    fake.onPrompt('e2e cancel me', [slow(250)]);
    const submitted = await api('POST', '/api/execute', { prompt: 'e2e cancel me' });
    const id = submitted.body.executionId;
    await waitUntil('the slow stream to start', () => fake.mainRequests().some((r) => userText(r).includes('e2e cancel me')), 30_000, logs);
    const started = Date.now();
    const cancelled = await api('POST', `/api/executions/${id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('fails a run that exceeds its timeout with reason timeout', async () => {
    fake.onPrompt('e2e too slow', [slow(250)]);
    const submitted = await api('POST', '/api/execute', { prompt: 'e2e too slow', timeoutMs: 3000 });
    const done = await final(submitted.body.executionId);
    expect(done).toMatchObject({ status: 'failed', error: 'timeout' });
  });

  it('fails the execution of a worker process that is killed', async () => {
    fake.onPrompt('e2e doomed', [slow(500)]);
    const submitted = await api('POST', '/api/execute', { prompt: 'e2e doomed' });
    await waitUntil('the run to start', () => fake.mainRequests().some((r) => userText(r).includes('e2e doomed')), 30_000, logs);
    workers[0].child.kill('SIGKILL');
    await workers[0].exited;
    const done = await final(submitted.body.executionId);
    expect(done).toMatchObject({ status: 'failed', error: 'worker_disconnected' });
    workers.shift();
  });

  it('shares a burst between two workers and never exceeds a persona\'s maxConcurrent', async () => {
    await startWorker('e2e-w2');
    await startWorker('e2e-w3');
    const persona = await api('POST', '/api/personas', { name: 'E2E Single', maxConcurrent: 1 });
    fake.setScript((req) => (userText(req).includes('e2e burst') ? slow(60, text('burst done'), 5) : undefined));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api('POST', '/api/execute', { prompt: `e2e burst free ${i}` })).body.executionId);
    for (let i = 0; i < 3; i++) ids.push((await api('POST', '/api/execute', { prompt: `e2e burst single ${i}`, personaId: persona.body.id })).body.executionId);
    const done = await Promise.all(ids.map((id) => final(id, 90_000)));
    expect(done.every((d) => d.status === 'completed')).toBe(true);
    expect(new Set(done.map((d) => d.workerId))).toEqual(new Set(['e2e-w2', 'e2e-w3']));
    const single = done.filter((d) => d.personaId === persona.body.id).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    for (let i = 1; i < single.length; i++) expect(single[i].startedAt >= single[i - 1].completedAt).toBe(true);
  });

  it('keeps a run going across an orchestrator restart and records all of it', async () => {
    fake.onPrompt('e2e survive restart', [slow(150, text('part '.repeat(30)), 30)]);
    const submitted = await api('POST', '/api/execute', { prompt: 'e2e survive restart' });
    const id = submitted.body.executionId;
    await waitUntil('the run to start', () => fake.mainRequests().some((r) => userText(r).includes('e2e survive restart')), 30_000, logs);
    await orchestrator.stop();
    // A new orchestrator on the same SQLite file and queue prefix; the worker reconnects by itself.
    await startOrchestrator({ WORKER_GRACE_MS: '20000' });
    const done = await final(id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.outputText).toContain('part part');
    const seqs = done.output.map((l: { seq: number }) => l.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i)); // nothing lost, nothing twice
  });
});
