import type { Knex } from 'knex';
import * as initialSchema from './20261125000001_initial_schema';
import * as oauthRefreshedAt from './20261126000001_oauth_tokens_refreshed_at';
import * as personaToolHostLimits from './20261129000001_persona_tool_host_limits';
import * as systemMeta from './20261129000002_system_meta';
import * as apiKeys from './20261129000003_api_keys';
import * as auditLog from './20261129000003_audit_log';
import * as webhookDeliveries from './20261129000004_webhook_deliveries';
import * as webhookSecrets from './20261129000004_webhook_secrets';
import * as workerTokens from './20261129000004_worker_tokens';
import * as triggerFireTicks from './20261130000002_trigger_fire_ticks';
import * as sqliteIncrementalVacuum from './20261130000003_sqlite_incremental_vacuum';

/**
 * The migrations, in order. Listed statically (not read from a directory) so the same code runs from
 * `dist/`, under ts-jest and inside a container without caring about file extensions.
 */
const MIGRATIONS: Array<[string, Knex.Migration]> = [
  ['20261125000001_initial_schema', initialSchema],
  ['20261126000001_oauth_tokens_refreshed_at', oauthRefreshedAt],
  ['20261129000001_persona_tool_host_limits', personaToolHostLimits],
  ['20261129000002_system_meta', systemMeta],
  ['20261129000003_api_keys', apiKeys],
  ['20261129000003_audit_log', auditLog],
  ['20261129000004_webhook_deliveries', webhookDeliveries],
  ['20261129000004_webhook_secrets', webhookSecrets],
  ['20261129000004_worker_tokens', workerTokens],
  ['20261130000002_trigger_fire_ticks', triggerFireTicks],
  ['20261130000003_sqlite_incremental_vacuum', sqliteIncrementalVacuum],
];

export const migrationSource: Knex.MigrationSource<[string, Knex.Migration]> = {
  getMigrations: async () => MIGRATIONS,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
