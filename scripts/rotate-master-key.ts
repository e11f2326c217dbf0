/**
 * `npm run rotate-master-key`: changes the MASTER_KEY of an installation on purpose. Stop the
 * orchestrator first (it holds the old key in memory), back up data/, then:
 *
 *   NEW_MASTER_KEY=<64 hex> npm run rotate-master-key
 *
 * The current key is MASTER_KEY (environment, .env, MASTER_KEY_FILE) or data/secrets.env. Every stored
 * secret is re-encrypted and the database's key check value replaced, in one transaction. When the key
 * came from data/secrets.env, that file is updated too; otherwise set MASTER_KEY to the new key
 * wherever you configure it before starting the orchestrator again.
 *
 * `-- --lost-key`: the current key is gone for good. Deletes what only it could open (credentials,
 * webhook secrets, the stored Claude token) and records the new key; personas and history stay.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_ENV_NAMES, databaseFromEnv } from '../server/config';
import { migrateLatest, openDb } from '../server/db/knex';
import { describeDatabase } from '../server/db/target';
import { dataDirFor, SECRETS_FILE_NAME } from '../server/secrets-file';
import { forgetSealedSecrets, rotateMasterKey, RotationError, type TableCounts } from '../server/services/master-key-rotation';
import { MasterKeyMismatchError, verifyMasterKey } from '../server/startup/master-key';
import { parseMasterKey } from '../shared/crypto';
import { loadEnv } from '../shared/env-sources';
import { ConfigError } from '../shared/errors';
import { resolveMasterKey, UsageError } from './encrypt-credential';

const say = (line: string) => process.stdout.write(`${line}\n`);

function newKey(env: NodeJS.ProcessEnv): { hex: string; key: Buffer } {
  const hex = env.NEW_MASTER_KEY?.trim();
  if (!hex) {
    throw new UsageError(
      'NEW_MASTER_KEY is not set: give the new key as 64 hex characters, e.g.\n' +
        `  NEW_MASTER_KEY=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))") npm run rotate-master-key`,
    );
  }
  try {
    return { hex, key: parseMasterKey(hex) };
  } catch (err) {
    throw new UsageError(`NEW_${(err as Error).message}`);
  }
}

/** Replaces the MASTER_KEY line of the secrets file, atomically, keeping mode 0600. */
function rewriteSecretsFile(file: string, hex: string): void {
  const old = fs.readFileSync(file, 'utf8');
  const text = /^MASTER_KEY=/m.test(old) ? old.replace(/^MASTER_KEY=.*$/m, `MASTER_KEY=${hex}`) : `${old}MASTER_KEY=${hex}\n`;
  const tmp = `${file}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
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

  const db = openDb(target);
  try {
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
    const counts = current ? await rotateMasterKey(db, current.key, next.key) : await forgetSealedSecrets(db, next.key);
    say(`${dbPath}: ${current ? 're-encrypted with the new key' : 'deleted what the lost key protected'} (${describe(counts)})`);
  } finally {
    await db.destroy();
  }

  const secretsFile = path.join(dataDirFor(env), SECRETS_FILE_NAME);
  if (current?.from === secretsFile || (lostKey && !env.MASTER_KEY && fs.existsSync(secretsFile))) {
    rewriteSecretsFile(secretsFile, next.hex);
    say(`${secretsFile}: MASTER_KEY replaced`);
  } else {
    say('Now set MASTER_KEY to the new key where you configure it (environment, .env or MASTER_KEY_FILE), then start the orchestrator.');
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof UsageError || err instanceof ConfigError || err instanceof RotationError;
  process.stderr.write(`rotate-master-key: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
