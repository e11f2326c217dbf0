import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../scripts/ensure-redis';
import { REDIS_URL, tempDir, uniquePrefix } from '../helpers/env';
import { deletePrefix } from '../helpers/redis';
import { httpsJson, makeSelfSignedCert } from '../helpers/tls';

/**
 * `npm start` as a user runs it: `node dist/scripts/start.js` in an empty folder with no
 * configuration (only ports, the test Redis and a private queue prefix), then SIGTERM.
 */
const START = path.resolve(__dirname, '../../dist/scripts/start.js');

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function runStart(cwd: string, env: NodeJS.ProcessEnv): Run {
  // A clean environment: none of the secrets, no NODE_ENV (jest sets it to 'test').
  const child = spawn(process.execPath, [START], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, run?: Run): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    if (run && run.child.exitCode !== null) throw new Error(`start.js exited (${run.child.exitCode}) before ${what}:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}:\n${run?.output() ?? ''}`);
}

const health = (port: number) => async () => {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok ? true : undefined;
  } catch {
    return undefined; // not listening yet
  }
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: gone
  }
};

/** Child pids that start.js announces as `[start] <name> pid <n>`. */
const childPids = (out: string) => [...out.matchAll(/^\[start\] \S+ pid (\d+)$/gm)].map((m) => Number(m[1]));

describe('npm start (dist/scripts/start.js)', () => {
  let dir: string;
  let prefix: string;
  const runs: Run[] = [];

  beforeEach(() => {
    dir = tempDir('pc-start');
    prefix = uniquePrefix('start');
  });
  afterEach(async () => {
    for (const run of runs.splice(0)) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await deletePrefix(prefix);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function startAndStop(env: NodeJS.ProcessEnv, check: (run: Run) => Promise<void>): Promise<Run> {
    const run = runStart(dir, env);
    runs.push(run);
    await waitFor('GET /health', health(Number(env.HTTP_PORT)), 45_000, run);
    await waitFor('the ready banner', () => (run.output().includes('personas-cloud is running') ? true : undefined), 10_000, run);
    await check(run);
    const pids = childPids(run.output());
    expect(pids.length).toBeGreaterThanOrEqual(2); // the orchestrator and one worker
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    return run;
  }

  it('starts with zero configuration, prints the generated key once, serves the API with it, and stops on SIGTERM', async () => {
    const env = {
      HTTP_PORT: String(await freePort()),
      WS_PORT: String(await freePort()),
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
    };
    let apiKey = '';
    await startAndStop(env, async (run) => {
      apiKey = /TEAM_API_KEY=(dac_[0-9a-f]{48})/.exec(run.output())?.[1] ?? '';
      expect(apiKey).not.toBe('');
      const secrets = path.join(dir, 'data', 'secrets.env');
      expect(fs.statSync(secrets).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(secrets, 'utf8')).toContain(`TEAM_API_KEY=${apiKey}`);
      expect(fs.existsSync(path.join(dir, 'data', 'personas.db'))).toBe(true);

      const ok = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/personas`, { headers: { Authorization: `Bearer ${apiKey}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual([]);
      const refused = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/personas`, { headers: { Authorization: 'Bearer dac_wrong' } });
      expect(refused.status).toBe(401);

      // The local worker found the gateway with the generated WORKER_TOKEN.
      const workers = await waitFor('a connected worker', async () => {
        const res = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/status`, { headers: { Authorization: `Bearer ${apiKey}` } });
        const body = (await res.json()) as { workers: Array<{ slots: number }> };
        return body.workers.length > 0 ? body.workers : undefined;
      }, 20_000, run);
      expect(workers).toHaveLength(1);
    });

    // Second start in the same folder: the stored key is reused and not printed again.
    await startAndStop(env, async (run) => {
      expect(run.output()).not.toContain(apiKey);
      expect(run.output()).not.toMatch(/generated a team API key/);
      const ok = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/personas`, { headers: { Authorization: `Bearer ${apiKey}` } });
      expect(ok.status).toBe(200);
    });
  }, 120_000);

  it('with TLS_CERT_FILE and TLS_KEY_FILE serves https and points its local worker at wss:// trusting that certificate', async () => {
    const cert = await makeSelfSignedCert(dir);
    const port = await freePort();
    const run = runStart(dir, {
      HTTP_PORT: String(port), WS_PORT: String(await freePort()), REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn',
      TEAM_API_KEY: 'dac_start_tls_key_0123456789abcdef', TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile,
    });
    runs.push(run);
    const api = (p: string) => httpsJson(`https://127.0.0.1:${port}${p}`, { ca: cert.cert, headers: { Authorization: 'Bearer dac_start_tls_key_0123456789abcdef' } });
    await waitFor('the ready banner', () => (run.output().includes('personas-cloud is running') ? true : undefined), 45_000, run);
    expect(run.output()).toMatch(/gateway wss:\/\/localhost:/);
    const workers = await waitFor('the local worker over wss', async () => {
      const body = (await api('/api/status')).body as { workers: unknown[] };
      return body.workers.length > 0 ? body.workers : undefined;
    }, 20_000, run);
    expect(workers).toHaveLength(1);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 90_000);

  it('with NODE_ENV=production and no secrets exits non-zero naming every missing variable', async () => {
    const run = runStart(dir, { NODE_ENV: 'production', REDIS_URL, QUEUE_PREFIX: prefix });
    runs.push(run);
    const code = await run.exited;
    expect(code).not.toBe(0);
    for (const name of ['MASTER_KEY', 'TEAM_API_KEY', 'WORKER_TOKEN']) expect(run.output()).toContain(name);
    expect(fs.existsSync(path.join(dir, 'data', 'secrets.env'))).toBe(false);
  }, 30_000);

  it('without a reachable Redis or a redis-server binary exits with one message naming the ways to get Redis', async () => {
    // An empty PATH: no redis-server to start (node itself is spawned by its absolute path).
    const run = runStart(dir, { PATH: path.join(dir, 'empty-bin'), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, LOCAL_WORKERS: '0' });
    runs.push(run);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/No Redis answered/);
    expect(run.output()).toMatch(/apt-get install redis-server/);
    expect(run.output()).toMatch(/docker compose --profile dev up -d redis/);
    expect(run.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
  }, 30_000);
});
