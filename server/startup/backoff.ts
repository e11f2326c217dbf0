/** Retry arithmetic for start-up waits: 1 s, 2 s, 4 s … up to `maxMs`. Pure. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const START_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 30_000 };

/** Delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, b: Backoff = START_BACKOFF): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
}

/** "1 s", "30 s", "250 ms": how a delay reads in a log line. */
export function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** Thrown by a start-up wait when `signal` aborts it (SIGTERM while waiting): not a failure. */
export class StartAbortedError extends Error {
  constructor(what: string) {
    super(`stopped while ${what}`);
    this.name = 'StartAbortedError';
  }
}

/** Waits `ms`, or less when `signal` aborts (then throws StartAbortedError naming `what`). */
export function pause(ms: number, what: string, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new StartAbortedError(what));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new StartAbortedError(what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
