import IORedis from 'ioredis';

export type RedisAnswer =
  | { ok: true }
  /** `refused`: a Redis answered but would not let us in (password); else nothing answered in time. */
  | { ok: false; refused: boolean; reason: string };

/** PINGs `url` once, within `timeoutMs`. Never throws; the reason never carries the URL's password. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<RedisAnswer> {
  let lastError: Error | undefined;
  // No connectTimeout/commandTimeout: ioredis leaves their socket timers behind, which keeps a
  // short-lived caller (a test, `npm test`) alive; one timer of our own bounds the whole exchange.
  const redis = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // ioredis emits connection errors as events as well as rejecting; keep the last for the verdict.
  redis.on('error', (err: Error) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timeout]);
    return { ok: true };
  } catch (err) {
    const e = lastError ?? (err as Error);
    const refused = /NOAUTH|WRONGPASS|invalid password|ERR AUTH/i.test(e.message);
    return { ok: false, refused, reason: e.message.replace(url, redactRedisUrl(url)) };
  } finally {
    clearTimeout(timer);
    // disconnect() on a connection that already ended arms a 2 s timer nobody clears (ioredis).
    if (redis.status !== 'end') redis.disconnect();
  }
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    // Not a URL at all: config validation reports it; here only avoid echoing a secret.
    return '(invalid REDIS_URL)';
  }
}
