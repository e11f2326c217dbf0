import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import IORedis from 'ioredis';
import { ORCHESTRATOR_NODE_FLAGS } from '../../shared/node-flags';

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `npm run orchestrator` (dist/server/main.js) in its own process, so its peak RSS is its own;
 * resolves once `/health` answers. Started with ORCHESTRATOR_NODE_FLAGS, as deployed; `BENCH_NODE_ARGS`
 * adds node flags (e.g. `--cpu-prof`).
 */
export async function startOrchestrator(env: NodeJS.ProcessEnv, httpPort: number): Promise<ChildProcess> {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const main = path.join(__dirname, '..', '..', 'server', 'main.js');
  const child = spawn(process.execPath, [...ORCHESTRATOR_NODE_FLAGS, ...nodeArgs, main], { env, stdio: ['ignore', process.env.BENCH_ORCHESTRATOR_STDOUT ? 'inherit' : 'ignore', 'inherit'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error('bench: the orchestrator exited before it was ready');
    if (await fetch(`http://127.0.0.1:${httpPort}/health`).then((r) => r.ok, () => false)) return child;
    if (Date.now() > deadline) throw new Error('bench: the orchestrator did not answer /health within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL if `child` (an orchestrator or a worker) has not exited within `killAfterMs`. */
export async function stopProcess(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}

export const stopOrchestrator = (child: ChildProcess): Promise<void> => stopProcess(child, 20_000);

/** A process's peak resident set in MB (VmHWM; Linux only, NaN elsewhere). */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux; NaN elsewhere). Clock
 * ticks are 100 per second on Linux builds (USER_HZ).
 */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 12th, stime the 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Removes every key of a run's queue prefix (never FLUSHALL: the Redis may be shared). */
export async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
