import type { Redis } from 'ioredis';

/**
 * QUIT when connected; otherwise drop the connection at once. With Redis unreachable a queued QUIT
 * would wait for a connection forever (maxRetriesPerRequest: null) and hang a shutdown.
 */
export async function closeRedis(c: Redis): Promise<void> {
  if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
  else c.disconnect();
}
