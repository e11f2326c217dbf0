import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { ConfigError } from '../../shared/errors';
import type { WorkerConfig } from '../config';
import { proxyFor, upstreamFromEnv, type UpstreamProxySettings } from '../proxy/upstream-proxy';
import { chooseMode, type IsolationMode } from './mode';
import { probeHost, uidCanRunCli } from './probe';
import { createWorkerDir, RunFolders, sweepStaleRunDirs } from './run-dirs';
import { cliRootOf, Sandbox } from './sandbox';
import { SlotPool } from './slot-pool';
import { claimUidRange, UID_RANGES_DIR, type ClaimedUids } from './uid-ranges';

/**
 * Everything a worker needs to start isolated runs, set up once at start: the chosen mode (refused
 * here when policy says so), the run folder (after sweeping crashed workers' leftovers), the slot
 * pool behind per-slot uids, and the kept-alive connections of the token proxy.
 */
export interface Isolation {
  mode: IsolationMode;
  sandbox: Sandbox;
  workerDir: string;
  slots: SlotPool;
  /** One run folder per slot, emptied between runs. */
  folders: RunFolders;
  claude: { baseUrl: URL; agents: { http: http.Agent; https: https.Agent } };
  /** WORKER_ALLOWED_HOSTS. */
  allowedHosts: readonly string[];
  /** The worker's own outbound proxy (its HTTP(S)_PROXY / NO_PROXY), used by every run proxy. */
  upstream: UpstreamProxySettings;
  outputMaxBytes: number;
  close(): void;
}

/** The checkout the worker runs from (the folder with its package.json): never readable by a run. */
function projectRoot(): string {
  let dir = __dirname;
  while (dir !== path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/** The first folder on the way to `dir` that others cannot traverse, or undefined. */
function untraversable(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return d;
    if (d === path.dirname(d)) return undefined;
  }
}

type IsolationConfig = Pick<WorkerConfig,
  'passThroughEnv' | 'sandbox' | 'sandboxDeny' | 'sandboxUidBase' | 'slots' | 'claudeBin' | 'workDirRoot' | 'allowedHosts' | 'anthropicBaseUrl' | 'outputMaxBytes' | 'production'>;

/**
 * The run uids of this worker: WORKER_SANDBOX_UID_BASE's range, or the next one up when another live
 * worker on this host holds it (see uid-ranges.ts). Unchecked, with a warning, where the host-wide
 * record cannot be written.
 */
function claimRunUids(config: IsolationConfig, logger: Logger): ClaimedUids {
  try {
    const claimed = claimUidRange(config.sandboxUidBase, config.slots);
    if (claimed.first !== config.sandboxUidBase) {
      logger.warn({ wanted: `${config.sandboxUidBase}-${config.sandboxUidBase + config.slots - 1}`, using: `${claimed.first}-${claimed.last}` },
        'WORKER_SANDBOX_UID_BASE: those run uids belong to another worker on this host; this worker\'s runs use the next free ones');
    }
    return claimed;
  } catch (err) {
    logger.warn({ err: (err as Error).message, dir: UID_RANGES_DIR },
      'cannot record this worker\'s run uids host-wide: make sure no other worker on this host uses the same WORKER_SANDBOX_UID_BASE range');
    return { first: config.sandboxUidBase, last: config.sandboxUidBase + config.slots - 1, release: () => undefined };
  }
}

/** Throws ConfigError (one message, with what to install) when the worker must not start. */
export function setUpIsolation(config: IsolationConfig, logger: Logger): Isolation {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const uids = asRoot && config.sandbox !== 'none' ? claimRunUids(config, logger) : undefined;
  const firstUid = uids?.first;
  const host = config.sandbox === 'none' ? { bwrap: false, uidSwitch: false } : probeHost({ uid: firstUid });
  const choice = chooseMode(config.sandbox, host, config.production);
  if (!choice.ok || choice.mode === 'none') uids?.release();
  if (!choice.ok) throw new ConfigError(choice.error);

  let cliPath = config.claudeBin;
  try {
    cliPath = fs.realpathSync(config.claudeBin);
  } catch {
    // a bare command name (`claude` on PATH): spawned as it is; in bwrap it must live under /usr
  }
  if (choice.mode === 'uid') {
    const problem = uidCanRunCli(firstUid ?? config.sandboxUidBase, cliPath);
    if (problem) throw new ConfigError(`WORKER_SANDBOX uid mode: ${problem}`);
  }

  if (firstUid !== undefined && choice.mode !== 'none') {
    const closed = untraversable(config.workDirRoot);
    if (closed) {
      throw new ConfigError(`WORK_DIR_ROOT: ${closed} is not traversable by other users (mode o+x), so runs under their own uid cannot reach their folders; use a folder like /tmp or chmod o+x ${closed}`);
    }
  }

  const { removed, killed } = sweepStaleRunDirs(config.workDirRoot);
  if (killed.length > 0) logger.warn({ pids: killed }, 'stopped processes left by crashed workers\' runs');
  if (removed.length > 0) logger.info({ removed }, 'removed run folders left by crashed workers');
  const workerDir = createWorkerDir(config.workDirRoot);

  const deny = [...new Set([projectRoot(), process.cwd(), os.homedir(), config.workDirRoot, ...config.sandboxDeny])];
  const sandbox = new Sandbox({
    mode: choice.mode, asRoot, uidBase: firstUid ?? config.sandboxUidBase, cliPath, cliRoot: cliRootOf(cliPath), deny,
  });
  if (choice.warning) logger.warn(choice.warning);
  logger.info({
    isolation: choice.mode,
    runUids: sandbox.uidFor(0) === undefined ? 'the worker\'s own' : `${sandbox.uidFor(0)}-${sandbox.uidFor(config.slots - 1)}`,
    network: choice.mode === 'bwrap' ? 'allowlist through the run proxy only' : 'not limited (only the proxy variables point at the run proxy)',
  }, 'CLI runs isolated');

  const upstream = upstreamFromEnv(config.passThroughEnv);
  const baseUrl = new URL(config.anthropicBaseUrl);
  const apiProxy = proxyFor(upstream, baseUrl.protocol === 'https:' ? 'https' : 'http', baseUrl.hostname, Number(baseUrl.port || (baseUrl.protocol === 'https:' ? 443 : 80)));
  if (apiProxy) logger.info({ proxy: apiProxy.host }, 'the Claude API is reached through the worker\'s HTTPS_PROXY');
  // Through the worker's own proxy, both kinds of request tunnel with CONNECT (kept alive).
  const tunnel = apiProxy ? new HttpsProxyAgent(apiProxy, { keepAlive: true }) : undefined;
  const agents = {
    http: tunnel ?? new http.Agent({ keepAlive: true }),
    https: tunnel ?? new https.Agent({ keepAlive: true }),
  };
  return {
    mode: choice.mode,
    sandbox,
    workerDir,
    slots: new SlotPool(config.slots),
    folders: new RunFolders(workerDir, (slot) => sandbox.uidFor(slot)),
    claude: { baseUrl, agents },
    allowedHosts: config.allowedHosts,
    upstream,
    outputMaxBytes: config.outputMaxBytes,
    close: () => {
      sandbox.close();
      agents.http.destroy();
      agents.https.destroy();
      fs.rmSync(workerDir, { recursive: true, force: true });
      uids?.release();
    },
  };
}
