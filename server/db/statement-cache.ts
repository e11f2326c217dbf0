/**
 * Knex's better-sqlite3 dialect prepares every statement anew on every query; preparing costs about
 * as much as running a simple one. This memoizes `prepare` on the connection by SQL text, so the
 * few dozen distinct statements the orchestrator issues are each prepared once. Safe because
 * better-sqlite3 is synchronous (a statement is never in use twice at once) and re-prepares on a
 * schema change by itself. Knex never toggles per-statement modes (raw/pluck/expand); it would only
 * call `safeIntegers` when a query asks for it, which this code base never does.
 */
interface Preparer {
  prepare(sql: string): unknown;
}

/** Bound on distinct statements kept; past it the cache starts over (ad-hoc SQL cannot grow it forever). */
const MAX_STATEMENTS = 1000;

export function cachePreparedStatements(conn: Preparer): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      if (cache.size >= MAX_STATEMENTS) cache.clear();
      cache.set(sql, statement);
    }
    return statement;
  };
}
