import fs from 'node:fs';
import { freePort } from '../../scripts/ensure-redis';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from './env';
import { startFakeAnthropic, type FakeAnthropic } from './fake-anthropic';
import { runDist, waitUntil, type Proc } from './processes';
import { createTestDatabase, type TestDatabase } from './database';
import { deletePrefix } from './redis';

/**
 * The whole system as it runs in production, for end-to-end suites: the orchestrator and workers as
 * separate processes (compiled dist/), real Redis, a real SQLite file, and the real Claude Code CLI
 * talking to a fake Anthropic Messages API on loopback.
 */
export const E2E_CLAUDE_TOKEN = 'sk-ant-api03-e2e-claude-token-0123456789';

export interface E2eSystem {
  fake: FakeAnthropic;
  base: string;
  httpPort: number;
  wsPort: number;
  /** The orchestrator's data folder (its SQLite file lives here). */
  dir: string;
  /** Its record store: `dir`'s SQLite file, or its own PostgreSQL database when TEST_DB=postgres. */
  database: TestDatabase;
  orchestrator(): Proc;
  workers: Proc[];
  api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Every process's output so far (for failure messages). */
  logs(): string;
  /** Waits for an execution to reach a final status and answers its record. */
  final(id: string, ms?: number): Promise<any>;
  status(): Promise<any>;
  startOrchestrator(extra?: NodeJS.ProcessEnv): Promise<Proc>;
  /** Starts a worker process and waits until it registered (unless `waitForRegister` is false). */
  startWorker(id: string, opts?: { slots?: number; env?: NodeJS.ProcessEnv; waitForRegister?: boolean }): Promise<Proc>;
  stop(): Promise<void>;
}

export async function createE2eSystem(label: string): Promise<E2eSystem> {
  const fake = await startFakeAnthropic();
  const dir = tempDir(`pc-${label}`);
  const prefix = uniquePrefix(label);
  const database = await createTestDatabase(dir);
  const httpPort = await freePort();
  const wsPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const workers: Proc[] = [];
  let orchestrator: Proc | undefined;

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const logs = () => [orchestrator, ...workers].filter(Boolean).map((p) => p!.output()).join('\n');
  const status = () => api('GET', '/api/status').then((r) => r.body);

  const system: E2eSystem = {
    fake, base, httpPort, wsPort, dir, database, workers, api, logs, status,
    orchestrator: () => orchestrator!,
    final: (id, ms = 60_000) =>
      waitUntil(`execution ${id} to finish`, async () => {
        const r = await api('GET', `/api/executions/${id}`);
        return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
      }, ms, logs),
    async startOrchestrator(extra = {}) {
      orchestrator = runDist('server/main.js', {
        ...TEST_KEYS,
        HTTP_PORT: String(httpPort),
        WS_PORT: String(wsPort),
        HOST: '127.0.0.1',
        ...database.env,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        CLAUDE_TOKEN: E2E_CLAUDE_TOKEN,
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
      return orchestrator;
    },
    async startWorker(id, opts = {}) {
      const w = runDist('worker/main.js', {
        ORCHESTRATOR_URL: `ws://127.0.0.1:${wsPort}`,
        WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN,
        WORKER_ID: id,
        WORKER_SLOTS: String(opts.slots ?? 1),
        ANTHROPIC_BASE_URL: fake.url,
        KILL_GRACE_MS: '2000',
        SHUTDOWN_GRACE_MS: '2000',
        LOG_LEVEL: 'info',
        ...opts.env,
      });
      workers.push(w);
      if (opts.waitForRegister !== false) {
        await waitUntil(`worker ${id} to register`, async () => (await status()).workers.some((x: any) => x.workerId === id), 20_000, logs);
      }
      return w;
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await orchestrator?.stop();
      await fake.close();
      await database.drop();
      await deletePrefix(prefix);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return system;
}
