import type { Logger } from 'pino';
import { KEY_CACHE_TTL_MS } from './api-keys';
import { satisfies, type Caller, type Role } from './roles';

/** How often a long-lived stream re-checks its key: with the key cache, a revoked key stops streaming within a second. */
export const KEY_RECHECK_MS = 1000 - KEY_CACHE_TTL_MS;

/**
 * Calls `onRefused` once when `key` is revoked (or no longer has `role`) while a stream it opened
 * (SSE, a socket.io follower) is still open; answers the stop. A failed check keeps the stream.
 */
export function watchKey(
  keys: { resolve(presented: string): Promise<Caller | undefined> },
  key: string, role: Role, onRefused: () => void, logger: Logger,
): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    keys.resolve(key).then(
      (caller) => {
        if (stopped || (caller && satisfies(caller.role, role))) return;
        stop();
        onRefused();
      },
      (err: unknown) => logger.warn({ err }, 'could not re-check the key of an open stream; keeping it'),
    );
  }, KEY_RECHECK_MS);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}
