import { createLogger } from '../shared/logger';
import { ConfigError } from '../shared/errors';
import { loadConfig } from './config';
import { startOrchestrator } from './orchestrator';
import { bootstrapSecrets } from './secrets-file';

/** `npm run orchestrator`: wiring and shutdown only. */
async function main(): Promise<void> {
  const { env } = bootstrapSecrets({ env: process.env });
  const config = loadConfig(env);
  const logger = createLogger('orchestrator', config.logLevel);
  if (config.kafkaConfigured) {
    logger.warn('KAFKA_* is set but unused: the event bus runs on Redis (BullMQ); Kafka is not needed');
  }
  const orchestrator = await startOrchestrator(config, logger);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    orchestrator
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  const message = err instanceof ConfigError ? err.message : `orchestrator failed to start: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
