import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { decrypt } from '../../shared/crypto';
import { ConfigError } from '../../shared/errors';
import { nowIso } from '../db/knex';
import { sealedSamples } from '../db/sealed-samples';
import { getMeta, putMeta } from '../db/system-meta';
import { openSealedText } from '../services/sealed-text';

export const MASTER_KEY_CHECK = 'master_key_check';
const CHECK_LABEL = 'personas-cloud master key check v1';

/**
 * The value the database keeps to recognise its MASTER_KEY: an HMAC of a fixed label under the key.
 * It tells a wrong key from the right one and reveals nothing about the key.
 */
export function masterKeyCheckValue(key: Buffer): string {
  return `v1:${createHmac('sha256', key).update(CHECK_LABEL).digest('hex')}`;
}

/** The MASTER_KEY in use is not the one the database was written with. Nothing was changed. */
export class MasterKeyMismatchError extends ConfigError {
  constructor(dbPath: string, why: string) {
    super(
      `refusing to start: MASTER_KEY is not the key the database ${dbPath} was written with (${why}); nothing was changed. ` +
        'Start again with the key this installation used: restore data/secrets.env (or the MASTER_KEY / MASTER_KEY_FILE you deployed) ' +
        'from your backup. To change the key on purpose, run `npm run rotate-master-key` with the current key as MASTER_KEY and ' +
        'the new one as NEW_MASTER_KEY (see "Upgrading" in the README).',
    );
    this.name = 'MasterKeyMismatchError';
  }
}

function opens(samples: Awaited<ReturnType<typeof sealedSamples>>, key: Buffer): boolean | undefined {
  const tries: Array<() => unknown> = [];
  if (samples.credential) tries.push(() => decrypt(samples.credential!, key));
  if (samples.token) tries.push(() => openSealedText(samples.token!, key));
  if (tries.length === 0) return undefined;
  return tries.some((t) => {
    try {
      t();
      return true;
    } catch {
      return false; // this one was sealed under another key
    }
  });
}

/**
 * Checks `key` against the database before anything else touches it (read-only: it runs before
 * the migrations, so a refused start changes nothing on disk). Throws MasterKeyMismatchError when
 * the recorded check value differs, or, with none recorded yet, when stored credentials or a stored
 * token exist and none of them decrypts with `key`. Answers whether the check value still has to be
 * recorded (recordMasterKeyCheck, once the migrations have run).
 */
export async function verifyMasterKey(db: Knex, key: Buffer, o: { dbPath: string }): Promise<{ record: boolean }> {
  const recorded = (await db.schema.hasTable('system_meta')) ? await getMeta(db, MASTER_KEY_CHECK) : undefined;
  if (recorded !== undefined) {
    const expected = masterKeyCheckValue(key);
    const same = recorded.length === expected.length && timingSafeEqual(Buffer.from(recorded), Buffer.from(expected));
    if (!same) throw new MasterKeyMismatchError(o.dbPath, 'its recorded key check value differs');
    return { record: false };
  }
  if (opens(await sealedSamples(db), key) === false) {
    throw new MasterKeyMismatchError(o.dbPath, 'its stored credentials and Claude token do not decrypt with it');
  }
  return { record: true };
}

/** Records `key`'s check value (after verifyMasterKey said so, and the migrations ran). */
export async function recordMasterKeyCheck(db: Knex, key: Buffer, logger: Logger): Promise<void> {
  await putMeta(db, MASTER_KEY_CHECK, masterKeyCheckValue(key), nowIso());
  logger.info('MASTER_KEY check value recorded in the database (from now on another key is refused at start)');
}
