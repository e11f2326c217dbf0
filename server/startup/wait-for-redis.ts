import type { Logger } from 'pino';
import { pingRedis, redactRedisUrl, type RedisAnswer } from '../../shared/redis-ping';
import { backoffDelay, formatDelay, pause, START_BACKOFF, type Backoff } from './backoff';

export interface WaitForRedisOptions {
  url: string;
  logger: Logger;
  /** Told what is awaited, e.g. for `/health`. */
  onWaiting?: (reason: string) => void;
  signal?: AbortSignal;
  backoff?: Backoff;
  /** One PING's time limit (default 1.5 s). */
  pingTimeoutMs?: number;
  ping?: (url: string, timeoutMs: number) => Promise<RedisAnswer>;
}

/** What a person reads while the orchestrator waits: where, why, and how to get a Redis. */
export function redisWaitMessage(url: string, answer: Exclude<RedisAnswer, { ok: true }>, retryInMs: number): string {
  const where = redactRedisUrl(url);
  const what = answer.refused
    ? `Redis at ${where} refused us (${answer.reason}): check the password in REDIS_URL`
    : `Redis unreachable at ${where} (${answer.reason}): start one (docker compose --profile dev up -d redis, ` +
      'apt-get install redis-server, or npm start, which starts a private one) or set REDIS_URL';
  return `${what}; retrying in ${formatDelay(retryInMs)}`;
}

/**
 * PINGs Redis until it answers, logging one warning line per failed attempt (the first within the
 * ping timeout of the call) and waiting 1 s, 2 s, 4 s … 30 s in between. Resolves once it answers;
 * throws StartAbortedError when `signal` aborts.
 */
export async function waitForRedis(o: WaitForRedisOptions): Promise<void> {
  const ping = o.ping ?? pingRedis;
  for (let attempt = 0; ; attempt++) {
    const answer = await ping(o.url, o.pingTimeoutMs ?? 1500);
    if (answer.ok) {
      if (attempt > 0) o.logger.info({ redis: redactRedisUrl(o.url) }, 'Redis answers; starting the queues');
      return;
    }
    const delayMs = backoffDelay(attempt, o.backoff ?? START_BACKOFF);
    const message = redisWaitMessage(o.url, answer, delayMs);
    o.logger.warn(message);
    o.onWaiting?.(answer.refused ? `Redis at ${redactRedisUrl(o.url)} refused us` : `waiting for Redis at ${redactRedisUrl(o.url)}: ${answer.reason}`);
    await pause(delayMs, 'waiting for Redis', o.signal);
  }
}
