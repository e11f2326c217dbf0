import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pingRedis as pingOnce, redactRedisUrl as redact } from '../shared/redis-ping';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface EnsureRedisOptions {
  /** The Redis to use if it answers; default redis://127.0.0.1:6379. */
  url?: string;
  /** A private server keeps its files in `<dataDir>/redis`. */
  dataDir: string;
  log?: (line: string) => void;
  /** Keep an append-only file for a private server (`npm start`); off for tests. */
  persist?: boolean;
  /** Path of `redis-server`; `null` means "none available"; default: looked up on PATH. */
  redisServer?: string | null;
  pingTimeoutMs?: number;
  startTimeoutMs?: number;
}

export interface EnsuredRedis {
  /** The URL to hand to every process (the private server's, when one was started). */
  url: string;
  /** True when this call started a private redis-server. */
  started: boolean;
  /** Stops the private server (a no-op for a Redis that was already running). */
  stop(): Promise<void>;
}

/** No Redis answered and none could be started; the message tells the user what to do. */
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * Finds a Redis or starts one: PINGs `url`; if nothing answers and `redis-server` is available,
 * starts a private server on 127.0.0.1 (on the URL's port when the URL is local and that port is
 * free, else on a free port), waits until it answers and returns its URL. The private server is
 * killed by `stop()` or, as a last resort, when this process exits.
 * Throws RedisUnavailableError (one message naming the ways to get Redis) when neither works, and
 * when a Redis answers but refuses us (wrong password), since starting another would hide that.
 */
export async function ensureRedis(opts: EnsureRedisOptions): Promise<EnsuredRedis> {
  const url = opts.url || DEFAULT_REDIS_URL;
  const log = opts.log ?? (() => undefined);
  const answer = await pingRedis(url, opts.pingTimeoutMs ?? 1500);
  if (answer === 'ok') return { url, started: false, stop: async () => undefined };
  if (answer !== 'unreachable') {
    throw new RedisUnavailableError(`Redis at ${redact(url)} answered but refused us: ${answer.message}. Check REDIS_URL.`);
  }

  const bin = opts.redisServer === undefined ? findOnPath('redis-server') : opts.redisServer;
  if (!bin) throw new RedisUnavailableError(noRedisMessage(url));

  const port = await choosePort(url);
  const dir = path.join(opts.dataDir, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const privateUrl = `redis://127.0.0.1:${port}`;
  log(`no Redis answered at ${redact(url)}; starting a private redis-server on ${privateUrl} (files in ${dir})`);
  const server = startServer({ bin, port, dir, persist: opts.persist ?? false });
  await waitUntilAnswering(server, privateUrl, opts.startTimeoutMs ?? 10_000);
  return { url: privateUrl, started: true, stop: () => stopServer(server.child) };
}

/** 'ok' when `url` answers PING; 'unreachable' when nothing listens (or it is too slow); else the refusal. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<'ok' | 'unreachable' | Error> {
  const answer = await pingOnce(url, timeoutMs);
  if (answer.ok) return 'ok';
  return answer.refused ? new Error(answer.reason) : 'unreachable';
}

/** The full path of `name` on PATH, or null. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | null {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not in this PATH entry (or not executable): try the next one.
      continue;
    }
  }
  return null;
}

export function noRedisMessage(url: string): string {
  return [
    `No Redis answered at ${redact(url)}, and no redis-server binary is on PATH to start a private one.`,
    'personas-cloud keeps its queues in Redis. Get one in any of these ways:',
    '  - install it with your package manager, e.g. `sudo apt-get install redis-server` (Debian/Ubuntu)',
    '    or `brew install redis` (macOS); npm start then starts a private one by itself',
    '  - run one in Docker: `docker compose --profile dev up -d redis` (published on 127.0.0.1:6379)',
    '  - use a Redis you already have: `REDIS_URL=redis://host:6379 npm start`',
  ].join('\n');
}

/** Whether `port` can be listened on at 127.0.0.1 right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The kernel's range for outgoing connections' local ports (Linux; the usual default elsewhere). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // not Linux
  }
  return [32768, 60999];
}

/**
 * A free TCP port on 127.0.0.1 (or `preferred` when it is free), chosen below the ephemeral range
 * when there is room: a port the kernel handed out for listening could meanwhile become the local
 * port of some process's outgoing connection (dozens of Redis and PostgreSQL clients in the test
 * suite), and whoever listens on it a moment later gets EADDRINUSE.
 */
export async function freePort(preferred = 0): Promise<number> {
  if (preferred !== 0 && (await canListen(preferred))) return preferred;
  const [low] = ephemeralRange();
  const from = 20_000;
  if (low - from >= 1_000) {
    for (let i = 0; i < 50; i++) {
      const port = from + Math.floor(Math.random() * (low - from));
      if (await canListen(port)) return port;
    }
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function choosePort(url: string): Promise<number> {
  const u = new URL(url);
  const local = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(u.hostname);
  return freePort(local ? Number(u.port || 6379) : 0);
}

interface PrivateServer {
  child: ChildProcess;
  /** The server's last lines of output, for an error message when it fails to start. */
  recentOutput(): string;
}

function startServer(o: { bin: string; port: number; dir: string; persist: boolean }): PrivateServer {
  const args = [
    '--port', String(o.port),
    '--bind', '127.0.0.1',
    '--dir', o.dir,
    '--save', '',
    '--appendonly', o.persist ? 'yes' : 'no',
    '--daemonize', 'no',
    '--maxmemory-policy', 'noeviction',
    '--logfile', '',
  ];
  const child = spawn(o.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (buf: Buffer) => {
    output.push(buf.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // Last resort: a private server must not outlive us, even when nobody called stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return { child, recentOutput: () => output.join('').trim() };
}

async function waitUntilAnswering(server: PrivateServer, url: string, timeoutMs: number): Promise<void> {
  const { child } = server;
  const deadline = Date.now() + timeoutMs;
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  while (Date.now() < deadline) {
    if (spawnError) throw new RedisUnavailableError(`could not start redis-server: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      const code = child.exitCode ?? child.signalCode;
      throw new RedisUnavailableError(`redis-server exited at start (code ${code}):\n${server.recentOutput()}`);
    }
    if ((await pingRedis(url, 500)) === 'ok') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopServer(child);
  throw new RedisUnavailableError(`redis-server did not answer at ${url} within ${timeoutMs} ms`);
}

/** SIGTERM (redis-server saves the AOF and exits), SIGKILL after 5 s. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
