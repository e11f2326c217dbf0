import { createLogger, resolveLogFormat } from '../shared/logger';
import { VERSION } from '../shared/version';
import { onStopSignals } from '../shared/signals';
import { loadWorkerConfig, type WorkerConfig } from './config';
import { loadWorkerEnv } from './environment';
import type { Isolation } from './sandbox/isolation';
import { setUpIsolation } from './sandbox/isolation';
import { chooseSpawnPath, nativeSpawnProblem, type SpawnPath } from './cli-spawn';
import { startWorker } from './worker';

/**
 * `npm run worker`, the container's command and the systemd unit: wiring and shutdown only.
 * Settings: the environment, then `.env` (only the worker's variables: never MASTER_KEY), then WORKER_TOKEN_FILE.
 * SIGTERM/SIGINT → refuse new assignments → let running executions finish (SHUTDOWN_GRACE_MS) →
 * cancel the rest → flush results → disconnect → exit. A second signal kills every CLI process
 * group and exits at once.
 */
function main(): void {
  let config: Readonly<WorkerConfig>;
  let fromDotenv: string[];
  try {
    const loaded = loadWorkerEnv();
    fromDotenv = loaded.fromDotenv;
    config = loadWorkerConfig(loaded.env);
  } catch (err) {
    process.stderr.write(`worker: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger('worker', config.logLevel, resolveLogFormat(config.logFormat ?? 'auto', { isTTY: Boolean(process.stdout.isTTY), production: config.production }));
  if (fromDotenv.length) logger.info({ variables: fromDotenv }, 'settings read from .env');
  let isolation: Isolation;
  let spawnPath: SpawnPath;
  try {
    spawnPath = chooseSpawnPath(config.spawn ?? 'auto');
    if (spawnPath === 'node' && (config.spawn ?? 'auto') === 'auto') logger.warn({ reason: nativeSpawnProblem() }, 'the native spawn module is not built: runs start through Node\'s spawn (a fork of the whole worker per run); npm rebuild builds it');
    isolation = setUpIsolation(config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'worker cannot start');
    process.stderr.write(`worker: ${(err as Error).message}\n`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    worker.shutdown(config.shutdownGraceMs).then(
      () => {
        isolation.close();
        process.exit(code);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  const worker = startWorker({
    config,
    isolation,
    spawnPath,
    version: VERSION,
    logger,
    onFatal: (err) => {
      logger.fatal({ err: err.message }, 'cannot work for this orchestrator; stopping');
      stop(1);
    },
  });

  // The CLI runs in its own process group, so it would outlive us: whatever the way out, kill it.
  process.on('exit', () => worker.killAllNow());

  onStopSignals((signal, first) => {
    if (!first) {
      logger.warn({ signal }, 'second signal: killing running executions and exiting now');
      worker.killAllNow();
      process.exit(1);
    }
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: no new work');
    stop(0);
  });
}

main();
