/**
 * The spawn floor, in a process of its own (so its CPU is only the loop's): a plain Node loop that
 * spawns the stand-in CLI `count` times, `inFlight` at once, each with an 8 KiB prompt on stdin and
 * its stdout read to exit. `sandbox=bwrap` spawns it under the worker's own bubblewrap command line
 * (worker/sandbox/, built once per slot: only the sandbox's start is added, nothing of the worker).
 * `via=posix` spawns through the worker's own posix_spawn path instead of Node's spawn (which forks).
 *
 *   node dist/scripts/bench/spawn-floor.js '{"cli":"/tmp/…/claude-stand-in","count":2000,"inFlight":16,"sandbox":"none"}'
 *
 * Prints one JSON line: { runs, seconds, perSec, cpuMsPerSpawn } (user + system of this process
 * during the loop, read the way the bench reads the workers': /proc/self/stat).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { spawnCli, type SpawnPath } from '../../worker/cli-spawn';
import { setUpIsolation, type Isolation } from '../../worker/sandbox/isolation';

export interface FloorRequest {
  cli: string;
  count: number;
  inFlight: number;
  sandbox: 'none' | 'bwrap';
  /** How the loop spawns: Node's child_process.spawn (the floor the issue defines), or posix_spawn as the worker does. */
  via?: SpawnPath;
}

export interface FloorResult {
  runs: number;
  seconds: number;
  perSec: number;
  cpuMsPerSpawn: number;
}

const CLK_TCK = 100;

/** user + system CPU of a process in ms, from /proc/<pid>/stat (clock ticks, as `ps` reads it). */
export function cpuMsOf(pid: number | 'self'): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

interface Launch {
  command: string;
  args: string[];
  extraFds: Array<number | 'pipe'>;
  cwd: string;
}

async function main(req: FloorRequest): Promise<FloorResult> {
  const prompt = 'x'.repeat(8 * 1024);
  let isolation: Isolation | undefined;
  let bridge: net.Server | undefined;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-floor-'));
  fs.chmodSync(root, 0o711);
  const launches: Launch[] = [];
  try {
    if (req.sandbox === 'bwrap') {
      isolation = setUpIsolation({
        passThroughEnv: {}, sandbox: 'bwrap', sandboxDeny: [], sandboxUidBase: 100_000, slots: req.inFlight, claudeBin: req.cli,
        workDirRoot: root, allowedHosts: [], anthropicBaseUrl: 'http://127.0.0.1:9', outputMaxBytes: 1 << 20, production: false,
      }, pino({ level: 'silent' }));
      // One listening socket stands in for each run's proxy (the stand-in never calls it).
      const socket = path.join(root, 'proxy.sock');
      bridge = net.createServer((c) => c.destroy());
      await new Promise<void>((r) => bridge!.listen(socket, r));
      for (let slot = 0; slot < req.inFlight; slot++) {
        const dirs = await isolation.folders.take(slot);
        const plan = isolation.sandbox.plan({ slot, runDir: dirs.root, proxySocket: socket, cliArgs: ['-p', '--output-format', 'stream-json', '--verbose'] });
        launches.push({ ...plan, args: [...plan.args], cwd: dirs.cwd });
      }
    } else {
      for (let slot = 0; slot < req.inFlight; slot++) {
        launches.push({ command: req.cli, args: ['-p', '--output-format', 'stream-json', '--verbose'], extraFds: [], cwd: root });
      }
    }
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root };
    const once = (l: Launch) => new Promise<void>((resolve, reject) => {
      const child = spawnCli(req.via ?? 'node', l.command, l.args, { cwd: l.cwd, env, extraFds: l.extraFds });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(prompt);
      child.on('error', reject);
      child.on('close', (code) => (code === 0 && out.includes('"type":"result"') ? resolve() : reject(new Error(`stand-in exited ${code}: ${out.slice(0, 200)} ${err.slice(0, 400)}`))));
    });
    const loop = async (count: number) => {
      let next = 0;
      await Promise.all(launches.map(async (l) => {
        while (next < count) {
          next += 1;
          await once(l);
        }
      }));
    };
    await loop(Math.min(100, req.count)); // warm-up
    const cpu0 = cpuMsOf('self');
    const t0 = performance.now();
    await loop(req.count);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuMsOf('self') - cpu0;
    return { runs: req.count, seconds: Number(seconds.toFixed(2)), perSec: Math.round(req.count / seconds), cpuMsPerSpawn: Number((cpu / req.count).toFixed(2)) };
  } finally {
    bridge?.close();
    isolation?.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(JSON.parse(process.argv[2]) as FloorRequest).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`spawn floor failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
