import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The backup cannot be made as asked (the copy exists, the source is missing …); nothing was written. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** Rows per table in the copy (what a restore brings back). */
  rows: Record<string, number>;
  ms: number;
}

/** Tables whose row counts the report shows (those that exist). */
const REPORTED = ['personas', 'credentials', 'triggers', 'event_subscriptions', 'events', 'executions', 'execution_output', 'protocol_messages', 'api_keys', 'audit_log'];

/**
 * A consistent copy of the SQLite database at `source` into `dest`, while the orchestrator keeps
 * writing: SQLite's online backup API, taken as one snapshot (after a first step, every page left
 * is copied in one step, so a write in between restarts it rather than mixing two states). The
 * copy is checked (`integrity_check`), made a single file (journal_mode DELETE), mode 0600, and only
 * then renamed to `dest`; an existing `dest` is refused.
 */
export async function backupSqlite(source: string, dest: string): Promise<BackupResult> {
  const started = Date.now();
  const target = path.resolve(dest);
  if (!fs.existsSync(source)) throw new BackupError(`no database at ${source} (DAC_DB_PATH)`);
  if (fs.existsSync(target)) throw new BackupError(`${target} exists already: give a new file name (a backup never overwrites)`);
  if (path.resolve(source) === target) throw new BackupError('the backup file must not be the database itself');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${crypto.randomBytes(4).toString('hex')}.partial`;
  const src = new Database(source, { fileMustExist: true });
  try {
    src.pragma('busy_timeout = 5000');
    await src.backup(partial, { progress: () => 1_000_000_000 });
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  } finally {
    src.close();
  }
  let rows: Record<string, number>;
  const copy = new Database(partial, { fileMustExist: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the copy failed SQLite's integrity check (${String(check)}); nothing was kept`);
    copy.pragma('journal_mode = DELETE');
    const tables = new Set((copy.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
    rows = Object.fromEntries(
      REPORTED.filter((t) => tables.has(t)).map((t) => [t, (copy.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n]),
    );
  } catch (err) {
    copy.close();
    fs.rmSync(partial, { force: true });
    throw err;
  }
  copy.close();
  fs.chmodSync(partial, 0o600);
  fs.renameSync(partial, target);
  return { file: target, bytes: fs.statSync(target).size, rows, ms: Date.now() - started };
}
