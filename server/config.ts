import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { z } from 'zod';
import { parseMasterKey } from '../shared/crypto';
import { ConfigError } from '../shared/errors';
import { logFormatVar, type LogFormat } from '../shared/logger';
import { intVar, optStrVar, parseEnv, strVar } from '../shared/env-schema';
import { DEFAULT_POSTGRES_POOL_MAX, postgresUrlProblem, SYNCHRONOUS_COMMIT_LEVELS, type DatabaseTarget } from './db/target';
import { parseHostAllowances, type HostAllowance } from './domain/poll-destination';

/** Anthropic's public OAuth client (the one Claude Code uses); all three are overridable. */
export const ANTHROPIC_OAUTH = {
  authorizeUrl: 'https://claude.ai/oauth/authorize',
  tokenUrl: 'https://console.anthropic.com/v1/oauth/token',
  clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
  redirectUri: 'https://console.anthropic.com/oauth/code/callback',
  scopes: 'org:create_api_key user:profile user:inference',
} as const;

const urlVar = (def: string) => z.preprocess((v) => (v === undefined || v === '' ? def : v), z.url('must be a URL'));

/** POLL_ALLOW_PRIVATE_HOSTS: comma-separated `host[:port]` a polling trigger may reach although not public. */
const hostAllowancesVar = () =>
  z.preprocess((v) => v ?? '', z.string()).transform((v, ctx) => {
    const r = parseHostAllowances(v);
    if (r.ok) return r.allowances;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });

const schema = z.object({
  NODE_ENV: strVar('development'),
  MASTER_KEY: z.string({ error: 'is required' }).min(1, 'is required'),
  TEAM_API_KEY: z.string({ error: 'is required' }).min(16, 'must be at least 16 characters'),
  // Unset: only enrolled worker tokens connect (POST /api/workers/tokens).
  WORKER_TOKEN: optStrVar().pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  CLAUDE_TOKEN: optStrVar(),
  TLS_CERT_FILE: optStrVar(),
  TLS_KEY_FILE: optStrVar(),
  HTTP_PORT: intVar(3001, 0, 65535),
  WS_PORT: intVar(8443, 0, 65535),
  HOST: strVar('0.0.0.0'),
  DAC_DB_PATH: strVar('./data/personas.db'),
  // Set: the records live in PostgreSQL (DAC_DB_PATH then only names the data folder). Checked by databaseFromEnv.
  DATABASE_URL: optStrVar(),
  DATABASE_POOL_MAX: intVar(DEFAULT_POSTGRES_POOL_MAX, 2, 1000),
  DATABASE_SYNCHRONOUS_COMMIT: z.preprocess((v) => (v === undefined || v === '' ? 'off' : v), z.enum(SYNCHRONOUS_COMMIT_LEVELS)),
  REDIS_URL: urlVar('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.preprocess((v) => (v === undefined || v === '' ? 'personas' : v), z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'may only contain letters, digits and _ . : -')),
  LOG_LEVEL: z.preprocess((v) => (v === undefined || v === '' ? 'info' : v), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  LOG_FORMAT: logFormatVar(),
  OAUTH_AUTHORIZE_URL: urlVar(ANTHROPIC_OAUTH.authorizeUrl),
  OAUTH_TOKEN_URL: urlVar(ANTHROPIC_OAUTH.tokenUrl),
  OAUTH_CLIENT_ID: strVar(ANTHROPIC_OAUTH.clientId),
  OAUTH_REDIRECT_URI: urlVar(ANTHROPIC_OAUTH.redirectUri),
  OAUTH_SCOPES: strVar(ANTHROPIC_OAUTH.scopes),
  DEFAULT_TIMEOUT_MS: intVar(300_000, 1000),
  WORKER_GRACE_MS: intVar(15_000, 0),
  CHAIN_DEPTH_LIMIT: intVar(8, 1, 100),
  KAFKA_BROKERS: optStrVar(),
  POLL_ALLOW_PRIVATE_HOSTS: hostAllowancesVar(),
  // Names this orchestrator among several (in /api/status and Redis); default hostname-pid.
  INSTANCE_ID: optStrVar().pipe(z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'may only contain letters, digits and _ . : - (at most 100)').optional()),
  // Unset: /metrics takes API keys with read rights only.
  METRICS_TOKEN: optStrVar().pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  // 0: keep everything (no pruning).
  RETENTION_DAYS: intVar(30, 0, 36_500),
});

/** Every variable the orchestrator reads: all it takes from `.env` (see shared/env-sources). */
export const ORCHESTRATOR_ENV_NAMES: readonly string[] = Object.freeze([...Object.keys(schema.shape), 'KAFKA_USERNAME', 'KAFKA_PASSWORD']);

export interface OrchestratorConfig {
  nodeEnv: string;
  masterKey: Buffer;
  teamApiKey: string;
  /** The shared worker token; undefined: only enrolled worker tokens connect. */
  workerToken?: string;
  /** PEM certificate (chain) and key: the API and the worker gateway then serve HTTPS/WSS only. */
  tls?: { cert: Buffer; key: Buffer; certFile: string; keyFile: string };
  claudeToken?: string;
  httpPort: number;
  wsPort: number;
  host: string;
  /** The SQLite file (DAC_DB_PATH, resolved); with DATABASE_URL it is unused but still names the data folder. */
  dbPath: string;
  /** Where the records live: this SQLite file, or PostgreSQL when DATABASE_URL is set. */
  database: DatabaseTarget;
  redisUrl: string;
  queuePrefix: string;
  logLevel: string;
  /** LOG_FORMAT: `auto` (pretty in a terminal outside production), `json` or `pretty`. */
  logFormat?: 'auto' | LogFormat;
  oauth: { authorizeUrl: string; tokenUrl: string; clientId: string; redirectUri: string; scopes: string };
  defaultTimeoutMs: number;
  /** How long a disconnected worker may take to come back before its runs fail `worker_disconnected`. */
  workerGraceMs: number;
  chainDepthLimit: number;
  /** KAFKA_* was set: the event bus is BullMQ, so main logs once that Kafka is unused. */
  kafkaConfigured: boolean;
  /** Non-public hosts polling triggers may reach (POLL_ALLOW_PRIVATE_HOSTS); empty: public addresses only. */
  pollAllowPrivateHosts: readonly HostAllowance[];
  /** INSTANCE_ID: this orchestrator's name among the instances sharing the database and Redis. */
  instanceId: string;
  /** METRICS_TOKEN: a Bearer token that reads /metrics (besides API keys with read rights). */
  metricsToken?: string;
  /** RETENTION_DAYS: finished executions and final events older than this are pruned daily; 0 keeps everything. */
  retentionDays?: number;
}

/** Reads a PEM file named by `name`; a ConfigError names the variable when it cannot be read or is not PEM. */
function readPem(name: string, file: string, label: RegExp): Buffer {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!label.test(pem.toString('latin1'))) throw new ConfigError(`invalid configuration: ${name}: ${file} is not a PEM file of the expected kind`);
  return pem;
}

/** TLS_CERT_FILE and TLS_KEY_FILE: both or neither; the key must belong to the certificate. */
function loadTls(certFile?: string, keyFile?: string): OrchestratorConfig['tls'] {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) {
    throw new ConfigError(`invalid configuration: ${certFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'}: is required when ${certFile ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'} is set`);
  }
  const cert = readPem('TLS_CERT_FILE', certFile, /-----BEGIN CERTIFICATE-----/);
  const key = readPem('TLS_KEY_FILE', keyFile, /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    // OpenSSL's message names no secret ("key values mismatch" and the like).
    throw new ConfigError(`invalid configuration: TLS_KEY_FILE: does not fit TLS_CERT_FILE (${(err as Error).message})`);
  }
  return { cert, key, certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

/**
 * The one start-up warning of a production orchestrator that serves plain HTTP/WS beyond this
 * machine (everything, decrypted credentials in assignments included, would travel in clear);
 * undefined when TLS is on, the address is loopback, or NODE_ENV is not production.
 */
export function plaintextWarning(config: Pick<OrchestratorConfig, 'nodeEnv' | 'host' | 'tls'>): string | undefined {
  if (config.nodeEnv !== 'production' || config.tls || LOOPBACK.test(config.host)) return undefined;
  return `listening on ${config.host} without TLS: the API (API keys) and the worker gateway (credentials in every assignment) travel in clear; ` +
    'set TLS_CERT_FILE and TLS_KEY_FILE, or terminate TLS in front of both ports';
}

/**
 * The record store from DATABASE_URL (PostgreSQL) or else DAC_DB_PATH (SQLite, `./data/personas.db`
 * by default), with DATABASE_POOL_MAX and DATABASE_SYNCHRONOUS_COMMIT. For the orchestrator (through
 * loadConfig) and the scripts that open the database (migrate, audit:verify, rotate-master-key). A
 * ConfigError names the variable and never repeats the URL (it may hold a password).
 * DATABASE_ENV_NAMES are the variables it reads (for a script's loadEnv).
 */
export const DATABASE_ENV_NAMES: readonly string[] = Object.freeze(['DAC_DB_PATH', 'DATABASE_URL', 'DATABASE_POOL_MAX', 'DATABASE_SYNCHRONOUS_COMMIT']);

export function databaseFromEnv(env: NodeJS.ProcessEnv): DatabaseTarget {
  const url = env.DATABASE_URL?.trim();
  if (!url) return { client: 'sqlite', file: path.resolve(env.DAC_DB_PATH || './data/personas.db') };
  const problem = postgresUrlProblem(url);
  if (problem) throw new ConfigError(`invalid configuration: DATABASE_URL: ${problem}`);
  const { DATABASE_POOL_MAX: poolMax, DATABASE_SYNCHRONOUS_COMMIT: synchronousCommit } = parseEnv(
    schema.pick({ DATABASE_POOL_MAX: true, DATABASE_SYNCHRONOUS_COMMIT: true }),
    env,
  );
  return { client: 'postgres', url, poolMax, synchronousCommit };
}

/** Parses the orchestrator's environment once; throws ConfigError naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Readonly<OrchestratorConfig> {
  const e = parseEnv(schema, env);
  let masterKey: Buffer;
  try {
    masterKey = parseMasterKey(e.MASTER_KEY);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    masterKey,
    teamApiKey: e.TEAM_API_KEY,
    workerToken: e.WORKER_TOKEN,
    tls: loadTls(e.TLS_CERT_FILE, e.TLS_KEY_FILE),
    claudeToken: e.CLAUDE_TOKEN,
    httpPort: e.HTTP_PORT,
    wsPort: e.WS_PORT,
    host: e.HOST,
    dbPath: path.resolve(e.DAC_DB_PATH),
    database: databaseFromEnv(env),
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    oauth: {
      authorizeUrl: e.OAUTH_AUTHORIZE_URL,
      tokenUrl: e.OAUTH_TOKEN_URL,
      clientId: e.OAUTH_CLIENT_ID,
      redirectUri: e.OAUTH_REDIRECT_URI,
      scopes: e.OAUTH_SCOPES,
    },
    defaultTimeoutMs: e.DEFAULT_TIMEOUT_MS,
    workerGraceMs: e.WORKER_GRACE_MS,
    chainDepthLimit: e.CHAIN_DEPTH_LIMIT,
    kafkaConfigured: Object.keys(env).some((k) => k.startsWith('KAFKA_') && env[k]),
    pollAllowPrivateHosts: Object.freeze(e.POLL_ALLOW_PRIVATE_HOSTS),
    instanceId: e.INSTANCE_ID ?? `${os.hostname()}-${process.pid}`,
    metricsToken: e.METRICS_TOKEN,
    retentionDays: e.RETENTION_DAYS,
  });
}
