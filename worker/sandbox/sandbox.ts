import fs from 'node:fs';
import path from 'node:path';
import { buildBwrapArgs, parentGuard, setprivArgs, SYSTEM_DIRS, type HostPath } from './bwrap-args';
import type { IsolationMode } from './mode';

/**
 * How one worker starts its CLI runs, once the isolation mode is chosen (see `probe.ts`):
 * - `bwrap`: bubblewrap with every namespace new, as the slot's own uid when the worker is root;
 * - `uid`: the slot's own unprivileged uid via setpriv (files and processes apart, network not limited);
 * - `none`: as the worker itself.
 * The uid of slot i is `uidBase + i`, so two runs of this worker never share a uid.
 */
export interface SandboxOptions {
  mode: IsolationMode;
  /** The worker runs as root, so runs can be given their own uid. */
  asRoot: boolean;
  uidBase: number;
  /** Real path of the CLI executable. */
  cliPath: string;
  /** The directory bound read-only so the CLI's own files are there (its npm package, or its folder). */
  cliRoot: string;
  /** Absolute paths that must not be readable inside (WORKER_SANDBOX_DENY, the worker's own files). */
  deny: readonly string[];
}

export interface LaunchPlan {
  command: string;
  args: string[];
  /**
   * What the child inherits as fd 3, 4, …: the CLI folder opened by the worker, and `'pipe'` for the
   * watch fd whose end the worker keeps open for as long as it lives (see SANDBOX_WATCH_FD).
   */
  extraFds: Array<number | 'pipe'>;
}

function hostPath(p: string): HostPath {
  try {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return { path: p, kind: 'symlink', target: fs.readlinkSync(p) };
    return { path: p, kind: st.isDirectory() ? 'dir' : 'file' };
  } catch {
    return { path: p, kind: 'absent' };
  }
}

/** The folder to bind for a CLI binary: its npm package root when it has one, else its own folder. */
export function cliRootOf(cliPath: string): string {
  let dir = path.dirname(cliPath);
  for (let i = 0; i < 4 && dir !== path.dirname(dir); i += 1, dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return path.dirname(cliPath);
}

export class Sandbox {
  private readonly system: HostPath[];
  private readonly deny: HostPath[];
  private cliFd: number | undefined;

  constructor(readonly opts: SandboxOptions) {
    this.system = SYSTEM_DIRS.map(hostPath).filter((p) => p.kind !== 'absent');
    this.deny = opts.deny.map(hostPath).filter((p) => p.kind !== 'absent');
  }

  get mode(): IsolationMode {
    return this.opts.mode;
  }

  /** The uid/gid a slot's run gets, or undefined when runs keep the worker's uid. */
  uidFor(slot: number): number | undefined {
    if (this.opts.mode === 'none' || !this.opts.asRoot) return undefined;
    return this.opts.uidBase + slot;
  }

  /** The command line that starts `cliArgs` for `slot` in `runDir`, bridged to `proxySocket` (bwrap). */
  plan(run: { slot: number; runDir: string; proxySocket?: string; cliArgs: readonly string[] }): LaunchPlan {
    const uid = this.uidFor(run.slot);
    const prefix = uid === undefined ? [] : [...setprivArgs(uid, uid), ...parentGuard(process.pid)];
    if (this.opts.mode === 'bwrap') {
      if (!run.proxySocket) throw new Error('a bwrap run needs its proxy socket');
      // The CLI folder is opened here (as the worker) and bound from the fd, so the run's uid never
      // needs to traverse a checkout under /root or /home to reach it.
      this.cliFd ??= fs.openSync(this.opts.cliRoot, 'r');
      const bwrap = buildBwrapArgs({
        system: this.system,
        deny: this.deny,
        readOnly: [{ fd: 3, dest: this.opts.cliRoot }],
        runDir: run.runDir,
        proxySocket: run.proxySocket,
        command: this.opts.cliPath,
        args: run.cliArgs,
      });
      // No parent guard here: a run whose worker died at any point stops through the watch fd.
      const extraFds: LaunchPlan['extraFds'] = [this.cliFd, 'pipe'];
      return uid === undefined
        ? { command: 'bwrap', args: bwrap, extraFds }
        : { command: 'setpriv', args: [...setprivArgs(uid, uid), 'bwrap', ...bwrap], extraFds };
    }
    if (uid !== undefined) return { command: 'setpriv', args: [...prefix, this.opts.cliPath, ...run.cliArgs], extraFds: [] };
    return { command: this.opts.cliPath, args: [...run.cliArgs], extraFds: [] };
  }

  close(): void {
    if (this.cliFd !== undefined) fs.closeSync(this.cliFd);
    this.cliFd = undefined;
  }
}
