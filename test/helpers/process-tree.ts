import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Commands as a user or a supervisor runs them (`npm run worker`, `node dist/server/main.js`), and
 * the processes they leave behind: for tests that signal the very process that was started and
 * then check that nothing is left running. Linux only (/proc).
 */

export interface Command {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  running(): boolean;
}

/** Spawns `command args` (no shell) in `cwd` with exactly `env` plus PATH and HOME. */
export function runCommand(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Command {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env },
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
    child, pid: child.pid!, output: () => out, exited,
    running: () => child.exitCode === null && child.signalCode === null,
  };
}

/** The parent pid of `pid`, or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields resume after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live process below `pid` (children, grandchildren, …). */
export function descendants(pid: number): number[] {
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const children = new Map<number, number[]>();
  for (const p of all) {
    const parent = parentOf(p);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** The command line of `pid` ('' when gone). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Live processes whose working directory is `dir` or below it: what a failed test may have orphaned there. */
export function processesIn(dir: string): number[] {
  const real = fs.realpathSync(dir);
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, '');
      return cwd === real || cwd.startsWith(`${real}/`);
    } catch {
      return false; // gone, or not ours to read
    }
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); // a zombie is gone for our purpose
  } catch {
    return false;
  }
}

/**
 * A folder laid out like a clone after `npm install`: this package.json, with dist/ and node_modules/
 * linked to the repository's. npm runs its scripts here, and each command reads this folder's .env.
 */
export function installationFolder(dir: string): string {
  const root = path.resolve(__dirname, '../..');
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(root, 'dist'), path.join(dir, 'dist'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}
