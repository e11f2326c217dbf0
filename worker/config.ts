import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../shared/errors';
import { logFormatVar, type LogFormat } from '../shared/logger';
import { intVar, optStrVar, parseEnv, strVar } from '../shared/env-schema';
import { parseHostPattern } from '../shared/host-pattern';

/**
 * The worker's configuration: the only place the worker reads `process.env`. Parsed once at start
 * into a frozen object; a bad value fails fast with one message naming the variable.
 */
export interface WorkerConfig {
  /** http(s) form of ORCHESTRATOR_URL (its first URL when it lists several), as socket.io-client wants it. */
  orchestratorUrl: string;
  /** Every URL of ORCHESTRATOR_URL (comma-separated): on losing one the worker reconnects to the next. */
  orchestratorUrls?: readonly string[];
  /** PEM of the CA that signed the orchestrator's certificate (ORCHESTRATOR_CA_FILE); unset: the system's CAs. */
  orchestratorCa?: string;
  /** The shared WORKER_TOKEN or this worker's enrolled token (whose name is then its identity). */
  workerToken: string;
  workerId: string;
  slots: number;
  claudeBin: string;
  logLevel: string;
  /** LOG_FORMAT: `auto` (pretty in a terminal outside production), `json` or `pretty`. */
  logFormat?: 'auto' | LogFormat;
  workDirRoot: string;
  shutdownGraceMs: number;
  killGraceMs: number;
  /**
   * The worker's own variables that a CLI run may see (PATH, locale, ANTHROPIC_BASE_URL, proxies,
   * WORKER_PASS_ENV names), captured here so the runner never reads process.env. Never WORKER_TOKEN.
   */
  passThroughEnv: Readonly<Record<string, string>>;
  /** WORKER_SANDBOX: how CLI runs are isolated (`auto` picks the strongest available at start). */
  sandbox: 'auto' | 'bwrap' | 'uid' | 'none';
  /** WORKER_SPAWN: how a run's process is started (`auto`: posix_spawn when the native module is built, else Node's spawn). */
  spawn?: 'auto' | 'posix' | 'node';
  /** WORKER_SANDBOX_DENY: absolute paths a run must never read, on top of the built-in ones. */
  sandboxDeny: readonly string[];
  /** WORKER_SANDBOX_UID_BASE: slot i runs as uid/gid base + i (when the worker is root). */
  sandboxUidBase: number;
  /** WORKER_ALLOWED_HOSTS: host patterns every persona's runs may reach (besides its own allowedHosts). */
  allowedHosts: readonly string[];
  /** The real Messages API the worker's token proxy forwards to (ANTHROPIC_BASE_URL). */
  anthropicBaseUrl: string;
  /** OUTPUT_MAX_BYTES: stdout + stderr bytes one run may print before it is stopped (`output_limit`). */
  outputMaxBytes: number;
  /** RUN_MAX_EVENTS: emit_event + persona_action messages one run may send; the rest are dropped. */
  runMaxEvents: number;
  production: boolean;
}

/** Always passed through when set. Both cases of the proxy variables: tools differ in which they read. */
export const PASS_THROUGH_NAMES = [
  'PATH', 'LANG', 'LC_ALL', 'TZ',
  'ANTHROPIC_BASE_URL',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC',
] as const;

/** Never handed to a CLI run, whatever WORKER_PASS_ENV says. */
export const NEVER_PASSED = new Set(['WORKER_TOKEN']);

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const orchestratorUrls = z.preprocess(
  (v) => (v === undefined || v === '' ? 'ws://127.0.0.1:8443' : v),
  z
    .string()
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
    .refine((urls) => urls.length > 0 && urls.every((v) => {
      try {
        return ['ws:', 'wss:', 'http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false; // not a URL at all
      }
    }), 'must be a ws://, wss://, http:// or https:// URL, or several separated by commas')
    // socket.io-client speaks HTTP first (then upgrades); ws(s):// is accepted for familiarity.
    .transform((urls) => urls.map((v) => v.replace(/^ws(s?):\/\//i, 'http$1://'))),
);

const passEnvNames = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []),
  z
    .array(z.string().regex(ENV_NAME, 'must be a comma-separated list of variable names'))
    .refine((names) => !names.some((n) => NEVER_PASSED.has(n)), 'may not include WORKER_TOKEN'),
);

const schema = z.object({
  ORCHESTRATOR_URL: orchestratorUrls,
  ORCHESTRATOR_CA_FILE: optStrVar(),
  WORKER_TOKEN: z.string({ error: 'is required' }).min(16, 'must be at least 16 characters'),
  WORKER_ID: optStrVar().pipe(z.string().max(200, 'must be at most 200 characters').optional()),
  WORKER_SLOTS: intVar(1, 1, 1000),
  CLAUDE_BIN: optStrVar(),
  LOG_LEVEL: z.preprocess((v) => (v === undefined || v === '' ? 'info' : v), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  LOG_FORMAT: logFormatVar(),
  WORK_DIR_ROOT: strVar(os.tmpdir()),
  SHUTDOWN_GRACE_MS: intVar(30_000, 0),
  KILL_GRACE_MS: intVar(5_000, 0),
  WORKER_PASS_ENV: passEnvNames,
  WORKER_SANDBOX: z.preprocess((v) => (v === undefined || v === '' ? 'auto' : v), z.enum(['auto', 'bwrap', 'uid', 'none'])),
  WORKER_SPAWN: z.preprocess((v) => (v === undefined || v === '' ? 'auto' : v), z.enum(['auto', 'posix', 'node'])),
  WORKER_SANDBOX_DENY: z.preprocess(
    commaList,
    z.array(z.string().refine((p) => path.isAbsolute(p), 'must be a comma-separated list of absolute paths')),
  ),
  // Above the usual ranges of system (<1000) and login users (<60000), below nobody's 65534 + subuid ranges.
  WORKER_SANDBOX_UID_BASE: intVar(100_000, 1_000, 4_000_000_000),
  WORKER_ALLOWED_HOSTS: z.preprocess(
    commaList,
    z.array(z.string().superRefine((h, ctx) => {
      try {
        parseHostPattern(h);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of host patterns: ${(err as Error).message}` });
      }
    })),
  ),
  ANTHROPIC_BASE_URL: z.preprocess(
    (v) => (v === undefined || v === '' ? 'https://api.anthropic.com' : v),
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  ),
  OUTPUT_MAX_BYTES: intVar(8 * 1024 * 1024, 1024),
  RUN_MAX_EVENTS: intVar(50, 0, 100_000),
  NODE_ENV: optStrVar(),
});

/** Every variable the worker reads: all it takes from `.env` (see shared/env-sources). Never MASTER_KEY. */
export const WORKER_ENV_NAMES: readonly string[] = Object.freeze([...Object.keys(schema.shape), ...PASS_THROUGH_NAMES]);

function commaList(v: unknown): unknown {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * The CLI of the installed `@anthropic-ai/claude-code` package (from its package.json `bin`),
 * else `claude` on PATH. `resolve` is injectable for tests.
 */
export function defaultClaudeBin(resolve: (id: string) => string = require.resolve): string {
  try {
    const pkgJson = resolve('@anthropic-ai/claude-code/package.json');
    const { bin } = JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { bin?: string | Record<string, string> };
    const rel = typeof bin === 'string' ? bin : bin?.claude;
    if (rel) {
      const full = path.resolve(path.dirname(pkgJson), rel);
      if (fs.existsSync(full)) return full;
    }
  } catch {
    // package not installed (or unreadable): fall back to PATH below
  }
  return 'claude';
}

/** The allow-listed variables from `env`, plus PATH always (a default if unset). */
export function pickPassThroughEnv(env: NodeJS.ProcessEnv, extraNames: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...PASS_THROUGH_NAMES, ...extraNames]) {
    const value = env[name];
    if (value !== undefined && !NEVER_PASSED.has(name)) out[name] = value;
  }
  out.PATH ??= DEFAULT_PATH;
  return out;
}

/** ORCHESTRATOR_CA_FILE's PEM; it only makes sense for wss:// (https://) orchestrators. */
function readCaFile(file: string, urls: readonly string[]): string {
  if (!urls.every((url) => url.startsWith('https://'))) throw new ConfigError('invalid configuration: ORCHESTRATOR_CA_FILE: is set but ORCHESTRATOR_URL is not wss:// or https://');
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`invalid configuration: ORCHESTRATOR_CA_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`invalid configuration: ORCHESTRATOR_CA_FILE: ${file} holds no PEM certificate`);
  return pem;
}

/** Parses the worker's environment. Throws ConfigError naming each bad variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): Readonly<WorkerConfig> {
  const e = parseEnv(schema, env);
  const workDirRoot = path.resolve(e.WORK_DIR_ROOT);
  if (!fs.existsSync(workDirRoot)) throw new ConfigError(`invalid configuration: WORK_DIR_ROOT: ${workDirRoot} does not exist`);
  return Object.freeze({
    orchestratorUrl: e.ORCHESTRATOR_URL[0],
    orchestratorUrls: Object.freeze(e.ORCHESTRATOR_URL),
    orchestratorCa: e.ORCHESTRATOR_CA_FILE === undefined ? undefined : readCaFile(e.ORCHESTRATOR_CA_FILE, e.ORCHESTRATOR_URL),
    workerToken: e.WORKER_TOKEN,
    workerId: e.WORKER_ID ?? `${os.hostname()}-${process.pid}`,
    slots: e.WORKER_SLOTS,
    claudeBin: e.CLAUDE_BIN ?? defaultClaudeBin(),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    workDirRoot,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    killGraceMs: e.KILL_GRACE_MS,
    passThroughEnv: Object.freeze(pickPassThroughEnv(env, e.WORKER_PASS_ENV)),
    sandbox: e.WORKER_SANDBOX,
    spawn: e.WORKER_SPAWN,
    sandboxDeny: Object.freeze(e.WORKER_SANDBOX_DENY.map((p) => path.resolve(p))),
    sandboxUidBase: e.WORKER_SANDBOX_UID_BASE,
    allowedHosts: Object.freeze(e.WORKER_ALLOWED_HOSTS),
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    outputMaxBytes: e.OUTPUT_MAX_BYTES,
    runMaxEvents: e.RUN_MAX_EVENTS,
    production: e.NODE_ENV === 'production',
  });
}
