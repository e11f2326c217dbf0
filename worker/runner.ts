import fs from 'node:fs';
import readline from 'node:readline';
import type { Logger } from 'pino';
import type { AssignPayload, OutputChunk, ResultPayload } from '../shared/socket-events';
import { buildChildEnv, buildCliArgs } from './cli-invocation';
import { chooseSpawnPath, spawnCli, type CliProcess, type SpawnPath } from './cli-spawn';
import { createEgressCheck } from './proxy/egress-check';
import { proxyFor } from './proxy/upstream-proxy';
import { sandboxEnv, withProxyUrl } from './proxy/run-env';
import { startRunProxy, type RunProxy } from './proxy/run-proxy';
import { toResultPayload, type RunEnd, type StopReason } from './run-result';
import { SANDBOX_PROXY_PORT } from './sandbox/bwrap-args';
import type { Isolation } from './sandbox/isolation';
import { NOT_ISOLATED_LINE } from './sandbox/mode';
import type { RunDirs } from './sandbox/run-dirs';
import { parseStreamLine, renderEvent, type ResultEvent, type StreamEvent } from './stream-json';

/**
 * Runs one assignment through the Claude CLI: no shell, its own process group, a clean env, the
 * prompt on stdin, its slot's run folder (emptied afterwards: nothing of a run is left for the next),
 * stdout parsed line by line, a timeout, and SIGTERM-then-SIGKILL to the whole group on stop.
 * Never logs the env or the prompt.
 * The process starts inside the worker's isolation (worker/sandbox/) with its own uid, and reaches
 * the Claude API and the network only through its own proxy (worker/proxy/), which holds the real
 * token. Output beyond the byte cap stops the run (`output_limit`).
 */

export interface RunnerDeps {
  isolation: Isolation;
  /** How the CLI's process starts (default: posix_spawn when the native module is built). */
  spawnPath?: SpawnPath;
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
  /** Settles once the process is gone and the run folder emptied. Never rejects. */
  readonly done: Promise<ResultPayload>;
  /** SIGTERM the process group, SIGKILL after the grace. The first reason wins; no-op once exited. */
  stop(reason: StopReason): void;
  /** Synchronous last resort for a forced exit: SIGKILL the group and remove the work dir now. */
  killNow(): void;
}

/** How long to wait for stdout/stderr to close after the CLI exited (a stray grandchild may hold them). */
const PIPE_DRAIN_MS = 2_000;

interface RunState {
  child?: CliProcess;
  dirs?: RunDirs;
  proxy?: RunProxy;
  outputBytes: number;
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
  const state: RunState = { exited: false, timers: [], outputBytes: 0 };

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
      if (state.dirs) {
        fs.rmSync(state.dirs.root, { recursive: true, force: true });
        fs.rmSync(state.dirs.socket, { force: true });
      }
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
  const { isolation } = ctx.deps;
  const slot = isolation.slots.acquire();
  try {
    state.dirs = await isolation.folders.take(slot);
    if (state.stopReason) return toResultPayload(ended({})); // stopped before it started
    const exit = await spawnAndWatch(a, ctx, slot, state.dirs);
    return toResultPayload(ended({
      ...exit, resultEvent: state.resultEvent, sessionId: state.sessionId, lastStderrLine: state.lastStderrLine,
    }));
  } catch (err) {
    return toResultPayload(ended({ spawnError: (err as Error).message }));
  } finally {
    state.timers.forEach(clearTimeout);
    await state.proxy?.close().catch((err: unknown) => log.warn({ err }, 'could not close the run proxy'));
    if (state.proxy) log.info({ proxy: state.proxy.stats }, 'run proxy closed');
    if (state.dirs) {
      await isolation.folders.giveBack(slot).catch((err: unknown) => log.warn({ err, dir: state.dirs?.root }, 'could not empty the run folder; it is made afresh'));
    }
    isolation.slots.release(slot);
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

function watchStdout(child: CliProcess, ctx: Ctx): void {
  const { state, cb, log } = ctx;
  const max = ctx.deps.isolation.outputMaxBytes;
  // Counted before readline sees the bytes (listener order), so no line past the cap is handed on.
  const count = (b: Buffer) => {
    state.outputBytes += b.length;
    if (state.outputBytes > max && !state.stopReason) {
      log.warn({ outputBytes: state.outputBytes, max }, 'output limit reached; stopping the run');
      ctx.stop('output_limit');
      guarded(log, 'chunk', () => cb.onChunk({ stream: 'system', text: `[personas] the run printed more than ${max} bytes (OUTPUT_MAX_BYTES) and was stopped; the output above is what came before` }));
    }
  };
  child.stdout!.on('data', count);
  child.stderr!.on('data', count);
  const capped = () => state.stopReason === 'output_limit';
  readline.createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    if (capped()) return;
    const event = parseStreamLine(line);
    if (!event) return;
    if (event.type === 'system' && event.sessionId) state.sessionId = event.sessionId;
    if (event.type === 'result') state.resultEvent = event;
    guarded(log, 'event', () => cb.onEvent?.(event));
    for (const chunk of renderEvent(event)) guarded(log, 'chunk', () => cb.onChunk(chunk));
  });
  readline.createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (line) => {
    if (!line.trim() || capped()) return;
    state.lastStderrLine = line;
    guarded(log, 'stderr', () => cb.onChunk({ stream: 'stderr', text: line }));
  });
}

function claudeAuthority(url: URL): { host: string; port: number } {
  return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
}

/** Starts the run's proxy and answers the environment the sandboxed CLI gets. */
async function startProxy(a: AssignPayload, ctx: Ctx, slot: number, dirs: RunDirs): Promise<Record<string, string>> {
  const { deps, state, log } = ctx;
  const { isolation } = deps;
  const bwrap = isolation.sandbox.mode === 'bwrap';
  const base = buildChildEnv({ passThrough: deps.passThroughEnv, injected: a.env, home: dirs.home, tmp: dirs.tmp });
  // Inside bwrap the proxy is always at the fixed bridged port; outside, at its ephemeral loopback port.
  const { env, credential } = sandboxEnv(base, `http://127.0.0.1:${SANDBOX_PROXY_PORT}`);
  const self = (port: number) => [`127.0.0.1:${port}`, `localhost:${port}`];
  state.proxy = await startRunProxy({
    listen: bwrap ? { socketPath: dirs.socket } : { tcp: true },
    selfAddresses: (port) => self(port ?? SANDBOX_PROXY_PORT),
    claude: { ...isolation.claude, ...credential },
    egress: createEgressCheck({
      patterns: [...a.allowedHosts, ...isolation.allowedHosts],
      claudeApi: claudeAuthority(isolation.claude.baseUrl),
      upstream: (host, port, protocol) => proxyFor(isolation.upstream, protocol, host, port),
    }),
    logger: log,
  });
  if (bwrap) {
    const uid = isolation.sandbox.uidFor(slot);
    if (uid !== undefined) await fs.promises.chown(dirs.socket, uid, uid);
    await fs.promises.chmod(dirs.socket, 0o600);
    return env;
  }
  return withProxyUrl(env, `http://127.0.0.1:${state.proxy.port}`);
}

function spawnAndWatch(a: AssignPayload, ctx: Ctx, slot: number, dirs: RunDirs): Promise<Partial<RunEnd>> {
  const { deps, state, log } = ctx;
  const { sandbox } = deps.isolation;
  return startProxy(a, ctx, slot, dirs).then((env) => new Promise((resolve) => {
    let settled = false;
    const finish = (end: Partial<RunEnd>) => {
      if (settled) return;
      settled = true;
      resolve(end);
    };
    const plan = sandbox.plan({ slot, runDir: dirs.root, proxySocket: dirs.socket, cliArgs: buildCliArgs(a) });
    const child = spawnCli(deps.spawnPath ?? chooseSpawnPath('auto'), plan.command, plan.args, { cwd: dirs.cwd, env, extraFds: plan.extraFds });
    state.child = child;
    child.on('error', (err) => {
      // Without a pid the process never started (ENOENT, EACCES); otherwise 'close' still follows.
      if (child.pid === undefined) finish({ spawnError: err.message });
      else log.warn({ err }, 'CLI process error');
    });
    if (child.pid === undefined) return;
    log.info({
      cliPid: child.pid, isolation: sandbox.mode, uid: sandbox.uidFor(slot), model: a.model, maxTurns: a.maxTurns,
      allowedTools: a.allowedTools, allowedHosts: a.allowedHosts, timeoutMs: a.timeoutMs,
    }, 'CLI run started');
    if (sandbox.mode === 'none') ctx.cb.onChunk({ stream: 'system', text: NOT_ISOLATED_LINE });

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
        for (const stream of child.stdio.slice(1)) (stream as { destroy?: () => void } | null)?.destroy?.();
        finish({ exitCode: code, signal });
      }, PIPE_DRAIN_MS));
    });
    child.on('close', (code, signal) => {
      log.info({ exitCode: code, signal }, 'CLI run ended');
      finish({ exitCode: code, signal });
    });
  }));
}
