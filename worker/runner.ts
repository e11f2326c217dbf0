import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Logger } from 'pino';
import type { AssignPayload, OutputChunk, ResultPayload } from '../shared/socket-events';
import { buildChildEnv, buildCliArgs } from './cli-invocation';
import { toResultPayload, type RunEnd, type StopReason } from './run-result';
import { parseStreamLine, renderEvent, type ResultEvent, type StreamEvent } from './stream-json';

/**
 * Runs one assignment through the Claude CLI: no shell, its own process group, a clean env, the
 * prompt on stdin, a fresh work dir removed afterwards, stdout parsed line by line, a timeout, and
 * SIGTERM-then-SIGKILL to the whole group on stop. Never logs the env or the prompt.
 */

export interface RunnerDeps {
  claudeBin: string;
  workDirRoot: string;
  killGraceMs: number;
  passThroughEnv: Readonly<Record<string, string>>;
  logger: Logger;
}

export interface RunCallbacks {
  onChunk(chunk: OutputChunk): void;
  onEvent?(event: StreamEvent): void;
}

export interface RunHandle {
  readonly executionId: string;
  /** The CLI's pid (= its process group id) once spawned. */
  readonly pid: number | undefined;
  /** Settles once the process is gone and the work dir removed. Never rejects. */
  readonly done: Promise<ResultPayload>;
  /** SIGTERM the process group, SIGKILL after the grace. The first reason wins; no-op once exited. */
  stop(reason: StopReason): void;
  /** Synchronous last resort for a forced exit: SIGKILL the group and remove the work dir now. */
  killNow(): void;
}

/** How long to wait for stdout/stderr to close after the CLI exited (a stray grandchild may hold them). */
const PIPE_DRAIN_MS = 2_000;

interface RunState {
  child?: ChildProcess;
  dir?: string;
  exited: boolean;
  stopReason?: StopReason;
  resultBeforeStop?: boolean;
  resultEvent?: ResultEvent;
  sessionId?: string | null;
  lastStderrLine?: string;
  timers: NodeJS.Timeout[];
}

export function startRun(a: AssignPayload, deps: RunnerDeps, cb: RunCallbacks): RunHandle {
  const log = deps.logger.child({ executionId: a.executionId });
  const state: RunState = { exited: false, timers: [] };

  const signalGroup = (signal: NodeJS.Signals) => {
    const pid = state.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal); // negative pid: the whole group, so tool subprocesses go too
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') log.warn({ err, signal }, 'could not signal the CLI process group');
    }
  };

  const stop = (reason: StopReason) => {
    if (state.stopReason || state.exited) return;
    state.stopReason = reason;
    state.resultBeforeStop = state.resultEvent !== undefined;
    log.info({ reason }, 'stopping CLI run');
    signalGroup('SIGTERM');
    state.timers.push(setTimeout(() => signalGroup('SIGKILL'), deps.killGraceMs));
  };

  const done = execute(a, { deps, cb, log, state, stop, signalGroup });
  return {
    executionId: a.executionId,
    get pid() {
      return state.child?.pid;
    },
    done,
    stop,
    killNow: () => {
      signalGroup('SIGKILL');
      if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
    },
  };
}

interface Ctx {
  deps: RunnerDeps;
  cb: RunCallbacks;
  log: Logger;
  state: RunState;
  stop: (reason: StopReason) => void;
  signalGroup: (signal: NodeJS.Signals) => void;
}

async function execute(a: AssignPayload, ctx: Ctx): Promise<ResultPayload> {
  const { state, log } = ctx;
  const started = Date.now();
  const ended = (extra: Partial<RunEnd>): RunEnd => ({
    executionId: a.executionId, exitCode: null, signal: null, elapsedMs: Date.now() - started,
    stopReason: state.stopReason, resultBeforeStop: state.resultBeforeStop, ...extra,
  });
  try {
    state.dir = await fs.promises.mkdtemp(path.join(ctx.deps.workDirRoot, 'pc-run-'));
    // HOME, temp and cwd apart: the CLI's own files stay out of the directory the model works in.
    // (Keep WORK_DIR_ROOT short: the CLI puts a unix socket under tmp, and those paths max out at ~107 bytes.)
    const dirs = { home: path.join(state.dir, 'home'), tmp: path.join(state.dir, 'tmp'), cwd: path.join(state.dir, 'work') };
    await Promise.all(Object.values(dirs).map((d) => fs.promises.mkdir(d, { mode: 0o700 })));
    if (state.stopReason) return toResultPayload(ended({})); // stopped before it started
    const exit = await spawnAndWatch(a, ctx, dirs);
    return toResultPayload(ended({
      ...exit, resultEvent: state.resultEvent, sessionId: state.sessionId, lastStderrLine: state.lastStderrLine,
    }));
  } catch (err) {
    return toResultPayload(ended({ spawnError: (err as Error).message }));
  } finally {
    state.timers.forEach(clearTimeout);
    if (state.dir) {
      await fs.promises.rm(state.dir, { recursive: true, force: true })
        .catch((err: unknown) => log.warn({ err, dir: state.dir }, 'could not remove the run directory'));
    }
  }
}

/** Hands a callback's failure to the log instead of breaking the line loop. */
function guarded(log: Logger, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log.error({ err, what }, 'output callback failed');
  }
}

function watchStdout(child: ChildProcess, ctx: Ctx): void {
  const { state, cb, log } = ctx;
  readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    const event = parseStreamLine(line);
    if (!event) return;
    if (event.type === 'system' && event.sessionId) state.sessionId = event.sessionId;
    if (event.type === 'result') state.resultEvent = event;
    guarded(log, 'event', () => cb.onEvent?.(event));
    for (const chunk of renderEvent(event)) guarded(log, 'chunk', () => cb.onChunk(chunk));
  });
  readline.createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => {
    if (!line.trim()) return;
    state.lastStderrLine = line;
    guarded(log, 'stderr', () => cb.onChunk({ stream: 'stderr', text: line }));
  });
}

function spawnAndWatch(a: AssignPayload, ctx: Ctx, dirs: { home: string; tmp: string; cwd: string }): Promise<Partial<RunEnd>> {
  const { deps, state, log } = ctx;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (end: Partial<RunEnd>) => {
      if (settled) return;
      settled = true;
      resolve(end);
    };
    const args = buildCliArgs(a);
    const env = buildChildEnv({ passThrough: deps.passThroughEnv, injected: a.env, home: dirs.home, tmp: dirs.tmp });
    const child = spawn(deps.claudeBin, args, { cwd: dirs.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    state.child = child;
    child.on('error', (err) => {
      // Without a pid the process never started (ENOENT, EACCES); otherwise 'close' still follows.
      if (child.pid === undefined) finish({ spawnError: err.message });
      else log.warn({ err }, 'CLI process error');
    });
    if (child.pid === undefined) return;
    log.info({ cliPid: child.pid, model: a.model, maxTurns: a.maxTurns, allowedTools: a.allowedTools, timeoutMs: a.timeoutMs }, 'CLI run started');

    watchStdout(child, ctx);
    child.stdin!.on('error', (err) => log.debug({ err }, 'CLI stdin closed early')); // EPIPE if it exits first
    child.stdin!.end(a.prompt);
    state.timers.push(setTimeout(() => ctx.stop('timeout'), a.timeoutMs));

    child.on('exit', (code, signal) => {
      state.exited = true;
      // Reap whatever the CLI left in its group (background tool processes), so the pipes close.
      ctx.signalGroup('SIGKILL');
      state.timers.push(setTimeout(() => {
        log.warn('CLI output pipes still open after exit; closing them');
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish({ exitCode: code, signal });
      }, PIPE_DRAIN_MS));
    });
    child.on('close', (code, signal) => {
      log.info({ exitCode: code, signal }, 'CLI run ended');
      finish({ exitCode: code, signal });
    });
  });
}
