/** The signals that ask a long-running command to stop: `docker stop`, systemd, `kill` and Ctrl-C. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * A repeat within this window is the same request delivered twice, not a second one: under
 * `npm run`, a Ctrl-C reaches node from the terminal (same process group) and again from npm,
 * which forwards SIGINT and SIGTERM to its script.
 */
export const SIGNAL_ECHO_MS = 500;

/**
 * Calls `handler(signal, first)` for SIGTERM and SIGINT: `first` is true for the request to stop,
 * false for a later one (which by convention forces the exit). A signal that follows the first
 * within `echoMs` is dropped as an echo (see SIGNAL_ECHO_MS). `now` is injectable for tests.
 * Answers a function that removes the listeners.
 */
export function onStopSignals(
  handler: (signal: StopSignal, first: boolean) => void,
  opts: { echoMs?: number; now?: () => number; target?: Pick<NodeJS.Process, 'on' | 'off'> } = {},
): () => void {
  const echoMs = opts.echoMs ?? SIGNAL_ECHO_MS;
  const now = opts.now ?? Date.now;
  const target = opts.target ?? process;
  let firstAt: number | undefined;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      const at = now();
      if (firstAt === undefined) {
        firstAt = at;
        handler(signal, true);
      } else if (at - firstAt >= echoMs) {
        handler(signal, false);
      }
    };
    target.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) target.off(signal, listener);
  };
}
