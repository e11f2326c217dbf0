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

const SUBDIRS = ['home', 'tmp', 'work'] as const;

/** Where slot `slot`'s runs live: `<workerDir>/slot-<n>/{home,tmp,work}` and `slot-<n>.sock`. */
export function slotRunDirs(workerDir: string, slot: number): RunDirs {
  const root = path.join(workerDir, `slot-${slot}`);
  return { root, home: path.join(root, 'home'), tmp: path.join(root, 'tmp'), cwd: path.join(root, 'work'), socket: `${root}.sock` };
}

/**
 * Creates a slot's run folder afresh (whatever was there is removed first): the root owned by the
 * worker, 0711, so a run can reach its folders but never rename or replace them; HOME, temp and cwd
 * apart (the CLI's own files stay out of the directory the model works in), 0700, owned by `uid`
 * when given. Keep WORK_DIR_ROOT short: the CLI puts a unix socket under tmp, and those paths max
 * out at ~107 bytes.
 */
export async function createRunDirs(dirs: RunDirs, uid: number | undefined): Promise<void> {
  await removeRunDirs(dirs);
  await fs.promises.mkdir(dirs.root, { mode: 0o711 });
  await fs.promises.chmod(dirs.root, 0o711); // umask-proof
  await Promise.all([dirs.home, dirs.tmp, dirs.cwd].map(async (d) => {
    await fs.promises.mkdir(d, { mode: 0o700 });
    if (uid !== undefined) await fs.promises.chown(d, uid, uid);
  }));
}

export async function removeRunDirs(dirs: RunDirs): Promise<void> {
  await Promise.all([
    fs.promises.rm(dirs.root, { recursive: true, force: true }),
    fs.promises.rm(dirs.socket, { force: true }),
  ]);
}

/**
 * Empties a slot's run folder for the next run: whatever the run left in its HOME, temp and cwd
 * goes, their mode is 0700 again (a run may have opened its folder to others), and the proxy socket
 * is removed. Throws when the folder is not what `createRunDirs` made (a folder replaced, by a
 * symlink or otherwise, or owned by someone else): the caller then creates it afresh.
 */
export async function wipeRunDirs(dirs: RunDirs, uid: number | undefined): Promise<void> {
  const owner = uid ?? process.getuid?.();
  // The checks are synchronous (a few cached metadata calls: a tenth of their cost through the
  // thread pool); only removing what a run left can take time, and that goes through the pool.
  const leftovers = fs.readdirSync(dirs.root).filter((n) => !(SUBDIRS as readonly string[]).includes(n)).map((n) => path.join(dirs.root, n));
  for (const d of [dirs.home, dirs.tmp, dirs.cwd]) {
    const st = fs.lstatSync(d);
    if (!st.isDirectory() || (owner !== undefined && st.uid !== owner)) throw new Error(`${d} is not the run folder it was`);
    // Closed first, so nobody else can add anything while it is emptied.
    if ((st.mode & 0o777) !== 0o700) fs.chmodSync(d, 0o700);
    leftovers.push(...fs.readdirSync(d).map((n) => path.join(d, n)));
  }
  if (fs.existsSync(dirs.socket)) leftovers.push(dirs.socket);
  await Promise.all(leftovers.map((p) => fs.promises.rm(p, { recursive: true, force: true })));
}

/**
 * The run folders of a worker, one per slot, kept between runs and emptied after each: making and
 * removing a folder tree per run cost about 1 ms of CPU (ext4), as much as the spawn itself. A run
 * never sees another's files: the folder is emptied (and its mode reset) once the run's processes
 * are gone and before the slot is taken again; one that cannot be emptied is made afresh.
 */
export class RunFolders {
  private readonly clean = new Set<number>();

  /** `uidFor`: the uid a slot's runs have (undefined: the worker's own). */
  constructor(private readonly workerDir: string, private readonly uidFor: (slot: number) => number | undefined) {}

  /** Slot `slot`'s run folder, empty and owned by its runs' uid. */
  async take(slot: number): Promise<RunDirs> {
    const dirs = slotRunDirs(this.workerDir, slot);
    if (!this.clean.delete(slot)) await createRunDirs(dirs, this.uidFor(slot));
    return dirs;
  }

  /** The run in `slot` is over (its processes are gone): empties the folder for the next one. */
  async giveBack(slot: number): Promise<void> {
    const dirs = slotRunDirs(this.workerDir, slot);
    try {
      await wipeRunDirs(dirs, this.uidFor(slot));
      this.clean.add(slot);
    } catch (err) {
      // Made afresh by the next take(); removed now so nothing of the run waits on disk meanwhile.
      await removeRunDirs(dirs);
      throw err;
    }
  }
}
