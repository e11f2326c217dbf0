import fs from 'node:fs';
import path from 'node:path';
import { chooseSpawnPath, nativeSpawnProblem, spawnCli, type CliProcess, type SpawnPath } from '../../worker/cli-spawn';
import { workRoot } from '../helpers/isolation';

/**
 * The two ways a run's process starts (posix_spawn through the native module, Node's spawn) keep one
 * contract, checked here on real processes: stdio, exit and close, signals, a new session, cwd and
 * exactly the given environment, fds passed on, the child's PATH, and a failure to start.
 */

let dir: string;
beforeEach(() => {
  dir = workRoot('pc-spawn');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ran {
  stdout: string;
  stderr: string;
  exit: [number | null, string | null];
  close: [number | null, string | null];
  events: string[];
}

function collect(child: CliProcess, stdin?: string): Promise<Ran> {
  const ran: Ran = { stdout: '', stderr: '', exit: [null, null], close: [null, null], events: [] };
  child.stdout!.on('data', (d: Buffer) => (ran.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (ran.stderr += d.toString()));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(stdin);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code: number | null, signal: string | null) => {
      ran.exit = [code, signal];
      ran.events.push('exit');
    });
    child.on('close', (code: number | null, signal: string | null) => {
      ran.close = [code, signal];
      ran.events.push('close');
      resolve(ran);
    });
  });
}

// HOME: bash with a socket for stdin reads ~/.bashrc (Debian's SSH_SOURCE_BASHRC); the run folder has none.
const bash = (via: SpawnPath, script: string, extraFds: Array<number | 'pipe'> = []) =>
  spawnCli(via, 'bash', ['-c', script], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: dir, ONLY_THIS: 'yes' }, extraFds });

it('uses posix_spawn where the native module is built (npm install builds it here)', () => {
  expect(nativeSpawnProblem()).toBeUndefined();
  expect(chooseSpawnPath('auto')).toBe('posix');
  expect(chooseSpawnPath('posix')).toBe('posix');
  expect(chooseSpawnPath('node')).toBe('node');
});

describe.each<SpawnPath>(['posix', 'node'])('%s', (via) => {
  it('feeds stdin, reads stdout and stderr, and reports the exit code, then close', async () => {
    const ran = await collect(bash(via, 'cat; echo oops >&2; exit 3'), 'x'.repeat(100_000));
    expect(ran.stdout).toBe('x'.repeat(100_000));
    expect(ran.stderr).toBe('oops\n');
    expect(ran.exit).toEqual([3, null]);
    expect(ran.close).toEqual([3, null]);
    expect(ran.events).toEqual(['exit', 'close']);
  });

  it('runs in a session and process group of its own, in cwd, with exactly the given environment and no signal ignored or blocked', async () => {
    const ran = await collect(bash(via, 'read -r _ _ _ _ pgrp sid _ < /proc/self/stat; echo "$$ $pgrp $sid"; pwd; env | sort; grep -E "^Sig(Ign|Blk)" /proc/self/status'));
    const [first, cwd, ...rest] = ran.stdout.trim().split('\n');
    const [pid, pgrp, sid] = first.split(' ');
    expect(pgrp).toBe(pid);
    expect(sid).toBe(pid);
    expect(cwd).toBe(fs.realpathSync(dir));
    const vars = rest.filter((l) => !l.startsWith('Sig')).map((l) => l.split('=')[0]);
    // bash adds PWD, SHLVL and _ of its own; nothing of the test process's environment comes through.
    expect(vars.filter((v) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(v)).sort()).toEqual(['HOME', 'ONLY_THIS', 'PATH']);
    // Node ignores SIGPIPE: a child must not inherit that. Signals 32 and 33 are glibc's own (every
    // program that uses threads sets them up itself); posix_spawn's child leaves them ignored.
    const mask = (name: string) => BigInt(`0x${rest.find((l) => l.startsWith(name))!.split('\t')[1]}`);
    expect(mask('SigBlk:')).toBe(0n);
    expect(mask('SigIgn:') & ~(3n << 31n)).toBe(0n);
  });

  it('reports a signal that ended it, with the pid signalled as a group', async () => {
    const child = bash(via, 'echo up; sleep 30 & wait');
    const ran = collect(child);
    await new Promise((r) => child.stdout!.once('data', r));
    process.kill(-child.pid!, 'SIGTERM');
    const { exit, close } = await ran;
    expect(exit).toEqual([null, 'SIGTERM']);
    expect(close).toEqual([null, 'SIGTERM']);
  });

  it('passes fds on as 3, 4…: a file of the worker\'s, and a pipe whose other end only the worker holds', async () => {
    const file = path.join(dir, 'given.txt');
    fs.writeFileSync(file, 'from fd 3\n');
    const fd = fs.openSync(file, 'r');
    try {
      const child = bash(via, 'cat <&3; read -r line <&4; echo "fd 4: ${line:-EOF}"', [fd, 'pipe']);
      const ran = collect(child);
      // Closing the worker's end is what the sandbox's watcher waits for.
      setTimeout(() => (child.stdio[4] as { destroy(): void }).destroy(), 100);
      const { stdout, exit } = await ran;
      expect(stdout).toBe('from fd 3\nfd 4: EOF\n');
      expect(exit).toEqual([0, null]);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('finds a bare command name in the child\'s PATH, not the worker\'s', async () => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'only-here'), '#!/bin/sh\necho found\n', { mode: 0o755 });
    const ran = await collect(spawnCli(via, 'only-here', [], { cwd: dir, env: { PATH: `${bin}:/usr/bin:/bin` }, extraFds: [] }));
    expect(ran.stdout).toBe('found\n');
  });

  it('fails to start a missing command with an ENOENT error and no pid', async () => {
    const child = spawnCli(via, 'no-such-command-here', [], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, extraFds: [] });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => child.on('error', resolve));
    expect(child.pid).toBeUndefined();
    expect(err.code).toBe('ENOENT');
    expect(err.message).toBe('spawn no-such-command-here ENOENT');
  });

  it('fails to start a file that is not executable (EACCES), and leaves no fd of its own open', async () => {
    const file = path.join(dir, 'not-exec.sh');
    fs.writeFileSync(file, '#!/bin/sh\necho no\n', { mode: 0o644 });
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const child = spawnCli(via, file, [], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, extraFds: ['pipe'] });
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => child.on('error', resolve));
    expect(err.code).toBe('EACCES');
    expect(child.pid).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    // (Other activity in this process may close fds meanwhile, never open four.)
    expect(fs.readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore);
  });
});
