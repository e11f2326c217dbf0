import { buildChildEnv, buildCliArgs } from '../../worker/cli-invocation';
import { pickPassThroughEnv } from '../../worker/config';
import { toResultPayload, type RunEnd } from '../../worker/run-result';
import type { ResultEvent } from '../../worker/stream-json';

describe('buildCliArgs', () => {
  const BASE = ['-p', '--output-format', 'stream-json', '--verbose'];

  it('runs headless with stream-json, the tools that exist and the entries pre-approved, each list one --flag=value', () => {
    expect(buildCliArgs({ allowedTools: ['Bash', 'Read'] })).toEqual([...BASE, '--tools=Bash,Read', '--allowedTools=Bash,Read']);
  });

  it('derives --tools from the entries: tool names once, patterns only in --allowedTools, no MCP tools', () => {
    expect(buildCliArgs({ allowedTools: ['Read', 'Bash(git *)', 'Bash(npm run test:*)', 'mcp__gitlab__create_issue', 'Grep'] })).toEqual([
      ...BASE, '--tools=Read,Bash,Grep', '--allowedTools=Read,Bash(git *),Bash(npm run test:*),mcp__gitlab__create_issue,Grep',
    ]);
  });

  it('gives no tools at all for an empty list (or one of blanks)', () => {
    expect(buildCliArgs({ allowedTools: [] })).toEqual([...BASE, '--tools=']);
    expect(buildCliArgs({ allowedTools: [' ', ''] })).toEqual([...BASE, '--tools=']);
  });

  it('adds model, max turns and max budget when given', () => {
    expect(buildCliArgs({ allowedTools: ['Read'], model: 'claude-x', maxTurns: 3, maxBudgetUsd: 0.25 })).toEqual([
      ...BASE, '--model', 'claude-x', '--max-turns', '3', '--max-budget-usd', '0.25', '--tools=Read', '--allowedTools=Read',
    ]);
    expect(buildCliArgs({ allowedTools: ['Read'], maxBudgetUsd: 12 })).toContain('12');
  });
});

describe('buildChildEnv', () => {
  it('is pass-through plus injected plus HOME, nothing else', () => {
    const env = buildChildEnv({
      passThrough: { PATH: '/bin', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
      injected: { CONNECTOR_X: 'v', ANTHROPIC_API_KEY: 'k' },
      home: '/w/home',
      tmp: '/w/tmp',
    });
    expect(env).toEqual({
      PATH: '/bin', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', CONNECTOR_X: 'v', ANTHROPIC_API_KEY: 'k',
      HOME: '/w/home', TMPDIR: '/w/tmp', CLAUDE_CODE_TMPDIR: '/w/tmp',
    });
  });

  it('never lets WORKER_TOKEN through and keeps PATH, HOME and the temp dirs the worker’s', () => {
    const env = buildChildEnv({
      passThrough: { PATH: '/bin', WORKER_TOKEN: 'a', HOME: '/root', TMPDIR: '/tmp' },
      injected: { WORKER_TOKEN: 'b', PATH: '/evil', HOME: '/evil', TMPDIR: '/evil', ANTHROPIC_BASE_URL: 'http://override' },
      home: '/w/home',
      tmp: '/w/tmp',
    });
    expect(env).toEqual({ PATH: '/bin', HOME: '/w/home', TMPDIR: '/w/tmp', CLAUDE_CODE_TMPDIR: '/w/tmp', ANTHROPIC_BASE_URL: 'http://override' });
  });
});

describe('pickPassThroughEnv', () => {
  it('takes only the allow-list and the extra names, never WORKER_TOKEN', () => {
    const env = { PATH: '/p', HOME: '/root', LANG: 'C.UTF-8', https_proxy: 'http://proxy', SECRET: 's', EXTRA: 'e', WORKER_TOKEN: 't'.repeat(16) };
    expect(pickPassThroughEnv(env, ['EXTRA', 'WORKER_TOKEN', 'MISSING'])).toEqual({ PATH: '/p', LANG: 'C.UTF-8', https_proxy: 'http://proxy', EXTRA: 'e' });
  });

  it('supplies a PATH when the worker has none', () => {
    expect(pickPassThroughEnv({}, []).PATH).toContain('/usr/bin');
  });
});

describe('toResultPayload', () => {
  const ok: ResultEvent = { type: 'result', subtype: 'success', isError: false, result: 'hi', costUsd: 0.01, durationMs: 900, numTurns: 2, sessionId: 's1' };
  const end = (extra: Partial<RunEnd>): RunEnd => ({ executionId: 'e1', exitCode: 0, signal: null, elapsedMs: 1234.4, ...extra });
  const facts = { result: 'hi', costUsd: 0.01, durationMs: 900, numTurns: 2, sessionId: 's1' };

  it.each<[string, Partial<RunEnd>, object]>([
    ['a successful run', { resultEvent: ok }, { status: 'completed', error: null, exitCode: 0, ...facts }],
    ['a result with is_error', { exitCode: 1, resultEvent: { ...ok, isError: true, result: 'API Error: 400 bad\nmore' } },
      { status: 'failed', error: 'cli_error: API Error: 400 bad', exitCode: 1 }],
    ['an error result without text', { exitCode: 1, resultEvent: { ...ok, isError: true, result: null, subtype: 'error_max_turns' } },
      { status: 'failed', error: 'cli_error: error_max_turns' }],
    ['a crash with stderr', { exitCode: 2, lastStderrLine: 'Error: invalid option', sessionId: 'init-s' },
      { status: 'failed', error: 'cli_error: Error: invalid option', exitCode: 2, sessionId: 'init-s', durationMs: 1234, costUsd: null }],
    ['a silent crash', { exitCode: 3 }, { status: 'failed', error: 'cli_error: exit code 3' }],
    ['a kill from outside', { exitCode: null, signal: 'SIGKILL' }, { status: 'failed', error: 'cli_error: killed by SIGKILL', exitCode: null }],
    ['exit 0 without a result', { exitCode: 0 }, { status: 'failed', error: 'cli_error: exited without a result' }],
    ['a success result but a non-zero exit', { exitCode: 1, resultEvent: ok }, { status: 'failed', error: 'cli_error: exit code 1' }],
    ['a cancel', { exitCode: null, signal: 'SIGTERM', stopReason: 'cancelled' }, { status: 'cancelled', error: 'cancelled' }],
    ['a shutdown', { exitCode: null, signal: 'SIGTERM', stopReason: 'shutdown' }, { status: 'cancelled', error: 'shutdown' }],
    ['a timeout', { exitCode: 143, stopReason: 'timeout' }, { status: 'failed', error: 'timeout', exitCode: 143 }],
    ['a stop after the result was in', { exitCode: null, signal: 'SIGTERM', stopReason: 'cancelled', resultBeforeStop: true, resultEvent: ok },
      { status: 'completed', error: null }],
    ['a spawn failure', { exitCode: null, spawnError: 'spawn /nope ENOENT' }, { status: 'failed', error: 'spawn_error: spawn /nope ENOENT', exitCode: null }],
  ])('maps %s', (_name, extra, expected) => {
    expect(toResultPayload(end(extra))).toMatchObject({ executionId: 'e1', ...expected });
  });

  it('keeps a very long reason short', () => {
    const p = toResultPayload(end({ exitCode: 1, lastStderrLine: 'x'.repeat(1000) }));
    expect(p.error!.length).toBeLessThan(320);
  });
});
