import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Deletes the lock only if it still holds our token (it may have expired and been taken since). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface LockOptions {
  /** The lock expires after this long even if its holder dies (default 30 s). */
  ttlMs?: number;
  /** How long to wait for a lock another instance holds before giving up (default 20 s). */
  waitMs?: number;
  /** Poll period while waiting (default 100 ms). */
  pollMs?: number;
}

export class LockTimeoutError extends Error {
  constructor(name: string, waitMs: number) {
    super(`another orchestrator held the lock '${name}' for more than ${waitMs} ms`);
    this.name = 'LockTimeoutError';
  }
}

/**
 * Runs `work` while holding a Redis lock (SET NX PX with a random token; released with a
 * compare-and-delete script), so one orchestrator at a time does it. Waits for a lock held
 * elsewhere (polling) up to `waitMs`, then throws LockTimeoutError. `work` should finish well
 * within `ttlMs`: past it another instance may take the lock.
 */
export async function withRedisLock<T>(redis: Redis, key: string, work: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const token = randomUUID();
  const ttlMs = opts.ttlMs ?? 30_000;
  const waitMs = opts.waitMs ?? 20_000;
  const deadline = Date.now() + waitMs;
  while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new LockTimeoutError(key, waitMs);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
  }
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
