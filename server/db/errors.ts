/**
 * Whether a failed statement broke a unique index or primary key: SQLite's SQLITE_CONSTRAINT_UNIQUE
 * or SQLITE_CONSTRAINT_PRIMARYKEY, PostgreSQL's SQLSTATE 23505 (unique_violation). Callers use
 * it to answer "already exists" (409, false) instead of an error, the same on both stores.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
