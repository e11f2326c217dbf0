/**
 * Rejects when `work` has not settled within `ms`. Redis commands wait (rather than fail) while the
 * connection is down, so calls made on a request's path are bounded with this. The late outcome of
 * `work` is ignored; callers only use it for idempotent operations.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
