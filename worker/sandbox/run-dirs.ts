import fs from 'node:fs';
import path from 'node:path';
import { processAlive as alive } from '../../shared/process-alive';
import { killProcessesUnder } from './stale-processes';

/**
 * Where a worker keeps its runs: `<WORK_DIR_ROOT>/pc-worker-<pid>/`, traversable but not listable by
 * others (0711), one `run-*` directory per run owned by the run's uid (0700) and removed afterwards.
 * A worker killed with -9 cannot remove its folder; the next worker on the host sweeps every
 * `pc-worker-<pid>` whose process is gone (and its own pid's, which after a container restart is a
 * previous life's), first stopping any process still running from it (see `stale-processes.ts`).
 */
const PREFIX = 'pc-worker-';

/** Removes run folders left by crashed workers, and their processes; answers the paths removed. */
export function sweepStaleRunDirs(root: string, ownPid = process.pid): { removed: string[]; killed: number[] } {
  const removed: string[] = [];
  const killed: number[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return { removed, killed };
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (pid !== ownPid && alive(pid)) continue;
    const dir = path.join(root, name);
    killed.push(...killProcessesUnder(dir));
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return { removed, killed };
}

/** Creates (fresh) this worker's folder under `root`. */
export function createWorkerDir(root: string, pid = process.pid): string {
  const dir = path.join(root, `${PREFIX}${pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o711 });
  fs.chmodSync(dir, 0o711); // umask-proof
  return dir;
}

export interface RunDirs {
  root: string;
  home: string;
  tmp: string;
  cwd: string;
  /** The proxy's unix socket: beside the run folder, so the run cannot replace it. */
  socket: string;
}

/**
 * A new run folder with HOME, temp and cwd apart (the CLI's own files stay out of the directory the
 * model works in), owned by `uid` when given. Keep WORK_DIR_ROOT short: the CLI puts a unix socket
 * under tmp, and those paths max out at ~107 bytes.
 */
export async function createRunDirs(workerDir: string, uid: number | undefined): Promise<RunDirs> {
  const root = await fs.promises.mkdtemp(path.join(workerDir, 'run-'));
  const dirs = { home: path.join(root, 'home'), tmp: path.join(root, 'tmp'), cwd: path.join(root, 'work') };
  await Promise.all(Object.values(dirs).map((d) => fs.promises.mkdir(d, { mode: 0o700 })));
  if (uid !== undefined) {
    await Promise.all([root, ...Object.values(dirs)].map((d) => fs.promises.chown(d, uid, uid)));
  }
  return { root, ...dirs, socket: `${root}.sock` };
}

export async function removeRunDirs(dirs: RunDirs): Promise<void> {
  await Promise.all([
    fs.promises.rm(dirs.root, { recursive: true, force: true }),
    fs.promises.rm(dirs.socket, { force: true }),
  ]);
}
