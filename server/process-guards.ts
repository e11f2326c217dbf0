import type { Logger } from 'pino';

/**
 * A promise rejected with nobody listening is a bug somewhere (a forgotten `.catch`), not a reason
 * to drop every run, socket and request the orchestrator holds: it is logged at error level with
 * its stack, counted, and the process carries on. (Node's default since v15 is to exit.)
 *
 * Synchronous uncaught exceptions keep Node's default (exit): they can leave state half-updated,
 * and a supervisor restarts the process cleanly.
 */
export function survivePromiseRejections(logger: Logger, proc: NodeJS.Process = process): { count(): number; remove(): void } {
  let count = 0;
  const onRejection = (reason: unknown) => {
    count += 1;
    // A non-Error reason is described by its type only: it could be any value, a secret included.
    const err = reason instanceof Error ? reason : new Error(`rejected with a non-Error value (${reason === null ? 'null' : typeof reason})`);
    logger.error({ err, unhandledRejections: count }, 'unhandled promise rejection (logged; the orchestrator keeps running)');
  };
  proc.on('unhandledRejection', onRejection);
  return { count: () => count, remove: () => void proc.off('unhandledRejection', onRejection) };
}
