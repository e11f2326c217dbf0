/**
 * Which store holds the records: a SQLite file (the default, one orchestrator) or a PostgreSQL
 * database (DATABASE_URL; any number of orchestrators). Parsed once by server/config.ts.
 */
export type DatabaseTarget =
  | { client: 'sqlite'; file: string }
  | {
      client: 'postgres';
      /** The connection URL as given (password included): hand it to the driver, never to a log. */
      url: string;
      /** Connections this process keeps at most. */
      poolMax: number;
      /** The sessions' `synchronous_commit` (default `off`: SQLite's durability, see SYNCHRONOUS_COMMIT_LEVELS). */
      synchronousCommit?: SynchronousCommit;
      /** Prepare each distinct statement once per session (default true; false for an A/B in the bench). */
      prepareStatements?: boolean;
    };

export const DEFAULT_POSTGRES_POOL_MAX = 10;

/**
 * PostgreSQL's `synchronous_commit` levels. `off`, the default here, answers a commit before its WAL
 * reaches the disk: what SQLite in WAL mode with synchronous=NORMAL does. A crash of the database's
 * machine may lose the last fraction of a second of commits, never leave them half-done. `on`
 * (or a replication level) waits for the disk, a few milliseconds per write on ordinary disks.
 */
export const SYNCHRONOUS_COMMIT_LEVELS = ['off', 'local', 'on', 'remote_write', 'remote_apply'] as const;
export type SynchronousCommit = (typeof SYNCHRONOUS_COMMIT_LEVELS)[number];

/** The URL with its password (and any `password=` parameter) replaced by `***`: safe for logs and errors. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|sslkey/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** A one-line name for logs and messages: the file, or the redacted URL. */
export function describeDatabase(target: DatabaseTarget): string {
  return target.client === 'sqlite' ? target.file : redactDatabaseUrl(target.url);
}

/**
 * Checks a DATABASE_URL; answers why it is not usable (a phrase for "DATABASE_URL: …"), or
 * undefined. The messages never repeat the URL, which may hold a password.
 */
export function postgresUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be a URL such as postgres://user:password@host:5432/database';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    return 'must start with postgres:// or postgresql:// (for SQLite leave DATABASE_URL unset and set DAC_DB_PATH)';
  }
  if (!u.hostname && !u.searchParams.get('host')) return 'names no host (postgres://user:password@HOST:5432/database)';
  if (decodeURIComponent(u.pathname.replace(/^\//, '')) === '') return 'names no database (postgres://user:password@host:5432/DATABASE)';
  return undefined;
}
