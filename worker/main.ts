import { createLogger } from '../shared/logger';
import { VERSION } from '../shared/version';
import { loadWorkerConfig, type WorkerConfig } from './config';
import { startWorker } from './worker';

/**
 * `npm run worker`: wiring and shutdown only.
 * SIGTERM/SIGINT → refuse new assignments → let running executions finish (SHUTDOWN_GRACE_MS) →
 * cancel the rest → flush results → disconnect → exit. A second signal kills every CLI process
 * group and exits at once.
 */
function main(): void {
  let config: Readonly<WorkerConfig>;
  try {
    config = loadWorkerConfig(process.env);
  } catch (err) {
    process.stderr.write(`worker: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger('worker', config.logLevel);

  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    worker.shutdown(config.shutdownGraceMs).then(
      () => process.exit(code),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  const worker = startWorker({
    config,
    version: VERSION,
    logger,
    onFatal: (err) => {
      logger.fatal({ err: err.message }, 'cannot work for this orchestrator; stopping');
      stop(1);
    },
  });

  // The CLI runs in its own process group, so it would outlive us: whatever the way out, kill it.
  process.on('exit', () => worker.killAllNow());

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: killing running executions and exiting now');
        worker.killAllNow();
        process.exit(1);
      }
      logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: no new work');
      stop(0);
    });
  }
}

main();
