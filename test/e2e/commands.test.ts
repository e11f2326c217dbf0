import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { decrypt, parseMasterKey } from '../../shared/crypto';
import { freePort } from '../../scripts/ensure-redis';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { slow, startFakeAnthropic, text, toolResults, toolUse, userText, type FakeAnthropic } from '../helpers/fake-anthropic';
import { waitUntil } from '../helpers/processes';
import { descendants, installationFolder, isAlive, processesIn, runCommand, type Command } from '../helpers/process-tree';
import { deletePrefix } from '../helpers/redis';

/**
 * Every documented way of running, as a user or a supervisor runs it, from a folder laid out like a
 * clone: `npm run …` reading one shared .env, the containers' commands from docker-compose.yml, and
 * `npm start`. SIGTERM goes to the very process that was started (npm itself, or node); a worker
 * must finish the execution it is running and exit 0, and nothing may be left running.
 */
jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');
const CLAUDE_TOKEN = 'sk-ant-api03-e2e-claude-token-0123456789';
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command: string[] }>;
};

interface Ports {
  http: number;
  ws: number;
}

describe('commands as documented: settings from .env, SIGTERM to the started process', () => {
  let fake: FakeAnthropic;
  const dirs: string[] = [];
  const started: Command[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    fake = await startFakeAnthropic();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    for (const c of started) {
      for (const pid of descendants(c.pid)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (c.running()) c.child.kill('SIGKILL');
    }
    // What a failure may have orphaned (a node that never got the signal is no longer below npm).
    for (const d of dirs) for (const pid of processesIn(d)) process.kill(pid, 'SIGKILL');
    await fake?.close();
    for (const p of prefixes) await deletePrefix(p);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const folder = (label: string) => {
    const dir = tempDir(`pc-${label}`);
    dirs.push(dir);
    return installationFolder(dir);
  };
  const run = (cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const c = runCommand(command, args, { cwd, env });
    started.push(c);
    return c;
  };
  const writeDotenv = (dir: string, values: Record<string, string>) =>
    fs.writeFileSync(path.join(dir, '.env'), Object.entries(values).map(([k, v]) => `${k}=${v}\n`).join(''));
  const ports = async (): Promise<Ports> => ({ http: await freePort(), ws: await freePort() });
  const queuePrefix = () => {
    const p = uniquePrefix('cmd');
    prefixes.push(p);
    return p;
  };

  const api = async (port: number, method: string, p: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, {
      method,
      headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const healthy = (port: number, logs: () => string) =>
    waitUntil(`/health on ${port}`, async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health`)).ok;
      } catch {
        return false; // not listening yet
      }
    }, 45_000, logs);
  const registered = (port: number, workerId: RegExp, logs: () => string) =>
    waitUntil('the worker to register', async () => {
      const workers = (await api(port, 'GET', '/api/status')).body.workers as Array<{ workerId: string }>;
      return workers.find((w) => workerId.test(w.workerId));
    }, 30_000, logs);
  const finished = (port: number, id: string, logs: () => string) =>
    waitUntil(`execution ${id} to finish`, async () => {
      const r = await api(port, 'GET', `/api/executions/${id}`);
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
    }, 60_000, logs);

  /**
   * Starts a slow execution, SIGTERMs `worker` (the started process) once the CLI is running, and
   * checks the run completes, the process exits 0 after it, and no process of the worker is left.
   */
  async function gracefulStop(port: number, worker: Command, logs: () => string): Promise<void> {
    const prompt = `e2e graceful ${worker.pid}`;
    fake.onPrompt(prompt, [slow(150, text('finished in its grace '), 20)]);
    const id = (await api(port, 'POST', '/api/execute', { prompt })).body.executionId;
    await waitUntil('the CLI to call the model', () => fake.mainRequests().some((r) => userText(r).includes(prompt)), 30_000, logs);
    const tree = descendants(worker.pid);
    expect(tree.length).toBeGreaterThanOrEqual(1); // the CLI (and, under npm, node itself)
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const done = await finished(port, id, logs);
    expect(done).toMatchObject({ status: 'completed', error: null });
    expect(done.outputText).toContain('finished in its grace');
    for (const pid of tree) expect(isAlive(pid)).toBe(false);
  }

  async function stopOrchestrator(orchestrator: Command, port: number): Promise<void> {
    const tree = descendants(orchestrator.pid);
    orchestrator.child.kill('SIGTERM');
    expect(await orchestrator.exited).toBe(0);
    for (const pid of tree) expect(isAlive(pid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  }

  it('npm run migrate and npm run encrypt-credential read DAC_DB_PATH and MASTER_KEY_FILE from .env', async () => {
    const dir = folder('migrate');
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets', 'master_key'), `${TEST_KEYS.MASTER_KEY}\n`);
    writeDotenv(dir, { DAC_DB_PATH: './records/db.sqlite', MASTER_KEY_FILE: './secrets/master_key' });
    const migrate = run(dir, 'npm', ['run', '--silent', 'migrate']);
    expect(await migrate.exited).toBe(0);
    expect(fs.existsSync(path.join(dir, 'records', 'db.sqlite'))).toBe(true);
    expect(migrate.output()).toContain(`${path.join(fs.realpathSync(dir), 'records', 'db.sqlite')}: applied`);

    const encrypt = run(dir, 'sh', ['-c', `echo '{"token":"glpat-from-stdin"}' | npm run --silent encrypt-credential`]);
    expect(await encrypt.exited).toBe(0);
    const blob = JSON.parse(encrypt.output().split('\n').find((l) => l.startsWith('{'))!);
    expect(decrypt(blob, parseMasterKey(TEST_KEYS.MASTER_KEY))).toBe('{"token":"glpat-from-stdin"}');
    expect(encrypt.output()).toContain('encrypted with the key from MASTER_KEY');
  });

  it('npm run orchestrator and npm run worker share one .env; SIGTERM to npm: the run finishes, both exit 0, nothing is left', async () => {
    const dir = folder('npm-run');
    const p = await ports();
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets', 'master_key'), TEST_KEYS.MASTER_KEY);
    writeDotenv(dir, {
      MASTER_KEY_FILE: './secrets/master_key', TEAM_API_KEY: TEST_KEYS.TEAM_API_KEY, WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN,
      HTTP_PORT: String(p.http), WS_PORT: String(p.ws), HOST: '127.0.0.1', DAC_DB_PATH: './data/personas.db',
      REDIS_URL, QUEUE_PREFIX: queuePrefix(), CLAUDE_TOKEN, LOG_LEVEL: 'info',
      ORCHESTRATOR_URL: `ws://127.0.0.1:${p.ws}`, WORKER_ID: 'dotenv-worker', ANTHROPIC_BASE_URL: fake.url,
      SHUTDOWN_GRACE_MS: '30000', KILL_GRACE_MS: '2000',
      // A worker reads only its own variables from a shared .env: MASTER_KEY is not among them,
      // whatever WORKER_PASS_ENV asks for.
      WORKER_PASS_ENV: 'EXTRA_VISIBLE,MASTER_KEY,TEAM_API_KEY', EXTRA_VISIBLE: 'from-dotenv',
    });
    const orchestrator = run(dir, 'npm', ['run', 'orchestrator']);
    const worker = run(dir, 'npm', ['run', 'worker']);
    const logs = () => `${orchestrator.output()}\n${worker.output()}`;
    await healthy(p.http, logs); // HTTP_PORT came from .env
    await registered(p.http, /^dotenv-worker$/, logs); // WORKER_TOKEN, ORCHESTRATOR_URL and WORKER_ID too
    expect(JSON.parse(orchestrator.output().split('\n').find((l) => l.includes('settings read from .env'))!).variables)
      .not.toContain('WORKER_ID');
    expect(orchestrator.output()).toMatch(/"variables":\["MASTER_KEY"\],"msg":"secrets read from \*_FILE"/);

    fake.onPrompt('e2e what does a run see', [
      toolUse('Bash', { command: 'printenv EXTRA_VISIBLE; printenv MASTER_KEY || echo no-master-key; printenv TEAM_API_KEY || echo no-team-key' }),
      text('looked'),
    ]);
    const seen = (await api(p.http, 'POST', '/api/execute', { prompt: 'e2e what does a run see' })).body.executionId;
    expect((await finished(p.http, seen, logs)).status).toBe('completed');
    const turns = fake.mainRequests().filter((r) => userText(r).includes('e2e what does a run see'));
    const results = toolResults(turns[turns.length - 1]).join('\n');
    expect(results).toContain('from-dotenv');
    expect(results).toContain('no-master-key');
    expect(results).toContain('no-team-key');
    expect(results).not.toContain(TEST_KEYS.MASTER_KEY);

    await gracefulStop(p.http, worker, logs);
    await stopOrchestrator(orchestrator, p.http);
    expect(processesIn(dir)).toEqual([]);
  });

  it("the containers' commands (docker-compose.yml) stop the same way; secrets come from *_FILE", async () => {
    const dir = folder('container');
    const p = await ports();
    for (const [name, value] of Object.entries(TEST_KEYS)) fs.writeFileSync(path.join(dir, name.toLowerCase()), `${value}\n`);
    const [orchCmd, ...orchArgs] = compose.services.orchestrator.command;
    const [workerCmd, ...workerArgs] = compose.services.worker.command;
    expect([orchCmd, workerCmd]).toEqual(['node', 'node']);
    const orchestrator = run(dir, process.execPath, orchArgs, {
      NODE_ENV: 'production', HOST: '127.0.0.1', HTTP_PORT: String(p.http), WS_PORT: String(p.ws),
      MASTER_KEY_FILE: path.join(dir, 'master_key'), TEAM_API_KEY_FILE: path.join(dir, 'team_api_key'),
      WORKER_TOKEN_FILE: path.join(dir, 'worker_token'), DAC_DB_PATH: path.join(dir, 'data', 'personas.db'),
      REDIS_URL, QUEUE_PREFIX: queuePrefix(), CLAUDE_TOKEN, LOG_LEVEL: 'info',
    });
    const worker = run(dir, process.execPath, workerArgs, {
      NODE_ENV: 'production', ORCHESTRATOR_URL: `ws://127.0.0.1:${p.ws}`, WORKER_TOKEN_FILE: path.join(dir, 'worker_token'),
      ANTHROPIC_BASE_URL: fake.url, SHUTDOWN_GRACE_MS: '30000', KILL_GRACE_MS: '2000', LOG_LEVEL: 'info',
    });
    const logs = () => `${orchestrator.output()}\n${worker.output()}`;
    await healthy(p.http, logs);
    await registered(p.http, new RegExp(`-${worker.pid}$`), logs); // the default WORKER_ID: <hostname>-<pid>
    await gracefulStop(p.http, worker, logs);
    await stopOrchestrator(orchestrator, p.http);
    expect(processesIn(dir)).toEqual([]);
  });

  it('past SHUTDOWN_GRACE_MS a worker cancels what still runs, reports it, and still exits 0', async () => {
    const dir = folder('grace');
    const p = await ports();
    const orchestrator = run(dir, process.execPath, ['dist/server/main.js'], {
      ...TEST_KEYS, HOST: '127.0.0.1', HTTP_PORT: String(p.http), WS_PORT: String(p.ws), DAC_DB_PATH: path.join(dir, 'data', 'personas.db'),
      REDIS_URL, QUEUE_PREFIX: queuePrefix(), CLAUDE_TOKEN, LOG_LEVEL: 'info',
    });
    const worker = run(dir, process.execPath, ['dist/worker/main.js'], {
      ORCHESTRATOR_URL: `ws://127.0.0.1:${p.ws}`, WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN, ANTHROPIC_BASE_URL: fake.url,
      SHUTDOWN_GRACE_MS: '1000', KILL_GRACE_MS: '1000', LOG_LEVEL: 'info',
    });
    const logs = () => `${orchestrator.output()}\n${worker.output()}`;
    await healthy(p.http, logs);
    await registered(p.http, new RegExp(`-${worker.pid}$`), logs);
    fake.onPrompt('e2e longer than the grace', [slow(500)]); // ~20 s
    const id = (await api(p.http, 'POST', '/api/execute', { prompt: 'e2e longer than the grace' })).body.executionId;
    await waitUntil('the CLI to call the model', () => fake.mainRequests().some((r) => userText(r).includes('e2e longer than the grace')), 30_000, logs);
    const tree = descendants(worker.pid);
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(8_000); // the grace, the kill grace, the report
    expect(await finished(p.http, id, logs)).toMatchObject({ status: 'failed', error: 'shutdown' }); // nobody asked to cancel it
    for (const pid of tree) expect(isAlive(pid)).toBe(false);
    await stopOrchestrator(orchestrator, p.http);
    expect(processesIn(dir)).toEqual([]);
  });

  it('npm start reads .env; SIGTERM to npm stops the workers, the orchestrator and itself with exit 0', async () => {
    const dir = folder('npm-start');
    const p = await ports();
    writeDotenv(dir, {
      HTTP_PORT: String(p.http), WS_PORT: String(p.ws), REDIS_URL, QUEUE_PREFIX: queuePrefix(), LOG_LEVEL: 'warn', LOCAL_WORKERS: '2',
    });
    const start = run(dir, 'npm', ['start']);
    await healthy(p.http, start.output);
    await waitUntil('the ready banner', () => start.output().includes('personas-cloud is running'), 20_000, start.output);
    expect(start.output()).toContain('read 6 variable(s) from .env');
    expect(start.output()).toContain('workers     2 local');
    const tree = descendants(start.pid);
    expect(tree.length).toBeGreaterThanOrEqual(4); // node start.js, the orchestrator, two workers
    start.child.kill('SIGTERM');
    expect(await start.exited).toBe(0);
    for (const pid of tree) expect(isAlive(pid)).toBe(false);
    expect(start.output()).toContain('[start] stopped');
    expect(processesIn(dir)).toEqual([]);
  });
});
