/**
 * Logs a person can read: the compiled orchestrator, started in a real terminal (a pseudo-terminal
 * made by `script`), prints coloured pino-pretty lines; with NODE_ENV=production, or with its
 * output going to a pipe, it writes JSON lines.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from '../helpers/env';
import { runDist, waitUntil } from '../helpers/processes';
import { deletePrefix } from '../helpers/redis';

jest.setTimeout(90_000);

const MAIN = path.resolve(__dirname, '../../dist/server/main.js');
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs the orchestrator in a pseudo-terminal until it is ready; answers what the terminal showed. */
async function inTerminal(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn('script', ['-qfec', `${process.execPath} ${MAIN}`, '/dev/null'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => void (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => void (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitUntil('the orchestrator to be ready', () => out.includes('orchestrator ready'), 60_000, () => out);
  } finally {
    // The orchestrator is the terminal's session leader: stop it by its pid, then the terminal.
    const pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
    for (const pid of pids) process.kill(Number(pid), 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  return out;
}

(hasScript ? describe : describe.skip)('readable logs', () => {
  const dirs: string[] = [];
  const prefixes: string[] = [];
  const env = () => {
    const dir = tempDir('pc-logs');
    const prefix = uniquePrefix('logs');
    dirs.push(dir);
    prefixes.push(prefix);
    return {
      ...TEST_KEYS, DAC_DB_PATH: path.join(dir, 'personas.db'), REDIS_URL, QUEUE_PREFIX: prefix, HTTP_PORT: '0', WS_PORT: '0', HOST: '127.0.0.1',
    };
  };
  afterAll(async () => {
    for (const p of prefixes) await deletePrefix(p);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('in a terminal: coloured lines with time, level and message, no JSON', async () => {
    const out = await inTerminal(env());
    const ready = out.split('\n').find((l) => l.includes('orchestrator ready'))!;
    expect(ready).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] \u001b\[32mINFO\u001b\[39m \(orchestrator\): \u001b\[36morchestrator ready/);
    expect(out).toContain('retention: finished executions');
    expect(out).not.toMatch(/^\{"level":/m);
  });

  it('in a terminal with NODE_ENV=production, and into a pipe: JSON lines', async () => {
    const production = await inTerminal({ ...env(), NODE_ENV: 'production', WORKER_SANDBOX: 'none' });
    const line = production.split(/\r?\n/).find((l) => l.includes('"orchestrator ready"'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 30, name: 'orchestrator', msg: 'orchestrator ready' });

    const piped = runDist('server/main.js', env());
    try {
      await waitUntil('ready', () => piped.output().includes('orchestrator ready'), 60_000, piped.output);
      const ready = piped.output().split('\n').find((l) => l.includes('orchestrator ready'))!;
      expect(JSON.parse(ready)).toMatchObject({ msg: 'orchestrator ready' });
      expect(piped.output()).not.toContain('\u001b[');
    } finally {
      await piped.stop();
    }
  });
});
