import path from 'node:path';

/**
 * Pure: the bubblewrap command line of one CLI run. The sandbox sees the system directories read-only,
 * the CLI's own files read-only, its run directory read-write, a private /proc, /dev and /tmp, and
 * nothing else of the host: no /root, /home, data folders, other runs, or the worker's checkout.
 * Every namespace is new (user, pid, net, ipc, uts, cgroup), so the run cannot see or signal other
 * processes and has no network but the one proxy socket bridged in with socat.
 */

/** Where the run's proxy socket appears inside the sandbox, and the loopback port socat serves it on. */
export const SANDBOX_PROXY_SOCKET = '/run/personas/proxy.sock';
export const SANDBOX_PROXY_PORT = 3128;

/** Read-only system trees. Symlinks (Debian's merged /usr: /bin -> usr/bin) are recreated as symlinks. */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'] as const;

export interface HostPath {
  path: string;
  /** `dir`, `file`, `symlink` (with its target) or absent. */
  kind: 'dir' | 'file' | 'symlink' | 'absent';
  target?: string;
}

export interface BwrapPlan {
  /** The system directories as found on this host (see SYSTEM_DIRS). */
  system: HostPath[];
  /** Paths under a system directory that must stay hidden (WORKER_SANDBOX_DENY, the worker's own files). */
  deny: HostPath[];
  /** Read-only binds of the CLI's files, each opened by the worker and passed as an fd (see `fd`). */
  readOnly: Array<{ fd: number; dest: string }>;
  /** The run's directory: the only writable place, bound at the same path. */
  runDir: string;
  /** The worker-side unix socket of this run's proxy. */
  proxySocket: string;
  /** The command and its arguments, run inside after the proxy bridge listens. */
  command: string;
  args: readonly string[];
}

/**
 * The fd a run inherits whose other end only the worker holds. When the worker dies the run reads
 * end-of-file on it, whatever moment that happens: bwrap's own --die-with-parent only covers a worker
 * that dies after bwrap armed it, and a worker killed while bwrap was still setting up the namespaces
 * would otherwise leave the run going with nobody to read it.
 */
export const SANDBOX_WATCH_FD = 4;

/**
 * The shell that runs as the sandbox's first process: starts socat (loopback port → proxy socket)
 * and a watcher that stops every process of the sandbox once the worker's end of SANDBOX_WATCH_FD
 * closes, then execs the CLI at once, without waiting for socat to listen. socat is ready within
 * ~10 ms and the CLI sends its first request ~350 ms after it starts, so waiting would only add socat's
 * start to every run (measured in `npm run bench`); a connection tried before that is refused and
 * retried by the CLI. Only the watcher keeps the fd. `$0` is the command and `$@` its arguments, so
 * nothing is interpolated into the script.
 */
export function bridgeScript(port = SANDBOX_PROXY_PORT, socket = SANDBOX_PROXY_SOCKET, watchFd = SANDBOX_WATCH_FD): string {
  return [
    `socat TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${socket} </dev/null >/dev/null 2>&1 ${watchFd}<&- &`,
    `(read -r _ <&${watchFd}; kill -KILL -1) </dev/null >/dev/null 2>&1 &`,
    `exec "$0" "$@" ${watchFd}<&-`,
  ].join('\n');
}

function isUnder(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The bwrap arguments (everything after `bwrap`). */
export function buildBwrapArgs(plan: BwrapPlan): string[] {
  const args = [
    '--unshare-all', // user, ipc, pid, net, uts, cgroup: a run sees no other process and no network
    '--die-with-parent', // the worker dies → the run dies
    '--cap-drop', 'ALL',
    '--hostname', 'sandbox',
  ];
  const visible: string[] = [];
  for (const p of plan.system) {
    if (p.kind === 'symlink' && p.target) args.push('--symlink', p.target, p.path);
    else if (p.kind === 'dir') {
      args.push('--ro-bind', p.path, p.path);
      visible.push(p.path);
    }
  }
  // Hide what must not be read, where it would otherwise be visible through a system directory.
  for (const d of plan.deny) {
    if (!visible.some((v) => isUnder(d.path, v))) continue; // not mounted at all: already invisible
    if (d.kind === 'dir') args.push('--tmpfs', d.path);
    else if (d.kind === 'file') args.push('--ro-bind', '/dev/null', d.path);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run');
  for (const b of plan.readOnly) args.push('--ro-bind-fd', String(b.fd), b.dest);
  args.push('--bind', plan.runDir, plan.runDir);
  args.push('--ro-bind', plan.proxySocket, SANDBOX_PROXY_SOCKET);
  args.push('--chdir', path.join(plan.runDir, 'work'));
  args.push('--', '/bin/sh', '-c', bridgeScript(), plan.command, ...plan.args);
  return args;
}

/**
 * `setpriv` in front of a command: switch to `uid`/`gid` with no supplementary groups, no
 * capabilities and no way to regain them, and SIGKILL when the worker dies (Node cannot set a
 * child's parent-death signal itself).
 */
export function setprivArgs(uid: number, gid: number): string[] {
  return [
    `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups',
    '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs',
    '--pdeathsig', 'KILL',
    '--',
  ];
}

/**
 * What follows `setpriv` so a worker killed before setpriv armed the parent-death signal leaves
 * nothing behind: setpriv arms it and then execs this shell, whose parent is still the worker
 * unless the worker already died (then the run stops here instead of starting orphaned).
 */
export function parentGuard(parentPid: number): string[] {
  return ['/bin/sh', '-c', '[ "$PPID" = "$0" ] || exit 137; exec "$@"', String(parentPid)];
}
