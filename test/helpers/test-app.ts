import fs from 'node:fs';
import type { Express } from 'express';
import pino from 'pino';
import { loadConfig, type OrchestratorConfig } from '../../server/config';
import { createApp } from '../../server/http/app';
import { noHooks, type AppContext, type Hooks } from '../../server/http/context';
import { migrateLatest, openDb, type Db } from '../../server/db/knex';
import { createTestDatabase, type TestDatabase } from './database';
import { createQueues } from '../../server/queues/queues';
import { OutputBus } from '../../server/services/output-bus';
import { ClaudeTokenService } from '../../server/services/claude-token';
import { AuditLog } from '../../server/audit/audit-log';
import { REDIS_URL, TEST_KEYS, tempDir, uniquePrefix } from './env';
import { deletePrefix } from './redis';

export interface TestApp {
  app: Express;
  ctx: AppContext;
  db: Db;
  config: Readonly<OrchestratorConfig>;
  /** Its record store: a temp SQLite file, or its own PostgreSQL database when TEST_DB=postgres. */
  database: TestDatabase;
  auth: { Authorization: string };
  close(): Promise<void>;
}

/**
 * A real app on a fresh record store (a temp-file SQLite, or its own PostgreSQL database when the
 * suite runs with TEST_DB=postgres), migrated, and real Redis under a unique queue prefix.
 * `extraEnv` overrides config variables; `hooks` replaces the no-op lifecycle hooks.
 */
export async function createTestApp(opts: { extraEnv?: NodeJS.ProcessEnv; hooks?: Partial<Hooks> } = {}): Promise<TestApp> {
  const dir = tempDir('pc-app');
  const prefix = uniquePrefix('app');
  const database = await createTestDatabase(dir);
  const config = loadConfig({
    ...TEST_KEYS,
    ...database.env,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    ...opts.extraEnv,
  });
  const db = openDb(config.database);
  await migrateLatest(db);
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  const logger = pino({ level: 'silent' });
  // Not started: a test that wants the refresh timer builds its own service or calls start()/stop().
  const claudeToken = new ClaudeTokenService({ db, masterKey: config.masterKey, oauth: config.oauth, envToken: config.claudeToken, logger });
  const bus = new OutputBus();
  const audit = new AuditLog({ db, logger, masterKey: config.masterKey });
  const ctx: AppContext = {
    audit,
    config,
    db,
    logger,
    queues,
    hooks: { ...noHooks, ...opts.hooks },
    claudeToken,
    workers: () => [],
    bus,
    control: { db, queues, logger, bus },
  };
  return {
    app: createApp(ctx),
    ctx,
    db,
    config,
    database,
    auth: { Authorization: `Bearer ${TEST_KEYS.TEAM_API_KEY}` },
    async close() {
      await claudeToken.stop();
      await audit.flush();
      await queues.close();
      await db.destroy();
      await database.drop();
      await deletePrefix(prefix);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
