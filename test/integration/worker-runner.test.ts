import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import pino from 'pino';
import type { AssignPayload, OutputChunk } from '../../shared/socket-events';
import { startRun, type RunHandle } from '../../worker/runner';
import { leftInRunFolders, testIsolation, workRoot } from '../helpers/isolation';
import type { Isolation } from '../../worker/sandbox/isolation';
import { apiError, slow, startFakeAnthropic, text, toolResults, toolUse, userText, type FakeAnthropic } from '../helpers/fake-anthropic';

/** The real Claude CLI from the npm package, through worker/runner.ts, against the fake API. */

const WORKER_TOKEN = 'worker-token-must-never-leak-0123';
const CONNECTOR_VALUE = 'conn-secret-value-4711';

let fake: FakeAnthropic;
let workDirRoot: string;
let isolation: Isolation;
const handles: RunHandle[] = [];

beforeAll(async () => {
  fake = await startFakeAnthropic();
});

beforeEach(() => {
  fake.reset();
  workDirRoot = workRoot('pc-runner');
  isolation = testIsolation({ workDirRoot, anthropicBaseUrl: fake.url });
});

afterEach(async () => {
  for (const h of handles.splice(0)) {
    h.killNow(); // a failed assertion must not leave a CLI behind
    await h.done;
  }
  isolation.close();
  fs.rmSync(workDirRoot, { recursive: true, force: true });
});

afterAll(async () => {
  await fake.close();
});

function run(overrides: Partial<AssignPayload> = {}, killGraceMs = 2_000) {
  const chunks: OutputChunk[] = [];
  const assignment: AssignPayload = {
    executionId: `exec-${Math.random().toString(36).slice(2)}`,
    prompt: 'Say hello. MARKER-PROMPT-1',
    env: { ANTHROPIC_API_KEY: 'sk-ant-api03-fake-key', CONNECTOR_TEST_TOKEN: CONNECTOR_VALUE, WORKER_TOKEN },
    timeoutMs: 20_000,
    allowedTools: ['Bash'],
    allowedHosts: [],
    ...overrides,
  };
  const handle = startRun(
    assignment,
    {
      isolation,
      killGraceMs,
      // WORKER_TOKEN sneaks into both sources on purpose: neither may reach the CLI.
      passThroughEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', ANTHROPIC_BASE_URL: fake.url, WORKER_TOKEN },
      logger: pino({ level: 'silent' }),
    },
    { onChunk: (c) => chunks.push(c) },
  );
  handles.push(handle);
  return { handle, chunks, assignment };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Whether a live (non-zombie) process is left in the group. A zombie is dead: it only waits for the
 * host's init to reap it (the sandbox's namespace init is reparented there), which can take a moment.
 */
function groupAlive(pgid: number): boolean {
  const rows = execFileSync('ps', ['-eo', 'pgid=,stat='], { encoding: 'utf8' }).split('\n');
  return rows.some((r) => {
    const [g, stat] = r.trim().split(/\s+/);
    return Number(g) === pgid && stat !== undefined && !stat.startsWith('Z');
  });
}

const chunkText = (chunks: OutputChunk[], stream: OutputChunk['stream']) => chunks.filter((c) => c.stream === stream).map((c) => c.text).join('\n');

it('completes a text response with cost, turns and session id, and leaves nothing in its run folder', async () => {
  fake.enqueue(text('Hello from the fake model'));
  const { handle, chunks } = run();
  const result = await handle.done;
  expect(result).toMatchObject({ status: 'completed', exitCode: 0, error: null, result: 'Hello from the fake model', numTurns: 1 });
  expect(result.costUsd).toBeGreaterThan(0);
  expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  expect(chunkText(chunks, 'assistant')).toContain('Hello from the fake model');
  expect(chunks[0].stream).toBe('system');
  expect(chunks.at(-1)).toEqual({ stream: 'result', text: 'Hello from the fake model' });
  // The prompt went in on stdin and reached the API.
  expect(userText(fake.mainRequests()[0])).toContain('MARKER-PROMPT-1');
  expect(leftInRunFolders(isolation.workerDir)).toEqual([]);
});

it('runs a Bash tool that sees the injected variable but not WORKER_TOKEN', async () => {
  fake.enqueue(
    toolUse('Bash', { command: 'printenv CONNECTOR_TEST_TOKEN; printenv WORKER_TOKEN || echo no-worker-token; echo "home=$HOME"' }),
    text('checked'),
  );
  const { handle, chunks } = run();
  const result = await handle.done;
  expect(result).toMatchObject({ status: 'completed', numTurns: 2 });
  const toolOutput = chunkText(chunks, 'tool_result');
  expect(toolOutput).toContain(CONNECTOR_VALUE);
  expect(toolOutput).toContain('no-worker-token');
  expect(toolOutput).toMatch(new RegExp(`home=${isolation.workerDir}/slot-0/home`));
  expect(chunkText(chunks, 'tool')).toContain('Bash: printenv CONNECTOR_TEST_TOKEN');
  expect(JSON.stringify(chunks)).not.toContain(WORKER_TOKEN);
  // The follow-up request carried the tool result back to the API.
  expect(toolResults(fake.mainRequests()[1]).join('\n')).toContain(CONNECTOR_VALUE);
  expect(leftInRunFolders(isolation.workerDir)).toEqual([]);
});

it('gives the next run of a slot an empty folder: nothing the previous one wrote or opened up is left', async () => {
  fake.enqueue(
    toolUse('Bash', { command: 'echo secret-of-run-1 > "$HOME/notes.txt"; mkdir -p deep/er && echo x > deep/er/f; chmod 777 "$HOME"; echo wrote' }),
    text('first done'),
  );
  const first = run();
  expect(await first.handle.done).toMatchObject({ status: 'completed' });
  fake.enqueue(toolUse('Bash', { command: 'ls -A "$HOME" . ; test -e "$HOME/notes.txt" && echo found-note || echo no-note; stat -c "mode=%a" "$HOME"' }), text('second done'));
  const second = run();
  expect(await second.handle.done).toMatchObject({ status: 'completed' });
  const seen = chunkText(second.chunks, 'tool_result');
  expect(seen).toContain('no-note');
  expect(seen).not.toContain('notes.txt');
  expect(seen).not.toContain('deep');
  expect(seen).toContain('mode=700');
  expect(leftInRunFolders(isolation.workerDir)).toEqual([]);
});

it('cancels a slow stream by killing the process group, quickly', async () => {
  fake.enqueue(slow(250));
  const { handle } = run();
  await until(() => fake.mainRequests().length > 0 && handle.pid !== undefined);
  const pgid = handle.pid!;
  const t0 = Date.now();
  handle.stop('cancelled');
  const result = await handle.done;
  expect(Date.now() - t0).toBeLessThan(3_000);
  expect(result).toMatchObject({ status: 'cancelled', error: 'cancelled', result: null });
  expect(groupAlive(pgid)).toBe(false);
  expect(leftInRunFolders(isolation.workerDir)).toEqual([]);
});

it('kills a tool subprocess with the group when cancelled mid-tool', async () => {
  const marker = `${40 + Math.floor(Math.random() * 50)}.${Date.now() % 1000}`;
  // (A bare `sleep N` is refused by the CLI's Bash tool; a compound command runs.)
  fake.enqueue(toolUse('Bash', { command: `echo started; sleep ${marker}; echo finished` }), text('never'));
  const { handle } = run();
  const sleeping = () => execFileSync('ps', ['-eo', 'args']).toString().split('\n').some((l) => l.includes(`sleep ${marker}`));
  await until(sleeping);
  handle.stop('cancelled');
  expect((await handle.done).status).toBe('cancelled');
  await until(() => !sleeping(), 3_000);
});

it('fails with timeout when the run exceeds timeoutMs', async () => {
  fake.enqueue(slow(250));
  const { handle } = run({ timeoutMs: 1_500 });
  const t0 = Date.now();
  const result = await handle.done;
  expect(Date.now() - t0).toBeLessThan(5_000);
  expect(result).toMatchObject({ status: 'failed', error: 'timeout' });
  expect(leftInRunFolders(isolation.workerDir)).toEqual([]);
});

it('reports an API error as cli_error with the reason and exit code', async () => {
  // The CLI retries a 400 several times with fewer beta headers, so every turn must fail.
  fake.setFallback(apiError(400, 'the fake refuses'));
  const { handle } = run();
  const result = await handle.done;
  expect(result.status).toBe('failed');
  expect(result.error).toBe('cli_error: API Error: 400 the fake refuses');
  expect(result.exitCode).toBe(1);
});

it('reports a missing binary as spawn_error and still cleans up', async () => {
  const chunks: OutputChunk[] = [];
  const missing = testIsolation({ workDirRoot, anthropicBaseUrl: fake.url, claudeBin: '/nonexistent/claude' });
  const handle = startRun(
    { executionId: 'e-missing', prompt: 'x', env: {}, timeoutMs: 5_000, allowedTools: [], allowedHosts: [] },
    { isolation: missing, killGraceMs: 100, passThroughEnv: { PATH: '/usr/bin' }, logger: pino({ level: 'silent' }) },
    { onChunk: (c) => chunks.push(c) },
  );
  const result = await handle.done;
  expect(result).toMatchObject({ status: 'failed', exitCode: null });
  expect(result.error).toMatch(/^spawn_error: .*ENOENT/);
  expect(leftInRunFolders(missing.workerDir)).toEqual([]); // nothing in the run folder, no socket
  missing.close();
});
