import fs from 'node:fs';

/**
 * Processes a crashed worker's runs left behind. A run started by bwrap holds its run folder in its
 * command line (`--bind <run folder> …`), so a process whose arguments name a path under a dead
 * worker's folder belongs to one of its runs. The one case that outlives the worker is bwrap's
 * namespace child caught mid-setup when the worker (and so bwrap's outer process) was killed: it
 * waits forever for its parent; nothing inside it ever ran.
 */
export function argsReferTo(args: readonly string[], dir: string): boolean {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return args.some((a) => a.startsWith(prefix));
}

/** Pids (never this process) whose command line names a path under `dir`; Linux /proc. */
export function processesUnder(dir: string, procRoot = '/proc'): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    let raw: string;
    try {
      raw = fs.readFileSync(`${procRoot}/${name}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (argsReferTo(raw.split('\0'), dir)) found.push(pid);
  }
  return found;
}

/** SIGKILLs the processes left under `dir`; answers the pids signalled. */
export function killProcessesUnder(dir: string, procRoot = '/proc'): number[] {
  const killed: number[] = [];
  for (const pid of processesUnder(dir, procRoot)) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // exited meanwhile, or another user's: nothing to do
    }
  }
  return killed;
}
