import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist');

export interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM (SIGKILL after `graceMs`), resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Runs a compiled entry point (`server/main.js`, `worker/main.js`, …) as a real child process. */
export function runDist(entry: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [path.join(DIST, entry)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, logs?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${logs ? `\n--- logs ---\n${logs().slice(-5000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
