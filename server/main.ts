import { loadEnv } from '../shared/env-sources';
import { ConfigError } from '../shared/errors';
import { createLogger, resolveLogFormat } from '../shared/logger';
import { onStopSignals } from '../shared/signals';
import { loadConfig, ORCHESTRATOR_ENV_NAMES } from './config';
import { startOrchestrator, type Orchestrator } from './orchestrator';
import { survivePromiseRejections } from './process-guards';
import { bootstrapSecrets } from './secrets-file';
import { StartAbortedError } from './startup/backoff';

/**
 * `npm run orchestrator`, the container's command and the systemd unit: wiring and shutdown only.
 * Settings: the environment, then `.env` (only the orchestrator's variables), then `*_FILE`.
 * SIGTERM/SIGINT → stop intake → close workers' gateway, processors, servers → Redis, SQLite → exit 0;
 * during start-up (waiting for Redis or the database) it stops waiting and exits 0. A second signal
 * exits at once.
 */
async function main(): Promise<void> {
  const loaded = loadEnv(ORCHESTRATOR_ENV_NAMES);
  const { env } = bootstrapSecrets({ env: loaded.env });
  const config = loadConfig(env);
  const logFormat = resolveLogFormat(config.logFormat ?? 'auto', { isTTY: Boolean(process.stdout.isTTY), production: config.nodeEnv === 'production' });
  const logger = createLogger('orchestrator', config.logLevel, logFormat);
  survivePromiseRejections(logger);
  if (loaded.fromDotenv.length) logger.info({ variables: loaded.fromDotenv }, 'settings read from .env');
  if (loaded.fromFiles.length) logger.info({ variables: loaded.fromFiles }, 'secrets read from *_FILE');
  if (config.kafkaConfigured) {
    logger.warn('KAFKA_* is set but unused: the event bus runs on Redis (BullMQ); Kafka is not needed');
  }

  const starting = new AbortController();
  let orchestrator: Orchestrator | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    stopping = true;
    logger.info({ signal }, 'shutting down');
    if (!orchestrator) return starting.abort();
    orchestrator
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  onStopSignals((signal, first) => {
    if (first) return stop(signal);
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  });

  try {
    orchestrator = await startOrchestrator(config, logger, { signal: starting.signal });
  } catch (err) {
    if (err instanceof StartAbortedError) {
      logger.info(err.message);
      process.exit(0);
    }
    throw err;
  }
  if (stopping) stop('start-up');
}

main().catch((err) => {
  const message = err instanceof ConfigError ? err.message : `orchestrator failed to start: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
