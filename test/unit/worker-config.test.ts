import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultClaudeBin, loadWorkerConfig } from '../../worker/config';

const TOKEN = 'w'.repeat(16);

describe('loadWorkerConfig', () => {
  it('applies defaults', () => {
    const c = loadWorkerConfig({ WORKER_TOKEN: TOKEN, PATH: '/bin' });
    expect(c).toMatchObject({
      orchestratorUrl: 'http://127.0.0.1:8443', workerToken: TOKEN, workerId: `${os.hostname()}-${process.pid}`, slots: 1,
      logLevel: 'info', workDirRoot: path.resolve(os.tmpdir()), shutdownGraceMs: 30_000, killGraceMs: 5_000,
      passThroughEnv: { PATH: '/bin' }, spawn: 'auto',
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.passThroughEnv)).toBe(true);
  });

  it.each([
    ['ws://orch:8443', 'http://orch:8443'],
    ['wss://orch.example.com/', 'https://orch.example.com/'],
    ['http://10.0.0.1:9000', 'http://10.0.0.1:9000'],
    ['https://orch.example.com', 'https://orch.example.com'],
  ])('accepts ORCHESTRATOR_URL %s as %s', (url, expected) => {
    expect(loadWorkerConfig({ WORKER_TOKEN: TOKEN, ORCHESTRATOR_URL: url }).orchestratorUrl).toBe(expected);
  });

  it('reads the other variables', () => {
    const c = loadWorkerConfig({
      WORKER_TOKEN: TOKEN, WORKER_ID: 'pod-7', WORKER_SLOTS: '4', CLAUDE_BIN: '/opt/claude', LOG_LEVEL: 'debug',
      SHUTDOWN_GRACE_MS: '1000', KILL_GRACE_MS: '250', WORKER_SPAWN: 'node', WORKER_PASS_ENV: 'GIT_SSH_COMMAND, NODE_EXTRA_CA_CERTS',
      GIT_SSH_COMMAND: 'ssh -i k', HTTPS_PROXY: 'http://proxy:3128', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', SECRET: 'nope',
    });
    expect(c).toMatchObject({ workerId: 'pod-7', slots: 4, claudeBin: '/opt/claude', logLevel: 'debug', shutdownGraceMs: 1000, killGraceMs: 250, spawn: 'node' });
    expect(c.passThroughEnv).toEqual({
      PATH: expect.any(String), GIT_SSH_COMMAND: 'ssh -i k', HTTPS_PROXY: 'http://proxy:3128', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
    });
  });

  it.each([
    [{}, 'WORKER_TOKEN: is required'],
    [{ WORKER_TOKEN: 'short' }, 'WORKER_TOKEN: must be at least 16 characters'],
    [{ WORKER_TOKEN: TOKEN, ORCHESTRATOR_URL: 'ftp://x' }, 'ORCHESTRATOR_URL: must be a ws://, wss://, http:// or https:// URL'],
    [{ WORKER_TOKEN: TOKEN, ORCHESTRATOR_URL: 'not a url' }, 'ORCHESTRATOR_URL'],
    [{ WORKER_TOKEN: TOKEN, WORKER_SLOTS: '0' }, 'WORKER_SLOTS'],
    [{ WORKER_TOKEN: TOKEN, WORKER_SLOTS: 'many' }, 'WORKER_SLOTS'],
    [{ WORKER_TOKEN: TOKEN, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ WORKER_TOKEN: TOKEN, KILL_GRACE_MS: '-1' }, 'KILL_GRACE_MS'],
    [{ WORKER_TOKEN: TOKEN, WORKER_SPAWN: 'fork' }, 'WORKER_SPAWN'],
    [{ WORKER_TOKEN: TOKEN, WORKER_PASS_ENV: 'A,WORKER_TOKEN' }, 'WORKER_PASS_ENV: may not include WORKER_TOKEN'],
    [{ WORKER_TOKEN: TOKEN, WORKER_PASS_ENV: 'NOT-A-NAME' }, 'WORKER_PASS_ENV'],
    [{ WORKER_TOKEN: TOKEN, WORK_DIR_ROOT: '/definitely/not/here' }, 'WORK_DIR_ROOT'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadWorkerConfig(env)).toThrow(message);
  });

  it('never puts the token in the error', () => {
    let message = '';
    try {
      loadWorkerConfig({ WORKER_TOKEN: 'secret-tok' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('WORKER_TOKEN');
    expect(message).not.toContain('secret-tok');
  });
});

describe('defaultClaudeBin', () => {
  it('finds the installed package binary', () => {
    const bin = defaultClaudeBin();
    expect(bin).toMatch(/@anthropic-ai\/claude-code\/bin\//);
    expect(fs.existsSync(bin)).toBe(true);
  });

  it('falls back to claude on PATH', () => {
    expect(defaultClaudeBin(() => {
      throw new Error('Cannot find module');
    })).toBe('claude');
  });
});
