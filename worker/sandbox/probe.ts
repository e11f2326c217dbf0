import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setprivArgs } from './bwrap-args';
import type { HostAbilities } from './mode';

/** Whether `cmd` is an executable on PATH (no shell). */
export function onPath(cmd: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(':').filter(Boolean)) {
    const full = path.join(dir, cmd);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}

/**
 * What this host can do, found by trying it: a throw-away bubblewrap sandbox with every namespace
 * (as the first slot's uid when the worker is root, exactly as runs will start) that runs
 * `socat -V`, and, for the uid mode, setpriv switching to that uid.
 */
export function probeHost(opts: { uid: number | undefined; envPath?: string }): HostAbilities {
  const has = (cmd: string) => onPath(cmd, opts.envPath) !== undefined;
  const uidSwitch = opts.uid !== undefined && has('setpriv');
  if (!has('bwrap')) return { bwrap: false, bwrapProblem: 'bwrap is not installed', uidSwitch };
  if (!has('socat')) return { bwrap: false, bwrapProblem: 'socat is not installed', uidSwitch };
  const bwrap = [
    '--unshare-all', '--die-with-parent', '--cap-drop', 'ALL',
    '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
    '--', 'socat', '-V',
  ];
  const [command, args] = opts.uid !== undefined && uidSwitch
    ? ['setpriv', [...setprivArgs(opts.uid, opts.uid), 'bwrap', ...bwrap]]
    : ['bwrap', bwrap];
  const res = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000, env: { PATH: opts.envPath ?? process.env.PATH } });
  if (res.status === 0) return { bwrap: true, uidSwitch };
  const why = res.error ? res.error.message : lastLine(res.stderr) || `exit ${res.status ?? res.signal}`;
  return { bwrap: false, bwrapProblem: `bubblewrap could not start a sandbox: ${why}`, uidSwitch };
}

/**
 * Whether `uid` can execute the CLI at `cliPath` (in the uid mode the run has no bind mounts, so a
 * checkout under /root is out of its reach). Undefined when it can, else the reason.
 */
export function uidCanRunCli(uid: number, cliPath: string): string | undefined {
  const res = spawnSync('setpriv', [...setprivArgs(uid, uid), '/bin/sh', '-c', 'test -x "$0"', cliPath], { timeout: 10_000 });
  if (res.status === 0) return undefined;
  return `uid ${uid} cannot execute ${cliPath} (install the CLI where every user can read it, e.g. npm install -g, or use the bwrap mode)`;
}
