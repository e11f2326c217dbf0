import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { redactDatabaseUrl } from '../server/db/target';
import { findOnPath, freePort } from './ensure-redis';

/** Where the test suite looks for PostgreSQL first (these machines run one there, trust auth). */
export const DEFAULT_PG_TEST_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface EnsurePostgresOptions {
  /** The PostgreSQL to use if it answers (an administrative URL: any database, a role that may CREATE DATABASE). */
  url?: string;
  log?: (line: string) => void;
  /** Folder holding `initdb` and `postgres`; `null` means "none available"; default: PATH, then /usr/lib/postgresql/<newest>/bin. */
  binDir?: string | null;
  pingTimeoutMs?: number;
  startTimeoutMs?: number;
}

export interface EnsuredPostgres {
  /** The administrative URL to hand to the tests (the private server's, when one was started). */
  url: string;
  /** True when this call started a private server. */
  started: boolean;
  /** Stops the private server and removes its files (a no-op for a server that was already running). */
  stop(): Promise<void>;
}

/** No PostgreSQL answered and none could be started; the message tells the user what to do. */
export class PostgresUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresUnavailableError';
  }
}

type Answer = 'ok' | 'unreachable' | Error;

/**
 * Finds a PostgreSQL for the tests or starts one, as ensureRedis does for Redis: connects to `url`;
 * if nothing answers there (or, for the default URL, the server there refuses us, as a stock
 * Debian cluster asks passwords over TCP) and PostgreSQL's binaries are installed (Debian's
 * `postgresql` package), it makes a throw-away cluster in a temp folder (trust auth, no fsync: test
 * data only), starts it on 127.0.0.1 and answers its URL. The private server is stopped by `stop()`
 * or, as a last resort, when this process exits. Never for production data.
 */
export async function ensurePostgres(opts: EnsurePostgresOptions = {}): Promise<EnsuredPostgres> {
  const url = opts.url || DEFAULT_PG_TEST_URL;
  const log = opts.log ?? (() => undefined);
  const answer = await pingPostgres(url, opts.pingTimeoutMs ?? 3000);
  if (answer === 'ok') return { url, started: false, stop: async () => undefined };
  if (answer !== 'unreachable' && opts.url && opts.url !== DEFAULT_PG_TEST_URL) {
    throw new PostgresUnavailableError(`PostgreSQL at ${redactDatabaseUrl(url)} answered but refused us: ${answer.message}. Check PG_TEST_URL.`);
  }

  const bin = opts.binDir === undefined ? findPostgresBin() : opts.binDir;
  if (!bin) throw new PostgresUnavailableError(noPostgresMessage(url));
  const why = answer === 'unreachable' ? 'no PostgreSQL answered' : `PostgreSQL refused us (${answer.message})`;
  const port = await freePort(answer === 'unreachable' && isLocal(url) ? Number(new URL(url).port || 5432) : 0);
  const owner = serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-postgres-'));
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  log(`${why} at ${redactDatabaseUrl(url)}; starting a private PostgreSQL on 127.0.0.1:${port} (files in ${dir})`);
  try {
    initCluster(bin, dir, owner);
    const server = startServer(bin, dir, port, owner);
    const privateUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntilAnswering(server, privateUrl, opts.startTimeoutMs ?? 30_000);
    return {
      url: privateUrl,
      started: true,
      stop: async () => {
        await stopServer(server.child);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** 'ok' when `url` runs `select 1`; 'unreachable' when nothing listens (or it is too slow); else the refusal. */
export async function pingPostgres(url: string, timeoutMs = 3000): Promise<Answer> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined); // a connection dropped after the verdict
  try {
    await client.connect();
    await client.query('select 1');
    return 'ok';
  } catch (err) {
    const e = err as Error & { code?: string };
    // A server answered with an error of its own (a SQLSTATE): wrong password, no such role or database.
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && e.code !== '57P03') return new Error(e.message);
    return 'unreachable';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The folder with `initdb` and `postgres`: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
export function findPostgresBin(pathVar = process.env.PATH ?? '', debianRoot = '/usr/lib/postgresql'): string | null {
  const initdb = findOnPath('initdb', pathVar);
  if (initdb && findOnPath('postgres', pathVar)) return path.dirname(fs.realpathSync(initdb));
  let versions: string[];
  try {
    versions = fs.readdirSync(debianRoot).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return null; // no Debian PostgreSQL installed
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = path.join(debianRoot, v, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) return dir;
  }
  return null;
}

export function noPostgresMessage(url: string): string {
  return [
    `No PostgreSQL answered at ${redactDatabaseUrl(url)}, and no PostgreSQL server is installed to start a private one.`,
    'The test suite runs a second time against PostgreSQL. Get one in any of these ways:',
    '  - install it: `sudo apt-get install postgresql` (Debian/Ubuntu); npm test then starts a private one by itself',
    '  - point the tests at one you have: `PG_TEST_URL=postgres://user:password@host:5432/postgres npm test`',
    '    (the role must be allowed to CREATE DATABASE; each test makes and drops its own pc_test_* database)',
    '  - or run the SQLite pass only: `TEST_BACKENDS=sqlite npm test`',
  ].join('\n');
}

function isLocal(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root: as root (CI), the cluster belongs to the `postgres` user that
 * Debian's package creates. Anyone else runs it as themselves.
 */
function serverUser(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new PostgresUnavailableError('running as root, and there is no `postgres` user to run a private PostgreSQL as (install Debian\'s postgresql package)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function initCluster(bin: string, dir: string, owner: Owner | undefined): void {
  const res = spawnSync(
    path.join(bin, 'initdb'),
    ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    { encoding: 'utf8', cwd: dir, ...(owner ?? {}) },
  );
  if (res.status !== 0) {
    throw new PostgresUnavailableError(`initdb failed (${res.error?.message ?? `exit ${res.status}`}):\n${(res.stdout ?? '') + (res.stderr ?? '')}`);
  }
}

interface PrivateServer {
  child: ChildProcess;
  recentOutput(): string;
}

function startServer(bin: string, dir: string, port: number, owner: Owner | undefined): PrivateServer {
  const args = [
    '-D', path.join(dir, 'data'),
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=300',
    // Throw-away test data: durability buys nothing here.
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
  ];
  const child = spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, ...(owner ?? {}) });
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
    if (spawnError) throw new PostgresUnavailableError(`could not start postgres: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new PostgresUnavailableError(`postgres exited at start (code ${child.exitCode ?? child.signalCode}):\n${server.recentOutput()}`);
    }
    if ((await pingPostgres(url, 1000)) === 'ok') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  await stopServer(child);
  throw new PostgresUnavailableError(`postgres did not answer at ${url} within ${timeoutMs} ms:\n${server.recentOutput()}`);
}

/** SIGINT: PostgreSQL's fast shutdown (ends sessions, no waiting for clients); SIGKILL after 10 s. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}
