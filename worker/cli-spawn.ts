import { spawn as nodeSpawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import util from 'node:util';

/**
 * How the worker starts a CLI run's process. `posix`: posix_spawn(3) through the worker's small
 * native module (worker/native: clone(CLONE_VM | CLONE_VFORK), nothing of the worker's memory is
 * copied or write-protected); `node`: child_process.spawn (libuv forks the whole worker first).
 * Same contract either way: a new session (the run's process group), stdin/stdout/stderr as
 * socket pairs, `extraFds` as fds 3…, the child's PATH to find a bare command name.
 */
export type SpawnPath = 'posix' | 'node';

export interface CliSpawnOptions {
  cwd: string;
  env: Record<string, string>;
  /** Child fds 3…: an fd of the worker's to pass on, or 'pipe' (a socket pair whose other end the worker keeps). */
  extraFds: Array<number | 'pipe'>;
}

/** What the runner uses of a started process (a ChildProcess has all of it). */
export interface CliProcess extends EventEmitter {
  readonly pid?: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  readonly stdio: ReadonlyArray<unknown>;
}

interface NativeSpawn {
  supported(): boolean;
  socketpair(): [number, number];
  spawn(file: string, argv: string[], envp: string[], cwd: string | null, fds: number[], setsid: boolean, onExit: (code: number, signal: number) => void): number;
}

/** The native module, or why it cannot be used (not built, or a kernel without pidfd_open). */
export interface NativeProbe {
  lib: NativeSpawn | null;
  problem?: string;
}

/** Loads the native module (`load` is injectable for tests) and checks this kernel can watch its children. */
export function probeNative(load: () => unknown = () => require('@personas-cloud/posix-spawn/build/Release/posix_spawn.node')): NativeProbe {
  try {
    const lib = load() as NativeSpawn;
    return lib.supported() ? { lib } : { lib: null, problem: 'pidfd_open is not available (Linux 5.3 or later is needed)' };
  } catch (err) {
    return { lib: null, problem: (err as Error).message.split('\n')[0] };
  }
}

let probed: NativeProbe | undefined;
const native = (): NativeProbe => (probed ??= probeNative());

/** Why the posix path is not available (undefined when it is). */
export function nativeSpawnProblem(probe: NativeProbe = native()): string | undefined {
  return probe.lib ? undefined : probe.problem;
}

/** WORKER_SPAWN resolved: `auto` takes posix_spawn when the native module loads. Throws for `posix` without it. */
export function chooseSpawnPath(wanted: 'auto' | SpawnPath, probe: NativeProbe = native()): SpawnPath {
  if (wanted === 'node') return 'node';
  if (probe.lib) return 'posix';
  if (wanted === 'posix') throw new Error(`WORKER_SPAWN=posix: the native spawn module is not available (${probe.problem}); run npm rebuild, or set WORKER_SPAWN=auto`);
  return 'node';
}

export function spawnCli(via: SpawnPath, command: string, args: readonly string[], opts: CliSpawnOptions): CliProcess {
  if (via === 'node') {
    return nodeSpawn(command, [...args], { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe', ...opts.extraFds] });
  }
  const { lib, problem } = native();
  if (!lib) throw new Error(`posix_spawn is not available here: ${problem}`);
  return posixSpawn(lib, command, args, opts);
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** A bare command name looked up in the child's PATH (as execvp in the child would); a path is taken as is. */
function resolveCommand(command: string, envPath: string | undefined): string | null {
  if (command.includes('/')) return command;
  for (const dir of (envPath ?? DEFAULT_PATH).split(':')) {
    const candidate = path.join(dir || '.', command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

function spawnError(command: string, code: string, errno?: number): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`spawn ${command} ${code}`);
  err.code = code;
  err.errno = errno;
  err.syscall = `spawn ${command}`;
  err.path = command;
  return err;
}

class PosixChild extends EventEmitter implements CliProcess {
  pid?: number;
  stdin: net.Socket | null = null;
  stdout: net.Socket | null = null;
  stderr: net.Socket | null = null;
  stdio: Array<net.Socket | null> = [];
  /** The exit, then stdout's and stderr's close: 'close' comes after all three, as a ChildProcess's does. */
  private closesPending = 3;
  private exitStatus: [number | null, NodeJS.Signals | null] = [null, null];

  watchStreams(): void {
    this.stdout!.once('close', () => this.maybeClose());
    this.stderr!.once('close', () => this.maybeClose());
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    // As a ChildProcess does: the child's stdin and the extra pipes are of no use once it is gone.
    this.stdin?.destroy();
    for (const s of this.stdio.slice(3)) s?.destroy();
    this.exitStatus = [code, signal];
    this.emit('exit', code, signal);
    this.maybeClose();
  }

  private maybeClose(): void {
    if (--this.closesPending === 0) this.emit('close', ...this.exitStatus);
  }
}

function posixSpawn(lib: NativeSpawn, command: string, args: readonly string[], opts: CliSpawnOptions): CliProcess {
  const child = new PosixChild();
  const file = resolveCommand(command, opts.env.PATH);
  if (!file) {
    process.nextTick(() => child.emit('error', spawnError(command, 'ENOENT')));
    return child;
  }
  // [worker's end, child's end] per child fd; a passed-on fd has no end of the worker's.
  const pairs: Array<[number | null, number]> = [];
  const opened: number[] = [];
  try {
    for (const want of ['pipe', 'pipe', 'pipe', ...opts.extraFds] as const) {
      if (typeof want === 'number') {
        pairs.push([null, want]);
        continue;
      }
      const pair = lib.socketpair();
      opened.push(...pair);
      pairs.push(pair);
    }
    const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    child.pid = lib.spawn(file, [command, ...args], env, opts.cwd, pairs.map((p) => p[1]), true, (code, signal) =>
      child.exited(code >= 0 ? code : null, signal > 0 ? (signalNames.get(signal) ?? null) : null));
  } catch (err) {
    for (const fd of opened) fs.closeSync(fd);
    const errno = (err as NodeJS.ErrnoException).errno;
    const code = typeof errno === 'number' ? util.getSystemErrorName(errno) : 'EUNKNOWN';
    process.nextTick(() => child.emit('error', spawnError(command, code, errno)));
    return child;
  }
  // The child has its copies now; the worker keeps only its own ends.
  for (const [, childEnd] of pairs) if (opened.includes(childEnd)) fs.closeSync(childEnd);
  child.stdio = pairs.map(([mine], i) => (mine === null ? null : new net.Socket({ fd: mine, readable: i !== 0, writable: i === 0 || i > 2 })));
  [child.stdin, child.stdout, child.stderr] = child.stdio;
  child.watchStreams();
  return child;
}
