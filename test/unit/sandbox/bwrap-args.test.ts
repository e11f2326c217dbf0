import { spawnSync } from 'node:child_process';
import { bridgeScript, buildBwrapArgs, parentGuard, setprivArgs } from '../../../worker/sandbox/bwrap-args';

const plan = {
  system: [
    { path: '/usr', kind: 'dir' as const },
    { path: '/bin', kind: 'symlink' as const, target: 'usr/bin' },
    { path: '/etc', kind: 'dir' as const },
  ],
  deny: [
    { path: '/etc/ssl/private', kind: 'dir' as const },
    { path: '/etc/app.key', kind: 'file' as const },
    { path: '/srv/keys', kind: 'dir' as const }, // not under a visible directory: nothing to hide
  ],
  readOnly: [{ fd: 3, dest: '/root/app/node_modules/@anthropic-ai/claude-code' }],
  runDir: '/tmp/pc-worker-9/run-abc',
  proxySocket: '/tmp/pc-worker-9/run-abc.sock',
  command: '/root/app/node_modules/@anthropic-ai/claude-code/bin/claude.exe',
  args: ['-p', '--output-format', 'stream-json'],
};

/** The pairs/triples of a flag in order, e.g. ['--ro-bind', a, b]. */
function flags(args: string[], name: string, arity: number): string[][] {
  const out: string[][] = [];
  const end = args.indexOf('--');
  args.slice(0, end).forEach((a, i) => {
    if (a === name) out.push(args.slice(i + 1, i + 1 + arity));
  });
  return out;
}

describe('buildBwrapArgs', () => {
  const args = buildBwrapArgs(plan);

  it('unshares every namespace, dies with the worker and drops capabilities', () => {
    expect(args.slice(0, 4)).toEqual(['--unshare-all', '--die-with-parent', '--cap-drop', 'ALL']);
    expect(args).not.toContain('--share-net');
  });

  it('binds system dirs read-only, recreates symlinks, and never binds / or /root wholesale', () => {
    expect(flags(args, '--ro-bind', 2)).toEqual(expect.arrayContaining([['/usr', '/usr'], ['/etc', '/etc']]));
    expect(flags(args, '--symlink', 2)).toEqual([['usr/bin', '/bin']]);
    expect(flags(args, '--ro-bind', 2).map(([src]) => src)).not.toEqual(expect.arrayContaining(['/', '/root', '/home', '/tmp']));
  });

  it('hides deny paths under visible dirs (tmpfs for dirs, /dev/null for files) after the system binds', () => {
    expect(flags(args, '--tmpfs', 1)).toEqual(expect.arrayContaining([['/etc/ssl/private']]));
    expect(flags(args, '--ro-bind', 2)).toContainEqual(['/dev/null', '/etc/app.key']);
    expect(args.join(' ')).not.toContain('/srv/keys');
    expect(args.indexOf('/etc/ssl/private')).toBeGreaterThan(args.indexOf('/etc'));
  });

  it('binds the CLI from an fd, the run dir read-write, and the proxy socket at its fixed place', () => {
    expect(flags(args, '--ro-bind-fd', 2)).toEqual([['3', plan.readOnly[0].dest]]);
    expect(flags(args, '--bind', 2)).toEqual([[plan.runDir, plan.runDir]]);
    expect(flags(args, '--ro-bind', 2)).toContainEqual([plan.proxySocket, '/run/personas/proxy.sock']);
    expect(flags(args, '--chdir', 1)).toEqual([[`${plan.runDir}/work`]]);
    // Private /proc, /dev, /tmp and /run come before the binds placed inside them.
    expect(args.indexOf('/run')).toBeLessThan(args.indexOf('/run/personas/proxy.sock'));
  });

  it('runs the bridge script with the command and its arguments as positional parameters', () => {
    const tail = args.slice(args.indexOf('--') + 1);
    expect(tail.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(tail.slice(3)).toEqual([plan.command, ...plan.args]);
    expect(tail[2]).toBe(bridgeScript());
  });
});

describe('bridgeScript', () => {
  it('starts socat on loopback only, in the background, then execs the command', () => {
    const script = bridgeScript(3128, '/run/personas/proxy.sock', 4);
    expect(script).toContain('socat TCP-LISTEN:3128,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:/run/personas/proxy.sock </dev/null >/dev/null 2>&1 4<&- &');
    expect(script.trim().endsWith('exec "$0" "$@" 4<&-')).toBe(true);
  });

  it('stops every process of the sandbox when the worker\'s end of the watch fd closes; only the watcher keeps it', () => {
    const lines = bridgeScript(3128, '/run/personas/proxy.sock', 4).split('\n');
    expect(lines).toContain('(read -r _ <&4; kill -KILL -1) </dev/null >/dev/null 2>&1 &');
    expect(lines.filter((l) => !l.startsWith('(read')).every((l) => l.includes('4<&-'))).toBe(true);
  });
});

describe('setprivArgs', () => {
  it('switches uid and gid, clears groups and capabilities, and sets the parent-death signal', () => {
    expect(setprivArgs(100_003, 100_003)).toEqual([
      '--reuid=100003', '--regid=100003', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs',
      '--pdeathsig', 'KILL', '--',
    ]);
  });
});

describe('parentGuard', () => {
  const run = (parentPid: number) => {
    const [cmd, ...args] = parentGuard(parentPid);
    return spawnSync(cmd, [...args, '/bin/echo', 'started', '$0 stays literal'], { encoding: 'utf8' });
  };

  it('starts the command when its parent is still the worker that planned it', () => {
    const res = run(process.pid);
    expect(res.status).toBe(0);
    expect(res.stdout).toBe('started $0 stays literal\n');
  });

  it('stops before the command when the worker is gone (the shell was re-parented)', () => {
    const res = run(process.pid + 1_000_000);
    expect(res.status).toBe(137);
    expect(res.stdout).toBe('');
  });
});
