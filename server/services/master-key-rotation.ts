import type { Knex } from 'knex';
import { decrypt, DecryptionError, encrypt } from '../../shared/crypto';
import { rechainAudit } from '../audit/rechain';
import { nowIso } from '../db/knex';
import { putMeta } from '../db/system-meta';
import { MASTER_KEY_CHECK, masterKeyCheckValue } from '../startup/master-key';
import { openSealedText, sealText } from './sealed-text';

/**
 * Every column sealed with MASTER_KEY. A table that stores a new kind of sealed secret must be listed
 * here, or a key rotation would leave it unreadable. Tables not created yet are skipped.
 */
export const SEALED_TABLES = [
  { table: 'credentials', id: 'id', form: 'blob', columns: { data: 'encrypted_data', iv: 'iv', tag: 'tag' } },
  { table: 'webhook_secrets', id: 'id', form: 'blob', columns: { data: 'encrypted_secret', iv: 'iv', tag: 'tag' } },
  { table: 'oauth_tokens', id: 'id', form: 'text', columns: ['access_token_enc', 'refresh_token_enc'] },
] as const;

/** Short-lived rows sealed with the key: dropped rather than re-sealed (an authorization just starts again). */
const DROPPED_TABLES = ['oauth_pending'] as const;

export type TableCounts = Record<string, number>;

/** A sealed value that the old key does not open: the rotation is abandoned, nothing is written. */
export class RotationError extends Error {
  constructor(table: string, id: string) {
    super(`${table} row ${id} does not decrypt with MASTER_KEY: nothing was changed (is MASTER_KEY the database's current key?)`);
    this.name = 'RotationError';
  }
}

type Row = Record<string, string | null>;

function reseal(spec: (typeof SEALED_TABLES)[number], row: Row, from: Buffer, to: Buffer): Row {
  const id = String(row[spec.id]);
  try {
    if (spec.form === 'blob') {
      const c = spec.columns;
      const plain = decrypt({ encryptedData: row[c.data]!, iv: row[c.iv]!, tag: row[c.tag]! }, from);
      const blob = encrypt(plain, to);
      return { [c.data]: blob.encryptedData, [c.iv]: blob.iv, [c.tag]: blob.tag };
    }
    const out: Row = {};
    for (const column of spec.columns) out[column] = row[column] === null ? null : sealText(openSealedText(row[column]!, from), to);
    return out;
  } catch (err) {
    if (err instanceof DecryptionError) throw new RotationError(spec.table, id);
    throw err;
  }
}

/**
 * Re-seals every stored secret from `from` to `to` and records `to`'s check value, in one
 * transaction: all or nothing. Pending OAuth authorizations are dropped; the audit chain (keyed by
 * MASTER_KEY) is verified under `from` and re-computed under `to`. Answers rows per table.
 * The orchestrator must be stopped meanwhile (it keeps the old key in memory).
 */
export async function rotateMasterKey(db: Knex, from: Buffer, to: Buffer): Promise<TableCounts> {
  return db.transaction(async (trx) => {
    const counts: TableCounts = {};
    for (const spec of SEALED_TABLES) {
      if (!(await trx.schema.hasTable(spec.table))) continue;
      const rows = (await trx(spec.table).select('*')) as Row[];
      for (const row of rows) await trx(spec.table).where(spec.id, row[spec.id]).update(reseal(spec, row, from, to));
      counts[spec.table] = rows.length;
    }
    for (const table of DROPPED_TABLES) if (await trx.schema.hasTable(table)) counts[table] = await trx(table).delete();
    // The audit chain's hashes are keyed by MASTER_KEY too: verified under the old key, re-computed under the new.
    counts.audit_log = await rechainAudit(trx, from, to);
    await putMeta(trx, MASTER_KEY_CHECK, masterKeyCheckValue(to), nowIso());
    return counts;
  });
}

/**
 * For a lost key: deletes every sealed secret (credentials with their links, webhook secrets, the
 * stored Claude token, pending authorizations), which nothing can open any more, and records `to`'s
 * check value. Personas, triggers and history stay. Answers rows deleted per table.
 */
export async function forgetSealedSecrets(db: Knex, to: Buffer): Promise<TableCounts> {
  return db.transaction(async (trx) => {
    const counts: TableCounts = {};
    for (const table of [...SEALED_TABLES.map((s) => s.table), ...DROPPED_TABLES]) {
      if (await trx.schema.hasTable(table)) counts[table] = await trx(table).delete();
    }
    // Nothing can verify the old chain any more: it is re-computed under the new key as it stands.
    counts.audit_log = await rechainAudit(trx, undefined, to);
    await putMeta(trx, MASTER_KEY_CHECK, masterKeyCheckValue(to), nowIso());
    return counts;
  });
}
