import type { Knex } from 'knex';
import { types } from 'pg';

/**
 * What makes PostgreSQL hold and answer the records exactly as SQLite does, for the same Knex
 * migrations and queries. Only server/db/ knows about any of this.
 */

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const TEXT_OID = 25;
const VARCHAR_OID = 1043;

/**
 * PostgreSQL's text cannot hold U+0000, which SQLite stores like any character (a CLI's output, a
 * path parameter). Strings bound to a statement (prepareSession) carry it as U+FFFF '0' (and a real U+FFFF, a
 * non-character, as U+FFFF U+FFFF), and text read back is decoded: every string round-trips, and
 * equality still compares like with like.
 */
const ESCAPE = '\uFFFF';
const NEEDS_ENCODING = /[\u0000\uFFFF]/;

export function encodeNul(value: string): string {
  return NEEDS_ENCODING.test(value) ? value.replace(/[\u0000\uFFFF]/g, (c) => (c === '\u0000' ? `${ESCAPE}0` : ESCAPE + ESCAPE)) : value;
}

export function decodeNul(value: string): string {
  return value.includes(ESCAPE) ? value.replace(/\uFFFF([0\uFFFF])/g, (_m, c: string) => (c === '0' ? '\u0000' : ESCAPE)) : value;
}

/**
 * 64-bit integers (`count(*)`, the bigint columns below) and numerics come back as numbers, as
 * from SQLite, rather than as strings (values beyond 2^53 would lose precision, as better-sqlite3's
 * would; none of the records hold such); text is decoded (encodeNul).
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (format !== 'binary') {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
      if (oid === TEXT_OID || oid === VARCHAR_OID) return decodeNul;
      return types.getTypeParser(oid, 'text');
    }
    return types.getTypeParser(oid, 'binary');
  },
};

interface PgSession {
  query: (...args: unknown[]) => unknown;
  /** pg's: 'I' idle, 'T' in a transaction, 'E' in a failed one. */
  getTransactionStatus?: () => string | null;
}

type QueryCallback = (err: Error | null, result?: unknown) => void;

/** Distinct statements a session prepares at most; past it, new ones run unprepared (ad-hoc SQL cannot grow it forever). */
const MAX_PREPARED = 500;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/** A prepared `select *` / `returning *` whose table gained a column since (another instance migrated). */
const isStalePlan = (err: unknown) => (err as { code?: string })?.code === '0A000' && /cached plan must not change result type/.test(String((err as Error).message));

/**
 * Sets up a new pooled session (the pool's afterCreate): the string values bound to every
 * statement are encoded (encodeNul), and each distinct statement is prepared once per session
 * and then only bound and executed — PostgreSQL's side of what statement-cache.ts does for SQLite:
 * parsing and planning were half of the server's CPU for the orchestrator's short statements
 * (docs/BENCHMARKS.md). Knex hands each statement to `query` as `{ text, values }` with a callback;
 * other forms pass unchanged. A prepared statement whose table gained a column meanwhile (another
 * orchestrator migrated) is prepared again under a new name and run once more — outside a
 * transaction, where that is safe; inside one the error stands and the transaction fails.
 */
export function prepareSession(conn: PgSession, opts: { prepare: boolean } = { prepare: true }): void {
  const query = conn.query.bind(conn);
  const names = new Map<string, string>();
  let counter = 0;
  const rename = (text: string) => {
    const name = `pc_${++counter}`;
    names.set(text, name);
    return name;
  };
  const nameFor = (text: string): string | undefined =>
    names.get(text) ?? (opts.prepare && names.size < MAX_PREPARED && PREPARABLE.test(text) ? rename(text) : undefined);

  conn.query = (config: unknown, ...rest: unknown[]) => {
    const c = config as { text?: unknown; values?: unknown[]; submit?: unknown; name?: unknown } | null;
    if (!c || typeof c !== 'object' || typeof c.submit === 'function' || !Array.isArray(c.values) || typeof c.text !== 'string') {
      return query(config, ...rest);
    }
    const text = c.text;
    const values = c.values.map((v) => (typeof v === 'string' ? encodeNul(v) : v));
    const callback = rest[0] as QueryCallback | undefined;
    const name = c.name === undefined && typeof callback === 'function' ? nameFor(text) : undefined;
    if (!name) return query({ ...c, values }, ...rest);
    return query({ ...c, values, name }, (err: Error | null, result?: unknown) => {
      if (err && isStalePlan(err) && conn.getTransactionStatus?.() === 'I') return query({ ...c, values, name: rename(text) }, callback);
      return callback!(err, result);
    });
  };
}

/* Knex's own PostgreSQL client and column compiler (knex is pinned; test/unit/postgres-ddl.test.ts checks the DDL they give). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KnexPgClient: new (config: Knex.Config) => Knex.Client = require('knex/lib/dialects/postgres');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KnexPgColumnCompiler: new (...args: unknown[]) => object = require('knex/lib/dialects/postgres/schema/pg-columncompiler');

/**
 * The migrations' portable column types, as PostgreSQL types that behave as SQLite's (see
 * normalizePostgresSchema for why each): a migration creates them right away, so no column is ever
 * rewritten after it (an ALTER … TYPE of a large table's column would lock it while it is copied).
 */
class PortableColumnCompiler extends KnexPgColumnCompiler {
  varchar(): string {
    return 'text collate "C"';
  }
  char(): string {
    return 'text collate "C"';
  }
  increments(this: { tableCompiler: { _canBeAddPrimaryKey(o: unknown): boolean } }, options = { primaryKey: true }): string {
    return `bigserial${this.tableCompiler._canBeAddPrimaryKey(options) ? ' primary key' : ''}`;
  }
}
Object.assign(PortableColumnCompiler.prototype, {
  text: 'text collate "C"',
  integer: 'bigint',
  smallint: 'bigint',
  mediumint: 'bigint',
  tinyint: 'bigint',
  floating: 'double precision',
});

/** Knex's PostgreSQL client with PortableColumnCompiler: `client` in the Knex config of a PostgreSQL store. */
export class PortablePgClient extends KnexPgClient {
  override columnCompiler(...args: unknown[]): object {
    return new PortableColumnCompiler(this, ...args);
  }
}

/** Key of the advisory lock that lets one process at a time migrate (any 64-bit number of our own). */
const MIGRATION_LOCK_KEY = 7_316_502_449_123;

/**
 * Runs `work` while holding a database-wide advisory lock, so that orchestrators starting together
 * on an empty database do not race to create Knex's own tables (Knex's lock table only works once
 * those exist). The lock is held by a transaction on a connection of its own and ends with it.
 */
export async function withMigrationLock<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  const lock = await db.transaction();
  try {
    await lock.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    return await work();
  } finally {
    await lock.commit();
  }
}

interface ColumnInfo {
  table_name: string;
  column_name: string;
  data_type: string;
  collation_name: string | null;
}

/**
 * Brings every table the migrations made to the column types that behave as SQLite's. Run after
 * the migrations; changes only what differs, so it costs one catalogue query when there is nothing
 * to do. Columns made through Knex's builder already have these types (PortableColumnCompiler);
 * this catches the rest (raw SQL in a migration) and gives each new table its rowid.
 *
 * - `varchar(255)` (Knex's `string`) and `text` → `text COLLATE "C"`: no length limit (SQLite
 *   enforces none), and `=`, `<` and ORDER BY compare bytes, as SQLite's BINARY collation does,
 *   whatever locale the database was created with.
 * - `integer`/`smallint` → `bigint`: SQLite integers are 64-bit.
 * - `real` (Knex's `float`) → `double precision`: SQLite's REAL is a double.
 * - A `rowid bigserial` column where a table has none: SQLite's implicit insertion order, which the
 *   queries use to break ties between rows written in the same millisecond.
 */
export async function normalizePostgresSchema(db: Knex): Promise<string[]> {
  const columns = (
    await db.raw(
      `select c.table_name, c.column_name, c.data_type, c.collation_name
         from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
          and c.table_name not in ('knex_migrations', 'knex_migrations_lock')
        order by c.table_name, c.ordinal_position`,
    )
  ).rows as ColumnInfo[];
  const byTable = new Map<string, ColumnInfo[]>();
  for (const c of columns) byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c]);

  const statements: string[] = [];
  for (const [table, cols] of byTable) {
    const changes: string[] = [];
    for (const c of cols) {
      const target = targetType(c);
      if (target) changes.push(`alter column ${quote(c.column_name)} type ${target}`);
    }
    if (!cols.some((c) => c.column_name === 'rowid')) changes.push('add column rowid bigserial');
    if (changes.length) statements.push(`alter table ${quote(table)} ${changes.join(', ')}`);
  }
  if (statements.length) {
    await db.transaction(async (trx) => {
      for (const sql of statements) await trx.raw(sql);
    });
  }
  return statements;
}

function targetType(c: ColumnInfo): string | undefined {
  switch (c.data_type) {
    case 'character varying':
    case 'character':
      return 'text collate "C"';
    case 'text':
      return c.collation_name === 'C' ? undefined : 'text collate "C"';
    case 'integer':
    case 'smallint':
      return 'bigint';
    case 'real':
      return 'double precision';
    default:
      return undefined;
  }
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
