import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensureRedis, freePort, type EnsuredRedis } from '../../scripts/ensure-redis';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { runDist, waitUntil, type Proc } from '../helpers/processes';
import { deletePrefix } from '../helpers/redis';

/**
 * What the orchestrator and a worker say when they cannot start yet, as real processes: one line
 * within 10 s naming what they wait for and why, retries with backoff, /health answering 503 with the
 * reason; and the refusals that protect the data (a MASTER_KEY that is not the database's).
 */
jest.setTimeout(90_000);

/** The JSON log lines' messages, and anything else printed, line by line. */
const messages = (p: Proc) =>
  p.output().split('\n').filter(Boolean).map((l) => {
    try {
      return (JSON.parse(l) as { msg: string }).msg;
    } catch {
      return l; // a plain stderr line (start-up refusals)
    }
  });

/** Every file under `dir`, with its size and a hash of its content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('start-up: what the processes wait for, and what they refuse', () => {
  const procs: Proc[] = [];
  const dirs: string[] = [];
  const prefixes: string[] = [];
  let redis: EnsuredRedis | undefined;

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop(2_000)));
    await redis?.stop();
    redis = undefined;
  });
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(p);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const dir = () => {
    const d = tempDir('pc-startup');
    dirs.push(d);
    return d;
  };
  const orchestratorEnv = async (d: string, extra: NodeJS.ProcessEnv = {}) => {
    const prefix = uniquePrefix('startup');
    prefixes.push(prefix);
    return {
      ...TEST_KEYS, HOST: '127.0.0.1', HTTP_PORT: String(await freePort()), WS_PORT: String(await freePort()),
      DAC_DB_PATH: path.join(d, 'data', 'personas.db'), REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', ...extra,
    };
  };
  const start = (entry: string, env: NodeJS.ProcessEnv) => {
    const p = runDist(entry, env);
    procs.push(p);
    return p;
  };
  const health = async (port: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
  };
  const said = (p: Proc, what: RegExp, ms = 10_000) =>
    waitUntil(`a line matching ${what}`, () => messages(p).find((m) => what.test(m)), ms, p.output);

  it('without Redis: listens, says so within 10 s, answers /health 503 with the reason, and carries on when Redis comes', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const d = dir();
    const env = await orchestratorEnv(d, { REDIS_URL: url });
    const started = Date.now();
    const o = start('server/main.js', env);
    const line = await said(o, /^Redis unreachable at /);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(line).toMatch(new RegExp(`^Redis unreachable at ${url} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\): start one \\(docker compose --profile dev up -d redis, .*\\) or set REDIS_URL; retrying in 1 s$`));
    expect(await health(env.HTTP_PORT)).toEqual({
      status: 503,
      body: expect.objectContaining({ status: 'starting', reason: `waiting for Redis at ${url}: connect ECONNREFUSED 127.0.0.1:${port}` }),
    });
    await said(o, /retrying in 2 s$/); // backoff, not a spin
    expect(messages(o).filter((m) => m.startsWith('Redis unreachable')).length).toBeLessThanOrEqual(3);

    redis = await ensureRedis({ url, dataDir: d, persist: false });
    expect(redis.url).toBe(url);
    await waitUntil('/health 200', async () => (await health(env.HTTP_PORT)).status === 200, 20_000, o.output);
    await said(o, /^orchestrator ready$/); // logged with /health turning 200; the pipe may bring it a moment later
    expect(messages(o)).toContain('Claude token: none yet; executions cannot authenticate until you connect (POST /api/oauth/authorize), POST /api/token or set CLAUDE_TOKEN');
    o.child.kill('SIGTERM');
    expect(await o.exited).toBe(0);
  });

  it('SIGTERM while it waits for Redis exits 0 at once', async () => {
    const env = await orchestratorEnv(dir(), { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const o = start('server/main.js', env);
    await said(o, /^Redis unreachable at /);
    const t = Date.now();
    o.child.kill('SIGTERM');
    expect(await o.exited).toBe(0);
    expect(Date.now() - t).toBeLessThan(3_000);
    expect(messages(o)).toContain('stopped while waiting for Redis');
  });

  it('a worker with a token the orchestrator refuses says so within 10 s, keeps retrying, and stops with exit 0', async () => {
    const env = await orchestratorEnv(dir(), { CLAUDE_TOKEN: 'sk-ant-api03-startup-test-0123456789' });
    const o = start('server/main.js', env);
    await waitUntil('orchestrator health', async () => (await health(env.HTTP_PORT).catch(() => ({ status: 0 }))).status === 200, 20_000, o.output);
    await said(o, /^Claude token: CLAUDE_TOKEN from the environment$/);
    const started = Date.now();
    const w = start('worker/main.js', {
      ORCHESTRATOR_URL: `ws://127.0.0.1:${env.WS_PORT}`, WORKER_TOKEN: 'not-the-orchestrators-token-0123', LOG_LEVEL: 'info',
    });
    const line = await said(w, /refused the worker token/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(line).toBe(
      `the orchestrator at http://127.0.0.1:${env.WS_PORT} refused the worker token (unauthorized): WORKER_TOKEN is not the ` +
        "orchestrator's, or this worker's enrolled token was revoked; retrying in 5 s",
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(w.child.exitCode).toBeNull(); // still there, waiting to retry: no crash loop
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).not.toContain('not-the-orchestrators-token');
  });

  it('a worker with no orchestrator to reach names the URL within 10 s', async () => {
    const port = await freePort();
    const w = start('worker/main.js', { ORCHESTRATOR_URL: `ws://127.0.0.1:${port}`, WORKER_TOKEN: TEST_KEYS.WORKER_TOKEN, LOG_LEVEL: 'info' });
    const line = await said(w, /cannot reach the orchestrator/);
    expect(line).toMatch(new RegExp(`^cannot reach the orchestrator at http://127\\.0\\.0\\.1:${port} \\(.+\\); retrying$`));
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });

  it('refuses a MASTER_KEY that is not the database\'s, in one message, changing nothing on disk', async () => {
    const d = dir();
    const env = await orchestratorEnv(d);
    const first = start('server/main.js', env);
    await waitUntil('orchestrator health', async () => (await health(env.HTTP_PORT).catch(() => ({ status: 0 }))).status === 200, 20_000, first.output);
    const stored = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/credentials`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gitlab', serviceType: 'gitlab', data: { token: 'glpat-kept' } }),
    });
    expect(stored.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const before = snapshot(d);
    const wrong = start('server/main.js', { ...env, MASTER_KEY: 'b'.repeat(64) });
    expect(await wrong.exited).toBe(1);
    const out = wrong.output().trim();
    expect(out).toBe(
      `refusing to start: MASTER_KEY is not the key the database ${env.DAC_DB_PATH} was written with (its recorded key check ` +
        'value differs); nothing was changed. Start again with the key this installation used: restore data/secrets.env (or the ' +
        'MASTER_KEY / MASTER_KEY_FILE you deployed) from your backup. To change the key on purpose, run `npm run rotate-master-key` ' +
        'with the current key as MASTER_KEY and the new one as NEW_MASTER_KEY (see "Upgrading" in the README).',
    );
    expect(snapshot(d)).toEqual(before);
  });

  it('with data/secrets.env lost and the database kept, generates nothing and changes nothing', async () => {
    const d = dir();
    const env = await orchestratorEnv(d);
    const { MASTER_KEY: _m, TEAM_API_KEY: _t, WORKER_TOKEN: _w, ...noSecrets } = env;
    const first = start('server/main.js', noSecrets); // generates data/secrets.env
    await waitUntil('orchestrator health', async () => (await health(env.HTTP_PORT).catch(() => ({ status: 0 }))).status === 200, 20_000, first.output);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    fs.rmSync(path.join(d, 'data', 'secrets.env'));

    const before = snapshot(d);
    const again = start('server/main.js', noSecrets);
    expect(await again.exited).toBe(1);
    expect(again.output()).toContain(
      `refusing to generate MASTER_KEY, TEAM_API_KEY, WORKER_TOKEN: the database ${env.DAC_DB_PATH} already holds encrypted secrets`,
    );
    expect(snapshot(d)).toEqual(before);
  });

  it('while another process holds the database, says so within 10 s and goes on once it is free', async () => {
    const d = dir();
    const env = await orchestratorEnv(d);
    fs.mkdirSync(path.join(d, 'data'));
    const holder = new Database(env.DAC_DB_PATH);
    holder.pragma('journal_mode = WAL');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      const o = start('server/main.js', env);
      const line = await said(o, /is locked by another process/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(line).toMatch(new RegExp(`^database ${env.DAC_DB_PATH} is locked by another process \\(another orchestrator .*\\); retrying in 1 s$`));
      holder.exec('COMMIT');
      await waitUntil('orchestrator health', async () => (await health(env.HTTP_PORT).catch(() => ({ status: 0 }))).status === 200, 30_000, o.output);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
  });
});
