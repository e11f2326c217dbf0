/**
 * `npm run backup -- FILE`: a consistent copy of the records while the orchestrator runs (SQLite's
 * online backup of DAC_DB_PATH, default ./data/personas.db). With DATABASE_URL (PostgreSQL) it
 * makes nothing and says how to use pg_dump instead. The copy holds the credentials and tokens
 * encrypted with MASTER_KEY, which is not in it: keep the key (data/secrets.env) safe and apart.
 * Restore: see README "Backup and restore".
 */
import { databaseFromEnv } from '../server/config';
import { BackupError, backupSqlite } from '../server/backup/sqlite-backup';
import { loadEnv } from '../shared/env-sources';
import { ConfigError } from '../shared/errors';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(argv: string[]): Promise<void> {
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length !== 1 || argv.length !== 1) throw new BackupError('usage: npm run backup -- FILE   (FILE must not exist yet)');
  const { env } = loadEnv(['DAC_DB_PATH', 'DATABASE_URL', 'DATABASE_POOL_MAX']);
  const target = databaseFromEnv(env);
  if (target.client === 'postgres') {
    throw new BackupError(
      'DATABASE_URL is PostgreSQL: back it up with pg_dump, which takes a consistent snapshot while the orchestrators run:\n' +
        `  pg_dump --format=custom --file=${files[0]} "$DATABASE_URL"\n` +
        'and restore into an empty database with pg_restore --no-owner --dbname="$DATABASE_URL" FILE (see README "Backup and restore").',
    );
  }
  const r = await backupSqlite(target.file, files[0]);
  const rows = Object.entries(r.rows).map(([t, n]) => `${t} ${n}`).join(', ');
  say(`backup of ${target.file} written to ${r.file} (${r.bytes} bytes, ${r.ms} ms): ${rows}`);
  say('It needs the MASTER_KEY it was taken with (not in the file: data/secrets.env or your MASTER_KEY setting). ' +
    'After npm run rotate-key it still needs the old key; keep the two together, somewhere safe.');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof BackupError || err instanceof ConfigError;
  process.stderr.write(`backup: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  process.exit(known ? 2 : 1);
});
