import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedChild {
  name: string;
  pid: number | undefined;
  /** Settles once the process has exited (never rejects; a spawn failure is an exit with code 127). */
  exited: Promise<ChildExit>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs: number): Promise<ChildExit>;
  kill(): void;
}

/**
 * Runs `node <script>` with `env`, every output line prefixed with `[name]` (stdout to stdout,
 * stderr to stderr). The child gets its own process group so that a Ctrl-C in the terminal reaches
 * only the supervisor, which then stops the children in order; a last-resort exit hook kills it if
 * the supervisor exits first.
 */
export function startNodeChild(opts: { name: string; script: string; env: NodeJS.ProcessEnv; nodeFlags?: readonly string[] }): ManagedChild {
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), opts.script], {
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  prefixLines(child.stdout, process.stdout, opts.name);
  prefixLines(child.stderr, process.stderr, opts.name);

  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      process.stderr.write(`[${opts.name}] could not start: ${err.message}\n`);
      resolve({ code: 127, signal: null });
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));

  const isRunning = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  return {
    name: opts.name,
    pid: child.pid,
    exited,
    isRunning,
    stop(graceMs) {
      if (!isRunning()) return exited;
      const timer = setTimeout(() => {
        process.stdout.write(`[start] ${opts.name} did not stop within ${graceMs} ms; killing it\n`);
        child.kill('SIGKILL');
      }, graceMs);
      child.kill('SIGTERM');
      return exited.finally(() => clearTimeout(timer));
    },
    kill() {
      if (isRunning()) child.kill('SIGKILL');
    },
  };
}

function prefixLines(from: ChildProcess['stdout'], to: NodeJS.WritableStream, name: string): void {
  if (!from) return;
  readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`[${name}] ${line}\n`));
}
