import { loadEnv, type LoadedEnv } from '../shared/env-sources';
import { WORKER_ENV_NAMES } from './config';

/** The orchestrator's secrets: a worker never takes them from a shared `.env`, whatever WORKER_PASS_ENV says. */
const ORCHESTRATOR_SECRETS = new Set(['MASTER_KEY', 'MASTER_KEY_FILE', 'TEAM_API_KEY', 'TEAM_API_KEY_FILE', 'CLAUDE_TOKEN', 'CLAUDE_TOKEN_FILE']);

/**
 * The worker's environment: the process environment, then from `.env` only the variables the worker
 * reads (its settings, the pass-through names, and the extra names WORKER_PASS_ENV lists, minus the
 * orchestrator's secrets), then `WORKER_TOKEN_FILE`.
 */
export function loadWorkerEnv(opts: { env?: NodeJS.ProcessEnv; dotenvFile?: string } = {}): LoadedEnv {
  const first = loadEnv(WORKER_ENV_NAMES, opts);
  const extra = (first.env.WORKER_PASS_ENV ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((name) => name && !ORCHESTRATOR_SECRETS.has(name) && !WORKER_ENV_NAMES.includes(name));
  return extra.length ? loadEnv([...WORKER_ENV_NAMES, ...extra], opts) : first;
}
