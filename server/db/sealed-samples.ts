import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import type { EncryptedBlob } from '../../shared/crypto';
import type { DatabaseTarget } from './target';

/** One stored secret of each kind, to tell whether a MASTER_KEY opens this database. */
export interface SealedSamples {
  credential?: EncryptedBlob;
  /** The stored Claude token, as sealed text (see services/sealed-text). */
  token?: string;
}

/** Reads nothing but these two rows; tables not created yet (a new database) hold nothing. */
export async function sealedSamples(db: Knex): Promise<SealedSamples> {
  const credential = (await db.schema.hasTable('credentials'))
    ? ((await db('credentials').first('encrypted_data', 'iv', 'tag')) as { encrypted_data: string; iv: string; tag: string } | undefined)
    : undefined;
  const token = (await db.schema.hasTable('oauth_tokens'))
    ? ((await db('oauth_tokens').first('access_token_enc')) as { access_token_enc: string } | undefined)
    : undefined;
  return {
    credential: credential && { encryptedData: credential.encrypted_data, iv: credential.iv, tag: credential.tag },
    token: token?.access_token_enc,
  };
}

/**
 * Whether the database already holds what a MASTER_KEY protects: a key check value, a credential or
 * a stored token. Only reads, synchronously (it runs before secrets are generated); a missing file,
 * or one without those tables yet, holds nothing. A plain string is a SQLite file.
 */
export function databaseHoldsSecrets(target: string | DatabaseTarget): boolean {
  const t: DatabaseTarget = typeof target === 'string' ? { client: 'sqlite', file: target } : target;
  return t.client === 'sqlite' ? sqliteHoldsSecrets(t.file) : postgresHoldsSecrets(t.url);
}

function sqliteHoldsSecrets(file: string): boolean {
  let conn: Database.Database;
  try {
    // Not `readonly`: a read-only connection leaves -wal and -shm files behind on a WAL database,
    // while the last read-write one removes them on close. Nothing is written either way.
    conn = new Database(file, { fileMustExist: true });
  } catch {
    return false; // no database there yet
  }
  try {
    const tables = new Set(
      (conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name),
    );
    const has = (sql: string) => conn.prepare(sql).get() !== undefined;
    return (
      (tables.has('system_meta') && has("SELECT 1 FROM system_meta WHERE key = 'master_key_check'")) ||
      (tables.has('credentials') && has('SELECT 1 FROM credentials LIMIT 1')) ||
      (tables.has('oauth_tokens') && has('SELECT 1 FROM oauth_tokens LIMIT 1'))
    );
  } finally {
    conn.close();
  }
}

/**
 * The same look at a PostgreSQL database. The driver only works asynchronously, so a child node
 * process asks (the URL goes through its stdin, never its command line). An unreachable server
 * holds nothing as far as this can tell; the orchestrator's own key check at start still refuses a
 * wrong key before anything is written.
 */
function postgresHoldsSecrets(url: string): boolean {
  const script = `
    const { Client } = require(${JSON.stringify(require.resolve('pg'))});
    let url = '';
    process.stdin.on('data', (d) => (url += d)).on('end', async () => {
      const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      try {
        await c.connect();
        const tables = new Set((await c.query("select table_name from information_schema.tables where table_schema = current_schema()")).rows.map((r) => r.table_name));
        const has = async (sql) => (await c.query(sql)).rowCount > 0;
        const yes = (tables.has('system_meta') && (await has("select 1 from system_meta where key = 'master_key_check'"))) ||
          (tables.has('credentials') && (await has('select 1 from credentials limit 1'))) ||
          (tables.has('oauth_tokens') && (await has('select 1 from oauth_tokens limit 1')));
        process.stdout.write(yes ? 'yes' : 'no');
      } catch {
        process.stdout.write('unknown');
      } finally {
        await c.end().catch(() => undefined);
      }
    });`;
  const res = spawnSync(process.execPath, ['-e', script], { input: url, encoding: 'utf8', timeout: 15_000 });
  return res.stdout === 'yes';
}
