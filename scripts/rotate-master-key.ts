/**
 * `npm run rotate-key` (also `npm run rotate-master-key`): changes the MASTER_KEY of an installation
 * on purpose. Stop every orchestrator first (it refuses while one uses the database), then:
 *
 *   npm run rotate-key                      # a new random key
 *   NEW_MASTER_KEY=<64 hex> npm run rotate-key
 *
 * The current key is MASTER_KEY (environment, .env, MASTER_KEY_FILE) or data/secrets.env. Every stored
 * secret (credentials, webhook secrets, the Claude token) is re-encrypted, the audit chain re-computed
 * (after verifying it under the old key) and the database's key check value replaced, in one
 * transaction. When the key came from data/secrets.env, the new one is written there; otherwise a
 * generated key is printed once, to set wherever MASTER_KEY is configured. Backups taken before still
 * need the old key.
 *
 * `-- --lost-key`: the current key is gone for good. Deletes what only it could open (credentials,
 * webhook secrets, the stored Claude token) and records the new key; personas and history stay.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_ENV_NAMES, databaseFromEnv } from '../server/config';
import { AuditChainBrokenError } from '../server/audit/rechain';
import { migrateLatest, openDb, type Db } from '../server/db/knex';
import { presentSince } from '../server/db/orchestrator-presence';
import { PRESENCE_STALE_MS } from '../server/startup/presence';
import { describeDatabase } from '../server/db/target';
import { dataDirFor, SECRETS_FILE_NAME } from '../server/secrets-file';
import { forgetSealedSecrets, rotateMasterKey, RotationError, type TableCounts } from '../server/services/master-key-rotation';
import { MasterKeyMismatchError, verifyMasterKey } from '../server/startup/master-key';
import { parseMasterKey } from '../shared/crypto';
import { loadEnv } from '../shared/env-sources';
import { ConfigError } from '../shared/errors';
import { resolveMasterKey, UsageError } from './encrypt-credential';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** NEW_MASTER_KEY, or a new random key (`generated`) when it is not set. */
function newKey(env: NodeJS.ProcessEnv): { hex: string; key: Buffer; generated: boolean } {
  const given = env.NEW_MASTER_KEY?.trim();
  const hex = given || crypto.randomBytes(32).toString('hex');
  try {
    return { hex, key: parseMasterKey(hex), generated: !given };
  } catch (err) {
    throw new UsageError(`NEW_${(err as Error).message}`);
  }
}

/**
 * The secrets file with its MASTER_KEY line replaced, written beside it (mode 0600) before the
 * database changes, so the new key is on disk before anything needs it; `commit()` renames it into
 * place, `abandon()` removes it.
 */
function prepareSecretsFile(file: string, hex: string): { commit(): void; abandon(): void } {
  const old = fs.readFileSync(file, 'utf8');
  const text = /^MASTER_KEY=/m.test(old) ? old.replace(/^MASTER_KEY=.*$/m, `MASTER_KEY=${hex}`) : `${old}MASTER_KEY=${hex}\n`;
  const next = `${file}.rotating`;
  fs.writeFileSync(next, text, { mode: 0o600 });
  return { commit: () => fs.renameSync(next, file), abandon: () => fs.rmSync(next, { force: true }) };
}

/** Refuses while an orchestrator (one that said so in the last PRESENCE_STALE_MS) uses the database. */
async function refuseWhileInUse(db: Db, where: string): Promise<void> {
  const live = await presentSince(db, new Date(Date.now() - PRESENCE_STALE_MS).toISOString());
  if (live.length === 0) return;
  const who = live.map((p) => `${p.instanceId} (host ${p.host}, pid ${p.pid}, seen ${Math.round((Date.now() - Date.parse(p.seenAt)) / 1000)} s ago)`).join(', ');
  throw new UsageError(
    `an orchestrator uses ${where}: ${who}; nothing was changed. Stop every orchestrator first ` +
      `(one that crashed is forgotten ${PRESENCE_STALE_MS / 1000} s after its last sign of life), then run this again`,
  );
}

const describe = (counts: TableCounts) =>
  Object.entries(counts).map(([table, n]) => `${table}: ${n}`).join(', ') || 'nothing stored yet';

async function main(argv: string[]): Promise<void> {
  const lostKey = argv.includes('--lost-key');
  const { env } = loadEnv(['MASTER_KEY', 'NEW_MASTER_KEY', ...DATABASE_ENV_NAMES]);
  const target = databaseFromEnv(env);
  const dbPath = describeDatabase(target);
  if (target.client === 'sqlite' && !fs.existsSync(target.file)) throw new UsageError(`no database at ${dbPath} (DAC_DB_PATH, or DATABASE_URL for PostgreSQL)`);
  const next = newKey(env);
  const current = lostKey ? undefined : resolveMasterKey(env);
  if (current?.key.equals(next.key)) throw new UsageError('NEW_MASTER_KEY is the current MASTER_KEY: nothing to do');

  const secretsFile = path.join(dataDirFor(env), SECRETS_FILE_NAME);
  const writeToSecretsFile = current?.from === secretsFile || (lostKey && !env.MASTER_KEY && fs.existsSync(secretsFile));
  const db = openDb(target);
  let counts: TableCounts;
  try {
    await refuseWhileInUse(db, dbPath);
    if (current) {
      await verifyMasterKey(db, current.key, { dbPath }).catch((err: Error) => {
        if (!(err instanceof MasterKeyMismatchError)) throw err;
        throw new UsageError(
          `the MASTER_KEY from ${current.from} is not the key of ${dbPath}; nothing was changed. Rotating needs the current key ` +
            '(restore it from your backup); if it is lost for good, `npm run rotate-master-key -- --lost-key` deletes what it protected',
        );
      });
    }
    await migrateLatest(db);
    const file = writeToSecretsFile ? prepareSecretsFile(secretsFile, next.hex) : undefined;
    try {
      counts = current ? await rotateMasterKey(db, current.key, next.key) : await forgetSealedSecrets(db, next.key);
    } catch (err) {
      file?.abandon();
      throw err;
    }
    file?.commit();
    say(`${dbPath}: ${current ? 're-encrypted with the new key' : 'deleted what the lost key protected'} (${describe(counts)})`);
  } finally {
    await db.destroy();
  }

  if (writeToSecretsFile) {
    say(`${secretsFile}: MASTER_KEY replaced by the new key`);
  } else if (next.generated) {
    say('The new MASTER_KEY (shown once; set it wherever you configure MASTER_KEY — environment, .env or MASTER_KEY_FILE — before starting the orchestrator):');
    say(`  MASTER_KEY=${next.hex}`);
  } else {
    say('Now set MASTER_KEY to the new key where you configure it (environment, .env or MASTER_KEY_FILE), then start the orchestrator.');
  }
  say('The old key no longer opens anything in the database. Backups taken before this still need the old key: keep it with them, or take a new backup (npm run backup -- FILE).');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof UsageError || err instanceof ConfigError || err instanceof RotationError || err instanceof AuditChainBrokenError;
  process.stderr.write(`rotate-master-key: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
