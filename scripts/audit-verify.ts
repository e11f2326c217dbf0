/**
 * `npm run audit:verify`: checks the audit log's hash chain in the records (the PostgreSQL database
 * of DATABASE_URL, else the SQLite file at DAC_DB_PATH, default ./data/personas.db) and names the
 * first broken row. Needs the orchestrator's MASTER_KEY (the chain is an HMAC keyed from it): the
 * environment, then .env, then MASTER_KEY_FILE, else the secrets file `npm start` keeps in the data
 * folder (DAC_DB_PATH's). Reads only; needs no Redis.
 * Exit 0 = intact, 1 = broken, 2 = cannot check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { verifyAuditChain } from '../server/audit/verify';
import { DATABASE_ENV_NAMES, databaseFromEnv } from '../server/config';
import { openDb } from '../server/db/knex';
import { describeDatabase } from '../server/db/target';
import { dataDirFor, SECRETS_FILE_NAME } from '../server/secrets-file';
import { parseMasterKey } from '../shared/crypto';
import { loadEnv } from '../shared/env-sources';

function masterKeyFrom(env: NodeJS.ProcessEnv): Buffer {
  let value = env.MASTER_KEY;
  if (!value) {
    const file = path.join(dataDirFor(env), SECRETS_FILE_NAME);
    if (fs.existsSync(file)) value = parseEnv(fs.readFileSync(file, 'utf8')).MASTER_KEY;
  }
  if (!value) throw new Error('MASTER_KEY is required (the audit chain is keyed from it): set it, or run beside the secrets file npm start made');
  return parseMasterKey(value);
}

async function main(): Promise<number> {
  const { env } = loadEnv([...DATABASE_ENV_NAMES, 'MASTER_KEY']);
  const target = databaseFromEnv(env);
  const file = describeDatabase(target);
  if (target.client === 'sqlite' && !fs.existsSync(target.file)) throw new Error(`no database at ${file} (set DAC_DB_PATH, or DATABASE_URL for PostgreSQL)`);
  const masterKey = masterKeyFrom(env);
  const db = openDb(target);
  try {
    const hasTable = await db.schema.hasTable('audit_log');
    if (!hasTable) {
      process.stdout.write(`${file}: no audit log yet (the orchestrator creates it)\n`);
      return 0;
    }
    const result = await verifyAuditChain(db, masterKey);
    if (result.ok) {
      const last = result.lastSeq === null ? '' : ` (last row ${result.lastSeq})`;
      process.stdout.write(`audit chain intact: ${result.rows} row(s) checked${last}\n`);
      return 0;
    }
    process.stdout.write(`audit chain BROKEN at row ${result.seq}: ${result.reason} (${result.rows} row(s) before it are intact)\n`);
    return 1;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audit:verify failed: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(2);
  },
);
