import fs from 'node:fs';
import { freePort } from '../../scripts/ensure-redis';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { slow, startFakeAnthropic, text, type FakeAnthropic } from '../helpers/fake-anthropic';
import { runDist, waitUntil, type Proc } from '../helpers/processes';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { deletePrefix } from '../helpers/redis';
import { httpsJson, makeSelfSignedCert, type TestCert } from '../helpers/tls';

/**
 * An enrolled worker end to end, over TLS: the orchestrator serves HTTPS/WSS with a self-signed
 * certificate made here, the worker process connects with wss:// and ORCHESTRATOR_CA_FILE and its
 * own enrolled token, and runs a persona with the real Claude CLI against a fake Messages API.
 * A second worker claiming the same name is refused; revoking the token during a second run drops
 * the worker within 5 s and fails that run `worker_disconnected`.
 */
jest.setTimeout(120_000);

const CLAUDE_TOKEN = 'sk-ant-api03-e2e-claude-token-0123456789';

describe('an enrolled worker over TLS (orchestrator + worker processes + real Claude CLI)', () => {
  let fake: FakeAnthropic;
  let cert: TestCert;
  let orchestrator: Proc;
  const workers: Proc[] = [];
  let dir: string;
  let prefix: string;
  let database: TestDatabase | undefined;
  let base: string;
  let wsPort: number;

  const api = (method: string, p: string, body?: unknown) =>
    httpsJson(`${base}${p}`, { ca: cert.cert, method, body, headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}` } });
  const logs = () => [orchestrator, ...workers].map((p) => p.output()).join('\n');
  const workerNames = async (): Promise<string[]> => (await api('GET', '/api/status')).body.workers.map((w: { workerId: string }) => w.workerId);
  const startWorker = (token: string, workerId: string) => {
    const w = runDist('worker/main.js', {
      ORCHESTRATOR_URL: `wss://127.0.0.1:${wsPort}`,
      ORCHESTRATOR_CA_FILE: cert.certFile,
      WORKER_TOKEN: token,
      WORKER_ID: workerId,
      ANTHROPIC_BASE_URL: fake.url,
      KILL_GRACE_MS: '2000',
      SHUTDOWN_GRACE_MS: '2000',
      LOG_LEVEL: 'info',
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    dir = tempDir('pc-e2e-enrolled');
    cert = await makeSelfSignedCert(dir);
    prefix = uniquePrefix('e2e-enrolled');
    database = await createTestDatabase(dir);
    const httpPort = await freePort();
    wsPort = await freePort();
    base = `https://127.0.0.1:${httpPort}`;
    orchestrator = runDist('server/main.js', {
      ...TEST_KEYS,
      WORKER_TOKEN: '', // only enrolled tokens connect
      HTTP_PORT: String(httpPort),
      WS_PORT: String(wsPort),
      HOST: '127.0.0.1',
      TLS_CERT_FILE: cert.certFile,
      TLS_KEY_FILE: cert.keyFile,
      ...database.env,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      CLAUDE_TOKEN,
      WORKER_GRACE_MS: '30000', // a revoked worker's run must not wait for this
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
    });
    await waitUntil('orchestrator health over https', async () => {
      try {
        return (await httpsJson(`${base}/health`, { ca: cert.cert })).status === 200;
      } catch {
        return false;
      }
    }, 20_000, logs);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await orchestrator?.stop();
    await fake?.close();
    await database?.drop();
    await deletePrefix(prefix);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs a persona, refuses a second worker with its name, and is dropped when its token is revoked mid-run', async () => {
    const enrolled = await api('POST', '/api/workers/tokens', { name: 'e2e-enrolled' });
    expect(enrolled.status).toBe(201);
    const first = startWorker(enrolled.body.token, 'ignored-worker-id');
    await waitUntil('the enrolled worker to register over wss', async () => (await workerNames()).includes('e2e-enrolled'), 20_000, logs);
    expect(await workerNames()).not.toContain('ignored-worker-id');

    // A second worker with the same token (so the same name) while the first is connected: refused, and it gives up.
    const second = startWorker(enrolled.body.token, 'second-copy');
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toMatch(/already connected/);
    expect((await workerNames()).filter((n) => n === 'e2e-enrolled')).toHaveLength(1);

    // The first run: a persona, completed by the enrolled worker.
    const persona = await api('POST', '/api/personas', { name: 'Enrolled helper', systemPrompt: 'You help.' });
    fake.setFallback(text('done by the enrolled worker'));
    const run1 = await api('POST', '/api/execute', { personaId: persona.body.id, prompt: 'enrolled first run' });
    expect(run1.status).toBe(202);
    const done1 = await waitUntil('the first run to finish', async () => {
      const r = await api('GET', `/api/executions/${run1.body.executionId}`);
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    }, 60_000, logs);
    expect(done1).toMatchObject({ status: 'completed', workerId: 'e2e-enrolled' });
    expect(done1.outputText).toContain('done by the enrolled worker');

    // The second run streams slowly; the token is revoked in the middle of it.
    const slowpoke = await api('POST', '/api/personas', { name: 'Enrolled slowpoke', systemPrompt: 'You take your time.' });
    fake.setFallback(slow(250));
    const before = fake.mainRequests().length;
    const run2 = await api('POST', '/api/execute', { personaId: slowpoke.body.id, prompt: 'enrolled second run' });
    await waitUntil('the second run to reach the model', () => fake.mainRequests().length > before, 30_000, logs);
    const revokedAt = Date.now();
    expect((await api('DELETE', `/api/workers/tokens/${enrolled.body.id}`)).status).toBe(204);
    await waitUntil('the revoked worker to leave', async () => !(await workerNames()).includes('e2e-enrolled'), 5_000, logs);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    const done2 = await waitUntil('the second run to fail', async () => {
      const r = await api('GET', `/api/executions/${run2.body.executionId}`);
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    }, 5_000, logs);
    expect(done2).toMatchObject({ status: 'failed', error: 'worker_disconnected' });
    // Refused from now on: the worker says its token was refused whenever it tries again.
    await waitUntil('the revoked worker to be refused', () => /refused the worker token|refused the connection/.test(first.output()), 10_000, logs);
    expect(await workerNames()).not.toContain('e2e-enrolled');
  });
});
