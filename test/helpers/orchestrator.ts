import fs from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../../server/config';
import { startOrchestrator, type Orchestrator } from '../../server/orchestrator';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from './env';
import { createTestDatabase, type TestDatabase } from './database';
import { deletePrefix } from './redis';

export interface TestOrchestrator extends Orchestrator {
  baseUrl: string;
  wsUrl: string;
  auth: { Authorization: string };
  dir: string;
  prefix: string;
  /** Its record store (a SQLite file in `dir`, or its own PostgreSQL database when TEST_DB=postgres). */
  database: TestDatabase;
  /** Stops it and removes its data; `keepData` leaves the database and Redis for a restart test (pass them back as `reuse`). */
  close(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * A whole orchestrator in this process on free ports, a fresh record store (temp SQLite file, or
 * its own PostgreSQL database when TEST_DB=postgres) and a unique queue prefix.
 */
export async function startTestOrchestrator(
  env: NodeJS.ProcessEnv = {},
  reuse?: { dir: string; prefix: string; database?: TestDatabase },
): Promise<TestOrchestrator> {
  const dir = reuse?.dir ?? tempDir('pc-orch');
  const prefix = reuse?.prefix ?? uniquePrefix('orch');
  const database = reuse?.database ?? (await createTestDatabase(dir));
  const config = loadConfig({
    ...TEST_KEYS,
    ...database.env,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    HTTP_PORT: '0',
    WS_PORT: '0',
    HOST: '127.0.0.1',
    CLAUDE_TOKEN: 'sk-ant-api03-test-token-value-0123456789',
    ...env,
  });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL || 'silent' });
  const o = await startOrchestrator(config, logger);
  return {
    ...o,
    baseUrl: `http://127.0.0.1:${o.httpPort}`,
    wsUrl: `http://127.0.0.1:${o.wsPort}`,
    auth: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}` },
    dir,
    prefix,
    database,
    async close(opts = {}) {
      await o.stop();
      if (!opts.keepData) {
        await database.drop();
        await deletePrefix(prefix);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
