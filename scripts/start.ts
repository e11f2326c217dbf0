/**
 * `npm start`: the whole system on one machine with no configuration at all.
 *
 * secrets (generated into ./data/secrets.env unless NODE_ENV=production) → Redis (REDIS_URL, or a
 * private redis-server under ./data/redis) → the orchestrator → LOCAL_WORKERS workers connected to it.
 * Ctrl-C / SIGTERM stops the workers, then the orchestrator, then the private Redis; a second
 * signal kills everything at once. If the orchestrator dies, everything stops with a non-zero exit.
 * KAFKA_* variables are passed through untouched: the orchestrator itself says once that Kafka is unused.
 */
import https from 'node:https';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig, ORCHESTRATOR_ENV_NAMES } from '../server/config';
import { loadWorkerConfig, WORKER_ENV_NAMES } from '../worker/config';
import { ORCHESTRATOR_NODE_FLAGS, WORKER_NODE_FLAGS } from '../shared/node-flags';
import { bootstrapSecrets, dataDirFor, SECRETS_FILE_NAME } from '../server/secrets-file';
import { intVar, parseEnv } from '../shared/env-schema';
import { loadEnv } from '../shared/env-sources';
import { resolveLogFormat } from '../shared/logger';
import { onStopSignals } from '../shared/signals';
import { ConfigError } from '../shared/errors';
import { ensureRedis, RedisUnavailableError, type EnsuredRedis } from './ensure-redis';
import { startNodeChild, type ManagedChild } from './managed-child';

const DIST = path.resolve(__dirname, '..');
const ORCHESTRATOR_SCRIPT = path.join(DIST, 'server', 'main.js');
const WORKER_SCRIPT = path.join(DIST, 'worker', 'main.js');
const HEALTH_TIMEOUT_MS = 60_000;
/** Past the workers' own shutdown + kill grace, a worker that still runs is killed. */
const WORKER_STOP_MARGIN_MS = 5_000;
const ORCHESTRATOR_STOP_MS = 15_000;
/** The orchestrator alone holds these; a worker gets everything it needs over its socket. */
const ORCHESTRATOR_ONLY = ['MASTER_KEY', 'TEAM_API_KEY', 'CLAUDE_TOKEN'];

const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

const startSchema = z.object({ LOCAL_WORKERS: intVar(1, 0, 64) });

let redis: EnsuredRedis | undefined;
let orchestrator: ManagedChild | undefined;
const workers: ManagedChild[] = [];
let stopping = false;
let workerStopMs = 30_000 + WORKER_STOP_MARGIN_MS;

async function main(): Promise<void> {
  onStopSignals((signal, first) => void onSignal(signal, first));

  // The children read .env too (the same way); what is resolved here is in their environment, which wins.
  const { env: baseEnv, fromDotenv, fromFiles } = loadEnv([...new Set([...ORCHESTRATOR_ENV_NAMES, ...WORKER_ENV_NAMES, 'LOCAL_WORKERS'])]);
  if (fromDotenv.length) say(`read ${fromDotenv.length} variable(s) from .env`);
  const dataDir = dataDirFor(baseEnv);
  const { LOCAL_WORKERS: localWorkers } = parseEnv(startSchema, baseEnv);
  // Local workers connect with WORKER_TOKEN, so npm start needs it even where enrolled tokens suffice.
  const { env } = bootstrapSecrets({ env: baseEnv, dataDir, requireWorkerToken: localWorkers > 0 });
  const config = loadConfig(env);
  // Children reach the orchestrator on loopback unless it listens on one specific address.
  // With TLS they use the name a local certificate carries (localhost) and trust it as its own CA
  // unless ORCHESTRATOR_CA_FILE says otherwise.
  const localHost = config.tls ? 'localhost' : ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const gatewayUrl = `${config.tls ? 'wss' : 'ws'}://${localHost.includes(':') ? `[${localHost}]` : localHost}:${config.wsPort}`;
  const workerEnv: NodeJS.ProcessEnv = { ...env, ORCHESTRATOR_URL: gatewayUrl };
  if (config.tls) workerEnv.ORCHESTRATOR_CA_FILE ||= config.tls.certFile;
  for (const name of ORCHESTRATOR_ONLY) delete workerEnv[name];
  let sandbox = { uidBase: 0, slots: 1, deny: [] as readonly string[] };
  if (localWorkers > 0) {
    // Validates the workers' variables before anything starts, and learns how long they may take to stop.
    const workerConfig = loadWorkerConfig(workerEnv);
    workerStopMs = workerConfig.shutdownGraceMs + workerConfig.killGraceMs + WORKER_STOP_MARGIN_MS;
    sandbox = { uidBase: workerConfig.sandboxUidBase, slots: workerConfig.slots, deny: workerConfig.sandboxDeny };
  }

  redis = await ensureRedis({ url: config.redisUrl, dataDir, persist: true, log: say });
  if (stopping) return shutdown(0);
  const childEnv: NodeJS.ProcessEnv = { ...env, REDIS_URL: redis.url };
  // The children's stdout is a pipe to this process: they cannot see the terminal, so say what it is.
  childEnv.LOG_FORMAT = resolveLogFormat(config.logFormat ?? 'auto', { isTTY: Boolean(process.stdout.isTTY), production: config.nodeEnv === 'production' });
  workerEnv.LOG_FORMAT = childEnv.LOG_FORMAT;

  orchestrator = startNodeChild({ name: 'orchestrator', script: ORCHESTRATOR_SCRIPT, env: childEnv, nodeFlags: ORCHESTRATOR_NODE_FLAGS });
  say(`orchestrator pid ${orchestrator.pid}`);
  void orchestrator.exited.then((exit) => {
    if (stopping) return;
    say(`the orchestrator exited unexpectedly (${describe(exit)}); stopping everything`);
    void shutdown(exit.code || 1);
  });

  const healthUrl = `${config.tls ? 'https' : 'http'}://${localHost.includes(':') ? `[${localHost}]` : localHost}:${config.httpPort}/health`;
  if (!(await waitForHealth(healthUrl, orchestrator))) {
    if (!stopping) {
      say(`the orchestrator did not answer ${healthUrl} within ${HEALTH_TIMEOUT_MS / 1000} s; stopping`);
      await shutdown(1);
    }
    return;
  }

  for (let i = 1; i <= localWorkers; i++) {
    // Each local worker gets its own uid range (two runs never share a uid), and no run may read the data folder.
    superviseWorker(`worker-${i}`, {
      ...workerEnv,
      WORKER_SANDBOX_UID_BASE: String(sandbox.uidBase + (i - 1) * sandbox.slots),
      WORKER_SANDBOX_DENY: [...sandbox.deny, path.resolve(dataDir)].join(','),
    });
  }

  const keyFrom = fromFiles.includes('TEAM_API_KEY')
    ? 'TEAM_API_KEY_FILE'
    : fromDotenv.includes('TEAM_API_KEY')
    ? '.env'
    : baseEnv.TEAM_API_KEY ? 'your environment' : path.join(dataDir, SECRETS_FILE_NAME);
  say('personas-cloud is running');
  const scheme = config.tls ? 'https' : 'http';
  say(`  API         ${scheme}://localhost:${config.httpPort}   (Authorization: Bearer <TEAM_API_KEY from ${keyFrom}>)`);
  say(`  console     ${scheme}://localhost:${config.httpPort}/   (sign in with the same key)`);
  say(`  Bull Board  ${scheme}://localhost:${config.httpPort}/admin/queues`);
  say(`  workers     ${localWorkers} local, gateway ${gatewayUrl}`);
  say(`  Redis       ${redis.url}${redis.started ? ' (private, stopped on exit)' : ''}`);
  say('Press Ctrl-C to stop.');
}

/** Starts a worker and restarts it (with backoff) if it dies while the system is running. */
function superviseWorker(name: string, env: NodeJS.ProcessEnv, attempt = 0): void {
  const startedAt = Date.now();
  const worker = startNodeChild({ name, script: WORKER_SCRIPT, env, nodeFlags: WORKER_NODE_FLAGS });
  say(`${name} pid ${worker.pid}`);
  workers.push(worker);
  void worker.exited.then((exit) => {
    workers.splice(workers.indexOf(worker), 1);
    if (stopping) return;
    // A worker that ran for a while gets a fresh backoff; one that keeps crashing waits up to 30 s.
    const next = Date.now() - startedAt > 30_000 ? 0 : attempt + 1;
    const delayMs = Math.min(30_000, 1000 * 2 ** next);
    say(`${name} exited (${describe(exit)}); restarting in ${delayMs / 1000} s`);
    setTimeout(() => {
      if (!stopping) superviseWorker(name, env, next);
    }, delayMs).unref();
  });
}

/**
 * One probe of our own child's /health. Over https the certificate is not checked: this is a
 * liveness probe of the process we just started, on loopback, and it sends nothing (the workers,
 * which do send their token, verify it).
 */
function healthy(url: string): Promise<boolean> {
  if (!url.startsWith('https:')) return fetch(url, { signal: AbortSignal.timeout(1000) }).then((res) => res.ok);
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitForHealth(url: string, child: ManagedChild): Promise<boolean> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline && child.isRunning() && !stopping) {
    try {
      if (await healthy(url)) return true;
    } catch {
      // Not listening yet; the loop retries until the deadline or the child's exit.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function onSignal(signal: NodeJS.Signals, first: boolean): Promise<void> {
  if (!first) {
    say(`${signal} again: killing everything now`);
    for (const c of [...workers, orchestrator]) c?.kill();
    process.exit(130);
  }
  say(`${signal} received: stopping workers, then the orchestrator${redis?.started ? ', then Redis' : ''} (again to force)`);
  await shutdown(0);
}

async function shutdown(exitCode: number): Promise<never> {
  stopping = true;
  await Promise.all(workers.map((w) => w.stop(workerStopMs)));
  if (orchestrator) await orchestrator.stop(ORCHESTRATOR_STOP_MS);
  if (redis) await redis.stop();
  say('stopped');
  process.exit(exitCode);
}

function describe(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

main().catch(async (err: unknown) => {
  const known = err instanceof ConfigError || err instanceof RedisUnavailableError;
  process.stderr.write(`[start] ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  for (const c of [...workers, orchestrator]) c?.kill();
  await redis?.stop();
  process.exit(1);
});
